"""A video soft throughout: every output shows the measures its verdict rests on, and one severity rule."""

from __future__ import annotations

import itertools
import json

import pytest

from blurscan import Scanner
from blurscan.detect.softness import DETAIL_SEVERITY, judge_softness
from blurscan.report.html import _Thumbnails, video_entry
from blurscan.report.plots import plot_title
from blurscan.testing.synthetic import Blur, make_clip

RANK = {"mild": 0, "moderate": 1, "severe": 2}


def test_a_shot_that_holds_less_is_never_milder():
    """Over levels and detail held, soft verdicts only: less detail never gives a milder severity, whatever made the
    shot soft (its level below the floor, little detail, or both)."""
    verdicts = []
    for level, detail in itertools.product((-3.0, -1.5, -0.5, 0.2, 1.0, 2.0), (0.1, 0.18, 0.25, 0.29, 0.33, 0.5, 0.8)):
        held = {"detail": detail, "effective_width": round(detail * 1280), "effective_height": round(detail * 720)}
        judged = judge_softness(level, held, detail + 0.02, (1280, 720), floor_logit=0.0, soft_detail=0.365, native=True)
        if judged["soft"]:
            verdicts.append((detail, level, RANK[judged["severity"]]))
    # both kinds are in the grid: soft by the level with much detail, and by the detail with a good level
    assert any(level < 0 and detail > 0.4 for detail, level, _ in verdicts)
    assert any(level > 0 for _, level, _ in verdicts)
    for (d1, _, r1), (d2, _, r2) in itertools.combinations(verdicts, 2):
        if d1 < d2:
            assert r1 >= r2, (d1, r1, d2, r2)
    assert all(r == 2 for d, _, r in verdicts if d < DETAIL_SEVERITY[1])


def test_a_soft_shot_with_no_detail_measured_is_judged_by_its_level():
    held = {"detail": None, "effective_width": None, "effective_height": None}
    deep = judge_softness(-2.5, held, None, (640, 360), floor_logit=0.0, soft_detail=0.365, native=False)
    shallow = judge_softness(-0.1, held, None, (640, 360), floor_logit=0.0, soft_detail=0.365, native=False)
    assert RANK[deep["severity"]] > RANK[shallow["severity"]]


@pytest.fixture(scope="module")
def soft_result(tmp_path_factory):
    """1280x720, Gaussian sigma 3 on every frame: its edge score at 640 px stays near 0.64, it holds about 17 %."""
    clip = make_clip(tmp_path_factory.mktemp("soft") / "soft720.mp4", frames=45, width=1280, height=720,
                     blurs=[Blur(0, 44, "gaussian", 3.0)], pan=2.0)
    with Scanner() as scanner:
        return scanner.scan(clip.path)


def test_plot_title_and_report_show_what_the_soft_verdict_rests_on(soft_result, tmp_path):
    (shot,) = soft_result.soft_shots
    assert soft_result.verdict.blurry_throughout and shot.detail is not None and shot.detail < 0.3
    assert soft_result.quality["avg_quality"] > 0.5  # the curve alone looks sharp: hence the measures beside it
    title = plot_title(soft_result)
    assert "soft throughout: holds about" in title and f"({round(shot.detail * 100)} %)" in title, title
    row = {**soft_result.summary(), "result_file": "soft720.json", "status": "ok"}
    entry = video_entry(row, soft_result, tmp_path, True, _Thumbnails(tmp_path, True), {}, "en")
    (drawn,) = entry["soft_shots"]
    assert drawn["detail"] == pytest.approx(shot.detail, abs=1e-3)
    assert drawn["level"] == pytest.approx(shot.reason_values["quality"], abs=1e-3) and drawn["level"] < 0.5
    assert drawn["severity"] == shot.severity == ("severe" if shot.detail < DETAIL_SEVERITY[1] else "moderate")
    json.dumps(entry)
