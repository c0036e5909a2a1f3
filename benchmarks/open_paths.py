"""Decoding speed of the three ways to hand FFmpeg a local file.

Usage::

    python benchmarks/open_paths.py            # about 1 min on 2 cores

blurscan opens every path as ``file:<absolute path>`` so that names such as
``pipe:`` or ``concat:a|b`` are never read as protocols, and falls back to a
Python file object for names that are not UTF-8. This compares both with a
plain path (what FFmpeg does for ``clip.mp4``) on a 720p 10 s H.264 clip
(made once, cached under ``.bench/``): decode every frame, threaded, and
convert it to grey at 640 px as blurscan's default scorer asks. Runs
alternate; it prints the median frames/s of each and the ratios to the plain
path (1.00 = as fast).
"""

from __future__ import annotations

import statistics
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
CACHE = HERE.parent / ".bench"
REPEATS = 6


def make_clip(path: Path) -> Path:
    from blurscan.testing.synthetic import make_clip as make

    if not path.exists():
        CACHE.mkdir(exist_ok=True)
        make(path, frames=300, width=1280, height=720, pan=2.0, seed=11)
    return path


def decode(source) -> int:
    import av

    frames = 0
    with av.open(source) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            frame.reformat(width=640, height=360, format="gray").to_ndarray()
            frames += 1
    return frames


def main() -> None:
    clip = make_clip(CACHE / "open_paths_720p.mp4").resolve()
    ways = {
        "plain path": lambda: decode(str(clip)),
        "file: protocol": lambda: decode("file:" + str(clip)),
        "file object": lambda: decode(open(clip, "rb")),  # noqa: SIM115 - PyAV reads it; closed on exit
    }
    timings: dict[str, list[float]] = {name: [] for name in ways}
    counts = {}
    order = list(ways)
    for repeat in range(REPEATS):
        for name in order[repeat % 3 :] + order[: repeat % 3]:  # each way first in turn
            run = ways[name]
            started = time.perf_counter()
            counts[name] = run()
            timings[name].append(time.perf_counter() - started)
    base = statistics.median(timings["plain path"])
    for name, values in timings.items():
        median = statistics.median(values)
        print(f"{name:15s} {counts[name] / median:7.1f} frames/s   ratio to plain path {base / median:5.2f}")


if __name__ == "__main__":
    main()
