"""``split`` on the inputs that broke it (issues 21 and 22): PCM audio, Matroska with B-frames,
rotated phone clips, a second video track, a result of another video, stream copy's keyframes,
a video with no blur, clip lengths in frames and timecodes, clip-name templates, and kills."""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from blurscan.testing.synthetic import Blur
from tests.hostile_media import write_cut_clip

#: the stretches kept from a write_cut_clip (blur on frames 30-44 of 90)
KEPT = [(0, 29), (45, 89)]


def run_cli(*args, timeout: float = 120):
    return subprocess.run([sys.executable, "-m", "blurscan", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout)


def cuts_of(out: Path) -> dict:
    return json.loads(next(out.glob("*.cuts.json")).read_text())


def decoded(path) -> dict:
    """What a clip holds, read back: its frames, their stored size and display rotation, its audio."""
    import av

    with av.open(str(path)) as container:
        frames = list(container.decode(video=0))
        audio = [(s.codec_context.name, s.sample_rate, s.layout.name) for s in container.streams.audio]
    with av.open(str(path)) as container:
        audio_s = sum(f.samples / f.sample_rate for f in container.decode(audio=0)) if audio else 0.0
    return {"frames": len(frames), "size": (frames[0].width, frames[0].height), "rotation": frames[0].rotation,
            "first_s": frames[0].time, "audio": audio, "audio_s": audio_s}


# -- issue 21.1: PCM audio -----------------------------------------------------------------------


@pytest.mark.parametrize("name, rate, channels", [("pcm.avi", 16000, 1), ("pcm192.mkv", 192000, 2)])
def test_pcm_audio_is_converted_to_aac(tmp_path, name, rate, channels):
    """PCM with no channel layout (AVI, Matroska) or at 192 kHz made the AAC encoder refuse (exit 1,
    ``avcodec_open2("aac") returned 22``): it is given a layout and a rate AAC takes."""
    video = write_cut_clip(tmp_path / name, audio="pcm_s16le", audio_rate=rate, channels=channels)
    out = tmp_path / "out"
    result = run_cli("split", video, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    clips = cuts_of(out)["clips"]
    assert [(c["start_frame"], c["end_frame"]) for c in clips] == KEPT
    for clip in clips:
        held = decoded(clip["file"])
        assert held["frames"] == clip["end_frame"] - clip["start_frame"] + 1
        (codec, clip_rate, layout), = held["audio"]
        assert codec == "aac" and clip_rate == min(rate, 48000) and layout == ("mono" if channels == 1 else "stereo")
        assert abs(held["audio_s"] - clip["duration_s"]) < 0.1
        assert clip["audio"] is True


def test_audio_aac_cannot_hold_is_dropped_with_a_warning():
    """Last resort: a track the AAC encoder refuses in any layout is dropped and the reason given."""
    from blurscan.cut.split import aac_target
    from blurscan.messages import Message

    class Layout:
        name, nb_channels = "12 channels", 12

    class Context:
        layout, channels, sample_rate, name = Layout(), 12, 48000, "pcm_s16le"

    class Stream:
        codec_context = Context()

    reason = aac_target(Stream())
    assert isinstance(reason, Message) and "audio dropped" in str(reason) and "--copy" in str(reason)


# -- issue 21.2: stream copy of Matroska with B-frames --------------------------------------------


@pytest.mark.parametrize("suffix, audio", [(".mkv", None), (".mkv", "pcm_s16le"), (".mp4", None)])
def test_stream_copy_keeps_every_frame_of_matroska_with_b_frames(tmp_path, suffix, audio):
    """Matroska's first packets of a B-frame stream have no decode time; they were skipped, so
    clip 1 lost its first keyframe (21 of 30 frames) and every time was shifted."""
    video = write_cut_clip(tmp_path / f"bf{suffix}", b_frames=True, audio=audio)
    out = tmp_path / "out"
    result = run_cli("split", video, "-o", out, "--copy", "-q")
    assert result.returncode == 0, result.stderr
    clips = cuts_of(out)["clips"]
    # clip 1 starts at frame 0 (a keyframe); clip 2's stretch starts at frame 45, its keyframe is frame 50
    assert [round(c["written_start_s"] * 30) for c in clips] == [0, 50]
    assert [decoded(c["file"])["frames"] for c in clips] == [30, 40]
    assert [c["frames_written"] for c in clips] == [30, 40]
    if audio:
        assert [decoded(c["file"])["audio"][0][0] for c in clips] == ["pcm_s16le"] * 2


def test_decode_times_are_filled_in_rising_order():
    from blurscan.cut.split import with_decode_times

    class Stream:
        def __init__(self, index):
            self.index, self.average_rate = index, None

    video, audio = Stream(0), Stream(1)

    class Packet:
        def __init__(self, stream, pts, dts):
            self.stream, self.pts, self.dts, self.duration, self.time_base = stream, pts, dts, 33, None

    order = [(video, 0, None), (audio, 0, 0), (video, 133, None), (audio, 64, 64), (video, 67, 0), (video, 33, 33),
             (video, 100, 67), (video, None, None), (video, 200, None), (audio, 128, None)]
    packets = list(with_decode_times(Packet(*p) for p in order))
    # none lost but the one with no time at all, none moved
    assert [(p.stream.index, p.pts) for p in packets] == [(s.index, pts) for s, pts, _ in order if pts is not None]
    for stream in (video, audio):
        dts = [p.dts for p in packets if p.stream is stream]
        assert dts == sorted(set(dts)) and all(p.dts <= p.pts for p in packets if p.stream is stream)
    assert [p.dts for p in packets if p.stream is video][2:5] == [0, 33, 67]  # the demuxer's own are kept
    assert [p.dts for p in packets if p.stream is audio][:2] == [0, 64]


# -- issue 21.3 / 22.1: rotation --------------------------------------------------------------------


def test_reencoded_clips_of_a_rotated_video_play_upright(tmp_path):
    """A phone clip stored 320x180 with rotation 90 plays 180x320: so must its clips."""
    from blurscan import scan

    video = write_cut_clip(tmp_path / "phone.mp4", rotation=90, b_frames=False)
    source = scan(video).video
    assert (source.width, source.height) == (180, 320)
    out = tmp_path / "out"
    result = run_cli("split", video, "-o", out, "-q")
    assert result.returncode == 0, result.stderr
    for clip in cuts_of(out)["clips"]:
        held = decoded(clip["file"])
        assert held["size"] == (320, 180) and held["rotation"] == 90  # pictures as stored, turned on display
        shown = scan(clip["file"]).video
        assert (shown.width, shown.height) == (180, 320)
    copied = tmp_path / "copied"  # a stream copy keeps the stream's display matrix as it is
    assert run_cli("split", video, "-o", copied, "--copy", "-q").returncode == 0
    assert [decoded(c["file"])["rotation"] for c in cuts_of(copied)["clips"]] == [90, 90]


# -- issue 21.4: the stream the scan used -----------------------------------------------------------


def test_cut_lists_name_the_video_stream_the_scan_used(tmp_path):
    """Stream 0 is a black 64x64 track, stream 1 (flagged default) the video the scan used:
    the script mapped ``0:v:0``, cutting the wrong track."""
    from tests.media import write_two_video_streams

    video = write_two_video_streams(tmp_path / "two.mkv", default=1, frames=30)
    out = tmp_path / "out"
    assert run_cli("split", video, "-o", out, "--export", "ffmpeg", "-q").returncode == 0
    assert cuts_of(out)["video"]["stream"] == 1
    commands = [shlex.split(line) for line in next(out.glob("*.cuts.sh")).read_text().splitlines()
                if line.startswith("ffmpeg ")]
    assert commands
    for command in commands:
        maps = [command[i + 1] for i, word in enumerate(command) if word == "-map"]
        assert maps[0] == "0:1" and "0:v:0" not in maps
    assert run_cli("split", video, "-o", out, "--export", "edl", "-q").returncode == 0
    text = next(out.glob("*.edl")).read_text()
    assert "* SOURCE VIDEO STREAM: 1" in text


# -- issue 22.2: a result of another video ----------------------------------------------------------


def test_a_result_of_another_video_is_refused(tmp_path):
    """It cut video A by video B's frames and wrote B's frame count into A's cuts.json."""
    from blurscan import scan

    for folder in ("a", "b"):
        (tmp_path / folder).mkdir()
    ours = write_cut_clip(tmp_path / "a" / "clip.mp4")
    same_name = write_cut_clip(tmp_path / "b" / "clip.mp4", frames=60)  # same name and size, 60 frames
    other = write_cut_clip(tmp_path / "a" / "other.mp4", width=256, height=144)
    renamed = tmp_path / "b" / "other.mp4"  # our video under the other's name: the size tells
    renamed.write_bytes(ours.read_bytes())
    cases = ((ours, other, "made from 'other.mp4'"), (ours, same_name, "60 frames"), (renamed, other, "256x144"))
    for video, source, why in cases:
        saved = tmp_path / f"{source.parent.name}-{source.stem}.json"
        saved.write_text(json.dumps(scan(source).to_dict()))
        out = tmp_path / f"out-{video.parent.name}-{saved.stem}"
        result = run_cli("split", video, "-o", out, "--result", saved)
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "not this video's result" in lines[0] and why in lines[0], lines
        assert not [p for p in out.iterdir() if not p.name.startswith(".")]  # nothing cut, no cuts.json
    own = tmp_path / "own.json"
    own.write_text(json.dumps(scan(ours).to_dict()))
    result = run_cli("split", ours, "-o", tmp_path / "own", "--result", own, "--export", "edl", "-q")
    assert result.returncode == 0, result.stderr



def test_a_result_of_part_of_the_video_is_not_cut(tmp_path):
    """A result scanned with --start counts its frames from the range's first frame: cutting the
    whole video by it would cut in the wrong places, so split refuses it, and batch refuses --split
    with a range."""
    video = write_cut_clip(tmp_path / "clip.mp4")
    part = run_cli("detect", video, "--start", "0.5s", "-o", tmp_path / "scan", "-q")
    assert part.returncode == 0, part.stderr
    result = run_cli("split", video, "-o", tmp_path / "out", "--result", tmp_path / "scan" / "clip.json")
    assert result.returncode == 1 and "covers only" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    batch = run_cli("batch", tmp_path / "clip.mp4", "-o", tmp_path / "batch", "--split", "--start", "2")
    assert batch.returncode == 2 and "--split cuts whole videos" in batch.stderr

# -- issue 22.3: what --copy wrote ---------------------------------------------------------------------


def test_stream_copy_says_what_it_wrote(tmp_path):
    """Keyframes every 30 frames: clip 2's stretch starts at frame 45 (1.5 s), its copy at frame 60
    (2.0 s), so 2.0 s are written of the 2.5 s kept."""
    video = write_cut_clip(tmp_path / "take.mp4", gop=30, b_frames=False)
    out = tmp_path / "out"
    result = run_cli("split", video, "-o", out, "--copy")
    assert result.returncode == 0, result.stderr
    clips = cuts_of(out)["clips"]
    assert [c["written_s"] for c in clips] == [1.0, 1.0] and [c["duration_s"] for c in clips] == [1.0, 1.5]
    assert "kept 2 sharp stretches, 2.50 s of 3.00 s" in result.stderr
    assert "wrote 2 clips, 2.00 s" in result.stderr
    note = next(line for line in result.stderr.splitlines() if "keyframe at" in line)
    assert note.strip().startswith("take.clip002.mkv: ") and "00:00:02.000, not 00:00:01.500" in note
    assert "0.50 s of the stretch not written" in note


# -- issue 22.16: a video with no blur -------------------------------------------------------------------


def test_a_video_with_no_blur_is_not_cut_unless_asked(tmp_path):
    video = write_cut_clip(tmp_path / "clean.mp4", blurs=())
    out = tmp_path / "out"
    result = run_cli("split", video, "-o", out)
    assert result.returncode == 0, result.stderr
    assert "no blur found: not cut" in result.stderr and "--keep-whole" in result.stderr
    assert not list(out.glob("*.mp4"))
    plan = cuts_of(out)
    assert plan["whole"] is True and plan["complete"] is True and plan["clips"] == []
    result = run_cli("split", video, "-o", out, "--keep-whole", "-q")
    assert result.returncode == 0, result.stderr
    (clip,) = cuts_of(out)["clips"]
    assert (clip["start_frame"], clip["end_frame"]) == (0, 89) and decoded(clip["file"])["frames"] == 90


# -- issue 22.17: --min-clip in frames or timecodes, clip names ---------------------------------------


def test_lengths_parse_as_seconds_frames_or_timecodes():
    from blurscan.timecode import Length, parse_length

    assert parse_length("2") == parse_length("2s") == parse_length("00:00:02") == Length(seconds=2.0)
    assert parse_length("01:02.5") == Length(seconds=62.5) and parse_length("1:00:00") == Length(seconds=3600.0)
    assert parse_length("48f") == Length(frames=48) and parse_length(" 0 ") == Length()
    for bad in ("-1", "x", "1:75", "2f5", "nan", "1::2", "1:2:3:4", "-3f", ""):
        with pytest.raises(ValueError, match="not a length"):
            parse_length(bad)


def test_min_clip_in_frames_or_timecodes(tmp_path):
    from blurscan.cut.ranges import keep_ranges
    from blurscan.result.model import Segment

    blur = [Segment(30, 44, 1.0, 1.5, "mild", 0.1)]
    assert [r.index for r in keep_ranges(blur, 90, 3.0, min_clip_frames=30)] == [1, 2]
    assert [(r.start_frame, r.end_frame) for r in keep_ranges(blur, 90, 3.0, min_clip_frames=31)] == [(45, 89)]
    video = write_cut_clip(tmp_path / "take.mp4")
    for length, kept in (("31f", [(45, 89)]), ("30f", KEPT), ("00:00:01.100", [(45, 89)]), ("00:00:01", KEPT)):
        out = tmp_path / length.replace(":", "-")
        result = run_cli("split", video, "-o", out, "--min-clip", length, "--export", "edl", "-q")
        assert result.returncode == 0, result.stderr
        plan = cuts_of(out)
        assert [(c["start_frame"], c["end_frame"]) for c in plan["clips"]] == kept, length
        assert plan.get("min_clip_frames", 0) == (int(length[:-1]) if length.endswith("f") else 0)
    result = run_cli("split", video, "-o", tmp_path / "bad", "--min-clip", "1:75")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1 and "--min-clip" in result.stderr


@pytest.mark.parametrize("template, why", [
    ("../{stem}{n}", "path separator"), ("{stem}/{n}", "path separator"), ("{stem}\\{n}", "path separator"),
    ("{stem}\n{n}", "path separator"), ("{stem}", "no {n}"), ("{x}{n}", "unknown field"), (".{stem}{n}", "hidden"),
    ("{stem}{n", "write e.g."), ("{n.__class__}", "path separator"), ("{n:q}", "write e.g."),
])
def test_name_templates_that_leave_the_folder_or_clash_are_refused(template, why):
    from blurscan.cut.split import validate_name_template
    from blurscan.errors import UsageError

    with pytest.raises(UsageError) as caught:
        validate_name_template(template)
    assert why in str(caught.value) and "\n" not in str(caught.value)


def test_name_template_names_the_clips(tmp_path):
    from blurscan.cut.split import validate_name_template
    from blurscan.errors import UsageError

    assert validate_name_template("scene-{n:02d}") == "scene-{n:02d}"
    with pytest.raises(UsageError, match="no {stem}"):
        validate_name_template("scene-{n:02d}", several=True)
    video = write_cut_clip(tmp_path / "take.mp4")
    out = tmp_path / "out"
    result = run_cli("split", video, "-o", out, "--name-template", "{stem}-scene{n:02d}", "-q")
    assert result.returncode == 0, result.stderr
    assert sorted(p.name for p in out.iterdir()) == ["take-scene01.mp4", "take-scene02.mp4", "take.cuts.json"]
    assert [Path(c["file"]).name for c in cuts_of(out)["clips"]] == ["take-scene01.mp4", "take-scene02.mp4"]
    result = run_cli("split", video, video, "-o", tmp_path / "two", "--name-template", "scene{n}")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    result = run_cli("split", video, "-o", tmp_path / "up", "--name-template", "../{stem}{n}")
    assert result.returncode == 2 and not list(tmp_path.glob("take1*")) and not (tmp_path / "up").exists()


# -- issue 21.5: kills -----------------------------------------------------------------------------------

#: the long video's blurs, and the stretches kept around them
KILL_BLURS = (Blur(80, 99, "gaussian", 3.0), Blur(180, 199, "gaussian", 3.0))
KILL_KEPT = [(0, 79), (100, 179), (200, 299)]


@pytest.fixture(scope="module")
def long_take(tmp_path_factory):
    """300 frames of 640x360 (three clips of 80-100 frames, each long enough to catch mid-write)
    and its result, so the cut alone runs."""
    from blurscan import scan

    folder = tmp_path_factory.mktemp("kills")
    video = write_cut_clip(folder / "long take.mp4", frames=300, width=640, height=360, blurs=KILL_BLURS, b_frames=False)
    saved = folder / "long take.json"
    found = scan(video)
    assert [(s.start_frame, s.end_frame) for s in found.segments] == [(80, 99), (180, 199)]
    saved.write_text(json.dumps(found.to_dict()))
    return video, saved


def _whole_clips(out: Path) -> list[str]:
    """The clips under their final names, each checked whole (every frame of its stretch)."""
    names = sorted(p.name for p in out.glob("*.clip*.mp4"))
    for name in names:
        first, last = KILL_KEPT[int(name.rsplit(".clip", 1)[1][:3]) - 1]
        assert decoded(out / name)["frames"] == last - first + 1, f"{name} is not whole"
    return names


def _temp_files(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.endswith(".tmp"))


@pytest.mark.slow
@pytest.mark.parametrize("signum, point", [
    (signal.SIGTERM, "writing clip 1"), (signal.SIGTERM, "writing clip 2"), (signal.SIGTERM, "writing clip 3"),
    (signal.SIGKILL, "writing clip 1"), (signal.SIGKILL, "writing clip 2"), (signal.SIGKILL, "writing clip 3"),
])
def test_a_killed_split_leaves_only_whole_clips_and_a_rerun_no_temp_file(long_take, tmp_path, signum, point):
    """SIGTERM renamed the partial clip to its final name (1,258 of 2,205 frames); a SIGKILL's temporary
    files stayed for ever. Now: a clip under its final name is whole, cuts.json lists only complete
    clips, and the next run removes what a kill left."""
    video, saved = long_take
    out = tmp_path / "out"
    clip = int(point[-1])
    done = [f"long take.clip{n:03d}.mp4" for n in range(1, clip)]
    split = subprocess.Popen([sys.executable, "-m", "blurscan", "split", str(video), "-o", str(out), "--result",
                              str(saved), "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def mid_write() -> bool:  # the clips before this one are in place and this one's temporary file is growing
        if not out.is_dir() or split.poll() is not None:
            return split.poll() is not None
        names = {p.name for p in out.iterdir()}
        return all(n in names for n in done) and any(n.startswith(f".long take.clip{clip:03d}") for n in names)

    deadline = time.monotonic() + 60
    while not mid_write():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.005)
    assert split.poll() is None, "the split ended before it could be stopped"
    split.send_signal(signum)
    _, err = split.communicate(timeout=30)
    assert split.returncode == (143 if signum == signal.SIGTERM else -signal.SIGKILL), err
    names = _whole_clips(out)
    assert names[: len(done)] == done
    plan = cuts_of(out)
    assert plan["complete"] is False
    assert all(c["complete"] and Path(c["file"]).name in names for c in plan["clips"])  # only whole clips listed
    if signum == signal.SIGTERM:
        assert err.strip().splitlines() == ["error: terminated"]
        assert not _temp_files(out)

    rerun = run_cli("split", video, "-o", out, "--result", saved, "-q")
    assert rerun.returncode == 0, rerun.stderr
    assert _whole_clips(out) == [f"long take.clip{n:03d}.mp4" for n in (1, 2, 3)]
    assert not _temp_files(out) and not list(out.glob(".*"))  # no temporary file, no lock left
    plan = cuts_of(out)
    assert plan["complete"] is True and [(c["start_frame"], c["end_frame"]) for c in plan["clips"]] == KILL_KEPT
