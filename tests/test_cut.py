"""Acting on the findings: timecodes, the stretches to keep, clips (re-encoded and stream-copied),
and cut lists (ffmpeg script, CMX 3600 EDL) parsed back."""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from fractions import Fraction

import pytest

from blurscan.cut.ranges import keep_ranges
from blurscan.result.model import Segment
from blurscan.testing.synthetic import Blur
from blurscan.timecode import clock, edl_rate, parse_smpte, smpte
from tests.media import write_clip_with_audio

BLURS = [Blur(30, 44, "gaussian", 3.0), Blur(70, 74, "motion", 15.0, 0.0)]


@pytest.fixture(scope="module")
def av_clip(tmp_path_factory):
    """120 frames at 30 fps with a mono AAC track, keyframe every 10 frames; blur on frames 30-44 and 70-74."""
    return write_clip_with_audio(tmp_path_factory.mktemp("cut") / "take 1 $(x).mp4", frames=120, blurs=BLURS, gop=10)


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "blurscan", *map(str, args)], capture_output=True, text=True, timeout=120)


# -- timecodes ---------------------------------------------------------------


@pytest.mark.parametrize("fps", [Fraction(24000, 1001), Fraction(25), Fraction(30000, 1001), Fraction(30)])
def test_timecodes_are_frame_exact(fps):
    for frame in (0, 1, 23, 24, 29, 30, 1799, 1800, 107_892, 863_136):
        seconds = frame / fps
        text = clock(float(seconds))
        h, m, s = text.split(":")
        assert abs((int(h) * 3600 + int(m) * 60 + float(s)) - float(seconds)) <= 0.0005 + 1e-9
        # the millisecond timecode of a frame always rounds back to that frame
        assert round((int(h) * 3600 + int(m) * 60 + float(s)) * fps) == frame
        rate = edl_rate(float(fps))
        assert parse_smpte(smpte(frame, rate), rate) == frame
    assert clock(3723.4567) == "01:02:03.457" and smpte(30 * 61 + 5, 30) == "00:01:01:05"


# -- the stretches to keep -----------------------------------------------------


def seg(a, b, fps=30):
    return Segment(a, b, a / fps, (b + 1) / fps, "mild", 0.1)


def test_keep_ranges_are_the_complement_of_the_segments():
    ranges = keep_ranges([seg(70, 74), seg(30, 44)], 120, 4.0)
    assert [(r.start_frame, r.end_frame) for r in ranges] == [(0, 29), (45, 69), (75, 119)]
    assert [(r.start_s, r.end_s) for r in ranges] == [(0.0, 1.0), (1.5, 70 / 30), (2.5, 4.0)]
    assert keep_ranges([seg(0, 9), seg(110, 119)], 120, 4.0)[0].start_frame == 10
    assert keep_ranges([seg(0, 119)], 120, 4.0) == []
    assert [r.index for r in keep_ranges([seg(30, 44), seg(70, 74)], 120, 4.0, min_clip_s=1.0)] == [1, 2]
    assert [(r.start_frame, r.end_frame) for r in keep_ranges([seg(30, 44), seg(70, 74)], 120, 4.0, min_clip_s=1.0)] == [(0, 29), (75, 119)]
    assert [(r.start_frame, r.end_frame) for r in keep_ranges([seg(30, 44), seg(40, 50)], 120, 4.0)] == [(0, 29), (51, 119)]


# -- clips -------------------------------------------------------------------


