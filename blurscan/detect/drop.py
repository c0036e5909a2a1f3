"""``drop``: the default detector. Finds blur *events* (frames whose quality
drops well below the sharp level of their own shot) and shots *soft
throughout* (judged as a whole).

The rule, per shot (shots are split at cuts, see :mod:`blurscan.taps.shots`):

1. Each frame's own quality ``q`` (see :meth:`ScoreSeries.frame_quality`) is
   read in logit units, ``x = log(q / (1 - q))``, where blur moves a frame by
   about the same amount whatever the scene.
2. The shot's sharp level at frame ``t`` is the 85th percentile of ``x`` over
   the frames of the same shot within 2 s of ``t``; a frame more than
   ``drop`` below it, at the working width or read at the video's own size
   (see :mod:`blurscan.detect.softness`: sigma 1.5 on 1080p is sigma 0.5 at 640
   px), is flagged (0.9 by default; for the ``edge`` measure: edges about 1.35
   times wider; in a shot whose frames scatter little around its level, as
   little as 0.45 of that, eight times their scatter). The level is then
   estimated again, twice, as
   the median of the unflagged frames around ``t``, so a long blurry stretch
   does not drag the level down with it: the whole stretch is flagged, not
   only its edges. Where the scorer has an absolute scale, a stretch of three
   or more frames at least half of ``drop`` below the level that ends below the
   absolute ``floor`` is flagged too (heavy compression flattens a blur's drop).
3. Gaps of one or two frames inside a shot are closed; runs of flagged frames
   are the ``"event"`` segments. An event's severity is how far below the
   sharp level its worst frame lies, read at the video's own size (see
   :mod:`blurscan.detect.softness`): ``mild`` under 1.8 logit units (for
   ``edge``: edges up to about 1.8 times wider), ``moderate`` under 3 (2.7
   times), ``severe`` beyond.
4. The shot stage (:mod:`blurscan.detect.softness`, after any detector) judges
   each shot as a whole; :meth:`DropDetector.conclude` folds the shots soft
   throughout into the verdict, as sure of a soft shot as of a clear drop.

``sensitivity`` (0 to 1, default 0.5) moves the thresholds: the drop is
``0.9 * 4 ** (0.5 - sensitivity)`` logit units (1.8 at 0, 0.45 at 1), the
floor is the quality ``sigmoid(0.8 * (sensitivity - 0.5))`` (0.40 at 0, 0.5
at 0.5, 0.60 at 1) and the detail a shot must hold 0.285 to 0.445 (up to 0.12
more when it looks filtered: enlarged or defocused). Higher finds milder blur
and raises false alarms. Frames with quality exactly 0 have
nothing to measure (black, flat) and are never flagged.
"""

from __future__ import annotations

import math
from typing import Annotated

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from blurscan.detect import DETECTORS
from blurscan.detect.base import (
    Detection,
    Detector,
    ScoreSeries,
    Segment,
    recommendations,
    runs,
    segment_times,
    short_bursts,
    worst_severity,
)
from blurscan.detect.softness import (
    NOMINAL_SHARP,
    Shots,
    logit,
    native_logit,
    sensitivity_thresholds,
)
from blurscan.errors import UsageError
from blurscan.registry import Range
from blurscan.taps.shots import shot_ranges

DEFAULT_SENSITIVITY = 0.5
SENSITIVITY_RANGE = (0.0, 1.0)
#: drop below the shot's sharp level (logit units) that flags a frame at the default sensitivity
DROP = 0.9
#: how far (seconds) on each side of a frame the shot's sharp level is taken from
REACH_S = 2.0
MIN_REACH_FRAMES = 12
#: quantile of the first estimate of the sharp level
FIRST_LEVEL_QUANTILE = 0.85
#: unflagged frames a later estimate needs; with fewer the previous estimate stands
MIN_REFERENCE_FRAMES = 5
REFINEMENTS = 2
#: depth (logit units) from which a segment is moderate, and severe
SEVERITY_DEPTHS = (1.8, 3.0)
#: unflagged frames between two flagged ones (same shot) that are flagged too: one blurry stretch, not two
MAX_GAP_FRAMES = 2
#: a frame below the floor is an event when it also lies this share of ``drop`` below its shot's level
#: (heavy compression flattens a blurry stretch's drop; frames scattering around a soft shot's level
#: stay within about half of it)
FLOOR_DIP = 0.5
#: ... in a stretch of at least this many frames (noise around a soft shot's level dips a frame at a time)
FLOOR_RUN = 3
#: a shot whose frames scatter little around its level (rendered, animated, tripod footage) is held to a
#: smaller drop: this many times their scatter (1.4826 x the median absolute deviation of the frames'
#: depth), but no less than this share of ``drop``, and only in shots of at least this many frames. On
#: the accuracy benchmark it finds disk radius 2 on 720p animation (edges 1.15-1.25x wider, where
#: ``drop`` needs 1.35x) and flags no clean frame more
STEADY_SCATTERS = 8.0
STEADY_SHARE = 0.45
STEADY_FRAMES = 10
_CHUNK = 4096


