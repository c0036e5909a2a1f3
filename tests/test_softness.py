"""Shots soft throughout (a verdict for the whole shot, never a part of it) and blur read at the
video's own resolution: on synthetic score series in logit units (as tests/test_detect.py) and on
rendered clips."""

from __future__ import annotations

import json

import numpy as np
import pytest

from blurscan import Scanner
from blurscan.detect import ScoreSeries
from blurscan.detect.drop import DropDetector
from blurscan.detect.softness import PIXEL_SHARP_LOGIT, native_logit
from blurscan.testing.synthetic import Blur, make_clip
from tests.findings import analyse, analyse_detection

FPS = 25.0


def series(x, *, scene_change=None, native_scale=None) -> ScoreSeries:
    q = 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))
    signals = {"quality": q}
    if scene_change is not None:
        signals["scene_change"] = np.asarray(scene_change, dtype=np.float64)
    return ScoreSeries(scores=q.copy(), times_s=np.arange(len(q)) / FPS, fps=FPS, camera_movement=0.0,
                       signals=signals, absolute_scale=True, native_scale=native_scale)


def noisy(level: float, n: int, seed: int = 0, noise: float = 0.25) -> np.ndarray:
    return level + np.random.default_rng(seed).normal(0.0, noise, n)


@pytest.mark.parametrize("level", [-0.15, -0.05, 0.05, 0.15])
def test_a_shot_hovering_at_the_floor_is_soft_as_a_whole_or_not_at_all(level):
    """Frames of a uniformly soft shot scatter around the floor: the verdict is the shot's, so
    either every frame is flagged (one 'soft' segment) or none is."""
    detection, detection_extra = analyse(series(noisy(level, 300)), DropDetector())
    flagged = len(detection.blur_frames)
    assert flagged in (0, 300)
    (shot,) = detection_extra["shot_list"]
    assert shot["soft"] is (level < 0)
    if level < 0:
        (segment,) = detection.segments
        assert (segment.kind, segment.start_frame, segment.end_frame) == ("soft", 0, 299)
        assert "below the floor" in shot["reason"] and detection_extra["blurry_throughout"] is True
    else:
        assert detection.segments == [] and shot["reason"] is None


def test_soft_shots_apart_from_events_with_events_inside_soft_shots():
    """Shot 1 sharp with a blur event; shot 2 soft throughout, with a deeper event of its own."""
    x = np.concatenate([noisy(2.0, 200, 1, 0.2), noisy(-0.6, 200, 2, 0.2)])
    x[80:95] -= 2.5  # an event in the sharp shot
    x[300:310] -= 2.5  # an event inside the soft shot, relative to its own level
    change = np.zeros(400)
    change[200] = 0.5
    detection, detection_extra = analyse(series(x, scene_change=change), DropDetector())
    kinds = [(s.kind, s.start_frame, s.end_frame) for s in detection.segments]
    assert ("soft", 200, 399) in kinds
    events = [(a, b) for kind, a, b in kinds if kind == "event"]
    assert any(a <= 80 and b >= 94 for a, b in events) and any(a <= 300 and b >= 309 and a >= 200 for a, b in events)
    first, second = detection_extra["shot_list"]
    assert first["soft"] is False and second["soft"] is True and second["start_tc"] == "00:00:08.000"
    assert detection_extra["shot_count"] == 2 and detection_extra["blurry_throughout"] is False
    assert any("soft throughout" in str(line) for line in detection.recommendations)
    assert set(detection.blur_frames) >= set(range(200, 400)) | set(range(80, 95))


def _measured(series: ScoreSeries, detail: float, filtered: float, every: int = 12) -> ScoreSeries:
    """The detail stage's readings on one frame in ``every`` (NaN between), as the scanner leaves them."""
    n = len(series)
    series.detail, series.filtered, series.size = np.full(n, np.nan), np.full(n, np.nan), (1280, 720)
    series.detail[::every], series.filtered[::every] = detail, filtered
    return series


@pytest.mark.parametrize(
    "level, detail, filtered, soft",
    [
        (2.5, 0.40, 1.0, True),  # enlarged 2.5x: sharp at the working width, the spectrum behind a low-pass filter
        (2.5, 0.40, 0.0, False),  # as little detail, but rolling off by nature (shallow focus, haze): not soft
        (1.0, 0.30, 0.0, True),  # little detail and a soft level: soft, filtered or not
        (2.5, 0.30, 0.0, False),  # little detail but edges as sharp as a pixel-sharp picture's: the subject is sharp
        (2.5, 0.55, 1.0, False),  # enlarged less than 2x: not soft
    ],
)
def test_shots_holding_little_detail_are_soft_when_filtered_or_soft_in_level(level, detail, filtered, soft):
    detection, detection_extra = analyse(_measured(series(noisy(level, 240, 3, 0.1)), detail, filtered), DropDetector())
    (shot,) = detection_extra["shot_list"]
    assert shot["soft"] is soft and shot["effective_width"] == round(detail * 1280)
    assert [s.kind for s in detection.segments] == (["soft"] if soft else [])
    if soft and filtered:
        assert "upscaled or defocused" in shot["reason"]


