"""The cause of a blur: each estimator on pictures blurred by known kernels, then end to end through the CLI on
clips made here (a motion-blurred stretch, a crushed clip, a bitrate drop, an enlargement, a clean control)."""

from __future__ import annotations

import json
import math

import cv2
import numpy as np
import pytest
from typer.testing import CliRunner

from blurscan._cli import app
from blurscan.detect.cause import CAUSES, EDGE_WIDTH, ENLARGED, Cause, kernel_from_growth
from blurscan.detect.compression import crushed_stretches, smoothed
from blurscan.messages import CATALOGUE, Message
from blurscan.result.reader import from_dict
from blurscan.scorers.sharpness import edge_feature
from blurscan.source.quantiser import h264_equivalent
from blurscan.taps.detail import measure_detail
from blurscan.taps.resampling import enlargement
from blurscan.testing.chromium import READY, set_value
from blurscan.testing.synthetic import Blur, apply_blur, make_clip, render_canvas, scene_frames, write_video

runner = CliRunner()


def _working(image: np.ndarray) -> np.ndarray:
    grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return cv2.resize(grey, (640, round(grey.shape[0] * 640 / grey.shape[1])), interpolation=cv2.INTER_AREA)


def _widths2(image: np.ndarray) -> np.ndarray:
    return (EDGE_WIDTH / np.array(edge_feature(_working(image)).directions)) ** 2


def _kernel(blur: Blur, seed: int) -> Cause:
    """The cause read from one 1280x720 picture blurred by ``blur``, against its sharp original (2 native
    pixels a working pixel)."""
    sharp = render_canvas(1280, 720, seed)
    return kernel_from_growth(_widths2(apply_blur(sharp, blur)) - _widths2(sharp), 2.0)


def _angle_error(a: float, b: float) -> float:
    d = abs(a - b) % 180
    return min(d, 180 - d)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("length,angle", [(9, 0), (9, 30), (15, 60), (15, 90), (25, 135), (12, 160), (20, 100)])
def test_linear_motion_gives_its_angle_and_length(length, angle, seed):
    cause = _kernel(Blur(0, 0, "motion", length, angle), seed)
    assert cause.name == "motion"
    assert _angle_error(cause.angle_deg, angle) <= 10
    assert cause.blur_px == pytest.approx(length, rel=0.25)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("kind,strength,diameter", [("disk", 2, 4), ("disk", 3, 6), ("disk", 5, 10),
                                                    ("gaussian", 1.5, 6), ("gaussian", 3, 12)])
def test_defocus_gives_its_diameter_and_no_angle(kind, strength, diameter, seed):
    """A disk of radius r has diameter 2r; a Gaussian of sigma s counts as the disk of the same spread (4s)."""
    cause = _kernel(Blur(0, 0, kind, strength), seed)
    assert cause.name == "defocus" and cause.angle_deg is None
    assert cause.blur_px == pytest.approx(diameter, rel=0.2)


def test_an_unblurred_picture_has_no_kernel():
    sharp = render_canvas(1280, 720, 3)
    assert kernel_from_growth(_widths2(sharp) - _widths2(sharp), 2.0) is None


def test_quantisers_read_on_one_scale():
    assert h264_equivalent(1, 28.0) == 28.0  # H.264: its QP
    assert h264_equivalent(0, 255.0) == pytest.approx(51.0)  # VP9: q index 0-255
    assert h264_equivalent(2, 62.0) == pytest.approx(51.0)  # MPEG: twice the scale, 31 at the top
    assert h264_equivalent(2, 4.0) < 30  # MPEG-4 at scale 2, a good quality
    assert math.isnan(h264_equivalent(-1, 10.0))


