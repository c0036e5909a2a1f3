"""Detail stage: how much of its own resolution a picture really carries, read at native size.

Blur events are found at the scorer's working width, relative to a shot's own
level; what that cannot tell is footage soft from start to end: defocused,
upscaled, smeared. This stage looks at a sample of frames at their native
resolution, at the tiles with the most gradient energy (the in-focus part of
a shallow-focus shot, the lines of a cartoon). The gradient's spectrum of a
sharp picture is about flat up to the sampling limit; blur and upscaling cut
it off below. The cut-off, where the spectrum falls 12 dB under its own
low-frequency level, moves by about ``k`` when a picture is enlarged ``k``
times, whatever the picture shows. The spectrum's shape tells two kinds of
soft apart: a sharp picture behind a low-pass filter (enlarged, defocused)
stays flat up to the filter and falls off a cliff there (``filtered``), footage
soft by nature (optics, motion, shallow focus) rolls off from low frequencies
on. ``detail`` is the cut-off as a share of the sampling limit, calibrated for
either shape (1.0: the picture uses its whole resolution), and ``detail x
size`` is the resolution it holds ("this 1280x720 video holds the detail of
about 330x185").
"""

from __future__ import annotations

import math
from array import array
from dataclasses import replace
from typing import NamedTuple

import cv2
import numpy as np

from blurscan.source.decode import FrameFormat, VideoInfo
from blurscan.taps.base import Tap
from blurscan.taps.resampling import enlargement

#: native-size grey (the decoder's own luma plane where it can be read as is)
LUMA_FORMAT = FrameFormat("luma", None)
#: frames measured per second of video (each costs about 3 ms on 1080p, with its copy of the luma plane)
SAMPLES_PER_S = 2.0
#: tile side in pixels (smaller frames use smaller tiles, down to MIN_TILE)
TILE = 128
MIN_TILE = 32
#: tiles measured per frame: those with the most gradient energy
TILES = 4
#: a sharp picture seen through a low-pass filter (enlarged, defocused) keeps a flat gradient spectrum up
#: to the filter's cut-off and falls off a cliff after it: the level half-way to the cut-off reads about 0 dB
#: (an enlargement's interpolator, a disk kernel) or -3 dB (a Gaussian). Footage soft by nature (optics,
#: motion, shallow focus, photographs) rolls off from low frequencies on: -5 dB and lower there. The weight
#: given to "filtered" goes from 0 to 1 between these levels (dB)
FILTERED_DB = (-4.0, 0.0)
#: on a filtered picture the cut-off is read inside the filter's transition band, about 1/0.75 past the
#: frequency the picture was shrunk to: so its share is scaled by this (with the weight). Enlargements by
#: 1.5x to 4x of rendered scenes, photographs and clips then read 1/k of the original within 20 %
#: (benchmarks/accuracy.py)
FILTERED_FACTOR = 0.75
#: footage soft by nature falls a little faster when enlarged (its own roll-off is squeezed into the
#: band): its cut-off share is raised to this power
CALIBRATION_POWER = 1.1
#: the spectrum's low-frequency level is its median over these rings (in cycles per tile)
PLATEAU_RINGS = (2, 7)
#: the cut-off: where the gradient's spectrum falls this far under its low-frequency level
CUTOFF_DB = 12.0
#: whether a shot is soft throughout is judged on this quantile of its measured frames ("even its
#: better frames are soft"), so a blurry stretch the events did not wholly cover does not decide it;
#: the effective resolution reported is the median (closer to 1/k on enlargements)
BEST_QUANTILE = 0.75
#: of the frames measured, every this many (the first, then ...) are also fitted for an enlargement's grid
#: (:mod:`blurscan.taps.resampling`, about 5 ms on a soft 1080p frame): once a second
FIT_EVERY = 2
#: rows or columns at the edges whose spread is below this (grey levels) are bars, not picture
BAR_SPREAD = 3.0
#: tiles whose mean absolute gradient is below this (grey levels a pixel) have nothing to measure
MIN_GRADIENT = 1.0


def detail_format(fps: float) -> FrameFormat:
    """The native luma of one frame in every ``fps / SAMPLES_PER_S``."""
    return replace(LUMA_FORMAT, every=max(1, round((fps or 25.0) / SAMPLES_PER_S)))


