"""Speed and memory of the scan against an older blurscan, side by side (issue 19: the cause estimation).

Usage::

    git archive 2d15600 | (mkdir -p /tmp/blurscan-old && tar -x -C /tmp/blurscan-old)
    python benchmarks/cause_speed.py /tmp/blurscan-old [--repeats 3]
    python benchmarks/cause_speed.py /tmp/blurscan-old --soft   # the same clip enlarged 3x: soft throughout

Both trees scan the 10 s 1080p clip of ``memory_speed.py`` (``.bench/``, made there) and a 60 s copy of it
(its packets muxed six times), each run in a fresh process, alternating old and new so a load on the
machine falls on both. Speed is read as frames per CPU-second of the scanning process (robust to other jobs
on a shared machine) and as frames per wall-clock second; memory as the peak RSS, which must not grow with
the clip's length. ``--soft`` scans the clip shrunk 3x and enlarged back (bicubic, x264 at CRF 18) instead:
soft on every frame, so the detail tap's enlargement fit runs on every frame it may.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

import av

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
WORKLOAD = """
import json, resource, sys, time
from blurscan import scan
t0 = time.perf_counter(); c0 = time.process_time()
r = scan(sys.argv[1])
print(json.dumps({"frames": r.video.frames, "wall": time.perf_counter() - t0, "cpu": time.process_time() - c0,
                  "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, "segments": len(r.segments)}))
"""


def concat(source: Path, target: Path, times: int) -> None:
    """``source``'s packets muxed ``times`` times one after another (no re-encoding)."""
    if target.exists():
        return
    with av.open(str(source)) as inp, av.open(str(target), "w") as out:
        stream = inp.streams.video[0]
        copy = out.add_stream_from_template(stream)
        packets = [p for p in inp.demux(stream) if p.dts is not None]
        span = max(p.pts for p in packets) - min(p.pts for p in packets) + (packets[1].duration or 512)
        for k in range(times):
            for p in packets:
                packet = av.Packet(bytes(p))
                packet.pts, packet.dts = p.pts + k * span, p.dts + k * span
                packet.is_keyframe, packet.time_base, packet.stream = p.is_keyframe, p.time_base, copy
                out.mux(packet)


def enlarged(source: Path, target: Path, factor: int = 3) -> None:
    """``source`` shrunk ``factor`` times (area) and enlarged back (bicubic: the accuracy set's ``upscaled``),
    re-encoded."""
    if target.exists():
        return
    sys.path.insert(0, str(HERE))
    sys.path.insert(0, str(ROOT))
    from _accuracy_cases import upscaled

    from blurscan.testing.synthetic import write_video

    with av.open(str(source)) as container:
        write_video(target, (upscaled(f.to_ndarray(format="rgb24"), factor) for f in container.decode(video=0)), 30.0)


def run(tree: str, clip: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=tree)
    done = subprocess.run([sys.executable, "-c", WORKLOAD, str(clip)], capture_output=True, text=True, env=env,
                          check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("old", help="a checkout of the blurscan to compare with")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
    parser.add_argument("--soft", action="store_true", help="scan the clip enlarged 3x (soft throughout)")
    args = parser.parse_args()
    trees = {"old": str(Path(args.old).resolve()), "new": str(ROOT)}
    short = args.cache / "clip_1080p30_10s_v1.mp4"
    if not short.exists():
        raise SystemExit(f"{short} is missing: run benchmarks/memory_speed.py once to make it")
    if args.soft:
        enlarged(short, args.cache / "clip_1080p30_10s_up3_v1.mp4")
        short = args.cache / "clip_1080p30_10s_up3_v1.mp4"
    long = args.cache / ("clip_1080p30_60s_up3_concat_v1.mp4" if args.soft else "clip_1080p30_60s_concat_v1.mp4")
    concat(short, long, 6)
    results: dict[tuple[str, str], list[dict]] = {(t, c): [] for t in trees for c in ("10 s", "60 s")}
    for rep in range(args.repeats):
        for clip, label in ((short, "10 s"), (long, "60 s")) if rep == 0 else ((short, "10 s"),):
            order = list(trees.items()) if rep % 2 == 0 else list(trees.items())[::-1]
            for name, tree in order:
                figures = run(tree, clip)
                results[(name, label)].append(figures)
                print(name, label, figures, flush=True)
    for label in ("10 s", "60 s"):
        old, new = results[("old", label)], results[("new", label)]
        cpu_old = statistics.median(x["frames"] / x["cpu"] for x in old)
        cpu_new = statistics.median(x["frames"] / x["cpu"] for x in new)
        wall_old = statistics.median(x["frames"] / x["wall"] for x in old)
        wall_new = statistics.median(x["frames"] / x["wall"] for x in new)
        print(f"{label}: frames per CPU-second old {cpu_old:.1f} new {cpu_new:.1f} (x{cpu_new / cpu_old:.3f}); "
              f"frames/s old {wall_old:.1f} new {wall_new:.1f} (x{wall_new / wall_old:.3f}); peak RSS old "
              f"{max(x['peak_mib'] for x in old):.0f} MiB, new {max(x['peak_mib'] for x in new):.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
