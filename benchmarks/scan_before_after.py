"""The default scan of two checkouts side by side: CPU per frame, peak memory, same findings.

Usage::

    python benchmarks/scan_before_after.py --before /path/to/old/checkout [--after .] [--pairs 3]

Runs ``_memory_workloads.py blurscan`` of each checkout (its own copy of the script, so each side
measures itself) on ``memory_speed.py``'s 10 s and 120 s 1080p clips (made once under ``.bench/``),
alternating the two sides pair by pair so that the machine's load falls on both alike. CPU ms per frame
is the figure to compare on a shared machine (wall time follows the load); it prints each side's
median, the ratios, the peak RSS of each and whether both found the same blurry frames and segments.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from memory_speed import ensure_clip  # noqa: E402


def once(tree: Path, clip: Path) -> dict:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    done = subprocess.run([sys.executable, str(tree / "benchmarks" / "_memory_workloads.py"), "blurscan", str(clip)],
                          env=env, check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--after", type=Path, default=ROOT)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
    args = parser.parse_args(argv)
    same = True
    for seconds in (10.0, 120.0):
        clip = ensure_clip(args.cache, seconds)
        runs = {"before": [], "after": []}
        for _ in range(args.pairs):
            for side in ("before", "after"):
                runs[side].append(once(getattr(args, side).resolve(), clip))
        cpu = {side: statistics.median(r["cpu_ms_per_frame"] for r in rs) for side, rs in runs.items()}
        rss = {side: max(r["peak_rss_mib"] for r in rs) for side, rs in runs.items()}
        found = {(tuple(r["blur_frames"]), tuple(map(tuple, r["segments"]))) for rs in runs.values() for r in rs}
        same = same and len(found) == 1
        print(f"{seconds:5.0f} s clip, {args.pairs} alternating pairs: CPU ms/frame before {cpu['before']:.2f}, "
              f"after {cpu['after']:.2f} (after/before {cpu['after'] / cpu['before']:.3f}); peak RSS before "
              f"{rss['before']:.1f} MiB, after {rss['after']:.1f} MiB ({rss['after'] / rss['before']:.3f}); "
              f"same blur frames and segments: {len(found) == 1}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
