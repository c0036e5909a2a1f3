"""Shots soft throughout, and blur read at the video's own resolution.

A shot whose own level (the median quality of its frames outside blur events)
lies below the absolute floor is soft as a whole: one verdict for the shot,
never a part of it flagged because its frames hover around the floor.

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

import numpy as np

#: quality logit of a pixel-sharp picture at the working width (rendered scenes and shrunk
#: photographs read 3.1 to 3.3 with the edge measure at 640 px)
PIXEL_SHARP_LOGIT = 3.2
#: quality logit per unit of log edge width, for series that carry a native scale
LOGIT_PER_LOG_WIDTH = 3.0


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
