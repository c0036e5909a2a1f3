"""Detectors on small synthetic score series, so their behaviour cannot drift unnoticed.

Series are written in logit units of quality (``x = log(q / (1 - q))``), the
units the ``drop`` detector works in: a sharp shot sits near 2 (q = 0.88), the
noise of real sharp footage is about 0.2, and Gaussian blur of sigma 1.5 on
the ``edge`` measure moves a frame down by about 2.
"""

from __future__ import annotations

import numpy as np
import pytest

from blurscan import scan
from blurscan.detect import DEFAULT_DETECTOR, DETECTORS, ScoreSeries, create_detector
from blurscan.detect.drop import DropDetector, logit, rolling_quantile
from blurscan.detect.mss import MSSDetector, flagged_frames
from blurscan.taps.shots import shot_starts
from tests.findings import analyse, analyse_detection

FPS = 25.0
SHARP = 2.0
NOISE = 0.2


def quality(x) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.asarray(x, dtype=np.float64)))


def series(x, *, absolute=True, scene_change=None, camera_movement=0.0) -> ScoreSeries:
    """A series whose frame quality (and window scores) are ``sigmoid(x)``."""
    q = quality(x)
    signals = {"quality": q}
    if scene_change is not None:
        signals["scene_change"] = np.asarray(scene_change, dtype=np.float64)
    return ScoreSeries(scores=q.copy(), times_s=np.arange(len(q)) / FPS, fps=FPS, camera_movement=camera_movement,
                       signals=signals, absolute_scale=absolute)


def sharp(n: int, seed: int = 0, noise: float = NOISE) -> np.ndarray:
    return SHARP + np.random.default_rng(seed).normal(0.0, noise, n)


def flagged(detection) -> list[int]:
    return [int(i) for i in detection.blur_frames]


def test_drop_is_the_default():
    assert DEFAULT_DETECTOR == "drop"
    assert isinstance(create_detector(), DropDetector)


# -- the drop detector ---------------------------------------------------------------


def test_a_single_blurry_frame_is_flagged_alone():
    x = sharp(200)
    x[100] -= 2.0
    detection, detection_extra = analyse(series(x), DropDetector())
    assert flagged(detection) == [100]
    (segment,) = detection.segments
    assert (segment.start_frame, segment.end_frame) == (100, 100)
    assert segment.start_s == pytest.approx(100 / FPS) and segment.end_s == pytest.approx(101 / FPS)


def test_a_short_burst_is_flagged_exactly():
    x = sharp(200, seed=1)
    x[60:64] -= 2.0
    detection, detection_extra = analyse(series(x), DropDetector())
    assert flagged(detection) == [60, 61, 62, 63]
    assert detection.blur_detected


def test_a_long_segment_is_flagged_whole_not_only_its_edges():
    x = sharp(300, seed=2)
    x[80:125] -= 2.0  # 45 frames, most of the 2 s reach on either side
    drop, drop_extra = analyse(series(x), DropDetector())
    assert flagged(drop) == list(range(80, 125))
    assert len(drop.segments) == 1
    # VMBench's rule finds the edges only (on a series quiet enough for its 0.01 threshold)
    scores = 0.9 + np.random.default_rng(2).normal(0.0, 0.002, 300)
    scores[80:125] -= 0.4
    mss = MSSDetector().detect(ScoreSeries(scores, np.arange(300) / FPS, FPS, camera_movement=0.0))
    assert flagged(mss) == [79, 80, 124, 125]


def test_a_ramp_is_flagged_where_it_is_deep_enough():
    x = sharp(240, seed=3)
    depth = np.concatenate([np.linspace(0, 3, 12)[1:], np.full(20, 3.0), np.linspace(3, 0, 12)[:-1]])
    x[100 : 100 + len(depth)] -= depth
    detection, detection_extra = analyse(series(x), DropDetector())
    got = set(flagged(detection))
    deep = {100 + i for i, d in enumerate(depth) if d >= 1.3}
    shallow = {100 + i for i, d in enumerate(depth) if d <= 0.5}
    assert deep <= got
    assert not got & shallow
    assert min(got) >= 100 and max(got) < 100 + len(depth)
    assert len(detection.segments) == 1 and detection.segments[0].severity == "severe"


