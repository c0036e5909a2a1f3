"""The workloads that ``memory_speed.py`` measures, one per fresh process.

Run as ``python benchmarks/_memory_workloads.py WORKLOAD ...``; each prints one
JSON line with its figures. Every workload runs alone in its own process, so
the peak resident memory it reports (the kernel's ``VmHWM``) belongs to that
workload and nothing else. Each imports only what it needs, so the baseline
(interpreter plus imports) is also reported separately.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def _status_kib(field: str) -> int | None:
    """A ``VmRSS``/``VmHWM`` figure of this process in KiB (Linux), or None."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def cpu_s() -> float:
    """CPU seconds (user + system, all threads) this process has used so far."""
    usage = os.times()
    return usage.user + usage.system


def rss_mib() -> float:
    kib = _status_kib("VmRSS")
    if kib is not None:
        return kib / 1024
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mib() -> float:
    """Largest resident set of this process so far (exact, from the kernel).

    Read in the child itself rather than taken from ``os.wait4``: on Linux the
    child's ``ru_maxrss`` also counts the parent's RSS at the moment it forked,
    so it would be wrong for any workload smaller than the parent.
    """
    kib = _status_kib("VmHWM")
    if kib is not None:
        return kib / 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 2**20 if sys.platform == "darwin" else peak / 1024


# -- the original loading pattern --------------------------------------------------


def _vmbench_window(t: int, n: int, size: int) -> list[int]:
    """The original loader's frame indices for frame ``t`` (edge quirks included)."""
    left = (size - 1) // 2
    right = size - 1 - left
    start, stop = max(0, t - left), min(n, t + right + 1)
    indices = list(range(start, stop))
    while len(indices) < size:
        if start == 0:
            indices.append(indices[-1])
        else:
            indices.insert(0, indices[0])
    return indices


def original(path: str, window: int, cap_mib: float, max_frames: int | None) -> dict:
    """decord + one ``get_batch`` per window + PIL images kept for the whole video.

    This is the pattern blurscan replaces, reproduced step for step: a
    ``VideoReader`` with its defaults; for every frame, ``get_batch`` of its
    window, ``.asnumpy()``, one PIL image per frame of the window, and the
    window's images appended to one list that lives until the whole video is
    loaded. It stops once the process's RSS passes ``cap_mib`` (or after
    ``max_frames`` windows) so the machine never runs out of memory; the
    caller extrapolates from what it measured.
    """
    from decord import VideoReader
    from PIL import Image

    baseline = rss_mib()
    started, cpu_started = time.perf_counter(), cpu_s()
    reader = VideoReader(path)
    total = len(reader)
    opened_rss = rss_mib()
    left = (window - 1) // 2
    groups: list[list] = []
    trace: list[tuple[int, float, float]] = []  # (windows done, seconds since start, RSS MiB), one per window
    stopped_by = "end of video"
    for t in range(total):
        frames = reader.get_batch(_vmbench_window(t, total, window)).asnumpy()
        if t < left:
            groups.append([Image.fromarray(frames[0])] * window)
        else:
            groups.append([Image.fromarray(frame) for frame in frames])
        now = rss_mib()
        done = t + 1
        trace.append((done, time.perf_counter() - started, now))
        if done < total and now >= cap_mib:
            stopped_by = f"RSS cap ({cap_mib:.0f} MiB)"
            break
        if done < total and max_frames is not None and done >= max_frames:
            stopped_by = f"frame cap ({max_frames})"
            break
    elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu_started
    done = len(groups)
    final_rss = rss_mib()
    images = sum(len({id(image) for image in group}) for group in groups)
    del groups
    return {
        "workload": "original",
        "frames_total": total,
        "frames_done": done,
        "images_held": images,
        "complete": done == total,
        "stopped_by": stopped_by,
        "seconds": elapsed,
        "frames_per_s": done / elapsed,
        "cpu_ms_per_frame": cpu / done * 1000,
        "baseline_rss_mib": baseline,
        "opened_rss_mib": opened_rss,
        "final_rss_mib": final_rss,
        "trace": trace,
        "peak_rss_mib": peak_rss_mib(),
    }


# -- blurscan ------------------------------------------------------------------


