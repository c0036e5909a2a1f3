"""One contract, run over every registered scorer and detector (built-in or installed).

A scorer gives one result per frame and one score in [0, 1] per window, whatever the batch; a batch
that does not fit in memory is halved and retried, losing, reordering and repeating nothing. A detector
flags frames inside the video, reports segments inside it with a known severity and a confidence in
[0, 1], and a higher sensitivity never flags fewer frames.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from blurscan import Scanner, Settings
from blurscan.detect import DETECTORS, ScoreSeries, find
from blurscan.result.model import SEVERITIES
from blurscan.scorers import SCORERS
from blurscan.source import open_video
from blurscan.testing.synthetic import Blur, make_clip


def _tiny_qalign(tmp_path_factory):
    pytest.importorskip("torch")
    pytest.importorskip("transformers")
    pytest.importorskip("sentencepiece")
    from blurscan.scorers.qalign import QAlignScorer
    from blurscan.testing.qalign_standin import write_standin

    return QAlignScorer(str(write_standin(tmp_path_factory.mktemp("contract_qalign") / "tiny", "tiny")),
                        device="cpu", dtype="fp32")


#: how to build the registered scorers that need more than their defaults (the rest are built with none)
BUILDERS = {"qalign": _tiny_qalign}


@pytest.fixture(scope="module", params=SCORERS.names())
def scorer(request, tmp_path_factory):
    build = BUILDERS.get(request.param)
    made = build(tmp_path_factory) if build else SCORERS.create(request.param)
    yield made
    made.close()


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """30 frames, 160x90, panning, Gaussian blur sigma 3 on frames 12-16."""
    return make_clip(tmp_path_factory.mktemp("contract") / "clip.mp4", frames=30, width=160, height=90, pan=1.0,
                     seed=2, blurs=[Blur(12, 16, "gaussian", 3.0)])


def _pictures(scorer, path):
    with open_video(path) as source:
        return [frame.images[0] for frame in source.frames([scorer.frame_format])]


def test_a_scorer_gives_one_result_per_frame_and_a_score_in_0_1_per_window(scorer, clip):
    pictures = _pictures(scorer, clip.path)
    features = scorer.encode_frames(pictures)
    assert len(features) == len(pictures) == clip.frames
    for name, values in (scorer.frame_signals(features) or {}).items():
        assert len(values) == len(features), name
    for size in (1, 3, 5):
        windows = [tuple(features[max(0, min(len(features) - 1, i + k - size // 2))] for k in range(size))
                   for i in range(len(features))]
        scores = scorer.score_windows(windows)
        assert len(scores) == len(windows)
        assert all(math.isfinite(s) and 0.0 <= s <= 1.0 for s in scores), scores


def test_a_scorers_batch_that_does_not_fit_is_halved_and_loses_nothing(scorer, clip, monkeypatch):
    reference = Scanner(Settings(scorer=scorer.name, batch_size=1), scorer=scorer).scan(clip.path).scores
    sizes = []
    own = scorer.score_windows

    def score_windows(windows):
        sizes.append(len(windows))
        if len(windows) > 2:
            raise MemoryError("out of memory (simulated)")
        return own(windows)

    assert scorer.is_out_of_memory(MemoryError("x"))
    monkeypatch.setattr(scorer, "score_windows", score_windows)
    scanner = Scanner(Settings(scorer=scorer.name, batch_size=8), scorer=scorer)
    result = scanner.scan(clip.path)
    assert sizes[:3] == [8, 4, 2] and scanner.sizer.size <= 2
    assert len(result.scores) == clip.frames
    np.testing.assert_allclose(result.scores, reference, rtol=0, atol=1e-6)


# -- detectors --------------------------------------------------------------------------

FPS = 25.0


def _series(seed: int, n: int = 300, dips=((100, 110, 2.5), (200, 203, 1.2)), absolute: bool = True) -> ScoreSeries:
    """Quality logits around 2 with noise and dips (start, end, depth); a cut at frame 150."""
    rng = np.random.default_rng(seed)
    x = 2.0 + rng.normal(0, 0.12, n)
    for start, end, depth in dips:
        x[start:end] -= depth
    q = 1 / (1 + np.exp(-x))
    change = np.abs(rng.normal(0.01, 0.003, n))
    change[150] = 0.4
    return ScoreSeries(scores=q, times_s=np.arange(n) / FPS, fps=FPS, camera_movement=0.05,
                       signals={"quality": q, "scene_change": change}, absolute_scale=absolute)


@pytest.fixture(params=DETECTORS.names())
def detector_name(request):
    return request.param


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_detector_reports_frames_and_segments_inside_the_video(detector_name, seed):
    series = _series(seed)
    n = len(series)
    found = find(series, DETECTORS.create(detector_name))
    detection = found.detection
    frames = np.asarray(detection.blur_frames)
    assert frames.ndim == 1 and (len(frames) == 0 or (frames.min() >= 0 and frames.max() < n))
    assert len(np.unique(frames)) == len(frames)
    for seg in detection.segments:
        assert 0 <= seg.start_frame <= seg.end_frame < n and seg.kind in ("event", "soft")
        assert seg.start_s <= seg.end_s and seg.severity in SEVERITIES[1:]
    assert detection.severity in SEVERITIES and 0.0 <= detection.confidence <= 1.0
    assert detection.blur_detected == bool(detection.segments) or detector_name == "mss"
    assert [(s.start, s.stop) for s in found.shots.verdicts] == [(0, 150), (150, n)]  # the shot stage, after any


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_a_higher_sensitivity_never_flags_fewer_frames(detector_name, seed):
    series = _series(seed, dips=((100, 110, 1.0), (200, 203, 0.6), (240, 241, 0.4)), absolute=False)
    flagged = [len(find(series, DETECTORS.create(detector_name, {"sensitivity": s})).detection.blur_frames)
               for s in (0.0, 0.25, 0.5, 0.75, 1.0)]
    assert flagged == sorted(flagged), flagged
    assert flagged[-1] > flagged[0], flagged  # and it moves at all