def test_a_flickering_stretch_is_one_segment_but_separate_bursts_stay_apart():
    x = sharp(300, seed=18, noise=0.05)
    x[100:140] -= 2.0
    x[[110, 125, 126]] += 1.8  # heavy compression: a frame or two look sharper for a moment
    x[200:203] -= 2.0
    x[206:209] -= 2.0  # three sharp frames between two bursts
    detection, detection_extra = analyse(series(x), DropDetector())
    assert [(s.start_frame, s.end_frame) for s in detection.segments] == [(100, 139), (200, 202), (206, 208)]


def test_clean_noisy_footage_with_drift_and_cuts_is_quiet():
    rng = np.random.default_rng(4)
    n = 3000
    level = SHARP + 0.4 * np.sin(np.arange(n) / 150.0)  # focus and content drift
    change = np.abs(rng.normal(0.01, 0.004, n))
    for cut, step in ((700, -0.8), (1500, 1.0), (2200, -0.7)):  # cuts to softer and sharper shots
        level[cut:] += step
        change[cut] = 0.35
    x = level + rng.normal(0.0, NOISE, n)
    detection, detection_extra = analyse(series(x, scene_change=change), DropDetector())
    assert flagged(detection) == []
    assert not detection.blur_detected and detection.severity == "none"
    assert detection_extra["blurry_throughout"] is False
    assert detection_extra["shot_count"] == 4
    assert detection.confidence > 0.5


def test_a_cut_to_a_softer_shot_is_not_blur_but_needs_the_cut():
    x = np.concatenate([sharp(150, seed=5) + 1.0, sharp(150, seed=6) - 0.5])
    change = np.full(300, 0.01)
    change[150] = 0.4
    assert flagged(analyse_detection(DropDetector(), series(x, scene_change=change))) == []
    # without the cut, the softer shot's first frames look like a drop from the sharper one
    assert flagged(analyse_detection(DropDetector(), series(x)))


def test_a_video_blurry_throughout_is_marked_where_the_scale_is_absolute():
    x = -1.0 + np.random.default_rng(7).normal(0.0, NOISE, 250)  # q about 0.27 everywhere
    detection, detection_extra = analyse(series(x, absolute=True), DropDetector())
    assert flagged(detection) == list(range(250))
    assert detection_extra["blurry_throughout"] is True
    assert detection.severity == "severe"
    assert any("whole video" in str(r) for r in detection.recommendations)
    # without an absolute scale there is nothing to compare with: no claim either way
    relative, relative_extra = analyse(series(x, absolute=False), DropDetector())
    assert flagged(relative) == []
    assert relative_extra["blurry_throughout"] is None and relative_extra["floor"] is None


def test_a_blurry_shot_among_sharp_ones_is_found_by_the_floor():
    x = np.concatenate([sharp(100, seed=8), sharp(60, seed=9) - 3.0, sharp(100, seed=10)])
    change = np.full(260, 0.01)
    change[[100, 160]] = 0.4
    got = flagged(analyse_detection(DropDetector(), series(x, scene_change=change)))
    assert got == list(range(100, 160))


def test_severity_follows_depth():
    x = sharp(400, seed=11)
    for start, depth in ((50, 1.2), (150, 2.3), (250, 4.0)):
        x[start : start + 10] -= depth
    detection, detection_extra = analyse(series(x, absolute=False), DropDetector())
    assert [(s.start_frame, s.end_frame, s.severity) for s in detection.segments] == [
        (50, 59, "mild"), (150, 159, "moderate"), (250, 259, "severe")]
    assert detection.severity == "severe"
    assert all(s.min_score == pytest.approx(float(quality(x)[s.start_frame : s.end_frame + 1].min()))
               for s in detection.segments)