def test_a_crushed_stretch_is_found_whole_and_a_lone_coarse_frame_is_not():
    q = np.full(300, 27.0)
    q[1::2] = 30.0  # B frames coarser than P frames
    q[100:160] = 49.0
    q[250] = 51.0  # one frame the encoder starved
    found = crushed_stretches(q, 30.0, [(0, 300)], 46.0)
    assert len(found) == 1
    start, end, level = found[0]
    assert abs(start - 100) <= 3 and abs(end - 159) <= 3 and level == pytest.approx(49.0)
    assert np.isnan(smoothed(np.full(10, np.nan), 5)).all()
    assert crushed_stretches(np.full(300, 30.0), 30.0, [(0, 300)], 46.0) == []


def _upscaled(image: np.ndarray, k: float, interpolation: int = cv2.INTER_CUBIC) -> np.ndarray:
    h, w = image.shape[:2]
    small = cv2.resize(image, (round(w / k), round(h / k)), interpolation=cv2.INTER_AREA)
    return cv2.resize(small, (w, h), interpolation=interpolation)


@pytest.mark.parametrize("factor", [2, 2.5, 3, 4])
def test_an_enlargement_fits_a_coarser_grid_at_one_phase_a_blur_at_none(factor):
    rng = np.random.default_rng(round(factor * 4))
    sharp = render_canvas(1280, 720, 4)
    grey = lambda image: cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)  # noqa: E731
    noisy = lambda image: np.clip(image + rng.normal(0, 1.5, image.shape), 0, 255).astype(np.uint8)  # noqa: E731
    small = cv2.resize(sharp, (round(1280 / factor), round(720 / factor)), interpolation=cv2.INTER_AREA)
    for interpolation in (cv2.INTER_CUBIC, cv2.INTER_LINEAR, cv2.INTER_LANCZOS4):
        enlarged = grey(noisy(cv2.resize(small, (1280, 720), interpolation=interpolation)))
        assert enlargement(enlarged).fit < ENLARGED
        # wherever the enlargement sits in the frame (bars, a crop): every whole-pixel offset is a phase tried
        fit, found = enlargement(enlarged[3:, 5:], measure_detail(enlarged[3:, 5:]).share)
        assert fit < ENLARGED and found == factor
    sigma = 0.45 * factor
    for blurred in (apply_blur(sharp, Blur(0, 0, "disk", sigma * 1.4)), apply_blur(sharp, Blur(0, 0, "gaussian", sigma))):
        picture = grey(noisy(blurred))
        assert not enlargement(picture, measure_detail(picture).share).fit < 0.75
    # a sharp picture is not asked (its detail allows no factor), nor one too small to fit
    assert math.isnan(enlargement(grey(sharp), measure_detail(grey(sharp)).share).fit)
    assert math.isnan(enlargement(np.zeros((40, 40), np.uint8)).fit)


def test_every_cause_has_advice_and_a_name_in_both_languages():
    for cause in CAUSES:
        english, chinese = CATALOGUE[f"cause.{cause}"]
        assert english and chinese and english != chinese
        if cause != "unknown":
            message = Message(f"advice.cause.{cause}")
            assert message.text("en") != message.text("zh") and message.text("zh") != message.code


def test_results_without_causes_read_with_none_and_causes_read_back():
    base = {"schema": "blurscan/2", "video": {"path": "a.mp4", "name": "a.mp4", "frames": 10},
            "segments": [{"start_frame": 2, "end_frame": 4, "kind": "event", "severity": "mild"}], "shot_list": []}
    old = from_dict(base)
    assert old.events[0].cause is None and old.cause is None
    base["segments"][0].update(cause="motion", cause_confidence=0.9, motion_angle_deg=200.0, blur_px=12.0)
    read = from_dict(base)
    assert read.events[0].cause == Cause("motion", 0.9, 20.0, 12.0)
    base["segments"][0].update(cause="<script>", blur_px=-1)
    assert from_dict(base).events[0].cause is None


# -- end to end ---------------------------------------------------------------


def _detect(path, out) -> dict:
    done = runner.invoke(app, ["detect", str(path), "-o", str(out), "--no-thumbnails"])
    assert done.exit_code == 0, done.output
    return json.loads((out / f"{path.stem}.json").read_text())


