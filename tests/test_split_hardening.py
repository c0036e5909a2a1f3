"""``split`` on the inputs that broke it (issues 21 and 22): PCM audio, Matroska with B-frames,
rotated phone clips, a second video track, a result of another video, stream copy's keyframes,
a video with no blur, clip lengths in frames and timecodes, clip-name templates, and kills."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

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


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_stream_copy_keeps_every_frame_of_matroska_with_b_frames(tmp_path, suffix):
    """Matroska's first packets of a B-frame stream have no decode time; they were skipped, so
    clip 1 lost its first keyframe (21 of 30 frames) and every time was shifted."""
    video = write_cut_clip(tmp_path / f"bf{suffix}", b_frames=True)
    out = tmp_path / "out"
    result = run_cli("split", video, "-o", out, "--copy", "-q")
    assert result.returncode == 0, result.stderr
    clips = cuts_of(out)["clips"]
    # clip 1 starts at frame 0 (a keyframe); clip 2's stretch starts at frame 45, its keyframe is frame 50
    assert [round(c["written_start_s"] * 30) for c in clips] == [0, 50]
    assert [decoded(c["file"])["frames"] for c in clips] == [30, 40]
    assert [c["frames_written"] for c in clips] == [30, 40]


def test_decode_times_are_filled_in_rising_order():
    from blurscan.cut.split import with_decode_times

    class Stream:
        index = 0

    class Packet:
        def __init__(self, pts, dts):
            self.pts, self.dts, self.duration, self.stream = pts, dts, 33, Stream()

    order = [(0, None), (133, None), (67, 0), (33, 33), (100, 67), (None, None), (200, None)]
    packets = list(with_decode_times(Packet(p, d) for p, d in order))
    assert [p.pts for p in packets] == [0, 133, 67, 33, 100, 200]  # none lost but the one with no time at all
    dts = [p.dts for p in packets]
    assert dts == sorted(set(dts)) and all(p.dts <= p.pts for p in packets)
    assert dts[2:5] == [0, 33, 67]  # the demuxer's own are kept


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
