"""Damaged files: every one ends with a result or a clear one-line error, quickly — never a crash,
a hang or a traceback."""

from __future__ import annotations

import random
import signal
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from blurscan import BlurscanError, Scanner, Settings
from tests.media import real_clip, remux_faststart

CASES = 120
SECONDS_PER_CASE = 20


@contextmanager
def time_limit(seconds: float, what: str):
    def on_alarm(signum, frame):
        raise TimeoutError(f"{what} took longer than {seconds} s")

    previous = signal.signal(signal.SIGALRM, on_alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def damage(data: bytes, rng: random.Random) -> tuple[bytes, str]:
    """One seeded kind of damage: truncation, flipped bytes, an overwritten run, or a hole."""
    kind = rng.choice(["truncate", "flip", "overwrite", "hole"])
    n = len(data)
    if kind == "truncate":
        cut = rng.randrange(0, n)
        return data[:cut], f"truncated at {cut}"
    buf = bytearray(data)
    if kind == "flip":
        count = rng.choice([1, 10, 100, 1000])
        for _ in range(count):
            buf[rng.randrange(n)] ^= 1 << rng.randrange(8)
        return bytes(buf), f"{count} flipped bits"
    start = rng.randrange(0, n)
    length = rng.choice([16, 512, 8192, 65536])
    if kind == "overwrite":
        buf[start : start + length] = rng.randbytes(min(length, n - start))
        return bytes(buf), f"{length} random bytes at {start}"
    del buf[start : start + length]
    return bytes(buf), f"{length} bytes removed at {start}"


@pytest.fixture(scope="module")
def originals(tmp_path_factory):
    """The real carphone clip (index at the end) and a copy with its index first (so cuts still open)."""
    folder = tmp_path_factory.mktemp("originals")
    clip = real_clip("carphone_pristine")
    return [clip.read_bytes(), remux_faststart(clip, folder / "faststart.mp4").read_bytes()]


@pytest.mark.slow
def test_damaged_copies_end_in_a_result_or_a_clear_error(tmp_path, originals):
    rng = random.Random(20261126)
    outcomes = {"result": 0, "error": 0}
    with Scanner(Settings(batch_size=32)) as scanner:
        for case in range(CASES):
            data, how = damage(originals[case % 2], rng)
            path = tmp_path / f"case{case:03d}.mp4"
            path.write_bytes(data)
            what = f"case {case} ({how}, {'faststart' if case % 2 else 'index at end'})"
            started = time.perf_counter()
            with time_limit(SECONDS_PER_CASE, what):
                try:
                    result = scanner.scan(path)
                except BlurscanError as ex:
                    message = str(ex)
                    assert "\n" not in message and str(path) in message, what
                    outcomes["error"] += 1
                else:
                    assert 1 <= result.frames and len(result.scores) == result.frames, what
                    assert all(0 <= s <= 1 for s in result.scores), what
                    outcomes["result"] += 1
            assert time.perf_counter() - started < SECONDS_PER_CASE
            path.unlink()
    # the mix must exercise both outcomes, or the test proves little
    assert outcomes["result"] >= 10 and outcomes["error"] >= 10, outcomes


def write_noise_video(path, width: int, height: int, frames: int = 4) -> str:
    """Random pixels at any size (see ``tests.hostile_media.noise_clip``)."""
    from tests.hostile_media import noise_clip

    return str(noise_clip(Path(path), width, height, frames))


@pytest.mark.parametrize("width, height", [(1, 1), (1, 64), (64, 1), (4000, 10), (1920, 8), (16384, 64), (97, 55), (7, 3)])
def test_thin_and_odd_frame_sizes_scan(tmp_path, width, height):
    """Slivers of a picture used to reach OpenCV's phase correlation and fail with its internal error.
    Now they scan; where the picture is too small to measure, the result says so."""
    path = write_noise_video(tmp_path / f"{width}x{height}.mp4", width, height)
    with Scanner(Settings()) as scanner:
        result = scanner.scan(path)
    assert result.frames == 4 and (result.video.width, result.video.height) == (width, height)
    too_small = min(scanner.scorer.frame_format.output_size(width, height)) < 8
    assert any("too small to measure" in str(w) for w in result.warnings) == too_small


@pytest.mark.parametrize("colour", [(0, 0, 0), (90, 120, 200)], ids=["black", "flat-colour"])
def test_a_flat_video_says_there_was_nothing_to_measure(tmp_path, colour):
    import numpy as np

    from blurscan.testing.synthetic import write_video

    path = tmp_path / "flat.mp4"
    write_video(path, [np.full((48, 64, 3), colour, np.uint8)] * 6, fps=10)
    result = Scanner(Settings()).scan(path)
    assert any("nothing to measure" in str(w) for w in result.warnings), result.warnings


def test_a_detailed_video_has_no_such_warning(carphone):
    result = Scanner(Settings()).scan(carphone)
    assert not any("nothing to measure" in str(w) or "too small" in str(w) for w in result.warnings)


@pytest.fixture(scope="module")
def keyframed_clip(tmp_path_factory):
    """90 frames of 320x180 at 30 fps, a keyframe every 10; Gaussian blur sigma 3 on frames 24-29,
    just before the stretch the damaged copies lose."""
    from blurscan.testing.synthetic import Blur
    from tests.media import write_keyframed_clip

    folder = tmp_path_factory.mktemp("keyframed")
    return write_keyframed_clip(folder / "clip.mp4", width=320, height=180, blurs=[Blur(24, 29, "gaussian", 3.0)])


@pytest.mark.parametrize(
    "lost, first_time, gap",
    [((30, 49), 0.0, (30, 1.0, 1.6667, 20)), ((0, 19), 0.6667, (0, 0.0, 0.6667, 20))],
    ids=["middle", "start"],
)
def test_frames_and_times_agree_after_lost_frames(tmp_path, keyframed_clip, lost, first_time, gap):
    """Frame numbers count decoded frames (the result says so); times stay on the video's own
    timeline, the gap is listed, and no segment stretches across frames nobody saw."""
    from tests.media import destroy_packets

    path = destroy_packets(keyframed_clip, tmp_path / "damaged.mp4", *lost)
    result = Scanner(Settings()).scan(path)
    data = result.to_dict()
    video = data["video"]
    assert video["frame_numbering"] == "decoded" and len(data["scores"]) == video["frames"] == 70
    before, start_s, end_s, missing = gap
    assert [(g["before_frame"], g["start_s"], g["end_s"], g["missing_frames"]) for g in video["gaps"]] == [
        (before, start_s, pytest.approx(end_s, abs=1e-3), missing)
    ]
    assert video["missing_frames"] == missing and any("video.gaps" in w for w in data["labels"]["warnings"])
    times = result.times_s
    assert times[0] == pytest.approx(first_time, abs=1e-3)
    assert times[before] == pytest.approx(end_s, abs=1e-3)  # the frame after the gap keeps its real time
    header, rows = result.frame_rows()
    csv_times = {int(row[0]): float(row[1]) for row in rows}
    blurred = [s for s in data["segments"] if s["start_s"] < 1.0 and s["end_s"] > 0.8]
    assert blurred, data["segments"]  # the burst at 0.8-1.0 s is found, by its real time
    for segment in data["segments"]:
        assert segment["start_s"] == pytest.approx(csv_times[segment["start_frame"]], abs=1e-4)
        last = segment["end_frame"]
        gap_follows = last + 1 == before or last + 1 not in csv_times
        expected_end = csv_times[last] + 1 / 30 if gap_follows else csv_times[last + 1]
        assert segment["end_s"] == pytest.approx(expected_end, abs=1e-3)
        assert segment["end_s"] <= 1.0 + 1e-3 or segment["start_s"] >= end_s - 1e-3  # never across the gap
