"""The cause of each blur (issue 19): is it motion, defocus, compression or an enlargement, and for motion which
way and how far?

Usage::

    python benchmarks/causes.py             # seed 0: 33 cases, 3,458 frames (about 3 min on 2 cores, +2 min to build)
    python benchmarks/causes.py --seed 1    # other sources, positions, angles
    python benchmarks/causes.py --main      # also the causes of the events found in accuracy.py's whole set

Issue 19's cases (``benchmarks/_accuracy_cases.py``, ``cause_cases``): blur events of known kernels on
photographs, rendered 720p/1080p scenes, animation and real clips (linear motion 9-25 px at random angles,
camera shake, disk radius 2-4 and Gaussian sigma 1.5-3), clips crushed throughout on three codecs (x264 CRF
48 and 51, MPEG-4 Part 2 at quantiser scale 31, VP9 CRF 63), bitrate drops inside clean clips (x264 frames
at QP 51), controls at ordinary quality (x264 CRF 23 and 28, MPEG-4 at scale 4, VP9 CRF 32), enlargements by 3x
and 4x (OpenCV's bicubic) and by 2.5-4x with Lanczos, bilinear or FFmpeg's bicubic (source, factor and enlarger
changing with the seed), and shots defocused or motion-blurred throughout. Each is scanned with the default settings.

Figures (the issue's targets):

- motion vs defocus on the labelled events an event segment found: >= 90 % right (motion and shake are
  motion, disk and Gaussian are defocus; ``unknown`` counts as wrong);
- the angle of linear motion of >= 9 px within 20 degrees on >= 80 %;
- the extent (a streak's length; a disk's diameter 2r, a Gaussian's 4 sigma) within 35 % on >= 70 % of the
  found linear-motion and defocus events;
- every crushed clip soft with cause ``compression``, every crushed stretch found as a segment of that cause
  (covering at least half of it), no control flagged as compression;
- enlargements by 2.5x-4x ``upscale``, clips defocused throughout ``defocus``.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _accuracy_cases as cases_module  # noqa: E402

TARGET_KIND = 0.90
TARGET_ANGLE = 0.80
ANGLE_DEG = 20.0
TARGET_EXTENT = 0.70
EXTENT_ERROR = 0.35
EXPECTED = {"motion": "motion", "shake": "motion", "disk": "defocus", "gaussian": "defocus"}


def _scan(path: str) -> dict:
    from blurscan import scan

    return scan(path).to_dict(include_scores=False)


def truth_extent(kind: str, strength: float) -> float | None:
    """The extent the result must report: a streak's length, a disk's diameter, 4 sigma of a Gaussian."""
    return {"motion": strength, "disk": 2 * strength, "gaussian": 4 * strength}.get(kind)


def angle_error(a: float, b: float) -> float:
    d = abs(a - b) % 180.0
    return min(d, 180.0 - d)


def _overlap(seg: dict, start: int, end: int) -> int:
    return max(0, min(seg["end_frame"], end) - max(seg["start_frame"], start) + 1)


def event_rows(case, result: dict) -> list[dict]:
    """Each labelled blur event of a case: its kernel, and the cause of the event segment that found it."""
    rows = []
    for start, end, label in case.events:
        blurs = [b for b in case.blurs if b.start <= end and b.end >= start]
        if not blurs:
            continue
        peak = max(blurs, key=lambda b: b.strength)
        if not cases_module.is_target(peak.kind, peak.strength):
            continue
        found = [s for s in result["segments"] if s["kind"] == "event" and _overlap(s, start, end)]
        soft = [s for s in result["segments"] if s["kind"] == "soft" and _overlap(s, start, end)]
        best = max(found or (soft if label == "whole" else []), key=lambda s: _overlap(s, start, end), default=None)
        rows.append({"case": case.name, "label": label, "kind": peak.kind, "strength": peak.strength,
                     "angle": peak.angle if peak.kind == "motion" else None, "found": best is not None,
                     "cause": best and best["cause"], "pred_angle": best and best["motion_angle_deg"],
                     "pred_px": best and best["blur_px"]})
    return rows


def summarise_events(rows: list[dict]) -> dict:
    found = [r for r in rows if r["found"]]
    right = [r for r in found if r["cause"] == EXPECTED[r["kind"]]]
    linear = [r for r in found if r["kind"] == "motion" and r["strength"] >= 9 and r["cause"] == "motion"]
    linear_all = [r for r in found if r["kind"] == "motion" and r["strength"] >= 9]
    angles = [angle_error(r["pred_angle"], r["angle"]) for r in linear if r["pred_angle"] is not None]
    extents = []
    for r in found:
        truth = truth_extent(r["kind"], r["strength"])
        if truth is None:
            continue
        extents.append(abs(r["pred_px"] - truth) / truth if r["pred_px"] is not None and r["cause"] == EXPECTED[r["kind"]]
                       else np.inf)
    return {
        "events": len(rows), "found": len(found), "kind_right": len(right),
        "kind_share": len(right) / len(found) if found else None,
        "angle_within": sum(a <= ANGLE_DEG for a in angles),
        "angle_share": sum(a <= ANGLE_DEG for a in angles) / len(linear_all) if linear_all else None,
        "angle_median": float(np.median(angles)) if angles else None, "linear": len(linear_all),
        "extent_within": sum(e <= EXTENT_ERROR for e in extents),
        "extent_share": sum(e <= EXTENT_ERROR for e in extents) / len(extents) if extents else None,
        "extent_median": float(np.median([e for e in extents if np.isfinite(e)])) if extents else None,
        "extent_cases": len(extents),
        "wrong": [f"{r['case']} {r['label']}: {r['kind']} {r['strength']:g} -> {r['cause']}" for r in found
                  if r["cause"] != EXPECTED[r["kind"]]],
    }


def whole_rows(case, result: dict) -> list[dict]:
    """Crushed clips and stretches, controls, and the shots soft throughout with a labelled cause."""
    rows = []
    if case.group == "crushed-stretch":
        for start, end, _ in case.events:
            covered = sum(_overlap(s, start, end) for s in result["segments"] if s["cause"] == "compression")
            rows.append({"case": case.name, "what": "crushed stretch", "want": "compression",
                         "ok": covered >= 0.5 * (end - start + 1), "got": f"{covered}/{end - start + 1} frames"})
        return rows
    if case.group == "control":
        flagged = [s for s in result["segments"] if s["cause"] == "compression"]
        rows.append({"case": case.name, "what": case.note, "want": "not compression", "ok": not flagged,
                     "got": ", ".join(f"{s['kind']} {s['cause']}" for s in result["segments"]) or "nothing"})
        return rows
    for (start, stop), want in zip(cases_module.part_ranges(case), case.cause or ()):
        shots = [s for s in result["shot_list"] if s["start_frame"] < stop and s["end_frame"] >= start and s["soft"]]
        got = shots[0]["cause"] if shots else "not soft"
        rows.append({"case": case.name, "what": case.note, "want": want, "ok": got == want, "got": got,
                     "extra": f"{shots[0]['effective_width']}x{shots[0]['effective_height']}" if shots else ""})
    return rows


def main_set_rows(seed: int, cache: Path, jobs: int) -> list[dict]:
    """The causes of the events found in accuracy.py's labelled set (issue 4's and 10's cases)."""
    sources = cases_module.source_clips(cache)
    chosen = [c for c in cases_module.cases(seed) if c.events]
    paths = [str(cases_module.build(c, sources, cache / "cases")) for c in chosen]
    with multiprocessing.get_context("spawn").Pool(jobs) as pool:
        results = pool.map(_scan, paths)
    return [row for case, result in zip(chosen, results) for row in event_rows(case, result)]