def _content_box(luma: np.ndarray) -> tuple[slice, slice]:
    """The picture inside black (or flat) bars, whose straight edge would read as detail."""
    step = 8
    coarse = luma[::step, ::step].astype(np.float32)
    rows = np.flatnonzero(coarse.std(axis=1) > BAR_SPREAD)
    cols = np.flatnonzero(coarse.std(axis=0) > BAR_SPREAD)
    if not len(rows) or not len(cols):
        return slice(0, 0), slice(0, 0)
    return slice(rows[0] * step + step, rows[-1] * step), slice(cols[0] * step + step, cols[-1] * step)


_TOOLS: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}


def _tools(tile: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a ``tile``-sided DFT: each coefficient's ring, the coefficients per ring, the window."""
    if tile not in _TOOLS:
        frequency = np.fft.fftfreq(tile)
        radius = np.rint(np.hypot(frequency[None, :], frequency[:, None]) * tile).astype(np.int64)
        counts = np.bincount(radius.ravel(), minlength=tile)[: tile // 2 + 1]
        window = np.outer(np.hanning(tile), np.hanning(tile)).astype(np.float32)
        _TOOLS[tile] = (radius.ravel(), counts, window)
    return _TOOLS[tile]


def _strongest_tiles(picture: np.ndarray, tile: int) -> list[np.ndarray]:
    rows, cols = picture.shape[0] // tile, picture.shape[1] // tile
    picture = picture[: rows * tile, : cols * tile]
    # gradient energy of each tile, on every eighth row (enough to rank them)
    grad = np.abs(np.diff(picture[::8].astype(np.int16), axis=1)).astype(np.float32)
    grad = np.pad(grad, ((0, 0), (0, 1)))
    energy = grad.reshape(rows, tile // 8, cols, tile).mean(axis=(1, 3))
    order = [int(i) for i in np.argsort(energy, axis=None)[::-1][:TILES] if energy.flat[i] >= MIN_GRADIENT]
    return [picture[(i // cols) * tile : (i // cols + 1) * tile, (i % cols) * tile : (i % cols + 1) * tile] for i in order]


def gradient_spectra(luma: np.ndarray) -> list[np.ndarray]:
    """Ring-averaged spectrum of the gradient (power x f^2), rings 0..tile/2, of each of the strongest
    tiles (none when the picture has nothing to measure)."""
    rows, cols = _content_box(luma)
    picture = luma[rows, cols]
    side = min(picture.shape) if picture.size else 0
    tile = TILE
    while tile > side and tile > MIN_TILE:
        tile //= 2
    if side < tile:
        return []
    tiles = _strongest_tiles(picture, tile)
    radius, counts, window = _tools(tile)
    frequency2 = (np.arange(tile // 2 + 1) / tile) ** 2
    spectra = []
    for block in tiles:
        block = block.astype(np.float32)
        coefficients = cv2.dft((block - block.mean()) * window, flags=cv2.DFT_COMPLEX_OUTPUT)  # 5x numpy's rfft2
        power = cv2.magnitude(coefficients[..., 0], coefficients[..., 1]) ** 2
        rings = np.bincount(radius, power.ravel(), minlength=tile)[: tile // 2 + 1]
        spectra.append(rings / np.maximum(counts, 1) * frequency2)
    return spectra


class Detail(NamedTuple):
    """What one picture holds: ``share`` of its linear resolution (0..1) and how ``filtered`` it looks
    (0: rolls off like footage soft by nature, 1: a sharp picture behind a low-pass filter)."""

    share: float
    filtered: float


def tile_detail(spectrum: np.ndarray) -> Detail | None:
    """A tile's :class:`Detail` from its gradient's spectrum: where it falls CUTOFF_DB under its
    low-frequency level (a share of the sampling limit, interpolated between rings; 1.0 when it never
    does, uncorrected), and how filtered the spectrum's level half-way there makes it look."""
    half = len(spectrum) - 1
    lo, hi = (max(1, round(r * half / 64)) for r in PLATEAU_RINGS)
    plateau = float(np.median(spectrum[lo:hi]))
    if not plateau > 0:
        return None
    level = 10 * np.log10(np.maximum(np.convolve(spectrum, np.ones(3) / 3, mode="same"), 1e-30) / plateau)
    below = np.flatnonzero(level[hi:half] < -CUTOFF_DB)
    if not len(below):
        return Detail(1.0, 0.0)
    ring = hi + int(below[0])
    a, b = level[ring - 1], level[ring]
    step = (-CUTOFF_DB - a) / (b - a) if b < a else 0.0
    cutoff = min(float(half), ring - 1 + step)
    halfway = float(np.interp(cutoff / 2, np.arange(half + 1), level))
    lo_db, hi_db = FILTERED_DB
    return Detail(cutoff / half, float(np.clip((halfway - lo_db) / (hi_db - lo_db), 0.0, 1.0)))


def measure_detail(luma: np.ndarray) -> Detail | None:
    """What a grey picture holds (:class:`Detail`); None: nothing to measure.

    Of the tiles measured, the sharpest counts: a shallow-focus shot is as sharp as its subject. A
    filtered picture's cut-off is moved back from the filter's transition band to where it begins."""
    tiles = [d for d in (tile_detail(spectrum) for spectrum in gradient_spectra(luma)) if d is not None]
    if not tiles:
        return None
    sharpest = max(tiles, key=lambda d: d.share)
    filtered = sharpest.filtered
    power = CALIBRATION_POWER - (CALIBRATION_POWER - 1.0) * filtered
    return Detail(sharpest.share**power * (1.0 - filtered * (1.0 - FILTERED_FACTOR)), filtered)


def measured_frames(values: np.ndarray, outside=()) -> np.ndarray:
    """Which frames of a sampled measure count: the measured ones (not NaN), leaving out the frames ``outside``
    names where others were measured."""
    measured = ~np.isnan(values)
    keep = measured.copy()
    keep[np.asarray(outside, dtype=np.int64)] = False
    return keep if keep.any() else measured


def measured_shares(detail: np.ndarray | None, outside=()) -> np.ndarray:
    """The measured values of ``detail`` (:func:`measured_frames`)."""
    if detail is None or not len(detail):
        return np.zeros(0)
    return detail[measured_frames(detail, outside)]


def effective_size(detail: np.ndarray | None, size: tuple[int, int], outside=(), quantile: float = 0.5) -> dict:
    """``detail`` (the median, or ``quantile``, of the measured frames, leaving out the frames ``outside``
    names where others were measured) and the ``effective_width`` and ``effective_height`` it stands for."""
    return size_held(measured_shares(detail, outside), size, quantile)


def size_held(shares: np.ndarray, size: tuple[int, int], quantile: float = 0.5) -> dict:
    """:func:`effective_size` of shares already picked by :func:`measured_shares`."""
    if not len(shares):
        return {"detail": None, "effective_width": None, "effective_height": None}
    share = float(np.quantile(shares, quantile))
    return {"detail": round(share, 3), "effective_width": max(1, round(share * size[0])),
            "effective_height": max(1, round(share * size[1]))}


class DetailTap(Tap):
    """What each sampled frame holds at native size (:func:`measure_detail`): a share and a ``filtered``
    weight per frame, and how well it fits a coarser grid and which
    (:func:`~blurscan.taps.resampling.enlargement`), NaN on the frames not sampled."""

    def __init__(self):
        self.detail = array("d")
        self.filtered = array("d")
        self.resampled = array("d")
        self.factor = array("d")
        self.measured = 0

    def formats(self, info: VideoInfo, scorer_format: FrameFormat) -> list[FrameFormat]:
        return [detail_format(info.fps)]

    def take(self, index: int, time_s: float, images) -> None:
        luma = images[0]  # native size, on a few frames a second
        held = None if luma is None else measure_detail(luma)
        self.detail.append(math.nan if held is None else held.share)
        self.filtered.append(math.nan if held is None else held.filtered)
        fit, factor = math.nan, math.nan  # NaN: not measured
        if held is not None:
            self.measured += 1
            if (self.measured - 1) % FIT_EVERY == 0:
                fit, factor = enlargement(luma[_content_box(luma)], held.share)
                fit = 1.0 if math.isnan(fit) else fit  # too sharp or too small to ask: no grid fits
        self.resampled.append(fit)
        self.factor.append(factor)

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        return np.frombuffer(self.detail, dtype=np.float64), np.frombuffer(self.filtered, dtype=np.float64)

    def enlargements(self) -> tuple[np.ndarray, np.ndarray]:
        """The grid's fit and its factor on each frame."""
        return np.frombuffer(self.resampled, dtype=np.float64), np.frombuffer(self.factor, dtype=np.float64)