def rolling_quantile(values: np.ndarray, use: np.ndarray, reach: int, quantile: float, min_count: int) -> np.ndarray:
    """Quantile of ``values[use]`` within ``reach`` frames of each frame; NaN where fewer than ``min_count``."""
    n = len(values)
    width = 2 * reach + 1
    padded = np.full(n + 2 * reach, np.nan)
    padded[reach : reach + n] = np.where(use, values, np.nan)
    out = np.full(n, np.nan)
    for lo in range(0, n, _CHUNK):
        hi = min(n, lo + _CHUNK)
        windows = np.sort(sliding_window_view(padded[lo : hi + 2 * reach], width), axis=1)  # NaN sort last
        count = width - np.isnan(windows).sum(axis=1)
        ok = count >= max(min_count, 1)
        if not ok.any():
            continue
        rows, count = windows[ok], count[ok]
        position = quantile * (count - 1)
        below = np.floor(position).astype(np.int64)
        above = np.minimum(below + 1, count - 1)
        v0 = np.take_along_axis(rows, below[:, None], axis=1)[:, 0]
        v1 = np.take_along_axis(rows, above[:, None], axis=1)[:, 0]
        out[lo:hi][ok] = v0 + (v1 - v0) * (position - below)
    return out


def sharp_level(x: np.ndarray, usable: np.ndarray, reach: int, drop: float) -> np.ndarray:
    """The sharp level of one shot around each frame (NaN where the shot has nothing usable)."""
    if not usable.any():
        return np.full(len(x), np.nan)
    level = rolling_quantile(x, usable, reach, FIRST_LEVEL_QUANTILE, 1)
    level = np.where(np.isnan(level), np.quantile(x[usable], FIRST_LEVEL_QUANTILE), level)
    for _ in range(REFINEMENTS):
        sharp = usable & ~(level - x > drop)
        if not sharp.any():
            break
        median = rolling_quantile(x, sharp, reach, 0.5, MIN_REFERENCE_FRAMES)
        level = np.where(np.isnan(median), level, median)
    return level


def close_gaps(flags: np.ndarray, shots: list[tuple[int, int]], longest: int) -> np.ndarray:
    """Also flag gaps of up to ``longest`` frames between flagged frames of the same shot."""
    flags = flags.copy()
    for start, stop in shots:
        flagged = np.flatnonzero(flags[start:stop]) + start
        for a, b in zip(flagged[:-1], flagged[1:]):
            if 1 < b - a <= longest + 1:
                flags[a + 1 : b] = True
    return flags


def _stretches(flags: np.ndarray, shortest: int) -> np.ndarray:
    """``flags`` keeping only runs of at least ``shortest`` frames."""
    kept = np.zeros_like(flags)
    for start, end in runs(flags):
        if end - start + 1 >= shortest:
            kept[start : end + 1] = True
    return kept


def _severity(depth: float) -> str:
    moderate, severe = SEVERITY_DEPTHS
    return "severe" if depth >= severe else "moderate" if depth >= moderate else "mild"


