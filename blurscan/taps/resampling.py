"""Whether a picture was enlarged from a smaller one: it fits a coarser pixel grid at one position only.

A picture enlarged ``k`` times holds ``1/k`` of its samples, the rest made by the interpolator: each of its
rows is a sum of the interpolator's kernel placed every ``k`` pixels, at one position (phase) of that grid.
Fitted by least squares to such sums at each phase in turn, a row is matched to the noise at the right
phase and loses the detail between the knots at the others. A picture never enlarged, or blurred by its
lens or by motion, is the same at every phase: a blur is shift-invariant. :func:`enlargement`'s fit is the
best phase's residual (its low frequencies, where a wrong phase's loss lies) over the median phase's, for
the best model and factor: 0.69-0.95 for every case of the public benchmarks never enlarged 2x or more
(defocus, controls, crushed clips, 1.5x), 0.10-0.58 for every enlargement by 2x to 4x there
(benchmarks/causes.py, benchmarks/accuracy.py); benchmarks/enlargers.py tries ten enlargers (OpenCV, Pillow,
FFmpeg's swscale, PyTorch centre- and corner-aligned) after noise and x264 at CRF 23.

This replaced a periodicity cue (the interpolator's swing in the second derivative, Popescu and Farid):
at 2x and 4x its frequency is the codec's own 4- and 8-pixel transform grid, where H.264's block edges
are the stronger swing, so 4x enlargements read as defocus.
"""

from __future__ import annotations

import math
from functools import lru_cache
from typing import NamedTuple

import cv2
import numpy as np

#: the enlargement factors tried (the best one counts): 540p, 432p, 360p and 270p shown at 1080p (and their
#: like at 720p and 2160p). Under 2x an enlargement is mild and not told; from 5x a picture is so smooth that a
#: strong defocus (a disk of radius 4) fits the coarse grid nearly as well at one phase. 2.25x (480p) and
#: 4.5x (240p) were told as well, at twice the cost of these four together (nine phases each)
FACTORS = (2.0, 2.5, 3.0, 4.0)
#: a factor ``k`` is tried only when the frame's detail share (:mod:`blurscan.taps.detail`) times ``k`` lies
#: within this range: a k-times enlargement holds 0.8-1.17 of ``1/k`` by a cubic (benchmarks/accuracy.py's
#: series), up to 1.55 by a bilinear one; a picture holding more than 0.8 of its resolution is not asked at
#: all (sharp footage costs nothing). Each factor costs its phases' fits: about 5 ms a soft 1080p frame in all on
#: one core of the 2-core VM
SHARE_RANGE = (0.7, 1.6)
#: the fit reads a square of this side (pixels), where the picture has most detail
SIDE = 256
#: this many of its rows (and columns) are fitted, evenly spaced (16 cost half as much and let disks of
#: radius 2-3.5 on rendered scenes fit at 0.64-0.69)
LINES = 32
#: residuals are summed away from the square's edges, where the fit lacks neighbours
MARGIN = 8
#: pictures (inside their bars) smaller than this a side are not asked: a 304x120 letterboxed shot of real
#: footage fits a 3x grid at 0.44-0.66 on every other frame (too few samples a line, too few edges)
MIN_SIDE = 160


def _keys(t: np.ndarray, a: float = -0.5) -> np.ndarray:
    """Keys' cubic (a = -0.5: the common bicubic; bilinear fits it as well)."""
    t = np.abs(t)
    near = (a + 2) * t**3 - (a + 3) * t**2 + 1
    far = a * t**3 - 5 * a * t**2 + 8 * a * t - 4 * a
    return np.where(t < 1, near, np.where(t < 2, far, 0.0))


def _lanczos(t: np.ndarray) -> np.ndarray:
    """Lanczos-3, sharper than a cubic: Lanczos enlargements fit a cubic at 0.6-0.75, this at under 0.6."""
    return np.where(np.abs(t) < 3, np.sinc(t) * np.sinc(t / 3), 0.0)


#: the model interpolators, with their support (knots a side); the model whose best phase stands out most
#: counts. Only the right phase must fit better than the others, so near models do
MODELS = ((_keys, 2), (_lanczos, 3))


def _phases(factor: float) -> list[float]:
    """Where a knot of an enlargement by ``factor`` falls (mod ``factor``) in a picture cut at any whole pixel:
    centre-aligned (the first knot at ``(factor - 1) / 2``) or, for whole factors, corner-aligned (at 0; at
    other factors a corner-aligned grid drifts off any one phase)."""
    found = set()
    for first in ((factor - 1) / 2, 0.0) if factor == int(factor) else ((factor - 1) / 2,):
        found |= {round((first + step) % factor, 6) % factor for step in range(math.ceil(4 * factor))}
    return sorted(found)


