"""The default scorer: a classical no-reference sharpness measure, no weights, CPU only.

Each frame is converted by the decoder straight to grey at a fixed working
width (640 px by default, never upscaled), so a 480p and a 4K copy of the same
scene are measured on the same grid.

The default measure, ``edge``, asks how sharp the picture's strongest edges
are rather than how much detail it holds: along each of four directions it
takes the pixels with the strongest first derivative and divides the summed
second derivative there by the summed first derivative. For an edge blurred
over ``s`` pixels that ratio falls like ``1 / s`` whatever the edge's
contrast, so it hardly moves when the scene changes (a pan, a cut, a face
filling the frame) but falls as soon as the picture is blurred. The smallest
of the four directions is kept, so motion blur along any angle counts fully.
Black bars are cropped first (their edges are always sharp). That makes the
value mean the same on every video: the scorer has an absolute scale. The
older ``laplacian`` (variance of the Laplacian) and ``tenengrad`` measures
count detail instead; they swing with content and have no absolute scale.

A frame's measure ``v`` is mapped to [0, 1] by ``q = v^p / (v^p + k^p)``:
``q`` is 0.5 at ``v = k`` (for ``edge``: where blurred footage begins) and
saturates smoothly at both ends. A window's score is the mean ``q`` of its
frames; each frame's own ``q`` is passed on as the ``quality`` signal, so a
detector can place segment boundaries to the frame.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Literal, NamedTuple

import cv2
import numpy as np

from blurscan.errors import UsageError
from blurscan.registry import Range
from blurscan.scorers import SCORERS
from blurscan.scorers.base import DIRECTION_SIGNALS, Scorer
from blurscan.source.convert import FrameFormat


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


#: grey level below which an edge row or column counts as a black bar
BAR_LEVEL = 24
#: pixels cropped inside a bar as well, where the bar's own edge is blurred by compression
BAR_MARGIN = 3


def crop_bars(grey: np.ndarray) -> np.ndarray:
    """The picture inside black bars (letterbox, pillarbox); unchanged when there are none."""
    rows, cols = grey.max(axis=1), grey.max(axis=0)

    def dark_run(values: np.ndarray) -> int:
        bright = np.flatnonzero(values >= BAR_LEVEL)
        return int(bright[0]) if len(bright) else len(values)

    def bars(first: int, last: int, size: int) -> tuple[int, int]:
        # bars come in matching pairs; a dark area on one side only is part of the picture
        if min(first, last) < 2 or abs(first - last) > 0.25 * max(first, last) + 4 or first + last > 0.8 * size:
            return 0, 0
        return first + BAR_MARGIN, last + BAR_MARGIN

    h, w = grey.shape
    top, bottom = bars(dark_run(rows), dark_run(rows[::-1]), h)
    left, right = bars(dark_run(cols), dark_run(cols[::-1]), w)
    return grey[top : h - bottom, left : w - right]


#: the share of pixels, per direction, that count as "the strongest edges"
EDGE_SHARE = 0.10
#: a light pre-blur (pixels) so sensor noise and compression ringing do not pass for sharp edges
PRESMOOTH_SIGMA = 0.7
#: grey levels per pixel below which a slope is noise, not an edge
MIN_EDGE_SLOPE = 0.5
_HALF_DIAGONAL = 1 / (2 * math.sqrt(2))


def _directions(image: np.ndarray):
    """For 0, 90, 45 and 135 degrees: the pixels before, at and after each sample point along that
    direction, and the steps that turn differences into first and second derivatives per pixel.

    Sample points are every other pixel of every other row: a quarter of the work of every
    pixel, the same statistics. The picture is split once into its four even/odd row and column
    planes, so each neighbour is a slice with contiguous rows (what NumPy and OpenCV run fastest
    over) rather than a view stepping over every other pixel; the values are the same.
    """
    h, w = image.shape
    rows, cols = (h - 1) // 2, (w - 1) // 2  # sample points 1, 3, 5 ... short of the last row and column
    planes = [[np.ascontiguousarray(image[r::2, c::2]) for c in (0, 1)] for r in (0, 1)]
    even, even_odd, odd_even = planes[0][0], planes[0][1], planes[1][0]
    here, below = slice(0, rows), slice(1, rows + 1)
    this, next_ = slice(0, cols), slice(1, cols + 1)
    centre = planes[1][1][here, this]
    return (
        (odd_even[here, this], centre, odd_even[here, next_], 0.5, 1.0),
        (even_odd[here, this], centre, even_odd[below, this], 0.5, 1.0),
        (even[below, this], centre, even[here, next_], _HALF_DIAGONAL, 0.5),
        (even[here, this], centre, even[below, next_], _HALF_DIAGONAL, 0.5),
    )


def edge_directions(grey: np.ndarray) -> tuple[float, float, float, float] | None:
    """Sharpness of the strongest edges along 0, 45, 90 and 135 degrees (counter-clockwise, as displayed), in
    1/pixel (about 0.55 / the edge's blur sigma along that direction); NaN where a direction has no edge
    across it, None for a picture too small to measure.

    Motion blur widens edges along its own direction only, a defocus along all four: their ratios tell
    the two apart (:mod:`blurscan.detect.cause`).
    """
    picture = crop_bars(grey)
    if picture.shape[0] < 8 or picture.shape[1] < 8:
        return None
    smooth = cv2.GaussianBlur(picture.astype(np.float32), (5, 5), PRESMOOTH_SIGMA)
    values = []
    for before, at, after, first_step, second_step in _directions(smooth):
        slope = cv2.absdiff(after, before)
        slope *= first_step
        sample = slope[::2, ::2].ravel()
        k = int((1 - EDGE_SHARE) * (len(sample) - 1))
        threshold = max(float(np.partition(sample, k)[k]), MIN_EDGE_SLOPE)
        edges = cv2.threshold(slope, threshold, 1.0, cv2.THRESH_BINARY)[1]  # 0/1, for fast dot products
        total = float(np.vdot(slope, edges))
        if total <= 0:
            values.append(math.nan)  # no edge across this direction at all (synthetic pictures): it says nothing
            continue
        curve = cv2.absdiff(cv2.subtract(cv2.add(before, after), at), at)  # |before + after - 2 at|, in that order
        values.append(second_step * float(np.vdot(curve, edges)) / total)
    horizontal, vertical, rising, falling = values  # the order of _directions
    return horizontal, rising, vertical, falling


def edge_sharpness(grey: np.ndarray) -> float:
    """Sharpness of the strongest edges in 1/pixel (about 0.55 / the edge's blur sigma); 0 for a featureless frame."""
    return _sharpest(edge_directions(grey))


def _sharpest(directions) -> float:
    """The most blurred direction's value (0 when none could be measured)."""
    if directions is None:
        return 0.0
    finite = [v for v in directions if math.isfinite(v)]
    return min(finite) if finite else 0.0


class EdgeFeature(NamedTuple):
    """A frame's ``edge`` value (its most blurred direction) and the four directions it comes from."""

    value: float
    directions: tuple[float, float, float, float] | None


def edge_feature(grey: np.ndarray) -> EdgeFeature:
    directions = edge_directions(grey)
    return EdgeFeature(_sharpest(directions), directions)


@dataclass(frozen=True)
class Measure:
    function: Callable[[np.ndarray], float]
    #: the raw value that maps to q = 0.5
    half_point: float
    description: str
    #: steepness of the mapping to [0, 1] (``q = v^p / (v^p + k^p)``)
    power: float = 1.0
    #: whether the value means the same on every video (see ``Scorer.absolute_scale``)
    absolute: bool = False


MEASURES: dict[str, Measure] = {
    "edge": Measure(edge_feature, math.exp(-1.5), "sharpness of the strongest edges along the most blurred direction",
                    power=3.0, absolute=True),
    "laplacian": Measure(laplacian_variance, 25.0, "variance of the 3x3 Laplacian"),
    "tenengrad": Measure(tenengrad, 25.0, "mean squared Sobel gradient"),
}

MEASURE_NAMES = tuple(MEASURES)
DEFAULT_MEASURE = "edge"
DEFAULT_WORKING_WIDTH = 640
WORKING_WIDTH_RANGE = (32, 4096)


@SCORERS.register
class SharpnessScorer(Scorer):
    name = "sharpness"
    description = "classical sharpness measure on grey frames at a fixed working width (CPU, no weights)"
    #: true for the default ``edge`` measure; each instance sets it from its measure
    absolute_scale = True

    def __init__(
        self,
        measure: Annotated[Literal[MEASURE_NAMES],
                           "edge (absolute scale), or the detail measures laplacian and tenengrad"] = DEFAULT_MEASURE,
        working_width: Annotated[int, Range(*WORKING_WIDTH_RANGE),
                                 "width frames are measured at (never upscaled); 1280 catches slight blur on HD video "
                                 "at 1.6x the CPU time"] = DEFAULT_WORKING_WIDTH,
    ):
        if measure not in MEASURES:
            raise UsageError(f"unknown sharpness measure {measure!r}; choose one of {', '.join(MEASURES)}")
        if isinstance(working_width, bool) or not isinstance(working_width, int) or not (
                WORKING_WIDTH_RANGE[0] <= working_width <= WORKING_WIDTH_RANGE[1]):
            raise UsageError("working_width must be between %d and %d pixels" % WORKING_WIDTH_RANGE)
        self.measure = measure
        self.working_width = working_width
        self._measure = MEASURES[measure]
        self.absolute_scale = self._measure.absolute

    @property
    def frame_format(self) -> FrameFormat:
        return FrameFormat("gray", self.working_width, fit="width", interpolation="area")

    def native_scale(self, width: int, height: int) -> float | None:
        if self.measure != "edge" or width <= 0:
            return None
        return max(1.0, width / self.frame_format.output_size(width, height)[0])

    def encode_frames(self, images: Sequence[np.ndarray]) -> list:
        fn = self._measure.function
        return [fn(image) for image in images]

    def quality(self, value) -> float:
        """Map a raw measure (or an :class:`EdgeFeature`) to [0, 1]."""
        value = _value(value)
        if not value > 0:
            return 0.0
        ratio = (self._measure.half_point / value) ** self._measure.power
        return 1.0 / (1.0 + ratio)

    def score_windows(self, windows: Sequence[Sequence[float]]) -> list[float]:
        return [sum(self.quality(v) for v in window) / len(window) for window in windows]

    def frame_signals(self, features: Sequence) -> dict[str, Sequence[float]]:
        signals = {"sharpness": [_value(v) for v in features], "quality": [self.quality(v) for v in features]}
        if self.measure == "edge":  # the four directions, for the cause of a blur (blurscan.detect.cause)
            for i, name in enumerate(DIRECTION_SIGNALS):
                signals[name] = [math.nan if v.directions is None else v.directions[i] for v in features]
        return signals

    def batch_size(self) -> int:
        # A CPU measure gains nothing from big batches; small ones keep the per-frame work in short
        # steps (8 frames, about 10 ms), well within what the decoder has queued, so it never waits.
        return 8



def _value(feature) -> float:
    return feature.value if isinstance(feature, EdgeFeature) else feature
