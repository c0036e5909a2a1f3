"""How long ``blurscan --help`` takes, for two checkouts side by side (a change must not slow the CLI down).

Usage::

    python benchmarks/cli_startup.py --before /path/to/old/checkout [--after .] [--runs 15]

Each run starts a fresh interpreter (``python -m blurscan --help``) with the checkout first on the path,
alternating the two so that the machine's load falls on both alike; it prints each side's median and the
ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path


def once(tree: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "blurscan", "--help"], env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--before", type=Path, required=True, help="the checkout to compare with")
    parser.add_argument("--after", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args(argv)
    times = {"before": [], "after": []}
    for _ in range(args.runs):
        for side in ("before", "after"):
            times[side].append(once(getattr(args, side)))
    before, after = statistics.median(times["before"]), statistics.median(times["after"])
    print(f"blurscan --help, median of {args.runs} alternating runs: before {before * 1000:.0f} ms, "
          f"after {after * 1000:.0f} ms, after/before {after / before:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