def _decoded(path):
    import av

    with av.open(str(path)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    with av.open(str(path)) as container:
        audio = [s.codec_context.name for s in container.streams.audio]
    return frames, audio


def test_split_reencodes_the_sharp_stretches_exactly(av_clip, tmp_path):
    from blurscan import scan

    out = tmp_path / "clips"
    result = run_cli("split", av_clip, "-o", out)
    assert result.returncode == 0, result.stderr
    cuts = json.loads(next(out.glob("*.cuts.json")).read_text())
    assert [(c["start_frame"], c["end_frame"]) for c in cuts["clips"]] == [(0, 29), (45, 69), (75, 119)]
    assert cuts["clips"][1]["start_tc"] == "00:00:01.500"
    for clip in cuts["clips"]:
        frames, audio = _decoded(clip["file"])
        assert frames == clip["end_frame"] - clip["start_frame"] + 1 == clip["frames_written"]
        assert audio == ["aac"]
        rescanned = scan(clip["file"])  # no flagged frame survives: the clip scans clean
        assert not rescanned.verdict.blur_detected, clip
        assert abs(rescanned.video.duration_s - clip["duration_s"]) < 1 / 30 + 1e-6
    # with a minimum length the short middle stretch is dropped
    result = run_cli("split", av_clip, "-o", tmp_path / "long", "--min-clip", "1.0", "-q")
    assert result.returncode == 0 and len(list((tmp_path / "long").glob("*.mp4"))) == 2


def test_split_by_stream_copy_snaps_each_clip_to_a_keyframe(av_clip, tmp_path):
    import av

    out = tmp_path / "copy"
    result = run_cli("split", av_clip, "-o", out, "--copy")
    assert result.returncode == 0, result.stderr
    assert "keyframe" in result.stderr  # the middle stretch (from frame 45) starts at the keyframe of frame 50
    cuts = json.loads(next(out.glob("*.cuts.json")).read_text())
    starts = [round(c["written_start_s"] * 30) for c in cuts["clips"]]
    assert starts == [0, 50, 80]
    for clip, start in zip(cuts["clips"], starts):
        with av.open(clip["file"]) as container:
            packets = [p for p in container.demux(video=0) if p.size]
            assert packets[0].is_keyframe
        frames, audio = _decoded(clip["file"])
        assert 0 < frames <= clip["end_frame"] - start + 1 and audio == ["aac"]


# -- cut lists -----------------------------------------------------------------


def test_edl_parses_back_to_the_stretches(av_clip, tmp_path):
    out = tmp_path / "edl"
    assert run_cli("split", av_clip, "-o", out, "--export", "edl", "-q").returncode == 0
    text = next(out.glob("*.edl")).read_text()
    assert text.startswith("TITLE: ") and "FCM: NON-DROP FRAME" in text
    events = re.findall(r"^(\d{3})  (\S+)\s+(\S+)\s+C\s+(\S+) (\S+) (\S+) (\S+)$", text, re.M)
    assert [e[0] for e in events] == ["001", "002", "003"]
    spans = [(parse_smpte(e[3], 30), parse_smpte(e[4], 30) - 1) for e in events]
    assert spans == [(0, 29), (45, 69), (75, 119)]
    record = [(parse_smpte(e[5], 30), parse_smpte(e[6], 30)) for e in events]
    assert record == [(0, 30), (30, 55), (55, 100)]  # laid end to end
    assert all(e[2] == "AA/V" for e in events)
    assert text.count("* FROM CLIP NAME: take 1 $(x).mp4") == 3


def test_ffmpeg_script_parses_back_and_quotes_hostile_names(av_clip, tmp_path):
    out = tmp_path / "ff"
    assert run_cli("split", av_clip, "-o", out, "--export", "ffmpeg", "-q").returncode == 0
    script = next(out.glob("*.cuts.sh"))
    assert subprocess.run(["sh", "-n", str(script)]).returncode == 0
    commands = [shlex.split(line) for line in script.read_text().splitlines() if line.startswith("ffmpeg ")]
    assert len(commands) == 3
    for command, (first, last) in zip(commands, [(0, 29), (45, 69), (75, 119)]):
        start = float(command[command.index("-ss") + 1])
        length = float(command[command.index("-t") + 1])
        assert command[command.index("-i") + 1] == "file:" + str(av_clip.resolve())
        assert round(start * 30 + 0.5) == first and round((start + length) * 30 + 0.5) == last + 1


def test_split_result_option_and_errors(av_clip, tmp_path):
    from blurscan import scan

    data = scan(av_clip).to_dict()
    saved = tmp_path / "r.json"
    saved.write_text(json.dumps(data))
    result = run_cli("split", av_clip, "-o", tmp_path / "from-json", "--result", saved, "-q")
    assert result.returncode == 0, result.stderr
    assert len(list((tmp_path / "from-json").glob("*.mp4"))) == 3
    bad = tmp_path / "bad.json"
    bad.write_text("{}")
    result = run_cli("split", av_clip, "-o", tmp_path / "x", "--result", bad)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and "not a blurscan result" in result.stderr
    junk = tmp_path / "junk.mp4"
    junk.write_text("not a video")
    result = run_cli("split", junk, "-o", tmp_path / "y")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1


def test_batch_split_cuts_every_video_beside_its_results(av_clip, clean_clip, tmp_path):
    import shutil

    from blurscan import scan

    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(av_clip, videos / "blurry.mp4")
    shutil.copy(clean_clip.path, videos / "clean.mp4")
    out = tmp_path / "out"
    result = run_cli("batch", videos, "-o", out, "--split", "--min-clip", "0.5", "-q")
    assert result.returncode == 0, result.stderr
    cuts = json.loads((out / "blurry.cuts.json").read_text())
    assert [(c["start_frame"], c["end_frame"]) for c in cuts["clips"]] == [(0, 29), (45, 69), (75, 119)]
    for clip in cuts["clips"]:
        assert not scan(clip["file"]).verdict.blur_detected
    clean = json.loads((out / "clean.cuts.json").read_text())  # no blur: not cut, its one clip would be a copy
    assert clean["whole"] is True and clean["complete"] is True and clean["clips"] == []
    assert not list(out.glob("clean.clip*"))
    result = run_cli("batch", videos, "-o", tmp_path / "whole", "--split", "--keep-whole", "-q")
    assert result.returncode == 0, result.stderr
    clean = json.loads((tmp_path / "whole" / "clean.cuts.json").read_text())
    assert clean["whole"] is False and [(c["start_frame"], c["end_frame"]) for c in clean["clips"]] == [(0, 59)]
    assert run_cli("batch", videos, "-o", tmp_path / "x", "--copy").returncode == 2
    assert run_cli("batch", videos, "-o", tmp_path / "x", "--keep-whole").returncode == 2
    assert run_cli("batch", videos, "-o", tmp_path / "x", "--min-clip", "0.5").returncode == 2
    bad = run_cli("batch", videos, "-o", tmp_path / "x", "--split", "--min-clip", "1:75")
    assert bad.returncode == 2 and "--min-clip" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_timecodes_follow_a_variable_frame_rate(tmp_path):
    """Frames 40, 30 and 50 ms apart in turn: each segment's timecodes are its frames' own times."""
    import av

    from blurscan import scan
    from blurscan.testing.synthetic import blurred, scene_frames

    steps = [40, 30, 50]
    pts = [sum(steps[j % 3] for j in range(i)) for i in range(90)]
    path = tmp_path / "vfr.mkv"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=25)
        stream.width, stream.height, stream.pix_fmt = 320, 180, "yuv420p"
        stream.options = {"bf": "0", "crf": "18"}
        stream.codec_context.time_base = Fraction(1, 1000)
        images = blurred(scene_frames(90, 320, 180, seed=7), [Blur(40, 49, "gaussian", 3.0)])
        for ms, image in zip(pts, images):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts, frame.time_base = ms, Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    result = scan(path)
    segment = result.to_dict(include_scores=False)["segments"][0]
    first, last = segment["start_frame"], segment["end_frame"]
    assert (first, last) == (40, 49)
    assert segment["start_tc"] == clock(pts[first] / 1000) == "00:00:01.600"
    assert segment["end_tc"] == clock(pts[last + 1] / 1000)  # when the last blurry frame stops showing