@pytest.mark.slow
def test_a_motion_blurred_stretch_is_motion_with_its_angle_and_a_defocused_one_defocus(tmp_path):
    clip = tmp_path / "motion.mp4"
    make_clip(clip, frames=56, width=1280, height=720, pan=0.5,
              blurs=[Blur(14, 25, "motion", 15, 120), Blur(38, 46, "disk", 3)])
    result = _detect(clip, tmp_path / "out")
    events = [s for s in result["segments"] if s["kind"] == "event"]
    assert [s["cause"] for s in events] == ["motion", "defocus"]
    motion, defocus = events
    assert _angle_error(motion["motion_angle_deg"], 120) <= 20
    assert motion["blur_px"] == pytest.approx(15, rel=0.35)
    assert defocus["motion_angle_deg"] is None and defocus["blur_px"] == pytest.approx(6, rel=0.35)
    codes = [m["code"] for m in result["recommendations"]]
    assert "advice.cause.motion" in codes and "advice.cause.defocus" in codes


def _scene(frames: int = 60, width: int = 640, height: int = 360):
    return scene_frames(frames, width, height, pan=1.0, seed=5)


@pytest.mark.parametrize("codec,options", [("libx264", {"crf": "51"}), ("mpeg4", {"qmin": "31", "qmax": "31"}),
                                           ("libvpx-vp9", {"crf": "63", "b": "0", "deadline": "realtime",
                                                           "cpu-used": "8"})])
def test_a_clip_crushed_throughout_is_soft_with_cause_compression(tmp_path, codec, options):
    clip = tmp_path / ("crushed.webm" if codec == "libvpx-vp9" else "crushed.mp4")
    write_video(clip, _scene(), 30.0, codec=codec, options=options)
    result = _detect(clip, tmp_path / "out")
    assert result["blurry_throughout"] is True
    (shot,) = result["shot_list"]
    assert shot["soft"] and shot["cause"] == "compression" and "compressed" in shot["reason_code"]
    assert any(m["code"] == "advice.cause.compression" for m in result["recommendations"])


@pytest.mark.parametrize("codec,options", [("libx264", {"crf": "18"}), ("libx264", {"crf": "23"}),
                                           ("libx264", {"crf": "28"}), ("mpeg4", {"qmin": "4", "qmax": "4"}),
                                           ("libvpx-vp9", {"crf": "32", "b": "0", "deadline": "realtime",
                                                           "cpu-used": "8"})])
def test_ordinary_web_quality_is_never_compression(tmp_path, codec, options):
    clip = tmp_path / ("web.webm" if codec == "libvpx-vp9" else "web.mp4")
    write_video(clip, _scene(), 30.0, codec=codec, options=options)
    result = _detect(clip, tmp_path / "out")
    assert not any(s["cause"] == "compression" for s in result["segments"])
    assert not result["shot_list"][0]["soft"]


def test_a_bitrate_drop_mid_clip_is_a_compression_segment_over_the_stretch(tmp_path):
    clip = tmp_path / "drop.mp4"
    write_video(clip, _scene(120), 30.0, crf=20, options={"x264-params": "zones=45,84,q=51"})
    result = _detect(clip, tmp_path / "out")
    crushed = [s for s in result["segments"] if s["cause"] == "compression"]
    assert len(crushed) == 1 and crushed[0]["kind"] == "event"
    assert abs(crushed[0]["start_frame"] - 45) <= 6 and abs(crushed[0]["end_frame"] - 84) <= 6
    assert not result["shot_list"][0]["soft"]
    csv_rows = (tmp_path / "out" / "drop.frames.csv").read_text().splitlines()
    assert csv_rows[0].startswith("frame,time_s,score,blurry")


