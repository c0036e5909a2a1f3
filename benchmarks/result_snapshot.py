"""Every field of every result on the accuracy benchmark's cases, to show a change kept behaviour.

Usage::

    python benchmarks/result_snapshot.py --out before.jsonl          # scan every case (seed 0), both detectors
    python benchmarks/result_snapshot.py --out after.jsonl
    python benchmarks/result_snapshot.py --compare before.jsonl after.jsonl

Each case of ``benchmarks/_accuracy_cases.py`` is scanned with the default
scorer and each detector (``drop``, ``mss``), thumbnails on, and its whole
result (the per-frame scores included) is written as one JSON line. The
comparison reads both files through the installed blurscan's result reader,
so a snapshot made by an older version (an older schema) is compared field
by field with a newer one; only the timings, peak memory and the language
of the labels are left out. It prints every difference and exits 1 if there
is one. The scans run with the code the script is run with: run it in a
checkout of the version to compare.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _accuracy_cases as cases_module  # noqa: E402

DETECTORS = ("drop", "mss")
#: fields that differ from run to run or say nothing about the findings
UNSTABLE = ("timing", "memory")


def _scan(job: tuple[str, str, str]) -> dict:
    name, path, detector = job
    import blurscan

    with blurscan.Scanner(blurscan.Settings(detector=detector)) as scanner:
        result = scanner.scan(path, thumbnails=True)
    data = result.to_dict(thumbnail_stem="case")
    for key in UNSTABLE:
        data.pop(key, None)
    data["video"]["path"] = name  # the cache folder differs between checkouts
    return {"case": name, "detector": detector, "result": data}


def snapshot(out: Path, seed: int, quick: bool, jobs: int, cache: Path) -> None:
    sources = cases_module.source_clips(cache)
    chosen = cases_module.cases(seed, quick=quick)
    paths = [(case.name, str(cases_module.build(case, sources, cache / "cases"))) for case in chosen]
    work = [(name, path, detector) for name, path in paths for detector in DETECTORS]
    with multiprocessing.get_context("spawn").Pool(jobs) as pool, open(out, "w", encoding="utf-8") as handle:
        for row in pool.imap(_scan, work):
            handle.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(work)} results ({len(paths)} cases x {len(DETECTORS)} detectors) in {out}")


def _normal(data: dict) -> dict:
    """A result as the installed blurscan reads and writes it (so both sides have one schema), its words
    rendered in English (an older schema held English words where a newer one holds codes)."""
    from blurscan.result import from_dict

    result = from_dict(data)
    result.settings["lang"] = "en"
    normal = result.to_dict()
    for key in UNSTABLE:
        normal.pop(key, None)
    labels = normal.pop("labels")
    normal["recommendations"], normal["warnings"] = labels["recommendations"], labels["warnings"]
    for shot, reason in zip(normal.get("shot_list", []), labels["shot_reasons"]):
        shot.pop("reason_code", None)
        shot.pop("reason_values", None)
        shot["reason"] = reason
    normal["settings"].pop("lang", None)
    return normal


def _differences(a, b, where: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        out = []
        for key in sorted(set(a) | set(b)):
            if key not in a or key not in b:
                out.append(f"{where}.{key}: only in {'after' if key not in a else 'before'}")
            else:
                out += _differences(a[key], b[key], f"{where}.{key}")
        return out
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return [f"{where}: {len(a)} items before, {len(b)} after"]
        return [d for i, (x, y) in enumerate(zip(a, b)) for d in _differences(x, y, f"{where}[{i}]")]
    return [] if a == b else [f"{where}: {a!r} before, {b!r} after"]


def compare(before: Path, after: Path) -> int:
    def load(path: Path) -> dict:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        return {(r["case"], r["detector"]): _normal(r["result"]) for r in rows}

    a, b = load(before), load(after)
    problems = [f"{key}: only in {'after' if key not in a else 'before'}" for key in sorted(set(a) ^ set(b))]
    for key in sorted(set(a) & set(b)):
        problems += [f"{key[0]} / {key[1]}{d}" for d in _differences(a[key], b[key])]
    for line in problems[:200]:
        print(line)
    print(f"{len(set(a) & set(b))} results compared: {len(problems)} difference(s)")
    return 1 if problems else 0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, help="scan every case and write the results here (JSON lines)")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"), help="compare two snapshots")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--quick", action="store_true", help="one case of each sort")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
    args = parser.parse_args(argv)
    if args.compare:
        return compare(*args.compare)
    if not args.out:
        parser.error("give --out FILE or --compare BEFORE AFTER")
    snapshot(args.out, args.seed, args.quick, args.jobs, args.cache)
    return 0


if __name__ == "__main__":
    sys.exit(main())