def test_sensitivity_trades_recall_for_false_alarms():
    x = sharp(300, seed=12, noise=0.1)  # scattering like hand-held footage: (about) the full drop applies
    x[100:130] -= 0.7  # mild softness: below the default drop of 0.9, above the 0.45 of sensitivity 1
    counts = [len(analyse_detection(DropDetector(sensitivity=s), series(x, absolute=False)).blur_frames) for s in (0, 0.5, 1)]
    assert counts[0] == counts[1] == 0
    assert counts[2] == 30
    low, high = DropDetector(sensitivity=0.0), DropDetector(sensitivity=1.0)
    assert low.drop > DropDetector().drop > high.drop
    assert low.floor < DropDetector().floor < high.floor
    assert DropDetector().floor == pytest.approx(0.5)
    assert DropDetector(sensitivity=None).settings() == DropDetector(sensitivity=0.5).settings()


@pytest.mark.parametrize("noise, flagged_frames", [(0.03, 4), (0.12, 0)])
def test_a_steady_shot_is_held_to_a_smaller_drop(noise, flagged_frames):
    """A shallow dip (edges 1.2x wider) stands out of a shot that scatters little (rendered, animated,
    tripod footage) and not out of one that scatters as much as hand-held footage."""
    x = sharp(250, seed=5, noise=noise)
    x[120:124] -= 0.55
    detection, detection_extra = analyse(series(x, absolute=False), DropDetector())
    assert len(detection.blur_frames) == flagged_frames
    assert all(120 <= i <= 123 for i in detection.blur_frames)
    assert len(analyse_detection(DropDetector(), series(sharp(250, seed=6, noise=noise), absolute=False)).blur_frames) == 0


@pytest.mark.parametrize("bad", [-0.1, 1.5, "high"])
def test_sensitivity_out_of_range_is_refused(bad):
    with pytest.raises(ValueError, match="sensitivity must be a number from 0"):
        DropDetector(sensitivity=bad)
    with pytest.raises(ValueError, match="sensitivity must be a number from 0"):
        MSSDetector(sensitivity=bad)


def test_featureless_frames_are_never_flagged():
    x = sharp(200, seed=13)
    q = quality(x)
    q[180:] = 0.0  # a fade to black: nothing to measure
    s = ScoreSeries(scores=q, times_s=np.arange(200) / FPS, fps=FPS, camera_movement=0.0,
                    signals={"quality": q}, absolute_scale=True)
    assert flagged(analyse_detection(DropDetector(), s)) == []
    black = ScoreSeries(scores=np.zeros(50), times_s=np.arange(50) / FPS, fps=FPS, camera_movement=0.0,
                        signals={"quality": np.zeros(50)}, absolute_scale=True)
    detection, detection_extra = analyse(black, DropDetector())
    assert flagged(detection) == [] and detection_extra["blurry_throughout"] is None


@pytest.mark.parametrize("frames", [1, 2, 5])
def test_very_short_videos_work(frames):
    x = np.full(frames, -2.0)
    detection, detection_extra = analyse(series(x), DropDetector())
    assert flagged(detection) == list(range(frames))
    assert detection_extra["blurry_throughout"] is True


def test_frame_quality_is_preferred_over_window_scores():
    x = sharp(120, seed=14)
    x[60] -= 2.5
    own = quality(x)
    window = np.convolve(np.pad(own, 1, mode="edge"), np.ones(3) / 3, mode="valid")  # a 3-frame mean blurs the burst
    s = ScoreSeries(scores=window, times_s=np.arange(120) / FPS, fps=FPS, camera_movement=0.0,
                    signals={"quality": own}, absolute_scale=True)
    assert flagged(analyse_detection(DropDetector(), s)) == [60]


