"""Scanning a part of a video (--start / --end / --duration as timecodes, seconds or frames), and the
thumbnails' size: the result says which part, its times stay on the video's own timeline."""

from __future__ import annotations

import json
import shutil

import pytest
from typer.testing import CliRunner

from blurscan import Scanner, Settings
from blurscan._cli import app
from blurscan.errors import UsageError
from blurscan.testing.synthetic import Blur, make_clip
from blurscan.timecode import TimeRange, parse_time

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def clip(tmp_path_factory):
    """6 s at 30 fps; a Gaussian burst on frames 100-109 (3.333-3.667 s)."""
    return make_clip(tmp_path_factory.mktemp("range") / "six.mp4", frames=180, width=320, height=180,
                     blurs=[Blur(100, 109, "gaussian", 3.0)], seed=3)


@pytest.mark.parametrize("text, value, unit", [
    ("00:01:30.5", 90.5, "s"), ("1:30", 90.0, "s"), ("1:02:03", 3723.0, "s"), ("90.5", 90.5, "s"), ("90s", 90.0, "s"),
    ("2700", 2700.0, "frames"), ("0", 0.0, "frames"),
])
def test_times_read_as_pyscenedetect_reads_them(text, value, unit):
    point = parse_time(text)
    assert (point.value, point.unit, point.text) == (value, unit, text)


@pytest.mark.parametrize("args, says", [
    (("abc",), "is not a time"), (("1:75",), "from 0 to 59"), (("1", "2", "3"), "not both"),
    (("10s", "5s"), "is not after"), ((None, None, "0"), "is empty"),
])
def test_bad_ranges_are_usage_errors(args, says):
    with pytest.raises(UsageError, match=says):
        TimeRange.parse(*args)


def test_a_range_scans_its_frames_on_the_videos_timeline(clip):
    with Scanner(Settings(time_range=TimeRange.parse("3s", "00:00:05"))) as scanner:
        result = scanner.scan(clip.path)
    data = result.to_dict()
    assert data["video"]["frames"] == len(data["scores"]) == 60 and data["video"]["duration_s"] == 6.0
    assert data["video"]["scanned"] == {"first_frame": 90, "frames": 60, "start_s": 3.0, "end_s": 5.0,
                                        "start_tc": "00:00:03.000", "end_tc": "00:00:05.000"}
    assert data["settings"]["range"] == {"start": "3s", "end": "00:00:05"}
    (event,) = data["segments"]
    assert (event["start_frame"], event["end_frame"]) == (10, 19)  # frames count from the range's first
    assert (event["start_tc"], event["end_tc"]) == ("00:00:03.333", "00:00:03.667")  # times: the video's own
    with Scanner() as scanner:
        whole = scanner.scan(clip.path).to_dict()
    assert "scanned" not in whole["video"] and "range" not in whole["settings"]


def test_frames_and_a_duration_on_the_command_line(clip, tmp_path):
    out = tmp_path / "out"
    result = run("detect", clip.path, "--start", "30", "--duration", "60", "-o", out)
    assert result.exit_code == 0, result.stderr
    data = json.loads((out / "six.json").read_text())
    assert data["video"]["scanned"]["first_frame"] == 30 and data["video"]["frames"] == 60
    assert data["video"]["scanned"]["start_s"] == 1.0 and data["segments"] == []  # the burst lies after it
    assert "scanned 00:00:01.000–00:00:03.000 (frames 30–89 of video)" in result.stderr


def test_a_range_outside_the_video_and_bad_values(clip):
    outside = run("detect", clip.path, "--start", "10:00", "-q")
    assert outside.exit_code == 1 and "has no frame from 00:10:00.000" in outside.stderr
    bad = run("detect", clip.path, "--end", "soon", "-q")
    assert bad.exit_code == 2 and "--end 'soon' is not a time" in bad.stderr


def test_batch_scans_the_same_part_of_every_video(clip, tmp_path):
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(clip.path, folder / "a.mp4")
    shutil.copy(clip.path, folder / "b.mp4")
    out = tmp_path / "out"
    assert run("batch", folder, "-o", out, "--start", "00:00:03", "--end", "5s", "-q").exit_code == 0
    for stem in ("a", "b"):
        data = json.loads((out / f"{stem}.json").read_text())
        assert data["video"]["scanned"]["start_s"] == 3.0 and data["video"]["frames"] == 60
        assert data["segments"][0]["start_tc"] == "00:00:03.333"


def test_thumbnail_size(clip, tmp_path):
    out = tmp_path / "out"
    assert run("detect", clip.path, "-o", out, "--thumbnail-size", "96", "-q").exit_code == 0
    data = json.loads((out / "six.json").read_text())
    assert data["settings"]["thumbnail_size"] == 96
    from PIL import Image

    with Image.open(out / data["segments"][0]["thumbnails"]["worst"]["file"]) as image:
        assert max(image.size) == 96
    assert run("detect", clip.path, "-o", out, "--thumbnail-size", "8", "-q").exit_code == 2
