"""Synthetic blur: each kind is the blur it claims to be, at the strength it is given.

The benchmark and the tests label frames with these strengths, so a kernel that
drifted (a disk twice too wide, a shake path that never changes) would move
every target without any detector changing.
"""

from __future__ import annotations

import numpy as np
import pytest

from blurscan.testing.synthetic import (
    BLUR_KINDS,
    Blur,
    apply_blur,
    blurred,
    disk_kernel,
    motion_kernel,
    render_canvas,
    shake_kernel,
)


def spread(kernel: np.ndarray) -> tuple[float, float, float, float]:
    """Centroid (x, y) and standard deviation (x, y) of a kernel, in pixels from its centre."""
    ys, xs = np.mgrid[: kernel.shape[0], : kernel.shape[1]] - kernel.shape[0] // 2
    cx, cy = (kernel * xs).sum(), (kernel * ys).sum()
    return cx, cy, np.sqrt((kernel * (xs - cx) ** 2).sum()), np.sqrt((kernel * (ys - cy) ** 2).sum())


def gradient_energy(image: np.ndarray) -> float:
    grey = image.astype(np.float64).mean(axis=2)
    return float((np.diff(grey, axis=0) ** 2).mean() + (np.diff(grey, axis=1) ** 2).mean())


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """A 160x120 rendered scene: edges, text and fine texture, sharp to the pixel."""
    return render_canvas(160, 120, seed=3)


@pytest.mark.parametrize("radius", [1.5, 2.0, 2.5, 3.0, 5.0])
def test_a_disk_has_the_spread_of_a_pillbox_of_its_radius(radius):
    # a uniform disk of radius r has a standard deviation of r / 2 along each axis (plus a pixel's own 1/12)
    kernel = disk_kernel(radius)
    cx, cy, sx, sy = spread(kernel)
    assert kernel.sum() == pytest.approx(1.0)
    assert abs(cx) < 1e-6 and abs(cy) < 1e-6
    assert sx == pytest.approx(np.sqrt(radius**2 / 4 + 1 / 12), rel=0.06) and sy == pytest.approx(sx)
    # flat inside, nothing outside the rim
    ys, xs = np.mgrid[: kernel.shape[0], : kernel.shape[1]] - kernel.shape[0] // 2
    distance = np.hypot(xs, ys)
    inside = kernel[distance <= radius - 0.75]
    assert inside.max() == pytest.approx(inside.min())
    assert kernel[distance > radius + 0.75].max() == 0


@pytest.mark.parametrize("length", [9.0, 15.0, 25.0])
def test_a_shake_path_is_as_long_as_asked_and_curls(length):
    kernel = shake_kernel(length, seed=(4, 0))
    assert kernel.sum() == pytest.approx(1.0)
    # the path fits in its length, but turns: its extent is shorter than a straight line's
    lit = np.argwhere(kernel > 0)
    extent = np.ptp(lit, axis=0).max()
    assert length * 0.3 <= extent <= length + 2
    _, _, sx, sy = spread(kernel)
    assert np.hypot(sx, sy) >= length / 8


def test_camera_shake_draws_a_new_path_every_frame_and_the_same_for_the_same_frame(scene):
    blur = Blur(0, 5, "shake", 12.0, seed=7)
    first, again, second = apply_blur(scene, blur, 0), apply_blur(scene, blur, 0), apply_blur(scene, blur, 1)
    assert np.array_equal(first, again)
    assert not np.array_equal(first, second)
    assert not np.array_equal(shake_kernel(12.0, (7, 0)), shake_kernel(12.0, (8, 0)))
    # blurred() hands each frame its index, so a still scene shaken for three frames changes every frame
    frames = list(blurred([scene] * 3, [Blur(0, 2, "shake", 12.0, seed=7)]))
    assert not np.array_equal(frames[0], frames[1]) and not np.array_equal(frames[1], frames[2])


def test_a_motion_kernel_is_a_centred_line_of_its_length():
    kernel = motion_kernel(15.0, 0.0)
    cx, cy, sx, sy = spread(kernel)
    assert abs(cx) < 1e-6 and abs(cy) < 1e-6
    assert sx == pytest.approx(14.0 / np.sqrt(12), rel=0.1) and sy < 0.01


@pytest.mark.parametrize("kind", BLUR_KINDS)
def test_every_kind_keeps_a_flat_picture_flat_and_its_size(kind):
    flat = np.full((40, 60, 3), 117, np.uint8)
    out = apply_blur(flat, Blur(0, 0, kind, 9.0 if kind in ("motion", "shake") else 2.5))
    assert out.shape == flat.shape and out.dtype == np.uint8
    assert np.abs(out.astype(int) - 117).max() <= 1


@pytest.mark.parametrize("kind,strengths", [("gaussian", (1.0, 2.0, 4.0)), ("disk", (1.5, 3.0, 6.0)),
                                            ("motion", (5.0, 15.0, 25.0)), ("shake", (5.0, 15.0, 25.0))])
def test_stronger_blur_leaves_less_detail(scene, kind, strengths):
    energies = [gradient_energy(apply_blur(scene, Blur(0, 0, kind, s, seed=1))) for s in strengths]
    assert gradient_energy(scene) > energies[0] > energies[1] > energies[2]


def test_blurs_too_weak_to_see_leave_the_picture_alone(scene):
    for blur in (Blur(0, 0, "gaussian", 0.0), Blur(0, 0, "disk", 0.5), Blur(0, 0, "motion", 1.0),
                 Blur(0, 0, "shake", 1.0)):
        assert apply_blur(scene, blur) is scene


def test_an_unknown_kind_is_refused_with_the_kinds_there_are():
    with pytest.raises(ValueError, match="gaussian, disk, motion, shake"):
        Blur(0, 1, "bokeh")
    with pytest.raises(ValueError, match="end"):
        Blur(5, 1)
