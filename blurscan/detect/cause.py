"""Why a stretch is blurry: motion (with its direction and length), defocus (with its diameter), compression
smear or an enlargement, decided when a segment or a soft shot is concluded.

Every estimate is read from bounded per-frame numbers the pass already keeps:

- **motion vs defocus** from the ``edge`` measure's four directions (0, 45, 90, 135 degrees): a blur
  kernel widens edges by its spread along each direction, so the squared edge width along ``phi`` grows
  by ``s(phi)^2``. A line of length ``L`` at angle ``theta`` gives ``s^2 = L^2 cos^2(phi - theta) / 12``:
  ``A + B cos 2phi + C sin 2phi`` with ``|(B, C)| = A`` (fully directional); a disk of diameter ``d`` or a
  Gaussian gives ``d^2 / 16`` along every direction (``B = C = 0``). Fitting the four growths against the
  shot's own sharp frames gives the anisotropy ``|(B, C)| / A`` (motion from 0.4 on), the angle
  ``atan2(C, B) / 2`` and the extent. Camera shake (a curved path) is directional frame by frame though
  its direction changes, so the anisotropy is read per frame and its median counts.
- **compression** from the decoder's own quantisers (:mod:`blurscan.source.quantiser`), see
  :mod:`blurscan.detect.compression`.
- **upscale vs defocus** for a shot soft throughout: an enlarged picture fits a coarser pixel grid at one
  phase far better than at the others (:mod:`blurscan.taps.resampling`, ``resampled``); a defocused one
  fits every phase alike.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from blurscan.scorers.base import DIRECTION_SIGNALS
from blurscan.taps.detail import measured_frames

#: the causes a finding can carry ("unknown": the numbers do not say, rather than a guess)
CAUSES = ("motion", "defocus", "compression", "upscale", "unknown")
#: the ``edge`` measure is about EDGE_WIDTH / (an edge's blur sigma): a direction's value as a width
EDGE_WIDTH = 0.55
#: anisotropy from which a blur is motion (a line reads about 1, shake 0.5-1, a disk or a Gaussian under 0.15)
MOTION_ANISOTROPY = 0.4
#: within this of MOTION_ANISOTROPY the anisotropy does not decide: "unknown"
UNDECIDED = 0.05
#: the blur must widen squared edges by at least this (working pixels^2) to be read at all
MIN_GROWTH = 0.15
#: the frames of a segment the estimate reads: its worst (lowest quality)
WORST_FRAMES = 5
#: the sharp frames of its shot it compares them with: within this many seconds of the segment
REFERENCE_S = 2.0
#: calibration of the extents on synthetic pictures with known kernels (tests/test_cause.py): the
#: measure's width reads a line's spread a little short and a disk's a little long
MOTION_EXTENT_FACTOR = 1.12
DEFOCUS_EXTENT_FACTOR = 0.92
#: squared edge widths of a pixel-sharp picture at the working width along 0, 45, 90 and 135 degrees (rendered
#: scenes at 640 px; the diagonals read wider): the reference of a shot soft throughout
PIXEL_SHARP_WIDTH2 = (0.46, 0.62, 0.46, 0.62)


@dataclass(frozen=True)
class Cause:
    """What made a stretch blurry, how sure that is (0-1), and for motion its angle (degrees counter-clockwise
    from the horizontal of the displayed picture, 0-180) and for motion and defocus its extent in the
    video's own pixels (the streak's length, the defocus blur's diameter)."""

    name: str = "unknown"
    confidence: float = 0.0
    angle_deg: float | None = None
    blur_px: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"cause": self.name, "cause_confidence": round(float(self.confidence), 3),
                "motion_angle_deg": None if self.angle_deg is None else round(float(self.angle_deg), 1),
                "blur_px": None if self.blur_px is None else round(float(self.blur_px), 2)}


UNKNOWN = Cause()


def cause_fields(cause: Cause | None) -> dict[str, Any]:
    """A finding's cause columns (all None when it has none: a sharp shot, or a result written before causes)."""
    if cause is None:
        return {"cause": None, "cause_confidence": None, "motion_angle_deg": None, "blur_px": None}
    return cause.to_dict()