@lru_cache(maxsize=64)
def _bases(side: int, factor: float, model: int) -> tuple[np.ndarray, ...]:
    """For each of :func:`_phases`, an orthonormal basis (side x knots) of the rows that MODELS[model] can make
    enlarging ``factor`` times."""
    kernel, support = MODELS[model]
    bases = []
    pixels = np.arange(side)
    for phase in _phases(factor):
        knots = int(math.ceil((side - phase) / factor)) + 2 * support + 1
        position = (pixels - phase) / factor + support  # knot j sits at pixel phase + factor * (j - support)
        first = np.floor(position).astype(np.int64)
        kernels = np.zeros((side, knots))
        for offset in range(1 - support, support + 1):
            knot = first + offset
            kernels[pixels, knot] += kernel(position - knot)
        basis, _ = np.linalg.qr(kernels)
        bases.append(basis.astype(np.float32))
    return tuple(bases)


#: lines projected at a time: products this small stay on the calling thread (OpenBLAS splits larger ones
#: over threads that then spin, costing the decoder's cores more than the product itself)
CHUNK = 8


def _residual(lines: np.ndarray, basis: np.ndarray) -> np.ndarray:
    """What of each line (a column) the basis' span does not hold."""
    out = np.empty_like(lines)
    for i in range(0, lines.shape[1], CHUNK):
        part = lines[:, i : i + CHUNK]
        out[:, i : i + CHUNK] = part - basis @ (basis.T @ part)
    return out


def _band_energy(residual: np.ndarray, factor: float) -> float:
    """The residual's energy below about ``1/factor`` cycles a pixel (a box of ``factor`` pixels along each
    line), away from the edges: what a wrong phase loses lies there, under the small grid's limit, while the
    noise (sensor, codec) spreads to 1/2; so the phases' difference stands out of the noise about ``factor`` times more."""
    width = max(2, round(factor))
    smoothed = cv2.blur(residual, (1, width), borderType=cv2.BORDER_REFLECT)
    return float(np.mean(smoothed[MARGIN:-MARGIN] ** 2))


def _detailed_square(picture: np.ndarray, side: int) -> np.ndarray:
    """The ``side``-sided square, of nine spread over the picture, with the most gradient energy (a flat
    sky fits every grid)."""
    h, w = picture.shape
    best, corner = -1.0, (0, 0)
    for top in np.linspace(0, h - side, 3).astype(np.int64):
        for left in np.linspace(0, w - side, 3).astype(np.int64):
            part = picture[top : top + side : 8, left : left + side]
            energy = float(np.abs(np.diff(part.astype(np.int16), axis=1)).mean())
            if energy > best:
                best, corner = energy, (int(top), int(left))
    return picture[corner[0] : corner[0] + side, corner[1] : corner[1] + side]


class Enlargement(NamedTuple):
    """How well a coarser grid fits a picture (``fit``: the best phase's residual over the median phase's;
    under 0.65, ``blurscan.detect.cause.ENLARGED``, it was enlarged) and by which ``factor``; both NaN when the
    picture was not asked."""

    fit: float
    factor: float


NOT_ASKED = Enlargement(math.nan, math.nan)


def enlargement(picture: np.ndarray, share: float | None = None) -> Enlargement:
    """How much better a coarser grid fits the grey ``picture`` (inside its bars) at one phase than at the
    median phase, for the best factor (those its detail ``share`` allows, see SHARE_RANGE; None: all); NOT_ASKED
    when it is too small or too sharp to ask."""
    side = min(SIDE, *picture.shape) if picture.size else 0
    factors = FACTORS if share is None else [k for k in FACTORS if SHARE_RANGE[0] <= share * k <= SHARE_RANGE[1]]
    if side < MIN_SIDE or not factors:
        return NOT_ASKED
    square = _detailed_square(picture, side).astype(np.float32)
    step = max(1, side // LINES)
    lines = (square[::step].T, square[:, ::step])  # as columns: rows (along x), then columns (along y)
    best = NOT_ASKED
    for factor in factors:
        ratios = np.zeros((len(MODELS), len(lines)))
        for model in range(len(MODELS)):
            for axis, plane in enumerate(lines):
                residuals = [_band_energy(_residual(plane, basis), factor) for basis in _bases(side, factor, model)]
                middle = float(np.median(residuals))
                if not middle > 0:
                    return NOT_ASKED
                ratios[model, axis] = min(residuals) / middle
        fit = float(ratios.mean(axis=1).min())  # the model that fits best
        if not fit >= best.fit:  # NaN at first
            best = Enlargement(fit, factor)
    return best