@DETECTORS.register
class DropDetector(Detector):
    """Blur events below their shot's sharp level (see the module docstring)."""

    name = "drop"
    description = "blur events: frames well below their shot's sharp level; and shots soft throughout, judged whole"

    def __init__(self, sensitivity: Annotated[float, Range(*SENSITIVITY_RANGE),
                                              "0 flags only clear blur, 1 slight softness too"] = DEFAULT_SENSITIVITY):
        if sensitivity is None:
            sensitivity = DEFAULT_SENSITIVITY
        lo, hi = SENSITIVITY_RANGE
        if isinstance(sensitivity, bool) or not isinstance(sensitivity, (int, float)) or not lo <= sensitivity <= hi:
            raise UsageError(f"sensitivity must be a number from {lo} to {hi}, not {sensitivity!r}")
        self.sensitivity = float(sensitivity)
        self.drop = DROP * 4.0 ** (0.5 - self.sensitivity)
        self.floor_logit, self.soft_detail = sensitivity_thresholds(self.sensitivity)

    @property
    def floor(self) -> float:
        """The absolute floor as a quality in [0, 1]."""
        return 1.0 / (1.0 + math.exp(-self.floor_logit))

    def detect(self, series: ScoreSeries) -> Detection:
        n = len(series)
        quality = series.frame_quality()
        x = logit(quality)
        usable = quality > 0
        fps = series.fps if series.fps and series.fps > 0 else 25.0
        reach = max(MIN_REACH_FRAMES, round(REACH_S * fps))

        shots = shot_ranges(series.signals.get("scene_change"), n)
        level = np.full(n, np.nan)
        for start, stop in shots:
            level[start:stop] = sharp_level(x[start:stop], usable[start:stop], reach, self.drop)
        depth = np.nan_to_num(level - x, nan=0.0)
        # severity as seen at the video's own size (see detect.softness)
        native = native_logit(x, series.native_scale)
        native_depth = np.nan_to_num(native_logit(level, series.native_scale) - native, nan=0.0)
        seen = np.maximum(depth, native_depth)  # as deep at the video's own size counts too (HD blur)
        dips = seen > _steady_drop(seen, usable, shots, self.drop)
        if series.absolute_scale:  # a stretch that dips below its shot's level and ends below the floor
            dips |= _stretches((native < self.floor_logit) & (depth > FLOOR_DIP * self.drop), FLOOR_RUN)
        events = close_gaps(usable & dips, shots, MAX_GAP_FRAMES)

        segments = []
        for start, end in runs(events):
            start_s, end_s = segment_times(series, start, end)
            segments.append(Segment(start, end, start_s, end_s, _severity(float(native_depth[start : end + 1].max())),
                                    float(np.min(series.scores[start : end + 1]))))
        severity = worst_severity(s.severity for s in segments)
        peak = float(depth[events].max()) if events.any() else 0.0
        if segments:
            confidence = self._sure(peak)
        else:
            closest = float(depth[usable].max()) if usable.any() else 0.0
            confidence = 0.5 + 0.5 * min(1.0, max(0.0, (self.drop - closest) / self.drop))
        return Detection(
            blur_frames=np.flatnonzero(events).astype(np.int64),
            segments=segments,
            blur_detected=bool(segments),
            severity=severity,
            confidence=float(min(1.0, max(0.0, confidence))),
            threshold=round(self.drop, 6),
            recommendations=recommendations(severity, bursts=short_bursts(segments, len(series))),
            notes={"peak": peak},
        )

    def conclude(self, series: ScoreSeries, detection: Detection, shots: Shots) -> Detection:
        """As every detector does, and a soft shot is as sure as a clear drop, more so the further its level
        lies below a sharp frame's."""
        concluded = super().conclude(series, detection, shots)
        soft = [shot for shot in shots.verdicts if shot.soft]
        if not soft:
            return concluded
        peak = max([detection.notes.get("peak", 0.0), *(max(self.drop, NOMINAL_SHARP - s.level) for s in soft)])
        concluded.confidence = float(min(1.0, max(0.0, self._sure(peak))))
        return concluded

    def _sure(self, peak: float) -> float:
        """How sure a finding this far below its shot's level (logit units) is."""
        return 1.0 - 0.5 * math.exp(-(peak / self.drop - 1.0))

    def settings(self) -> dict:
        return {"sensitivity": self.sensitivity, "drop": round(self.drop, 6), "floor": round(self.floor, 6),
                "soft_detail": round(self.soft_detail, 6)}


def _steady_drop(seen: np.ndarray, usable: np.ndarray, shots: list[tuple[int, int]], drop: float) -> np.ndarray:
    """Per frame, the drop that flags it: ``drop``, or less in a shot whose frames scatter little around
    its level (STEADY_SCATTERS times their scatter, at least STEADY_SHARE of ``drop``)."""
    needed = np.full(len(seen), drop)
    for start, stop in shots:
        values = seen[start:stop][usable[start:stop]]
        if len(values) >= STEADY_FRAMES:
            scatter = 1.4826 * float(np.median(np.abs(values - np.median(values))))
            needed[start:stop] = min(drop, max(STEADY_SHARE * drop, STEADY_SCATTERS * scatter))
    return needed
