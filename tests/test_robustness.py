"""Damaged files: every one ends with a result or a clear one-line error, quickly — never a crash,
a hang or a traceback."""

from __future__ import annotations

import random
import signal
import time
from contextlib import contextmanager

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
    """Random pixels at any size: x264 in 4:4:4 takes odd and 1-pixel sides that 4:2:0 refuses."""
    import av
    import numpy as np

    rng = np.random.default_rng(width * 7919 + height)
    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv444p"
        for _ in range(frames):
            image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return str(path)


@pytest.mark.parametrize("width, height", [(1, 1), (1, 64), (64, 1), (4000, 10), (1920, 8), (16384, 64), (97, 55), (7, 3)])
def test_thin_and_odd_frame_sizes_scan(tmp_path, width, height):
    """Slivers of a picture used to reach OpenCV's phase correlation and fail with its internal error.
    Now they scan; where the picture is too small to measure, the result says so."""
    path = write_noise_video(tmp_path / f"{width}x{height}.mp4", width, height)
    with Scanner(Settings()) as scanner:
        result = scanner.scan(path)
    assert result.frames == 4 and (result.video["width"], result.video["height"]) == (width, height)
    too_small = min(scanner.scorer.frame_format.output_size(width, height)) < 8
    assert any("too small to measure" in w for w in result.warnings) == too_small


@pytest.mark.parametrize("colour", [(0, 0, 0), (90, 120, 200)], ids=["black", "flat-colour"])
def test_a_flat_video_says_there_was_nothing_to_measure(tmp_path, colour):
    import numpy as np

    from blurscan.synthetic import write_video

    path = tmp_path / "flat.mp4"
    write_video(path, [np.full((48, 64, 3), colour, np.uint8)] * 6, fps=10)
    result = Scanner(Settings()).scan(path)
    assert any("nothing to measure" in w for w in result.warnings), result.warnings


def test_a_detailed_video_has_no_such_warning(carphone):
    result = Scanner(Settings()).scan(carphone)
    assert not any("nothing to measure" in w or "too small" in w for w in result.warnings)
