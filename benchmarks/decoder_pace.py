"""Does the scan keep up with the decoder? blurscan's default scan against plain PyAV decoding, side by side.

Usage::

    python benchmarks/decoder_pace.py                        # this checkout against main, 1 and 2 cores
    python benchmarks/decoder_pace.py --baseline 2d15600 --cores 0 --cores 0,1 --pairs 3

On the 120 s 1080p H.264 clip of ``memory_speed.py`` (made once, cached under ``.bench/``),
for each core set (``taskset -c``) it runs ``--pairs`` rounds of: plain PyAV decoding (frame
threads on, no conversion), this checkout's default scan, and the baseline's (an older revision,
unpacked with ``git archive`` under ``.bench/``). Every run is a fresh process; a round's runs
follow each other, so a round's ratio (scan frames/s / decode frames/s) compares runs under the
same load, and the median of the rounds is reported. Then, on the short clip, each version's CPU
ms per frame by stage (decode, conversion, scorer, motion, detail, thumbnails, and the
consuming thread's overhead; see ``_pace_workloads.py``), its peak RSS on the short and on the long clip (memory flat in the
video's length), and whether both versions give the same frame scores and segments.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
from memory_speed import CpuShare, ensure_clip, machine  # noqa: E402 - a script beside this one

WORKLOADS = HERE / "_pace_workloads.py"
TARGET_RATIO = 0.9
STAGES = ("decode", "other threads", "conversion", "scorer", "motion", "detail", "thumbnails", "overhead")


def checkout(revision: str, cache: Path) -> Path:
    """The ``blurscan`` package of ``revision``, unpacked once under ``cache`` (this checkout's ``.bench/``)."""
    sha = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short=10", revision], capture_output=True, text=True,
                         check=True).stdout.strip()
    target = cache / f"rev-{sha}"
    if not (target / "blurscan" / "__init__.py").exists():
        target.mkdir(parents=True, exist_ok=True)
        archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", sha, "blurscan"],
                                 capture_output=True, check=True).stdout
        partial = target.with_name(target.name + ".partial.tar")
        partial.write_bytes(archive)
        with tarfile.open(partial) as tar:
            tar.extractall(target, filter="data")
        partial.unlink()
    return target


