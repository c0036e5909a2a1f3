"""Thumbnails taken during the one pass: bounded candidates, the worst frame of each segment
(measured blurrier than the sharp frame shown beside it), files written with the results."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from blurscan import Scanner
from blurscan.batch import run_batch
from blurscan.report.outputs import render_outputs, write_outputs
from blurscan.scorers.sharpness import edge_sharpness
from blurscan.taps.thumbnails import Reservoir, Thumbnail, ThumbnailCollector


def _decode(path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def test_a_reservoir_stays_bounded_and_keeps_each_dip():
    """200,000 frames into 64 candidates: the dips (one every 20,000 frames) are all kept."""
    kept_copies = []

    def keeper(frame, value, image):
        kept_copies.append(frame)
        return Thumbnail(frame, value, np.zeros((1, 1), np.uint8))

    reservoir = Reservoir(lowest=True, capacity=64, keeper=keeper)
    values = np.full(200_000, 0.9)
    dips = list(range(10_000, 200_000, 20_000))
    values[dips] = 0.1
    for frame, value in enumerate(values):
        reservoir.offer(frame, float(value), None)
        assert len(reservoir.kept) <= 64 + 1
    kept = reservoir.finish()
    assert len(kept) <= 64 and set(dips) <= {t.frame for t in kept}
    assert len(kept_copies) < 2_000  # a small copy per closed block, not per frame


def test_highest_reservoir_and_nan_values():
    reservoir = Reservoir(lowest=False, capacity=4, keeper=lambda frame, value, image: Thumbnail(frame, value, image))
    for frame in range(100):
        reservoir.offer(frame, float("nan") if frame == 50 else frame % 10, None)
    kept = reservoir.finish()
    assert len(kept) <= 4 and all(t.value == 9 for t in kept) and 50 not in {t.frame for t in kept}


def test_worst_and_sharp_frames_are_picked_and_measured(burst_clip, long_blur_clip, tmp_path):
    with Scanner() as scanner:
        for clip in (burst_clip, long_blur_clip):
            result = scanner.scan(clip.path, thumbnails=True)
            written = write_outputs(tmp_path, clip.path.rsplit("/", 1)[-1][:-4], render_outputs(result))
            data = json.loads(open(written[".json"]).read())
            assert data["segments"], clip
            for segment in data["segments"]:
                thumbs = segment["thumbnails"]
                worst, sharp = thumbs["worst"], thumbs["sharp"]
                assert segment["start_frame"] <= worst["frame"] <= segment["end_frame"]
                assert not any(s["start_frame"] <= sharp["frame"] <= s["end_frame"] for s in data["segments"])
                assert worst["time_s"] == pytest.approx(result.times_s[worst["frame"]], abs=1e-4)
                a = _decode(tmp_path / worst["file"])
                b = _decode(tmp_path / sharp["file"])
                assert max(a.shape[:2]) == 192 and a.shape == b.shape and a.std() > 5  # a real picture, in colour
                grey_a, grey_b = a.mean(axis=2).astype(np.uint8), b.mean(axis=2).astype(np.uint8)
                # measured, not assumed: the worst frame's edges are clearly softer than the sharp frame's
                assert edge_sharpness(grey_a) < 0.8 * edge_sharpness(grey_b), (clip, segment)


def test_thumbnails_in_detect_and_batch(burst_clip, clean_clip, tmp_path):
    from typer.testing import CliRunner

    from blurscan._cli import app

    runner = CliRunner()
    out = tmp_path / "detect"
    assert runner.invoke(app, ["detect", burst_clip.path, "-o", str(out), "-q"]).exit_code == 0
    assert sorted(p.name for p in out.glob("*.jpg")) == ["burst.seg001.sharp.jpg", "burst.seg001.worst.jpg"]
    off = tmp_path / "off"
    assert runner.invoke(app, ["detect", burst_clip.path, "-o", str(off), "-q", "--no-thumbnails"]).exit_code == 0
    assert not list(off.glob("*.jpg")) and "thumbnails" not in json.loads((off / "burst.json").read_text())["segments"][0]
    videos = tmp_path / "videos"
    (videos / "sub").mkdir(parents=True)
    shutil.copy(burst_clip.path, videos / "sub" / "b.mp4")
    shutil.copy(clean_clip.path, videos / "c.mp4")
    run_batch(videos, tmp_path / "batch", workers=2)
    data = json.loads((tmp_path / "batch" / "sub__b.json").read_text())
    for thumb in data["segments"][0]["thumbnails"].values():
        assert (tmp_path / "batch" / thumb["file"]).is_file()
    assert not list((tmp_path / "batch").glob("c.seg*"))  # a clean video has no segment, no thumbnail


def _colour_card() -> np.ndarray:
    """Four colour bars over a grey ramp: a picture whose thumbnail colours can be checked."""
    card = np.zeros((360, 640, 3), np.uint8)
    for i, colour in enumerate([(200, 30, 30), (30, 180, 40), (40, 60, 210), (220, 200, 40)]):
        card[:, i * 160 : (i + 1) * 160] = colour
    card[300:] = np.linspace(0, 255, 640, dtype=np.uint8)[None, :, None]
    return card


@pytest.mark.parametrize("pixel_format", ["yuv420p", "yuvj420p", "nv12", "nv21", "yuv422p", "yuv420p10le", "rgb24"])
def test_grey_scorer_pictures_get_their_colour_back(pixel_format):
    """The grey picture plus the decoder's chroma planes, at 48 px, give back the frame's colours
    (limited and full range, semi-planar, 10-bit and RGB frames through the scaler)."""
    import av
    from av.video.reformatter import VideoReformatter

    from blurscan.source.convert import FrameFormat
    from blurscan.source.convert import convert as _convert
    from blurscan.source.convert import matrix_of as _matrix_of
    from blurscan.taps.thumbnails import CHROMA_FORMAT, colourize, small_picture

    card = _colour_card()
    frame = av.VideoFrame.from_ndarray(card, format="rgb24")
    if pixel_format != "rgb24":
        frame = frame.reformat(format=pixel_format)
    grey = _convert(frame, FrameFormat("gray", 640), 0, VideoReformatter())
    chroma = _convert(frame, CHROMA_FORMAT, 0, VideoReformatter())
    assert chroma.shape[2] == 2 and 24 <= chroma.shape[1] <= 48 and abs(chroma.shape[1] / chroma.shape[0] - 16 / 9) < 0.2
    picture = colourize(small_picture(grey), chroma, _matrix_of(frame))
    assert picture.shape == (108, 192, 3)
    expected = cv2_resize(card, (192, 108)).astype(int)
    bars = picture[10:80].astype(int), expected[10:80]
    for i in range(4):  # each bar's centre, away from chroma's blurred edges
        inside = slice(i * 48 + 12, i * 48 + 36)
        assert np.abs(bars[0][:, inside] - bars[1][:, inside]).mean(axis=(0, 1)).max() < 6, (pixel_format, i)
    collector = ThumbnailCollector(capacity=8)
    for index in range(30):
        collector.offer(index, 0.1 if index == 10 else 0.9, grey, chroma)
    assert collector.low.finish()[0].jpeg[:2] == b"\xff\xd8"


@pytest.mark.parametrize("matrix", ["bt601", "bt709", "bt2020"])
def test_compose_follows_the_colour_matrix(matrix):
    from blurscan.taps.thumbnails import _MATRICES, colourize, small_picture

    kr, kb = _MATRICES[matrix]
    card = _colour_card().astype(np.float64)
    r, g, b = card[..., 0], card[..., 1], card[..., 2]
    y = kr * r + (1 - kr - kb) * g + kb * b
    cbcr = np.stack(((b - y) / (2 * (1 - kb)) + 128, (r - y) / (2 * (1 - kr)) + 128), axis=-1)
    chroma = np.clip(np.rint(cbcr[::12, ::12]), 0, 255).astype(np.uint8)
    picture = colourize(small_picture(np.rint(y).astype(np.uint8)), chroma, matrix).astype(int)
    expected = cv2_resize(card.astype(np.uint8), (192, 108)).astype(int)
    assert np.abs(picture[10:80, 12:36] - expected[10:80, 12:36]).mean() < 6


def test_shrink_matches_area_resampling():
    """Halving then interpolating gives what area resampling gives, for a fraction of its cost."""
    import cv2

    from blurscan.taps.thumbnails import shrink

    rng = np.random.default_rng(3)
    picture = cv2.GaussianBlur(rng.integers(0, 256, (361, 641), dtype=np.uint8), (0, 0), 2)
    fast = shrink(picture, (192, 108)).astype(int)
    area = cv2.resize(picture, (192, 108), interpolation=cv2.INTER_AREA).astype(int)
    assert fast.shape == area.shape and np.abs(fast - area).mean() < 3


def cv2_resize(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    import cv2

    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)
