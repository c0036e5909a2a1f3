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
4. Where the scorer has an absolute scale, each shot gets one verdict: soft
   throughout when its own level is below the floor, or when it holds too
   little of its resolution (:mod:`blurscan.detect.softness`). A soft shot is
   one ``"soft"`` segment spanning it; ``blurry_throughout`` is true when soft
   shots hold 90 % of the measurable frames. Scorers without an absolute scale
   (``sharpness`` with the ``laplacian`` measure) get steps 1-3 only, and
   ``blurry_throughout`` is reported as unknown.

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
    worst_severity,
)
from blurscan.taps.detail import BEST_QUANTILE, measured_shares, size_held
from blurscan.taps.shots import shot_ranges
from blurscan.detect.softness import (
    NOMINAL_SHARP,
    SOFT_DETAIL,
    SOFT_DETAIL_SLOPE,
    judge_softness,
    native_logit,
    shot_level,
)
from blurscan.timecode import span

DEFAULT_SENSITIVITY = 0.5
SENSITIVITY_RANGE = (0.0, 1.0)
#: drop below the shot's sharp level (logit units) that flags a frame at the default sensitivity
DROP = 0.9
#: absolute floor in logit units per unit of sensitivity away from 0.5
FLOOR_SLOPE = 0.8
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
#: share of a video's frames that must be flagged to call it blurry throughout
THROUGHOUT_SHARE = 0.9

_EPS = 1e-4
_CHUNK = 4096


def logit(q: np.ndarray) -> np.ndarray:
    q = np.clip(np.asarray(q, dtype=np.float64), _EPS, 1 - _EPS)
    return np.log(q / (1 - q))


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
    """Blur events below their shot's sharp level, and shots soft throughout (see the module docstring).

    Args:
        sensitivity: 0 (only clear blur) to 1 (slight softness too); 0.5 by default.
            See the module docstring for what it moves.
    """

    name = "drop"
    description = "blur events: frames well below their shot's sharp level; and shots soft throughout, judged whole"

    def __init__(self, sensitivity: float | None = None):
        if sensitivity is None:
            sensitivity = DEFAULT_SENSITIVITY
        lo, hi = SENSITIVITY_RANGE
        if not isinstance(sensitivity, (int, float)) or not lo <= sensitivity <= hi:
            raise ValueError(f"sensitivity must be a number from {lo} to {hi}, not {sensitivity!r}")
        self.sensitivity = float(sensitivity)
        self.drop = DROP * 4.0 ** (0.5 - self.sensitivity)
        self.floor_logit = FLOOR_SLOPE * (self.sensitivity - 0.5)
        self.soft_detail = SOFT_DETAIL + SOFT_DETAIL_SLOPE * (self.sensitivity - 0.5)

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
        flags = events.copy()
        shot_list = []
        soft_frames, soft_peak = 0, 0.0
        for index, (start, stop) in enumerate(shots):
            shot, soft_segment, level_of_shot = self._judge_shot(series, native, usable, events, index, start, stop)
            shot_list.append(shot)
            if soft_segment is not None:
                segments.append(soft_segment)
                flags[start:stop] |= usable[start:stop]
                soft_frames += int(usable[start:stop].sum())
                # a soft shot is as sure as a clear drop, more so the further its level is below a sharp frame's
                soft_peak = max(soft_peak, self.drop, NOMINAL_SHARP - level_of_shot)
        segments.sort(key=lambda seg: (seg.start_frame, seg.kind != "soft"))
        severity = worst_severity(s.severity for s in segments)

        if segments:
            peak = max(float(depth[events].max()) if events.any() else 0.0, soft_peak)
            confidence = 1.0 - 0.5 * math.exp(-(peak / self.drop - 1.0))
        else:
            closest = float(depth[usable].max()) if usable.any() else 0.0
            confidence = 0.5 + 0.5 * min(1.0, max(0.0, (self.drop - closest) / self.drop))

        throughout = None  # unknown: no absolute scale, or nothing to measure (a black video)
        if series.absolute_scale and usable.any():
            throughout = bool(soft_frames >= THROUGHOUT_SHARE * usable.sum())
        advice = []
        if throughout:
            advice.append("The whole video is blurry: compare it with a sharp recording before using it.")
        elif soft_frames:
            advice.append("Some shots are soft throughout (see shots): drop or replace them rather than trimming.")
        return Detection(
            blur_frames=np.flatnonzero(flags).astype(np.int64),
            segments=segments,
            blur_detected=bool(segments),
            severity=severity,
            confidence=float(min(1.0, max(0.0, confidence))),
            threshold=round(self.drop, 6),
            recommendations=recommendations(severity, advice),
            extra={
                "blurry_throughout": throughout,
                "shots": len(shots),
                "shot_list": shot_list,
                "floor": round(self.floor, 6) if series.absolute_scale else None,
            },
        )

    def _judge_shot(self, series: ScoreSeries, native, usable, events, index: int, start: int, stop: int):
        """One shot's entry in ``shot_list``, its "soft" segment when it is soft throughout (else None),
        and its own level (native logit; None when it has nothing to measure)."""
        start_s, end_s = segment_times(series, start, stop - 1)
        in_events = np.flatnonzero(events[start:stop])
        detail, filtered = (_shot_part(values, start, stop, len(native)) for values in (series.detail, series.filtered))
        shares = measured_shares(detail, in_events)
        held = size_held(shares, series.size)
        best = float(np.quantile(shares, BEST_QUANTILE)) if len(shares) else None
        looks = measured_shares(filtered, in_events)
        held_filtered = float(np.median(looks)) if len(looks) else 0.0
        shot = {"index": index, **span(start, stop - 1, start_s, end_s), "frames": stop - start,
                "soft": None, "reason": None, "severity": None, **held}
        own = shot_level(native[start:stop], usable[start:stop], events[start:stop])
        if not series.absolute_scale or own is None:
            return shot, None, own
        verdict = judge_softness(own, held, best, series.size, filtered=held_filtered, floor_logit=self.floor_logit,
                                 soft_detail=self.soft_detail, native=bool(series.native_scale and series.native_scale > 1))
        shot.update(verdict)
        if not shot["soft"]:
            return shot, None, own
        segment = Segment(start, stop - 1, start_s, end_s, shot["severity"],
                          float(np.min(series.scores[start:stop])), kind="soft")
        return shot, segment, own

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


def _shot_part(values: np.ndarray | None, start: int, stop: int, n: int) -> np.ndarray | None:
    """A shot's part of a per-frame measure (None when it was not measured on every frame)."""
    return values[start:stop] if values is not None and len(values) == n else None
