"""The sharpness scorer's measures on pictures with known blur, bars, contrast and noise."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from blurscan.scorers.sharpness import (
    DEFAULT_MEASURE,
    EDGE_SHARE,
    MEASURES,
    MIN_EDGE_SLOPE,
    PRESMOOTH_SIGMA,
    SharpnessScorer,
    crop_bars,
    edge_sharpness,
    laplacian_variance,
)
from blurscan.testing.synthetic import gaussian_blur, motion_blur, render_canvas


@pytest.fixture(scope="module")
def scene() -> np.ndarray:
    """A detailed grey 640x360 picture: shapes, lines, text and fine texture."""
    return cv2.cvtColor(render_canvas(640, 360, seed=21), cv2.COLOR_RGB2GRAY)


def test_edge_is_the_default_and_has_an_absolute_scale():
    assert DEFAULT_MEASURE == "edge"
    assert SharpnessScorer().absolute_scale is True
    assert SharpnessScorer(measure="laplacian").absolute_scale is False


def test_edge_sharpness_falls_steadily_with_gaussian_blur(scene):
    values = [edge_sharpness(gaussian_blur(scene, s)) for s in (0.0, 1.0, 1.5, 2.0, 3.0, 4.0)]
    assert all(a > b for a, b in zip(values, values[1:]))
    assert values[2] < 0.6 * values[0]  # sigma 1.5, the target strength
    assert values[-1] < 0.25 * values[0]


@pytest.mark.parametrize("angle", [0, 30, 45, 90, 135, 170])
def test_motion_blur_counts_at_any_angle(scene, angle):
    sharp = edge_sharpness(scene)
    assert edge_sharpness(motion_blur(scene, 9, angle)) < 0.6 * sharp
    assert edge_sharpness(motion_blur(scene, 25, angle)) < 0.35 * sharp


def test_motion_blur_along_the_edges_does_not_hide_it():
    """Vertical stripes keep their edges under vertical motion blur; the other directions still see it."""
    posts = np.zeros((240, 320), np.uint8)
    for x in range(8, 320, 24):
        posts[:, x : x + 4] = 160  # strong vertical edges, like the posts of a fence
    picture = cv2.add(cv2.cvtColor(render_canvas(320, 240, seed=3), cv2.COLOR_RGB2GRAY) // 2, posts)
    blurred = motion_blur(picture, 15, 90)
    assert edge_sharpness(blurred) < 0.6 * edge_sharpness(picture)
    assert laplacian_variance(blurred) > 0.9 * laplacian_variance(picture)  # the old measure misses it


def test_edge_sharpness_hardly_depends_on_contrast_unlike_the_laplacian(scene):
    faint = (scene.astype(np.float32) * 0.4 + 80).astype(np.uint8)
    assert edge_sharpness(faint) == pytest.approx(edge_sharpness(scene), rel=0.12)
    assert laplacian_variance(faint) < 0.25 * laplacian_variance(scene)


def test_noise_moves_it_less_than_blur(scene):
    noisy = np.clip(scene + np.random.default_rng(0).normal(0, 3, scene.shape), 0, 255).astype(np.uint8)
    sharp = edge_sharpness(scene)
    assert abs(edge_sharpness(noisy) - sharp) < 0.5 * (sharp - edge_sharpness(gaussian_blur(scene, 1.5)))


def test_black_bars_are_cropped(scene):
    picture = scene[30:330]
    letterbox = cv2.copyMakeBorder(picture, 30, 30, 0, 0, cv2.BORDER_CONSTANT, value=0)
    assert crop_bars(letterbox).shape == (360 - 2 * 33, 640)
    assert edge_sharpness(letterbox) == pytest.approx(edge_sharpness(picture), rel=0.05)
    # the bars' own sharp edges must not hide a blurred picture
    blurred = cv2.copyMakeBorder(gaussian_blur(picture, 3.0), 30, 30, 0, 0, cv2.BORDER_CONSTANT, value=0)
    assert edge_sharpness(blurred) == pytest.approx(edge_sharpness(gaussian_blur(picture, 3.0)), rel=0.05)
    pillarbox = cv2.copyMakeBorder(picture, 0, 0, 80, 80, cv2.BORDER_CONSTANT, value=0)
    assert crop_bars(pillarbox).shape == (300, 640 - 6)


def test_a_dark_area_on_one_side_is_not_a_bar(scene):
    dark_left = scene.copy()
    dark_left[:, :100] = 5
    assert crop_bars(dark_left).shape == scene.shape
    black = np.zeros((90, 160), np.uint8)
    assert crop_bars(black).shape == black.shape


def test_a_featureless_frame_measures_zero_and_maps_to_zero():
    flat = np.full((120, 160), 128, np.uint8)
    assert edge_sharpness(flat) == 0.0
    assert SharpnessScorer().quality(0.0) == 0.0


@pytest.mark.parametrize("name", sorted(MEASURES))
def test_quality_is_half_at_the_half_point_and_monotone(name):
    scorer = SharpnessScorer(measure=name)
    k = MEASURES[name].half_point
    assert scorer.quality(k) == pytest.approx(0.5)
    values = [scorer.quality(k * f) for f in (0.1, 0.5, 1, 2, 10)]
    assert all(0 < a < b < 1 for a, b in zip(values, values[1:]))


def test_scorer_reports_raw_measure_and_frame_quality(scene):
    scorer = SharpnessScorer()
    features = scorer.encode_frames([scene, gaussian_blur(scene, 3.0)])
    signals = scorer.frame_signals(features)
    assert signals["sharpness"] == [edge_sharpness(scene), edge_sharpness(gaussian_blur(scene, 3.0))]
    assert signals["quality"] == [scorer.quality(v) for v in signals["sharpness"]]
    # the four directions it is the smallest of, for the cause of a blur
    directions = [signals[name] for name in ("edge_0", "edge_45", "edge_90", "edge_135")]
    assert [min(d[i] for d in directions) for i in range(2)] == signals["sharpness"]
    assert signals["quality"][0] > 0.5 > signals["quality"][1]
    (window,) = scorer.score_windows([features])
    assert window == pytest.approx(sum(signals["quality"]) / 2)
    assert scorer.settings() == {"measure": "edge", "working_width": 640}


def test_bad_options_say_what_to_do():
    with pytest.raises(ValueError, match="choose one of edge, laplacian, tenengrad"):
        SharpnessScorer(measure="sobel")
    with pytest.raises(ValueError, match="working_width must be between 32 and 4096"):
        SharpnessScorer(working_width=8)


def _edge_sharpness_as_first_written(grey: np.ndarray) -> float:
    """The edge measure as it was before it read contiguous planes (strided views, NumPy arithmetic):
    the faster one must give the very same floats."""
    picture = crop_bars(grey)
    if picture.shape[0] < 8 or picture.shape[1] < 8:
        return 0.0
    smooth = cv2.GaussianBlur(picture.astype(np.float32), (5, 5), PRESMOOTH_SIGMA)
    h, w = smooth.shape
    rows, cols = slice(1, h - 1, 2), slice(1, w - 1, 2)
    up, down, left, right = slice(0, h - 2, 2), slice(2, h, 2), slice(0, w - 2, 2), slice(2, w, 2)
    centre = smooth[rows, cols]
    half_diagonal = 1 / (2 * math.sqrt(2))
    sharpest = math.inf
    for before, at, after, first_step, second_step in (
        (smooth[rows, left], centre, smooth[rows, right], 0.5, 1.0),
        (smooth[up, cols], centre, smooth[down, cols], 0.5, 1.0),
        (smooth[down, left], centre, smooth[up, right], half_diagonal, 0.5),
        (smooth[up, left], centre, smooth[down, right], half_diagonal, 0.5),
    ):
        slope = np.abs(after - before) * np.float32(first_step)
        sample = slope[::2, ::2].ravel()
        k = int((1 - EDGE_SHARE) * (len(sample) - 1))
        threshold = max(float(np.partition(sample, k)[k]), MIN_EDGE_SLOPE)
        edges = cv2.threshold(slope, threshold, 1.0, cv2.THRESH_BINARY)[1]
        total = float(np.vdot(slope, edges))
        if total <= 0:
            continue
        curve = np.abs(before + after - at - at)
        sharpest = min(sharpest, second_step * float(np.vdot(curve, edges)) / total)
    return sharpest if math.isfinite(sharpest) else 0.0


@pytest.mark.parametrize("height, width", [(8, 8), (9, 13), (37, 64), (180, 320), (361, 641)])
def test_the_fast_edge_measure_gives_the_same_floats_as_the_first(scene, height, width):
    rng = np.random.default_rng(height * width)
    pictures = [rng.integers(0, 256, (height, width), dtype=np.uint8),
                cv2.resize(scene, (width, height), interpolation=cv2.INTER_AREA),
                cv2.resize(gaussian_blur(scene, 2.0), (width, height), interpolation=cv2.INTER_AREA)]
    for picture in pictures:
        assert edge_sharpness(picture) == _edge_sharpness_as_first_written(picture)
