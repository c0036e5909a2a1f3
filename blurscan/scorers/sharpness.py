"""The default scorer: a classical no-reference sharpness measure, no weights, CPU only.

Each frame is converted by the decoder straight to grey at a fixed working
width (640 px by default, never upscaled), so a 480p and a 4K copy of the same
scene are measured on the same grid. The per-frame measure ``v`` is mapped to
[0, 1] by ``q = v / (v + k)``: ``q`` is 0.5 at ``v = k`` and saturates
smoothly for very sharp frames, so frame-to-frame noise on sharp footage stays
small while blur, which divides ``v`` many times over, moves ``q`` a lot.
A window's score is the mean ``q`` of its frames.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from blurscan.scorers import SCORERS
from blurscan.scorers.base import Scorer
from blurscan.video import FrameFormat


def laplacian_variance(grey: np.ndarray) -> float:
    """Variance of the 3x3 Laplacian: energy of the finest detail."""
    lap = cv2.Laplacian(grey, cv2.CV_32F, ksize=1)
    _, std = cv2.meanStdDev(lap)
    return float(std[0, 0]) ** 2


def tenengrad(grey: np.ndarray) -> float:
    """Mean squared Sobel gradient magnitude."""
    gx = cv2.Sobel(grey, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(grey, cv2.CV_32F, 0, 1, ksize=3)
    return float(cv2.mean(gx * gx + gy * gy)[0]) / 16.0


@dataclass(frozen=True)
class Measure:
    function: Callable[[np.ndarray], float]
    #: the raw value that maps to q = 0.5
    half_point: float
    description: str


MEASURES: dict[str, Measure] = {
    "laplacian": Measure(laplacian_variance, 25.0, "variance of the 3x3 Laplacian"),
    "tenengrad": Measure(tenengrad, 25.0, "mean squared Sobel gradient"),
}

DEFAULT_MEASURE = "laplacian"
DEFAULT_WORKING_WIDTH = 640


@SCORERS.register
class SharpnessScorer(Scorer):
    name = "sharpness"
    description = "classical sharpness measure on grey frames at a fixed working width (CPU, no weights)"

    def __init__(self, measure: str = DEFAULT_MEASURE, working_width: int = DEFAULT_WORKING_WIDTH):
        if measure not in MEASURES:
            raise ValueError(f"unknown sharpness measure {measure!r}; choose one of {', '.join(MEASURES)}")
        if not 32 <= working_width <= 4096:
            raise ValueError("working_width must be between 32 and 4096 pixels")
        self.measure = measure
        self.working_width = working_width
        self._measure = MEASURES[measure]

    @property
    def frame_format(self) -> FrameFormat:
        return FrameFormat("gray", self.working_width, fit="width", interpolation="area")

    def encode_frames(self, images: Sequence[np.ndarray]) -> list[float]:
        fn = self._measure.function
        return [fn(image) for image in images]

    def quality(self, value: float) -> float:
        """Map a raw measure to [0, 1]."""
        k = self._measure.half_point
        return value / (value + k) if value > 0 else 0.0

    def score_windows(self, windows: Sequence[Sequence[float]]) -> list[float]:
        return [sum(self.quality(v) for v in window) / len(window) for window in windows]

    def frame_signals(self, features: Sequence[float]) -> dict[str, Sequence[float]]:
        return {"sharpness": list(features)}

    def batch_size(self) -> int:
        return 32

    def settings(self) -> dict:
        return {"measure": self.measure, "working_width": self.working_width}