def test_native_logit_reads_working_blur_at_the_videos_own_size():
    assert native_logit(1.0, None) == 1.0 and native_logit(1.0, 1.0) == 1.0
    # a pixel-sharp working picture says nothing beyond its pixel: it stays pixel-sharp
    assert native_logit(PIXEL_SHARP_LOGIT + 0.5, 3.0) == pytest.approx(PIXEL_SHARP_LOGIT)
    # beyond it, blur spans `scale` times as many native pixels: 3 * log(2) lower for twice the size
    assert native_logit(-2.0, 2.0) == pytest.approx(-2.0 - 3 * np.log(2), abs=0.05)
    assert native_logit(1.0, 2.0) < 0.0 < native_logit(1.0, 1.0)


def test_severity_and_floor_follow_the_native_scale():
    """The same working-width series: mild at the working size, not mild on a video twice as wide;
    a shot a little soft at 640 px is soft throughout at 1280 px."""
    x = noisy(2.4, 300, 3, 0.15)
    x[100:120] -= 1.3
    at_working, at_working_extra = analyse(series(x), DropDetector())
    at_native, at_native_extra = analyse(series(x, native_scale=2.0), DropDetector())
    assert [s.severity for s in at_working.segments] == ["mild"]
    assert [s.severity for s in at_native.segments] != ["mild"] and len(at_native.segments) == 1
    assert at_native.segments[0].frames == at_working.segments[0].frames  # where: unchanged; how bad: native
    soft_at_640 = noisy(1.0, 300, 4, 0.15)
    assert analyse(series(soft_at_640))[1]["shot_list"][0]["soft"] is False
    assert analyse(series(soft_at_640, native_scale=2.0))[1]["shot_list"][0]["soft"] is True


def test_rendered_clips_soft_throughout_and_sharp(tmp_path):
    """Gaussian sigma 3 on a whole 1280x720 clip: one soft shot, not mild; the same clip sharp: nothing."""
    blurred = make_clip(tmp_path / "soft720.mp4", frames=45, width=1280, height=720,
                        blurs=[Blur(0, 44, "gaussian", 3.0)], pan=2.0)
    sharp = make_clip(tmp_path / "sharp720.mp4", frames=45, width=1280, height=720, pan=2.0)
    with Scanner() as scanner:
        soft_result = scanner.scan(blurred.path).to_dict(include_scores=False)
        sharp_result = scanner.scan(sharp.path).to_dict(include_scores=False)
    json.dumps(soft_result)  # the new fields are plain JSON
    (shot,) = soft_result["shot_list"]
    assert shot["soft"] is True and shot["severity"] in ("moderate", "severe")
    assert [s["kind"] for s in soft_result["segments"]] == ["soft"] and soft_result["blurry_throughout"] is True
    assert soft_result["blur_ratio"] == 1.0
    assert sharp_result["shot_list"][0]["soft"] is False and sharp_result["segments"] == []


def test_cut_lists_drop_soft_shots_whole_with_the_events_inside_them():
    from blurscan.cut.ranges import keep_ranges

    x = np.concatenate([noisy(2.0, 200, 1, 0.2), noisy(-0.6, 200, 2, 0.2)])
    x[300:310] -= 2.5
    change = np.zeros(400)
    change[200] = 0.5
    detection, detection_extra = analyse(series(x, scene_change=change), DropDetector())
    kept = keep_ranges(detection.segments, 400, 16.0)
    assert [(r.start_frame, r.end_frame) for r in kept] == [(0, 199)]


def test_blur_shallow_at_the_working_width_is_an_event_at_the_videos_own_size():
    """A dip of 0.6 logit at 640 px is under the drop (0.9) there, but on a 1920-px video it is a
    blur three times as wide: an event; the same series from a 640-px video stays quiet."""
    x = noisy(3.0, 300, 5, 0.1)
    x[150:160] -= 0.6  # still above the floor at the native size: the depth alone decides
    assert analyse_detection(DropDetector(), series(x)).segments == []
    (event,) = analyse_detection(DropDetector(), series(x, native_scale=3.0)).segments
    assert event.kind == "event" and event.start_frame <= 151 and event.end_frame >= 158


def test_a_1080p_burst_of_sigma_1_5_is_found(tmp_path):
    clip = make_clip(tmp_path / "hd.mp4", frames=60, width=1920, height=1080, pan=2.0,
                     blurs=[Blur(25, 32, "gaussian", 1.5)])
    with Scanner() as scanner:
        data = scanner.scan(clip.path).to_dict(include_scores=False)
    events = [s for s in data["segments"] if s["kind"] == "event"]
    assert len(events) == 1 and events[0]["start_frame"] <= 26 and events[0]["end_frame"] >= 31
