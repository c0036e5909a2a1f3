"""Thumbnails taken during the one pass: bounded candidates, the worst frame of each segment
(measured blurrier than the sharp frame shown beside it), files written with the results."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from blurscan import Scanner
from blurscan.batch import run_batch
from blurscan.report.files import render_outputs, write_outputs
from blurscan.scorers.sharpness import edge_sharpness
from blurscan.thumbnails import Reservoir, ThumbnailCollector


def _decode(path) -> np.ndarray:
    import cv2

    image = cv2.imread(str(path))
    assert image is not None, path
    return image


def test_a_reservoir_stays_bounded_and_keeps_each_dip():
    """200,000 frames into 64 candidates: the dips (one every 20,000 frames) are all kept."""
    encodes = []
    reservoir = Reservoir(lowest=True, capacity=64, encoder=lambda frame, image: encodes.append(frame) or b"x")
    values = np.full(200_000, 0.9)
    dips = list(range(10_000, 200_000, 20_000))
    values[dips] = 0.1
    for frame, value in enumerate(values):
        reservoir.offer(frame, float(value), None)
        assert len(reservoir.kept) <= 64 + 1
    kept = reservoir.finish()
    assert len(kept) <= 64 and set(dips) <= {t.frame for t in kept}
    assert len(encodes) < 2_000  # a JPEG per closed block, not per frame


def test_highest_reservoir_and_nan_values():
    reservoir = Reservoir(lowest=False, capacity=4, encoder=lambda frame, image: b"x")
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


def test_grey_scorer_pictures_get_their_colour_back():
    from blurscan.thumbnails import compose

    grey = np.tile(np.linspace(0, 255, 640, dtype=np.uint8), (360, 1))
    chroma = np.zeros((27, 48, 3), np.uint8)
    chroma[..., 0] = 200  # reddish
    picture = compose(grey, chroma)
    assert picture.shape == (108, 192, 3)
    assert picture[..., 0].mean() > picture[..., 2].mean() + 20
    collector = ThumbnailCollector(capacity=8)
    for frame in range(30):
        collector.offer(frame, 0.1 if frame == 10 else 0.9, grey, chroma)
    assert collector.low.finish()[0].jpeg[:2] == b"\xff\xd8"