def _pct(x) -> str:
    return "–" if x is None else f"{x:.0%}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--main", action="store_true", help="also the events of accuracy.py's set")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    sources = cases_module.source_clips(args.cache)
    chosen = cases_module.cause_cases(args.seed)
    paths = [str(cases_module.build(c, sources, args.cache / "cases")) for c in chosen]
    print(f"issue 19's set: seed {args.seed}, {len(chosen)} cases, {sum(cases_module.case_frames(c) for c in chosen)} "
          f"frames", flush=True)
    with multiprocessing.get_context("spawn").Pool(args.jobs) as pool:
        results = pool.map(_scan, paths)
    rows = [row for case, result in zip(chosen, results) for row in event_rows(case, result)]
    wholes = [row for case, result in zip(chosen, results) for row in whole_rows(case, result)]
    sets = [("issue 19's events", rows)]
    if args.main:
        sets.append(("accuracy.py's events", main_set_rows(args.seed, args.cache, args.jobs)))
        sets.append(("both", rows + sets[-1][1]))
    passed = True
    print("\n| events | found | motion vs defocus right | angle within 20° (linear >= 9 px) | median angle error "
          "| extent within 35 % | median extent error |\n|---|---|---|---|---|---|---|")
    for name, group in sets:
        s = summarise_events(group)
        angle = "–" if s["angle_median"] is None else f"{s['angle_median']:.1f}°"
        print(f"| {name} | {s['found']}/{s['events']} | {s['kind_right']}/{s['found']} ({_pct(s['kind_share'])}) | "
              f"{s['angle_within']}/{s['linear']} ({_pct(s['angle_share'])}) | {angle} | "
              f"{s['extent_within']}/{s['extent_cases']} ({_pct(s['extent_share'])}) | {_pct(s['extent_median'])} |")
        passed &= (s["kind_share"] or 0) >= TARGET_KIND and (s["angle_share"] or 0) >= TARGET_ANGLE \
            and (s["extent_share"] or 0) >= TARGET_EXTENT
        for line in s["wrong"]:
            print(f"    wrong: {line}")
    print("\n| case | what | must read | reads | |\n|---|---|---|---|---|")
    for r in wholes:
        print(f"| {r['case']} | {r['what']} | {r['want']} | {r['got']} {r.get('extra', '')} | {'ok' if r['ok'] else 'MISS'} |")
    by_group: dict[str, list[bool]] = {}
    for r in wholes:
        by_group.setdefault(r["want"], []).append(r["ok"])
    summary = ", ".join(f"{k}: {sum(v)}/{len(v)}" for k, v in by_group.items())
    passed &= all(all(v) for v in by_group.values())
    print(f"\nsoft throughout, stretches and controls: {summary}")
    print(f"{'PASS' if passed else 'FAIL'} ({time.perf_counter() - started:.0f} s)")
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