def direction_widths(signals: dict[str, np.ndarray], n: int) -> np.ndarray | None:
    """Squared edge widths (working pixels^2), frames x 4 directions; None when the scorer has no directions."""
    columns = [signals.get(name) for name in DIRECTION_SIGNALS]
    if any(c is None or len(c) != n for c in columns):
        return None
    values = np.stack([np.asarray(c, dtype=np.float64) for c in columns], axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        widths = np.where(values > 0, EDGE_WIDTH / values, np.nan)
    return widths**2


def fit_growth(growth: np.ndarray) -> tuple[float, float, float]:
    """``(A, B, C)`` of ``A + B cos 2phi + C sin 2phi`` through the growths at 0, 45, 90 and 135 degrees."""
    g0, g45, g90, g135 = (float(v) for v in growth)
    return (g0 + g45 + g90 + g135) / 4, (g0 - g90) / 2, (g45 - g135) / 2


def kernel_from_growth(growth: np.ndarray, scale: float = 1.0) -> Cause | None:
    """Motion or defocus from one set of growths in squared edge width (4 directions, working pixels^2),
    with the extent in native pixels (``scale`` native pixels a working pixel); None when too small to read."""
    a, b, c = fit_growth(growth)
    if not a > MIN_GROWTH:
        return None
    return _decide(math.hypot(b, c) / a, b, c, a, a + math.hypot(b, c), scale)


def _decide(anisotropy: float, b: float, c: float, mean: float, peak: float, scale: float) -> Cause:
    """The cause from the anisotropy, the direction (``b``, ``c``), the mean growth and the growth along the
    streak (working pixels^2)."""
    margin = anisotropy - MOTION_ANISOTROPY
    confidence = min(1.0, 0.5 + abs(margin))
    if abs(margin) < UNDECIDED:
        return Cause("unknown", round(confidence, 3))
    if margin > 0:
        angle = (math.degrees(math.atan2(c, b)) / 2) % 180.0
        length = math.sqrt(12.0 * peak) * scale * MOTION_EXTENT_FACTOR
        return Cause("motion", confidence, round(angle, 1) % 180.0, length)
    diameter = 4.0 * math.sqrt(mean) * scale * DEFOCUS_EXTENT_FACTOR
    return Cause("defocus", confidence, None, diameter)


def blur_kernel(widths2: np.ndarray, quality: np.ndarray, frames: np.ndarray, reference: np.ndarray | None,
                scale: float, worst: int = WORST_FRAMES) -> Cause | None:
    """Motion or defocus of the blurred ``frames`` (indices) against the squared widths of ``reference``
    frames (None: a pixel-sharp picture), from the ``worst`` of them; None when nothing can be read."""
    frames = np.asarray(frames, dtype=np.int64)
    usable = frames[np.isfinite(widths2[frames]).all(axis=1) & (quality[frames] > 0)]
    if not len(usable):
        return None
    worst = usable[np.argsort(quality[usable], kind="stable")[:worst]]
    base = None
    if reference is not None and len(reference):
        ref = widths2[reference]
        ref = ref[np.isfinite(ref).all(axis=1)]
        if len(ref):
            base = np.median(ref, axis=0)
    if base is None:
        base = np.asarray(PIXEL_SHARP_WIDTH2)
    growth = widths2[worst] - base
    fits = np.array([fit_growth(g) for g in growth])
    a, b, c = fits.mean(axis=0)
    if not a > MIN_GROWTH:
        return None
    # read per frame (camera shake turns from frame to frame); the angle from their mean
    read = fits[fits[:, 0] > MIN_GROWTH]
    spread = np.hypot(read[:, 1], read[:, 2])
    anisotropy = float(np.median(spread / read[:, 0]))
    return _decide(anisotropy, float(b), float(c), float(a), float(np.mean(read[:, 0] + spread)), scale)


def event_cause(series, widths2: np.ndarray | None, quality: np.ndarray, start: int, end: int, shot: tuple[int, int],
                in_event: np.ndarray) -> Cause:
    """The cause of a blur event (frames ``start..end``) in its ``shot`` (``(start, stop)``): motion or defocus,
    read against the shot's frames outside events within REFERENCE_S of it."""
    if widths2 is None:
        return UNKNOWN
    reach = max(1, round((series.fps or 25.0) * REFERENCE_S))
    lo, hi = max(shot[0], start - reach), min(shot[1], end + 1 + reach)
    near = np.arange(lo, hi)
    reference = near[~in_event[lo:hi] & (quality[lo:hi] > 0)]
    kernel = blur_kernel(widths2, quality, np.arange(start, end + 1), reference if len(reference) else None,
                         series.native_scale or 1.0)
    return kernel or UNKNOWN


#: a shot soft throughout is read on up to this many of its frames, spread over it
SHOT_FRAMES = 24
#: median fit of a coarser grid (best phase over median phase) under which a soft shot reads as upscaled:
#: footage never enlarged, defocused or compressed reads 0.69-0.95, enlargements by 2x to 4x 0.10-0.58 (every
#: case of benchmarks/accuracy.py and causes.py); blurs of rendered scenes by disks and Gaussians 0.70 and more,
#: ten enlargers by 3x and 4x after noise and CRF 23 mostly under it (benchmarks/enlargers.py)
ENLARGED = 0.65
#: the most a defocus throughout can be trusted (see soft_cause)
DEFOCUS_THROUGHOUT_CONFIDENCE = 0.6


def shot_enlargement(fits: np.ndarray | None, factors: np.ndarray | None, outside=()) -> tuple[float, float] | None:
    """``(fit, factor)`` when a shot was enlarged: the median of its ``fits`` (its part of the series'
    ``resampled``; the frames :func:`~blurscan.taps.detail.measured_frames` keeps, leaving out ``outside``; a
    frame too sharp to ask reads 1: no fit) is under ENLARGED; the factor is the median ``factors`` of the frames
    that fit. None otherwise."""
    if fits is None or factors is None:
        return None
    keep = measured_frames(fits, outside)
    if not keep.any():
        return None
    fit = fits[keep]
    median = float(np.median(fit))
    if not median < ENLARGED:
        return None
    return median, float(np.median(factors[keep][fit < ENLARGED]))


def soft_cause(series, widths2: np.ndarray | None, quality: np.ndarray, start: int, stop: int, in_events: np.ndarray,
               quantiser: float | None, crushed: float, enlarged: tuple[float, float] | None = None) -> Cause:
    """Why a shot is soft throughout: crushed by its encoder, ``enlarged`` (:func:`shot_enlargement`), or a blur
    kernel read against a pixel-sharp picture (motion, or defocus)."""
    if quantiser is not None and quantiser >= crushed:
        return Cause("compression", min(1.0, 0.6 + (quantiser - crushed) / 10.0))
    frames = np.setdiff1d(np.arange(start, stop), start + np.asarray(in_events, dtype=np.int64))
    if not len(frames):
        frames = np.arange(start, stop)
    frames = frames[np.linspace(0, len(frames) - 1, min(len(frames), SHOT_FRAMES)).round().astype(np.int64)]
    kernel = None
    if widths2 is not None:
        kernel = blur_kernel(widths2, quality, frames, None, series.native_scale or 1.0, worst=len(frames))
    if kernel is not None and kernel.name == "motion":
        return kernel
    if enlarged is not None:
        return Cause("upscale", min(1.0, 0.5 + (ENLARGED - enlarged[0])))
    if kernel is not None and kernel.name == "defocus":
        # an enlargement from a picture already soft, or by a sharper interpolator (Lanczos) on a noisy
        # clip, can fit near the threshold and read as defocus: a defocus throughout is never sure
        return replace(kernel, confidence=min(kernel.confidence, DEFOCUS_THROUGHOUT_CONFIDENCE))
    return kernel or UNKNOWN
