"""The detail stage: the share of its resolution a picture carries, read at native size on a sample
of frames; upscales read about 1/k of the original, blur lowers it, bars and flat pictures do not
count; the effective resolution in the result."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from blurscan import Scanner
from blurscan.taps.detail import detail_format, effective_size, measure_detail
from blurscan.testing.synthetic import Blur, make_clip, render_canvas


def _grey(width: int, height: int, seed: int = 0) -> np.ndarray:
    return cv2.cvtColor(render_canvas(width, height, seed), cv2.COLOR_RGB2GRAY)


def _share(picture: np.ndarray) -> float | None:
    held = measure_detail(picture)
    return None if held is None else held.share


def _upscale(picture: np.ndarray, k: float) -> np.ndarray:
    h, w = picture.shape
    small = cv2.resize(picture, (round(w / k), round(h / k)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)


@pytest.mark.parametrize("size", [(1280, 720), (640, 360)])
def test_upscales_read_about_one_kth_of_the_original(size):
    pictures = [_grey(*size, seed) for seed in range(2)]
    base = np.median([_share(p) for p in pictures])
    assert base > 0.9  # a pixel-sharp picture uses its whole resolution
    for k in (1.5, 2.0, 3.0, 4.0):
        share = np.median([_share(_upscale(p, k)) for p in pictures])
        assert 0.7 < share / base * k < 1.4, (size, k, share)


def test_blur_lowers_detail_and_bars_do_not_count():
    picture = _grey(960, 540)
    shares = [_share(cv2.GaussianBlur(picture, (0, 0), sigma)) for sigma in (0.8, 1.5, 3.0)]
    assert shares[0] > shares[1] > shares[2] and shares[1] < 0.45
    soft = _upscale(picture, 3.0)
    barred = cv2.copyMakeBorder(soft, 90, 90, 0, 0, cv2.BORDER_CONSTANT, value=16)  # sharp edges of black bars
    assert _share(barred) == pytest.approx(_share(soft), abs=0.06)
    assert measure_detail(np.full((360, 640), 80, np.uint8)) is None  # nothing to measure
    assert measure_detail(picture[:20, :20]) is None  # too small for a tile


def _poisson_blur(picture: np.ndarray, gamma: float) -> np.ndarray:
    """Blur whose transfer falls the same number of dB per cycle from low frequencies on (exp(-2 pi gamma f)),
    the way optics, motion and processing soften footage by nature."""
    radius = int(12 * gamma)
    y, x = np.mgrid[-radius : radius + 1, -radius : radius + 1]
    kernel = (1.0 + (x * x + y * y) / gamma**2) ** -1.5
    return cv2.filter2D(picture.astype(np.float32), -1, kernel / kernel.sum()).clip(0, 255).astype(np.uint8)


def _pink(width: int, height: int, seed: int) -> np.ndarray:
    """Grey 1/f noise: the spectrum of natural pictures, sharp to the pixel (a flat gradient spectrum)."""
    rng = np.random.default_rng(seed)
    frequency = np.hypot(np.fft.fftfreq(height)[:, None], np.fft.rfftfreq(width)[None, :])
    frequency[0, 0] = 1.0
    spectrum = (rng.standard_normal(frequency.shape) + 1j * rng.standard_normal(frequency.shape)) / frequency
    picture = np.fft.irfft2(spectrum, s=(height, width))
    return ((picture - picture.mean()) / picture.std() * 40 + 128).clip(0, 255).astype(np.uint8)


def test_filtered_pictures_are_told_from_pictures_soft_by_nature():
    """A sharp picture enlarged keeps its gradient spectrum flat up to a cliff: it looks filtered and reads
    1/k; one that rolls off from low frequencies on (optics, motion) does not look filtered, even where it
    holds as little."""
    pictures = [_pink(960, 540, seed) for seed in range(3)]
    assert all(measure_detail(p) == (1.0, 0.0) for p in pictures)  # never falls far enough to have a cut-off
    for k in (1.5, 2.0, 2.5, 3.0, 4.0):
        held = [measure_detail(_upscale(p, k)) for p in pictures]
        assert np.median([h.filtered for h in held]) > 0.5, (k, held)
        assert np.median([h.share for h in held]) * k == pytest.approx(1.0, abs=0.2), (k, held)
    for gamma in (1.0, 1.5):
        held = [measure_detail(_poisson_blur(p, gamma)) for p in pictures]
        assert np.median([h.filtered for h in held]) < 0.3, (gamma, held)
        assert np.median([h.share for h in held]) < 0.6


def test_effective_size_leaves_out_events_and_handles_nothing_measured():
    detail = np.full(10, np.nan)
    detail[[0, 4, 8]] = [0.5, 0.1, 0.5]
    assert effective_size(detail, (1280, 720), outside=[4]) == {
        "detail": 0.5, "effective_width": 640, "effective_height": 360}
    assert effective_size(np.full(5, np.nan), (640, 360))["effective_width"] is None
    assert effective_size(None, (640, 360))["detail"] is None
    assert detail_format(30.0).every == 15 and detail_format(0.0).every >= 1


def test_scans_report_what_the_picture_holds(tmp_path):
    """A 1280x720 clip made from a 320x180 picture holds about a quarter of its size; the sharp one all of it."""
    sharp = make_clip(tmp_path / "sharp.mp4", frames=30, width=1280, height=720, pan=2.0)
    with Scanner() as scanner:
        result = scanner.scan(sharp.path)
    video = result.to_dict(include_scores=False)["video"]
    assert video["detail"] > 0.8 and video["effective_width"] > 1000
    measured = np.flatnonzero(~np.isnan(result.series.detail))
    assert list(measured) == [0, 15]  # two frames a second at 30 fps

    from blurscan.testing.synthetic import scene_frames, write_video

    upscaled = (cv2.resize(cv2.resize(f, (320, 180), interpolation=cv2.INTER_AREA), (1280, 720),
                           interpolation=cv2.INTER_CUBIC) for f in scene_frames(30, 1280, 720, pan=2.0))
    write_video(tmp_path / "up.mp4", upscaled, 30.0)
    with Scanner() as scanner:
        data = scanner.scan(tmp_path / "up.mp4").to_dict(include_scores=False)
    assert 0.15 < data["video"]["detail"] < 0.4, data["video"]
    (shot,) = data["shot_list"]
    assert shot["effective_width"] == data["video"]["effective_width"]
    assert shot["soft"] is True and "holds the detail of about" in data["labels"]["shot_reasons"][0]
    assert "little_detail" in shot["reason_code"] and shot["reason_values"]["effective_width"] == shot["effective_width"]


def test_blurred_events_do_not_lower_a_shots_detail(tmp_path):
    clip = make_clip(tmp_path / "event.mp4", frames=60, width=960, height=540, pan=2.0,
                     blurs=[Blur(18, 32, "gaussian", 4.0)])
    with Scanner() as scanner:
        data = scanner.scan(clip.path).to_dict(include_scores=False)
    assert [s["kind"] for s in data["segments"]] == ["event"]
    assert data["shot_list"][0]["detail"] > 0.8 and data["video"]["detail"] > 0.8


def test_luma_is_the_decoders_plane_or_the_scalers_grey():
    """8-bit YUV: the luma plane itself (its own range); any other layout: the scaler's grey at native size."""
    import av
    from av.video.reformatter import VideoReformatter

    from blurscan.source.convert import convert as _convert
    from blurscan.taps.detail import LUMA_FORMAT

    rgb = render_canvas(160, 90, 1)
    for pixel_format in ("yuv420p", "nv12", "yuv420p10le", "rgb24"):
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        if pixel_format != "rgb24":
            frame = frame.reformat(format=pixel_format)
        luma = _convert(frame, LUMA_FORMAT, 0, VideoReformatter())
        assert luma.shape == (90, 160) and luma.dtype == np.uint8, pixel_format
        grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY).astype(int)
        assert np.corrcoef(luma.ravel(), grey.ravel())[0, 1] > 0.98, pixel_format
