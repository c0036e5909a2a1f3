"""``mss``: VMBench's motion-smoothness rule, faithful to the original.

``d = |diff(scores)|``; both frames on either side of every ``d > threshold``
are flagged; the threshold is 0.01 / 0.015 / 0.025 / 0.03 for camera movement
< 0.1 / < 0.3 / < 0.5 / >= 0.5; ``MSS = 1 - flagged / N``. The verdict
(severity, confidence, ``blur_detected``) follows the blur tool built on it.

This rule finds the edges of a blurry stretch, not its inside, and says
nothing about a video that is blurry throughout (no jumps); the shot stage
that runs after every detector does (:mod:`blurscan.detect.softness`). The
result's ``mss`` stays VMBench's score, ``1 - flagged / N`` of this rule
alone, while its ``blur_frames`` and verdict also count shots soft throughout.

``sensitivity`` (0 to 1) is blurscan's common knob, not VMBench's: it scales
the threshold by ``4 ** (0.5 - sensitivity)`` (twice the threshold at 0, half
at 1). At its default, 0.5, the rule is exactly VMBench's.
"""

from __future__ import annotations

from typing import Annotated

import numpy as np

from blurscan.detect import DETECTORS
from blurscan.detect.base import (
    Detection,
    Detector,
    ScoreSeries,
    Segment,
    recommendations,
    runs,
    segment_times,
)
from blurscan.errors import UsageError
from blurscan.registry import Range

#: (camera movement below, threshold)
THRESHOLDS = ((0.1, 0.01), (0.3, 0.015), (0.5, 0.025), (float("inf"), 0.03))
#: the original tool calls a video blurry above this share of flagged frames
BLUR_RATIO_THRESHOLD = 0.05


def adaptive_threshold(camera_movement: float | None) -> float:
    if camera_movement is None:
        return THRESHOLDS[0][1]
    for below, threshold in THRESHOLDS:
        if camera_movement < below:
            return threshold
    return THRESHOLDS[-1][1]


def flagged_frames(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Both neighbours of every score jump above ``threshold``."""
    jumps = np.flatnonzero(np.abs(np.diff(scores)) > threshold)
    return np.unique(np.concatenate([jumps, jumps + 1])).astype(np.int64)


def _severity(ratio: float, drop: float, threshold: float) -> str:
    if ratio > 0.3 or drop > 2 * threshold:
        return "severe"
    if ratio > 0.1 or drop > 1.5 * threshold:
        return "moderate"
    if ratio > BLUR_RATIO_THRESHOLD or drop > threshold:
        return "mild"
    return "none"


@DETECTORS.register
class MSSDetector(Detector):
    name = "mss"
    description = "VMBench motion-smoothness rule: flags both frames around each score jump"

    def __init__(
        self,
        threshold: Annotated[float | None, Range(0.0, 1.0),
                             "the jump that flags a frame; default adaptive to camera movement"] = None,
        sensitivity: Annotated[float, Range(0.0, 1.0), "scales the threshold by 4^(0.5 - sensitivity)"] = 0.5,
    ):
        if threshold is not None and (isinstance(threshold, bool) or not 0 < threshold < 1):
            raise UsageError(f"threshold must be between 0 and 1, not {threshold!r}")
        if sensitivity is not None and (isinstance(sensitivity, bool) or not isinstance(sensitivity, (int, float))
                                        or not 0 <= sensitivity <= 1):
            raise UsageError(f"sensitivity must be a number from 0 to 1, not {sensitivity!r}")
        self.threshold = threshold
        self.sensitivity = 0.5 if sensitivity is None else float(sensitivity)

    def detect(self, series: ScoreSeries) -> Detection:
        scores = np.asarray(series.scores, dtype=np.float64)
        threshold = self.threshold if self.threshold is not None else adaptive_threshold(series.camera_movement)
        threshold *= 4.0 ** (0.5 - self.sensitivity)
        jumps = np.abs(np.diff(scores))
        flagged = flagged_frames(scores, threshold)
        n = len(scores)
        ratio = len(flagged) / n if n else 0.0
        max_drop = float(jumps.max()) if len(jumps) else 0.0
        avg = float(scores.mean()) if n else 0.0
        severity = _severity(ratio, max_drop, threshold)
        confidence = 0.4 * min(1.0, ratio * 2.0) + 0.4 * min(1.0, max_drop * 10.0) + 0.2 * max(0.0, 1.0 - avg)

        flags = np.zeros(n, dtype=bool)
        flags[flagged] = True
        segments = []
        for start, end in runs(flags):
            # the jumps that flagged this run: between its frames and at its edges
            lo, hi = max(start - 1, 0), min(end, len(jumps) - 1)
            worst = float(jumps[lo : hi + 1].max()) if hi >= lo else 0.0
            seg_severity = "severe" if worst > 2 * threshold else "moderate" if worst > 1.5 * threshold else "mild"
            start_s, end_s = segment_times(series, start, end)
            segments.append(
                Segment(start, end, start_s, end_s, seg_severity, float(scores[start : end + 1].min()))
            )
        return Detection(
            blur_frames=flagged,
            segments=segments,
            blur_detected=bool(ratio > BLUR_RATIO_THRESHOLD or max_drop > threshold),
            severity=severity,
            confidence=float(min(1.0, max(0.0, confidence))),
            threshold=threshold,
            recommendations=recommendations(severity),
            smoothness=1.0 - ratio,
        )

    def settings(self) -> dict:
        return {"threshold": self.threshold if self.threshold is not None else "adaptive",
                "sensitivity": self.sensitivity}
