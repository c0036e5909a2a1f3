"""Fixed cost per video: many short clips against long clips holding the same frames.

    python benchmarks/batch_overhead.py                       # this checkout
    python benchmarks/batch_overhead.py --compare /tmp/old    # also an older checkout, same clips, same run

Part 1 scans ``--clips`` clips of 2 s (60 frames) and, for each worker count, as
many long clips as workers holding the same frames (the short clips' own
packets joined, so decoding costs the same; every worker has one long clip), with the local engine (1 and 2 workers; JSON and Parquet
outputs) and with Ray (2 actors, Parquet). It prints frames/s and the ratio
short/long: 1.0 means no fixed cost per video.

Part 2 scans 1,000 and 10,000 tiny clips (32x32, 6 frames) into Parquet and
prints the driver's peak RSS, which must not grow with the number of videos.

Every run is a fresh process (its peak RSS is its own). Timings cover
``run_batch`` only, not the interpreter's start or ``ray.init``; long and short
runs alternate and the fastest of ``--repeat`` counts, since on a shared
machine other processes' load only ever slows a run down.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent.parent

RUN = r"""
import json, os, sys, time
cfg = json.loads(sys.argv[1])
from blurscan.batch import run_batch
if cfg["engine"] == "ray":
    import ray
    ray.init(num_cpus=cfg["workers"], include_dashboard=False, log_to_driver=False)
kwargs = {"output_format": cfg["format"], "frame_scores": cfg["frame_scores"]} if cfg["format"] != "json" else {}
def cpu():
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system
start, cpu_start = time.perf_counter(), cpu()
summary = run_batch(cfg["source"], cfg["out"], workers=cfg["workers"], engine=cfg["engine"], **kwargs)
seconds, cpu_seconds = time.perf_counter() - start, cpu() - cpu_start
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
sizes = {}
if cfg["format"] == "parquet":
    import pyarrow.parquet as pq
    for sub in ("videos", "frames"):
        folder = os.path.join(cfg["out"], sub)
        files = [os.path.join(folder, f) for f in os.listdir(folder) if not f.startswith(".")]
        sizes[sub] = (sum(os.path.getsize(f) for f in files), sum(pq.read_table(f).nbytes for f in files))