@pytest.mark.parametrize("factor, interpolation", [(3, cv2.INTER_CUBIC), (4, cv2.INTER_CUBIC), (3, cv2.INTER_LINEAR)])
def test_a_clip_enlarged_three_or_four_times_is_upscale_with_its_effective_size(tmp_path, factor, interpolation):
    clip = tmp_path / "enlarged.mp4"
    write_video(clip, (_upscaled(f, factor, interpolation) for f in _scene(40, 1280, 720)), 30.0)
    result = _detect(clip, tmp_path / "out")
    (shot,) = result["shot_list"]
    assert shot["soft"] and shot["cause"] == "upscale"
    # the grid's factor is the effective size (a bilinear enlargement keeps aliases its spectrum reads as detail)
    assert shot["effective_width"] == round(1280 / factor) and shot["effective_height"] == round(720 / factor)
    assert result["video"]["effective_width"] == shot["effective_width"]
    assert shot["motion_angle_deg"] is None and shot["blur_px"] is None


@pytest.mark.slow
def test_the_angle_is_read_in_the_displayed_picture(tmp_path):
    """A clip stored on its side with rotation metadata: the streak's angle is the one a viewer sees."""
    clip = tmp_path / "rotated.mp4"
    make_clip(clip, frames=40, width=640, height=360, pan=0.5, blurs=[Blur(15, 26, "motion", 15, 30)], rotation=90)
    result = _detect(clip, tmp_path / "out")
    (event,) = [s for s in result["segments"] if s["kind"] == "event"]
    assert (result["video"]["width"], result["video"]["height"]) == (360, 640)
    assert event["cause"] == "motion" and _angle_error(event["motion_angle_deg"], 120) <= 20


@pytest.mark.slow
def test_the_report_shows_each_cause_with_its_arrow_and_filters_by_cause(tmp_path, browser):
    """In a browser: the events table's cause column names the cause, a motion segment's arrow
    points along its streak (the angle as drawn on screen), and the cause filter keeps the videos
    with a segment of that cause."""
    videos = tmp_path / "in"
    videos.mkdir()
    make_clip(videos / "motion.mp4", frames=56, width=1280, height=720, pan=0.5,
              blurs=[Blur(14, 25, "motion", 15, 120), Blur(38, 46, "disk", 3)])
    make_clip(videos / "clean.mp4", frames=30, width=320, height=180, seed=2)
    out = tmp_path / "out"
    done = runner.invoke(app, ["batch", str(videos), "-o", str(out), "-q"])
    assert done.exit_code == 0, done.output
    page = browser.page()
    page.goto((out / "report.html").as_uri(), READY)
    page.js("[...document.querySelectorAll('#videos tbody tr')].find(r => r.querySelector('.path').textContent"
            " === 'motion.mp4').querySelector('button.tog').click()")
    cells = page.js("[...document.querySelectorAll('tr.detail table.events td.cause')].map(c => c.querySelector('span').textContent)")
    assert [c.split(",")[0] for c in cells] == ["motion", "defocus"], cells
    x1, y1, x2, y2 = page.js("(() => {const l = document.querySelector('tr.detail table.events td.cause svg line');"
                             " return ['x1', 'y1', 'x2', 'y2'].map(k => +l.getAttribute(k));})()")
    drawn = math.degrees(math.atan2(y1 - y2, x2 - x1)) % 180  # screen y points down
    assert _angle_error(drawn, 120) <= 20, drawn
    assert page.js("document.querySelectorAll('tr.detail table.events td.cause svg').length") == 1  # defocus: no arrow
    shown = "[...document.querySelectorAll('#videos tbody tr')].filter(r => r.querySelector('.path')" \
            " && r.style.display !== 'none').map(r => r.querySelector('.path').textContent)"
    for cause, expected in (("motion", ["motion.mp4"]), ("compression", []), ("", ["clean.mp4", "motion.mp4"])):
        set_value(page, "#cause", cause, "change")
        assert sorted(page.js(shown)) == expected, cause