def run(workload: str, path: Path, cores: str, package: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(package))
    done = subprocess.run(["taskset", "-c", cores, sys.executable, str(WORKLOADS), workload, str(path)],
                          capture_output=True, text=True, env=env)
    if done.returncode != 0:
        raise SystemExit(f"{workload} on {path.name} ({package}) failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def pairs(path: Path, cores: str, versions: dict[str, Path], rounds: int) -> dict:
    """``rounds`` rounds of decode, then each version's scan; ratios per round, medians."""
    runs: dict[str, list[dict]] = {"decode": [], **{name: [] for name in versions}}
    for round_ in range(rounds):
        runs["decode"].append(run("decode", path, cores, ROOT))
        for name, package in versions.items():
            runs[name].append(run("scan", path, cores, package))
        line = ", ".join(f"{name} {runs[name][-1]['frames_per_s']:.1f}" for name in runs)
        print(f"  cores {cores} round {round_ + 1}/{rounds}: frames/s {line}", flush=True)
    out = {"decode_frames_per_s": statistics.median(r["frames_per_s"] for r in runs["decode"]),
           "decode_cpu_ms_per_frame": statistics.median(r["cpu_ms_per_frame"] for r in runs["decode"])}
    for name in versions:
        ratios = [s["frames_per_s"] / d["frames_per_s"] for s, d in zip(runs[name], runs["decode"])]
        out[name] = {"ratios": ratios, "ratio": statistics.median(ratios),
                     "frames_per_s": statistics.median(r["frames_per_s"] for r in runs[name]),
                     "cpu_ms_per_frame": statistics.median(r["cpu_ms_per_frame"] for r in runs[name]),
                     "peak_rss_mib": max(r["peak_rss_mib"] for r in runs[name]),
                     "scores": runs[name][0]["scores"], "segments": runs[name][0]["segments"]}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench", help="where the clips are kept (made if missing)")
    parser.add_argument("--long-s", type=float, default=120.0)
    parser.add_argument("--short-s", type=float, default=10.0)
    parser.add_argument("--baseline", default="main", help="the revision to compare with (git)")
    parser.add_argument("--cores", action="append", help="a taskset core list; repeat (default: 0 and 0,1)")
    parser.add_argument("--pairs", type=int, default=3, help="side-by-side rounds per core set")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    options = parser.parse_args(argv)
    cores = options.cores or ["0", "0,1"]
    about = machine()
    print(f"machine: {about['cpu']}, {about['usable_cores']} usable cores, {about['memory_gib']} GiB RAM, "
          f"Python {about['python']}; " + ", ".join(f"{k} {v}" for k, v in about["versions"].items()))
    print(f"command: python benchmarks/decoder_pace.py {' '.join(argv if argv is not None else sys.argv[1:])}".rstrip())
    versions = {"new": ROOT, "old": checkout(options.baseline, ROOT / ".bench")}
    print(f"old = {options.baseline} ({versions['old'].name}), new = this checkout")
    share = CpuShare()
    started = time.monotonic()
    long_clip = ensure_clip(options.cache, options.long_s)
    short_clip = ensure_clip(options.cache, options.short_s)
    figures: dict = {"machine": about, "baseline": options.baseline, "cores": {}}
    for core_set in cores:
        figures["cores"][core_set] = pairs(long_clip, core_set, versions, options.pairs)
    stages = {name: run("stages", short_clip, cores[-1], package) for name, package in versions.items()}
    short = {name: run("scan", short_clip, cores[-1], package) for name, package in versions.items()}
    others = share.others()

    print(f"\n== pace on {long_clip.name} ({options.pairs} side-by-side rounds each; median) ==")
    print(f"{'cores':>6} {'decode fr/s':>12} {'old fr/s':>9} {'old ratio':>10} {'new fr/s':>9} {'new ratio':>10}"
          f" {'decode ms/fr':>13} {'old ms/fr':>10} {'new ms/fr':>10}")
    for core_set, f in figures["cores"].items():
        print(f"{core_set:>6} {f['decode_frames_per_s']:>12.1f} {f['old']['frames_per_s']:>9.1f} {f['old']['ratio']:>10.2f}"
              f" {f['new']['frames_per_s']:>9.1f} {f['new']['ratio']:>10.2f} {f['decode_cpu_ms_per_frame']:>13.2f}"
              f" {f['old']['cpu_ms_per_frame']:>10.2f} {f['new']['cpu_ms_per_frame']:>10.2f}")
    print(f"\n== CPU ms per frame by stage ({short_clip.name}, cores {cores[-1]}, scan with thumbnails) ==")
    print(f"{'stage':>20} {'old':>7} {'new':>7}")
    for stage in STAGES:
        old, new = (stages[n]["stage_ms_per_frame"].get(stage, 0.0) for n in ("old", "new"))
        print(f"{stage:>20} {old:>7.2f} {new:>7.2f}")
    print(f"{'total':>20} {stages['old']['cpu_ms_per_frame']:>7.2f} {stages['new']['cpu_ms_per_frame']:>7.2f}")
    top = figures["cores"][cores[-1]]
    print("\n== memory (peak RSS, MiB) ==")
    for name in versions:
        print(f"{name}: short clip {short[name]['peak_rss_mib']:.0f}, long clip {top[name]['peak_rss_mib']:.0f}")
    same = all(f["old"]["scores"] == f["new"]["scores"] and f["old"]["segments"] == f["new"]["segments"]
               for f in figures["cores"].values()) and short["old"]["scores"] == short["new"]["scores"]
    print(f"\nresults identical (frame scores and segments, old vs new, both clips): {'yes' if same else 'NO'}")
    ratio = top["new"]["ratio"]
    print(f"new ratio on cores {cores[-1]}: {ratio:.2f} (target >= {TARGET_RATIO}) {'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")
    print(f"total benchmark time {time.monotonic() - started:.0f} s; other processes used {others:.0%} of the CPUs meanwhile")
    if options.json:
        for f in figures["cores"].values():
            for name in versions:
                f[name].pop("scores")
        figures.update(stages=stages, short_peak_rss_mib={n: short[n]["peak_rss_mib"] for n in versions},
                       identical=same, other_processes_cpu_share=round(others, 3))
        options.json.parent.mkdir(parents=True, exist_ok=True)
        options.json.write_text(json.dumps(figures, indent=1))
    return 0 if same and ratio >= TARGET_RATIO else 1


if __name__ == "__main__":
    sys.exit(main())