def blurscan_scan(path: str, scorer_options: dict | None = None, thumbnails: bool = False,
                  detail: bool = True) -> dict:
    """blurscan end to end: ``Scanner().scan`` with the default scorer and detector; with
    ``thumbnails``, also the segment thumbnails taken during the pass, and their JPEG files
    written (the other outputs are written by neither workload, so the two differ by the thumbnails alone).

    ``scorer_options`` (e.g. another sharpness measure) is for profiling only;
    the benchmark itself always runs the defaults.
    """
    import tempfile

    import blurscan
    from blurscan.io.atomic import atomic_write

    if not detail:  # blurscan before issue 10: no native-size look (only the first frame is measured)
        from dataclasses import replace

        import blurscan.taps.detail
        from blurscan.taps.detail import LUMA_FORMAT

        blurscan.taps.detail.detail_format = lambda fps: replace(LUMA_FORMAT, every=2**62)
    baseline = rss_mib()
    started, cpu_started = time.perf_counter(), cpu_s()
    settings = blurscan.Settings(scorer_options=scorer_options) if scorer_options else None
    with blurscan.Scanner(settings) as scanner:
        result = scanner.scan(path, thumbnails=thumbnails)
    thumbs = 0
    if thumbnails:
        with tempfile.TemporaryDirectory() as out:
            for name, jpeg in result.thumbnail_images("clip").items():
                with atomic_write(os.path.join(out, name), "wb") as handle:
                    handle.write(jpeg)
                thumbs += 1
    elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu_started
    data = result.to_dict()
    return {
        "workload": "thumbnails" if thumbnails else "blurscan" if detail else "no_detail",
        "thumbnail_files": thumbs,
        "frames_done": data["video"]["frames"],
        "seconds": elapsed,
        "frames_per_s": data["video"]["frames"] / elapsed,
        "cpu_ms_per_frame": cpu / data["video"]["frames"] * 1000,
        "baseline_rss_mib": baseline,
        "peak_rss_mib": peak_rss_mib(),
        "blur_frames": list(data["blur_frames"]),
        "segments": [(s["start_frame"], s["end_frame"]) for s in data["segments"]],
        "settings": {key: data["settings"][key] for key in ("scorer", "detector", "scorer_options")},
    }


# -- plain PyAV ----------------------------------------------------------------


def pyav_rgb(path: str) -> dict:
    """Plain PyAV: decode every frame (threaded, as blurscan does) to full-size RGB, keep none."""
    import av

    baseline = rss_mib()
    started, cpu_started = time.perf_counter(), cpu_s()
    frames = 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = 0
        for frame in container.decode(stream):
            image = frame.to_ndarray(format="rgb24")
            frames += 1
    elapsed, cpu = time.perf_counter() - started, cpu_s() - cpu_started
    del image
    return {
        "workload": "pyav",
        "frames_done": frames,
        "seconds": elapsed,
        "frames_per_s": frames / elapsed,
        "cpu_ms_per_frame": cpu / frames * 1000,
        "baseline_rss_mib": baseline,
        "peak_rss_mib": peak_rss_mib(),
    }


# -- clips ---------------------------------------------------------------------


def blur_bursts(frames: int, fps: float) -> list[tuple[int, int, str]]:
    """The blurry bursts of a benchmark clip: half a second every 10 s from 4 s on, Gaussian and motion blur in turn."""
    bursts = []
    length = int(fps // 2)
    start_s = 4
    while (start_s + 0.5) * fps <= frames:
        start = int(start_s * fps)
        bursts.append((start, start + length - 1, "gaussian" if len(bursts) % 2 == 0 else "motion"))
        start_s += 10
    return bursts


def make_clip(path: str, seconds: float, width: int, height: int, fps: float, seed: int) -> dict:
    """A synthetic panning H.264 clip with the :func:`blur_bursts` injected, written atomically."""
    from blurscan.testing.synthetic import Blur, blurred, scene_frames, write_video

    frames = int(round(seconds * fps))
    blurs = [
        Blur(start, end, kind, 4.0 if kind == "gaussian" else 15.0, 0.0)
        for start, end, kind in blur_bursts(frames, fps)
    ]
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.stem}.{os.getpid()}.partial{target.suffix}")
    started = time.perf_counter()
    try:
        written = write_video(partial, blurred(scene_frames(frames, width, height, pan=1.5, seed=seed), blurs), fps)
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return {"workload": "make_clip", "path": str(target), "frames": written,
            "seconds": time.perf_counter() - started}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="workload", required=True)
    p = sub.add_parser("original")
    p.add_argument("path")
    p.add_argument("--window", type=int, default=3)
    p.add_argument("--cap-mib", type=float, required=True)
    p.add_argument("--max-frames", type=int)
    p = sub.add_parser("blurscan")
    p.add_argument("path")
    p.add_argument("--scorer-option", action="append", default=[], metavar="KEY=VALUE",
                   help="profiling only: a scorer option, e.g. measure=laplacian")
    p = sub.add_parser("thumbnails")
    p.add_argument("path")
    p = sub.add_parser("no_detail")
    p.add_argument("path")
    p = sub.add_parser("pyav")
    p.add_argument("path")
    p = sub.add_parser("make_clip")
    p.add_argument("path")
    p.add_argument("--seconds", type=float, required=True)
    p.add_argument("--width", type=int, default=1920)
    p.add_argument("--height", type=int, default=1080)
    p.add_argument("--fps", type=float, default=30.0)
    p.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    if args.workload == "original":
        out = original(args.path, args.window, args.cap_mib, args.max_frames)
    elif args.workload == "blurscan":
        out = blurscan_scan(args.path, dict(option.split("=", 1) for option in args.scorer_option))
    elif args.workload == "thumbnails":
        out = blurscan_scan(args.path, thumbnails=True)
    elif args.workload == "no_detail":
        out = blurscan_scan(args.path, detail=False)
    elif args.workload == "pyav":
        out = pyav_rgb(args.path)
    else:
        out = make_clip(args.path, args.seconds, args.width, args.height, args.fps, args.seed)
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