def test_confidence_grows_with_the_depth_of_the_blur():
    confidences = []
    for depth in (1.0, 2.0, 4.0):
        x = sharp(200, seed=15)
        x[90:100] -= depth
        confidences.append(analyse_detection(DropDetector(), series(x, absolute=False)).confidence)
    assert 0.5 <= confidences[0] < confidences[1] < confidences[2] <= 1.0


def test_rolling_quantile_matches_a_plain_loop():
    rng = np.random.default_rng(16)
    values = rng.normal(size=500)
    use = rng.random(500) > 0.3
    got = rolling_quantile(values, use, 7, 0.85, 3)
    for t in range(500):
        window = values[max(0, t - 7) : t + 8][use[max(0, t - 7) : t + 8]]
        expected = np.quantile(window, 0.85) if len(window) >= 3 else np.nan
        np.testing.assert_allclose(got[t], expected)


def test_logit_is_finite_at_the_ends():
    assert np.isfinite(logit(np.array([0.0, 1.0]))).all()


# -- shots ------------------------------------------------------------------------------


def test_cuts_are_found_but_a_fast_pan_is_not_a_cut():
    change = np.full(300, 0.01)
    change[[80, 200]] = 0.3
    change[120:140] = 0.12  # a fast pan changes every thumbnail a little, for many frames
    assert shot_starts(change, 300).tolist() == [0, 80, 200]
    assert shot_starts(None, 300).tolist() == [0]


# -- mss: VMBench's rule, kept faithful ----------------------------------------------------


def test_mss_flags_both_frames_around_each_jump():
    scores = np.full(20, 0.8)
    scores[10] = 0.7
    np.testing.assert_array_equal(flagged_frames(scores, 0.01), [9, 10, 11])
    detection = MSSDetector().detect(ScoreSeries(scores, np.arange(20) / FPS, FPS, camera_movement=0.05))
    assert flagged(detection) == [9, 10, 11] and detection.threshold == 0.01


@pytest.mark.parametrize("movement, threshold", [(0.05, 0.01), (0.2, 0.015), (0.4, 0.025), (0.7, 0.03)])
def test_mss_threshold_follows_camera_movement(movement, threshold):
    s = ScoreSeries(np.full(10, 0.5), np.arange(10) / FPS, FPS, camera_movement=movement)
    assert MSSDetector().detect(s).threshold == threshold
    assert MSSDetector(sensitivity=0.5).detect(s).threshold == threshold
    assert MSSDetector(sensitivity=0.0).detect(s).threshold == pytest.approx(2 * threshold)
    assert MSSDetector(sensitivity=1.0).detect(s).threshold == pytest.approx(threshold / 2)


# -- every detector -------------------------------------------------------------------------


@pytest.mark.parametrize("name", DETECTORS.names())
def test_every_detector_takes_the_sensitivity_knob(name):
    x = sharp(100, seed=17)
    x[40:45] -= 2.5
    for sensitivity in (0.0, 0.5, 1.0):
        detection = create_detector(name, sensitivity=sensitivity).detect(series(x))
        assert 0.0 <= detection.confidence <= 1.0
        assert detection.severity in ("none", "mild", "moderate", "severe")
        for segment in detection.segments:
            assert segment.start_frame <= segment.end_frame
            assert segment.severity in ("mild", "moderate", "severe")


# -- end to end on encoded clips --------------------------------------------------------------


def test_scan_flags_a_long_blurry_segment_whole(long_blur_clip):
    result = scan(long_blur_clip.path)
    blurry = set(long_blur_clip.blurry_frames)
    got = set(int(i) for i in result.blur_frames)
    assert len(got & blurry) >= 0.95 * len(blurry)
    assert not got - blurry
    assert len(result.segments) == 1
    assert result.to_dict()["segments"][0]["severity"] in ("moderate", "severe")


def test_scan_of_clean_camera_motion_flags_nothing(bikes):
    result = scan(bikes)
    assert len(result.blur_frames) == 0
    assert result.verdict.blurry_throughout is False
