"""The engine end to end: each frame encoded once, memory bounded, batches retried on OOM."""

from __future__ import annotations

import gc
import weakref

import numpy as np
import pytest

from blurscan import Scanner, Settings, scan
from blurscan.errors import UsageError
from blurscan.scorers.sharpness import SharpnessScorer
from blurscan.testing.synthetic import make_clip
from tests.media import REAL_CLIPS, real_clip


class Feature:
    """A per-frame result object whose lifetime the test can watch."""

    def __init__(self, value):
        self.value = value


class WatchedScorer(SharpnessScorer):
    """The sharpness scorer, counting calls and live per-frame features, optionally failing big batches."""

    def __init__(self, oom_above: int | None = None):
        super().__init__()
        self.encoded = 0
        self.encode_calls = 0
        self.live = weakref.WeakSet()
        self.max_live = 0
        self.oom_above = oom_above
        self.window_batches = []

    def encode_frames(self, images):
        if self.oom_above is not None and len(images) > self.oom_above:
            raise MemoryError("simulated out of memory")
        self.encode_calls += 1
        self.encoded += len(images)
        out = [Feature(v) for v in super().encode_frames(images)]
        self.live.update(out)
        return out

    def frame_signals(self, features):
        return super().frame_signals([f.value for f in features])

    def score_windows(self, windows):
        if self.oom_above is not None and len(windows) > self.oom_above:
            raise MemoryError("simulated out of memory")
        gc.collect()
        self.max_live = max(self.max_live, len(self.live))
        self.window_batches.append(len(windows))
        return super().score_windows([[f.value for f in w] for w in windows])


def test_blurry_burst_scores_low(burst_clip):
    result = scan(burst_clip.path)
    scores = result.scores
    assert len(scores) == burst_clip.frames == result.video.frames
    sharp = np.r_[scores[:37], scores[48:]]
    assert scores[41:44].max() < 0.5 * sharp.min()
    assert result.video.width == 320 and result.video.height == 180
    assert result.video.fps == pytest.approx(30.0)
    assert result.times_s[-1] == pytest.approx((burst_clip.frames - 1) / 30, abs=1e-3)
    assert result.verdict.blur_detected


def test_each_frame_is_encoded_exactly_once(long_blur_clip):
    scorer = WatchedScorer()
    with Scanner(Settings(window_size=5, batch_size=16), scorer=scorer) as scanner:
        result = scanner.scan(long_blur_clip.path)
    assert scorer.encoded == long_blur_clip.frames == len(result.scores)
    assert sum(scorer.window_batches) == long_blur_clip.frames


@pytest.mark.slow
@pytest.mark.parametrize("batch", [1, 4, 16])
def test_live_per_frame_features_are_bounded_by_the_batch_not_the_video(long_blur_clip, batch):
    scorer = WatchedScorer()
    with Scanner(Settings(window_size=5, batch_size=batch), scorer=scorer) as scanner:
        scanner.scan(long_blur_clip.path)
    # windows being scored (batch + W - 1 frames) plus the batch being encoded
    assert scorer.max_live <= 2 * batch + 5
    assert long_blur_clip.frames > 2 * 16 + 5


@pytest.mark.slow
def test_out_of_memory_halves_the_batch_and_keeps_every_score_in_order(long_blur_clip):
    with Scanner(Settings(batch_size=4), scorer=WatchedScorer()) as scanner:
        expected = scanner.scan(long_blur_clip.path).scores
    scorer = WatchedScorer(oom_above=5)
    with Scanner(Settings(batch_size=32), scorer=scorer) as scanner:
        result = scanner.scan(long_blur_clip.path)
    np.testing.assert_array_equal(result.scores, expected)
    assert scorer.encoded == long_blur_clip.frames
    assert max(scorer.window_batches) <= 5
    assert any("out of memory" in str(w) for w in result.warnings)


def test_scores_outside_zero_one_are_rejected(clean_clip):
    class Broken(SharpnessScorer):
        def score_windows(self, windows):
            return [1.5 for _ in windows]

    with Scanner(scorer=Broken()) as scanner, pytest.raises(ValueError, match="outside"):
        scanner.scan(clean_clip.path)


@pytest.mark.parametrize("window_size", [1, 2, 3, 7])
def test_any_window_size_gives_one_score_per_frame(edges_clip, window_size):
    result = scan(edges_clip.path, window_size=window_size)
    assert len(result.scores) == edges_clip.frames
    assert result.settings["window_size"] == window_size


def test_blur_on_the_first_and_last_frames_is_seen(edges_clip):
    result = scan(edges_clip.path, window_size=1)
    sharpness = result.signals["sharpness"]
    middle = np.median(sharpness[5:-5])
    assert sharpness[0] < 0.5 * middle
    assert sharpness[-1] < 0.5 * middle and sharpness[-2] < 0.5 * middle


def test_vmbench_compat_changes_only_the_edge_windows(burst_clip):
    default = scan(burst_clip.path).scores
    compat = scan(burst_clip.path, compat="vmbench").scores
    np.testing.assert_allclose(default[1:-1], compat[1:-1])
    assert compat[0] != default[0] or compat[-1] != default[-1]


def test_camera_movement_follows_motion(tmp_path):
    still = make_clip(tmp_path / "still.mp4", frames=40, width=320, height=180, seed=5)
    slow = make_clip(tmp_path / "slow.mp4", frames=40, width=320, height=180, pan=1.0, seed=5)
    fast = make_clip(tmp_path / "fast.mp4", frames=40, width=320, height=180, pan=8.0, seed=5)
    moves = [scan(c.path).verdict.camera_movement for c in (still, slow, fast)]
    assert moves[0] < 0.05
    assert moves[0] < moves[1] < moves[2]
    assert moves[2] > 0.5  # 8 px a frame on 320 px: 2.5 % of the width
    legacy = [scan(c.path).verdict.camera_movement_vmbench for c in (still, slow, fast)]
    assert max(legacy) < 0.2


def test_threshold_follows_the_chosen_camera_estimator(bikes):
    flow = scan(bikes, detector="mss")
    legacy = scan(bikes, detector="mss", camera_motion="vmbench")
    assert flow.verdict.camera_movement > 0.1 > legacy.verdict.camera_movement
    assert flow.verdict.threshold > legacy.verdict.threshold == 0.01


@pytest.mark.parametrize("name", REAL_CLIPS)
def test_real_clips_scan_completely(name):
    path = real_clip(name)
    result = scan(path)
    data = result.to_dict()
    assert data["video"]["frames"] == data["video"]["declared_frames"] > 100
    assert len(data["scores"]) == data["video"]["frames"]
    assert all(0 <= s <= 1 for s in data["scores"])
    assert data["warnings"] == []


def test_same_scene_at_two_resolutions_scores_alike(tmp_path):
    """Frames are measured at a fixed working width, so 1280 px and 640 px copies agree."""
    import cv2

    from blurscan.testing.synthetic import scene_frames, write_video

    frames = list(scene_frames(12, 1280, 720, seed=11))
    write_video(tmp_path / "big.mp4", frames, fps=24, crf=12)
    write_video(tmp_path / "small.mp4", (cv2.resize(f, (640, 360), interpolation=cv2.INTER_AREA) for f in frames),
                fps=24, crf=12)
    big, small = scan(tmp_path / "big.mp4").scores, scan(tmp_path / "small.mp4").scores
    np.testing.assert_allclose(big, small, atol=0.05)


@pytest.mark.parametrize("stream", [-1, 1.5, "0", True])
def test_stream_must_be_an_index(stream):
    with pytest.raises(UsageError, match="stream must be a stream index"):
        Settings(stream=stream)
