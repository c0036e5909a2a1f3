"""What one video's scores say: the detector's blur events, the shot stage's verdicts, and the verdict of both."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from blurscan.detect.base import Detection, Detector, ScoreSeries
from blurscan.detect.softness import Shots, judge_shots


@dataclass
class Findings:
    """The detector's detection with the shots soft throughout folded in, and every shot's verdict."""

    detection: Detection
    shots: Shots


def find(series: ScoreSeries, detector: Detector) -> Findings:
    """Run ``detector`` on ``series``, judge every shot at its sensitivity, and conclude."""
    detection = detector.detect(series)
    events = np.zeros(len(series), dtype=bool)
    events[np.asarray(detection.blur_frames, dtype=np.int64)] = True
    sensitivity = getattr(detector, "sensitivity", None)
    shots = judge_shots(series, events, 0.5 if sensitivity is None else float(sensitivity))
    return Findings(detector.conclude(series, detection, shots), shots)