print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds, "errors": summary.errors, "total": summary.total, "peak_mb": peak, "sizes": sizes}))
"""


def run(code: Path, source: Path, out: Path, engine: str, workers: int, fmt: str, frame_scores: bool = False) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cfg = {"source": str(source), "out": str(out), "engine": engine, "workers": workers, "format": fmt,
           "frame_scores": frame_scores}
    env = {**os.environ, "PYTHONPATH": str(code)}
    done = subprocess.run([sys.executable, "-c", RUN, json.dumps(cfg)], env=env, capture_output=True, text=True,
                          cwd=tempfile.gettempdir())
    if done.returncode != 0:
        raise SystemExit(f"run failed ({cfg}):\n{done.stderr[-3000:]}")
    result = json.loads(done.stdout.strip().splitlines()[-1])
    shutil.rmtree(out, ignore_errors=True)
    return result


def join_clips(sources: list[Path], target: Path) -> None:
    """One long file holding the short clips' own packets, one after another: the same frames and
    the same keyframes, so the decoder does the same work and only the per-video cost differs."""
    import av

    with av.open(str(sources[0])) as first, av.open(str(target), "w") as out:
        stream = out.add_stream_from_template(first.streams.video[0])
        end = 0
        for source in sources:
            with av.open(str(source)) as clip:
                packets = [p for p in clip.demux(clip.streams.video[0]) if p.dts is not None]
                shift = end - packets[0].dts
                for packet in packets:
                    packet.pts += shift
                    packet.dts += shift
                    end = max(end, packet.pts + (packet.duration or 1))
                    packet.stream = stream
                    out.mux(packet)


def make_media(folder: Path, clips: int, width: int, height: int) -> dict[str, Path]:
    """Short clips (60 frames each) and the same clips joined: into 1 long file, and into 2 halves."""
    from blurscan.testing.synthetic import Blur, make_clip

    media = {"short": folder / "short", "long1": folder / "long1", "long2": folder / "long2"}
    if all(p.exists() for p in media.values()):
        return media
    for p in media.values():
        shutil.rmtree(p, ignore_errors=True)
        p.mkdir(parents=True)
    bases = [make_clip(folder / f"base{i}.mp4", frames=60, width=width, height=height, seed=i, pan=0.5,
                       blurs=[Blur(20, 24, "gaussian", 2.5)] if i % 2 else []) for i in range(4)]
    shorts = []
    for i in range(clips):
        shorts.append(media["short"] / f"clip{i:05d}.mp4")
        shutil.copy(bases[i % 4].path, shorts[-1])
    join_clips(shorts, media["long1"] / "long.mp4")
    half = clips // 2
    join_clips(shorts[:half], media["long2"] / "long0.mp4")
    join_clips(shorts[half:], media["long2"] / "long1.mp4")
    return media


def make_tiny(folder: Path, count: int) -> Path:
    from blurscan.testing.synthetic import make_clip

    target = folder / f"tiny{count}"
    if target.exists() and len(list(target.iterdir())) == count:
        return target
    shutil.rmtree(target, ignore_errors=True)
    target.mkdir(parents=True)
    bases = [make_clip(folder / f"tinybase{i}.mp4", frames=6, width=32, height=32, seed=i) for i in range(4)]
    for i in range(count):
        shutil.copy(bases[i % 4].path, target / f"t{i:05d}.mp4")
    return target


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clips", type=int, default=100, help="2-second clips in part 1 (default 100)")
    parser.add_argument("--size", default="640x360", help="clip size in part 1 (default 640x360)")
    parser.add_argument("--tiny", default="1000,10000", help="tiny-clip counts in part 2")
    parser.add_argument("--compare", type=Path, help="another checkout to run the same workloads with (old code)")
    parser.add_argument("--repeat", type=int, default=3, help="runs of each workload; the fastest counts (default 3)")
    parser.add_argument("--skip-ray", action="store_true")
    parser.add_argument("--parts", default="123", help="1: short against long; 2: driver memory; 3: old against new "
                        "on tiny clips (with --compare)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "blurscan-batch-overhead")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    work = args.work
    work.mkdir(parents=True, exist_ok=True)
    frames = 60 * args.clips
    codes = [("new", HERE)] + ([("old", args.compare.resolve())] if args.compare else [])
    print(f"# {platform.node()}: {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"{args.clips} clips of 60 frames at {args.size} = {frames} frames")
    if "1" in args.parts:
        short_against_long(args, work, codes, width, height)
    if "3" in args.parts and args.compare:
        fixed_cost(args, work, codes)
    if "2" in args.parts:
        driver_memory(args, work)


def short_against_long(args, work: Path, codes, width: int, height: int) -> None:
    media = make_media(work / f"{args.clips}x{args.size}", args.clips, width, height)
    frames = 60 * args.clips
    print("\n| code | engine | workers | output | long clips frames/s | short clips frames/s | short / long "
          "| CPU ms per clip, short - long (CPU ratio) |")
    print("|---|---|---:|---|---:|---:|---:|---:|")
    cases = [("local", 1, "json"), ("local", 1, "parquet"), ("local", 2, "json"), ("local", 2, "parquet")]
    if not args.skip_ray:
        cases.append(("ray", 2, "parquet"))
    for engine, workers, fmt in cases:
        for name, code in codes:
            if name == "old" and fmt == "parquet":
                continue
            long_runs, short_runs = [], []
            for _ in range(args.repeat):  # interleaved; the fastest of each counts (others' load only slows)
                long_runs.append(run(code, media[f"long{workers}"], work / "out", engine, workers, fmt))
                short_runs.append(run(code, media["short"], work / "out", engine, workers, fmt))
            long_fps = frames / min(r["seconds"] for r in long_runs)
            short_fps = frames / min(r["seconds"] for r in short_runs)
            # CPU time (this process and its worker processes; Ray's workers are not its children)
            long_cpu, short_cpu = min(r["cpu_seconds"] for r in long_runs), min(r["cpu_seconds"] for r in short_runs)
            cpu_cell = ("–" if engine == "ray" else
                        f"{1000 * (short_cpu - long_cpu) / args.clips:.1f} ({long_cpu / short_cpu:.2f}x)")
            print(f"| {name} | {engine} | {workers} | {fmt} | {long_fps:.0f} | {short_fps:.0f} | "
                  f"{short_fps / long_fps:.2f}x | {cpu_cell} |", flush=True)


def fixed_cost(args, work: Path, codes) -> None:
    """Old against new on tiny clips, where almost all the cost is the cost per video."""
    source = make_tiny(work, 1000)
    print("\n| code | engine | workers | output | 1,000 tiny clips: seconds | CPU ms per clip |")
    print("|---|---|---:|---|---:|---:|")
    for workers, fmt in ((1, "json"), (1, "parquet")):
        for name, code in codes:
            if name == "old" and fmt == "parquet":
                continue
            runs = [run(code, source, work / "out", "local", workers, fmt) for _ in range(args.repeat)]
            ms_per_clip = min(r["cpu_seconds"] for r in runs)  # CPU seconds for 1,000 clips = ms per clip
            print(f"| {name} | local | {workers} | {fmt} | {min(r['seconds'] for r in runs):.1f} | {ms_per_clip:.1f} |",
                  flush=True)


def driver_memory(args, work: Path) -> None:
    """The driver's peak RSS for more and more videos: it must not grow with their number."""
    print("\n| code | engine | workers | tiny clips | seconds | ms per clip | driver peak RSS | bytes per row on disk (in memory): videos, frames |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    counts = [int(c) for c in args.tiny.split(",") if c]
    for engine in ["local"] + ([] if args.skip_ray else ["ray"]):
        for count in counts:
            source = make_tiny(work, count)
            result = run(HERE, source, work / "out", engine, 2, "parquet", frame_scores=True)
            sizes = ", ".join(f"{disk / count:.0f} ({memory / count:.0f})" for disk, memory in result["sizes"].values())
            print(f"| new | {engine} | 2 | {count} | {result['seconds']:.1f} | {1000 * result['seconds'] / count:.1f} | "
                  f"{result['peak_mb']:.0f} MiB | {sizes} |", flush=True)


if __name__ == "__main__":
    main()
