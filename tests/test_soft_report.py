"""Soft shots and effective resolution in every output, apart from blur events.

The results are made by hand, exactly as schema ``blurscan/1`` wrote them (English words, the shot count
as ``shots``): the reader brings them to today's model, and every output shows them with today's names.
"""


from __future__ import annotations

import copy
import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from rich.console import Console
from typer.testing import CliRunner

from blurscan._cli import app
from blurscan._cli.detect import summary_line
from blurscan.result import from_dict
from blurscan.result.model import SUMMARY_FIELDS
from blurscan.testing.chromium import PATHS, READY, set_value
from blurscan.timecode import clock
from tests.output_checks import check_report_html, check_statistics_md, check_summary_csv, check_terminal_text

FPS = 25.0
FRAMES = 300
REASON = "holds the detail of about 330x185 of its 1280x720 (26 %)"


def _span(start: int, end: int) -> dict[str, Any]:
    return {"start_frame": start, "end_frame": end, "start_s": round(start / FPS, 4), "end_s": round(end / FPS, 4),
            "start_tc": clock(start / FPS), "end_tc": clock(end / FPS), "duration_s": round((end - start) / FPS, 4),
            "frames": end - start + 1}


def soft_result(name: str = "upscaled.mp4", reason: str = REASON) -> dict[str, Any]:
    """1280x720, 300 frames at 25 fps in two shots: frames 0-99 soft throughout (about 330x185, moderate)
    with a severe blur event at 40-49 inside; frames 100-299 sharp with a mild event at 200-209."""
    scores = [0.45] * 100 + [0.9] * 200
    for i in range(40, 50):
        scores[i] = 0.2
    for i in range(200, 210):
        scores[i] = 0.7
    return {
        "schema": "blurscan/1",
        "video": {"path": f"/data/{name}", "name": name, "frames": FRAMES, "fps": FPS, "duration_s": FRAMES / FPS,
                  "width": 1280, "height": 720, "effective_width": 602, "effective_height": 338, "detail": 0.47},
        "settings": {"scorer": "sharpness", "detector": "drop", "window_size": 3, "lang": "en"},
        "scores": scores,
        "blur_frames": list(range(0, 100)) + list(range(200, 210)),
        "segments": [
            {**_span(0, 99), "severity": "moderate", "min_score": 0.2, "kind": "soft"},
            {**_span(40, 49), "severity": "severe", "min_score": 0.2, "kind": "event"},
            {**_span(200, 209), "severity": "mild", "min_score": 0.7, "kind": "event"},
        ],
        "shots": 2,
        "shot_list": [
            {"index": 0, **_span(0, 99), "soft": True, "reason": reason, "detail": 0.26,
             "effective_width": 330, "effective_height": 185, "severity": "moderate"},
            {"index": 1, **_span(100, 299), "soft": False, "reason": None, "detail": 0.98,
             "effective_width": 1254, "effective_height": 705, "severity": None},
        ],
        "blur_detected": True,
        "blurry_throughout": False,
        "blur_ratio": round(110 / FRAMES, 6),
        "mss": round(1 - 110 / FRAMES, 6),
        "severity": "severe",
        "confidence": 0.93,
        "avg_quality": 0.7,
        "camera_movement": 0.05,
        "floor": 0.5,
        "recommendations": ["Severe blur: consider re-recording or regenerating the video."],
        "timing": {"seconds": 1.0, "frames_per_s": 300.0},
        "memory": {"peak_rss_mb": 100.0},
        "warnings": [],
    }


def old_result(name: str = "old.mp4") -> dict[str, Any]:
    """The same video with its blur events only, its shots and effective resolution not measured."""
    data = copy.deepcopy(soft_result(name))
    for key in ("effective_width", "effective_height", "detail"):
        del data["video"][key]
    del data["shot_list"]
    data["segments"] = data["segments"][1:]
    data["blur_frames"] = list(range(40, 50)) + list(range(200, 210))
    data.update(blur_ratio=round(20 / FRAMES, 6), mss=round(1 - 20 / FRAMES, 6))
    return data


def native_result(name: str = "native.mp4") -> dict[str, Any]:
    """A sharp video that lists its one shot: not soft, holding nearly its full 1280x720; no blur."""
    data = copy.deepcopy(soft_result(name))
    data["video"].update(effective_width=1254, effective_height=705, detail=0.98)
    data["shots"] = 1
    data["shot_list"] = [{"index": 0, **_span(0, FRAMES - 1), "soft": False, "reason": None, "detail": 0.98,
                      "effective_width": 1254, "effective_height": 705, "severity": None}]
    data.update(segments=[], blur_frames=[], blur_detected=False, blur_ratio=0.0, mss=1.0, severity="none",
                scores=[0.9] * FRAMES, recommendations=["No blur found; no action needed."])
    return data


#: summary.csv's columns for soft footage: what the picture holds, soft shots and blur events apart
SOFT_FIELDS = ["effective_width", "effective_height", "detail", "soft_shot_count", "event_count"]
HOSTILE_REASON = '<img src=x onerror="window.pwned=1"> [bold red]=HYPERLINK("x")[/] \x1b[2J\u202e|\n# heading'


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def write_results(out: Path, results: list[dict[str, Any]]) -> Path:
    """Result files as `blurscan detect -o` leaves them; `blurscan report` builds the summaries from them."""
    out.mkdir(parents=True, exist_ok=True)
    for data in results:
        (out / (data["video"]["name"].rsplit(".", 1)[0] + ".json")).write_text(
            json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    """A folder of three results and its summaries: one with a soft shot and events, one from before
    issue 10, one sharp and measured."""
    out = write_results(tmp_path_factory.mktemp("soft") / "out", [soft_result(), old_result(), native_result()])
    made = run("report", out)
    assert made.exit_code == 0, made.stderr
    return out


def test_summary_csv_counts_effective_resolution_soft_shots_and_events_apart(batch):
    rows = check_summary_csv(batch / "summary.csv", 3, ["upscaled.mp4", "old.mp4", "native.mp4"])
    assert list(SUMMARY_FIELDS) == list(rows[0])
    by_name = {r["name"]: [r[k] for k in SOFT_FIELDS] for r in rows}
    assert by_name == {
        "upscaled.mp4": ["602", "338", "0.47", "1", "2"],
        "old.mp4": ["", "", "", "0", "2"],  # not measured: blank
        "native.mp4": ["1254", "705", "0.98", "0", "0"],
    }
    counts = {r["name"]: (r["segment_count"], r["shot_count"], r["verdict"]) for r in rows}
    assert counts["upscaled.mp4"] == ("3", "2", "blur_found")  # every segment, soft ones too


def test_segments_csv_says_which_segment_is_a_soft_shot(batch):
    rows = _csv(batch / "segments.csv")
    assert "kind" in rows[0] and "min_score" in rows[0] and "worst_score" not in rows[0]  # the JSON's names
    assert [r["shot"] for r in rows if r["kind"] == "soft"] == ["0"]
    assert [(r["name"], r["start_tc"], r["end_tc"], r["kind"]) for r in rows] == [
        ("old.mp4", "00:00:01.600", "00:00:01.960", "event"),
        ("old.mp4", "00:00:08.000", "00:00:08.360", "event"),
        ("upscaled.mp4", "00:00:00.000", "00:00:03.960", "soft"),
        ("upscaled.mp4", "00:00:01.600", "00:00:01.960", "event"),  # an event inside the soft shot
        ("upscaled.mp4", "00:00:08.000", "00:00:08.360", "event"),
    ]


def test_statistics_count_soft_shots_apart_from_blur_events(batch):
    sections = check_statistics_md(batch / "statistics.md", 3, ["upscaled.mp4", "old.mp4", "native.mp4"])
    rows = sections["blurscan batch statistics"]["rows"]
    counts = {r[0]: r[1] for r in rows if len(r) == 2}
    assert (counts["blur events"], counts["videos with soft shots"], counts["soft shots"]) == ("4", "1", "1")
    detail = next(r for r in rows if r[0] == "detail (share of the frame's resolution)")
    assert detail[1:] == ["0.7250", "0.7250", "0.4700", "0.9800", "0.2550"]  # mean, median, min, max, std
    assert sections["Least detail held"]["rows"] == [
        ["video", "soft shots", "effective resolution", "blur events"],
        ["upscaled.mp4", "1", "about 602x338 (47 %)", "2"],
    ]


def test_statistics_of_results_without_measured_shots(tmp_path):
    out = write_results(tmp_path / "out", [old_result()])
    assert run("report", out).exit_code == 0
    sections = check_statistics_md(out / "statistics.md", 1, ["old.mp4"])
    rows = sections["blurscan batch statistics"]["rows"]
    counts = {r[0]: r[1] for r in rows if len(r) == 2}
    assert (counts["blur events"], counts["videos with soft shots"], counts["soft shots"]) == ("2", "0", "0")
    assert next(r for r in rows if r[0].startswith("detail"))[1:] == ["–"] * 5
    assert "Least detail held" not in sections
    assert [r["kind"] for r in _csv(out / "segments.csv")] == ["event", "event"]


def shown(markup: str) -> str:
    """A summary line as a terminal shows it (rich markup rendered, no colours)."""
    console = Console(file=io.StringIO(), width=1000, color_system=None, soft_wrap=True)
    console.print(markup)
    return console.file.getvalue().rstrip("\n")


def summary(data: dict[str, Any], lang: str = "en") -> str:
    return shown(summary_line(from_dict(data), {".json": "out/x.json"}, lang))


def test_detect_prints_soft_shots_apart_from_blur_events():
    assert summary(soft_result()) == (
        "upscaled.mp4: severe, 110/300 frames (36.7%), "
        "2 blur events: 00:00:01.600–00:00:01.960 (frames 40–49), 00:00:08.000–00:00:08.360 (frames 200–209); "
        "soft throughout: 00:00:00.000–00:00:03.960 (shot 1, moderate, holds about 330x185 of 1280x720); "
        "effective resolution about 602x338 of 1280x720 (47 %) → out/x.json"
    )
    # its blur events alone
    assert summary(old_result()) == (
        "old.mp4: severe, 20/300 frames (6.7%), "
        "2 blur events: 00:00:01.600–00:00:01.960 (frames 40–49), 00:00:08.000–00:00:08.360 (frames 200–209) → out/x.json"
    )
    # nearly its frame size: no effective resolution to point out
    assert summary(native_result()) == "native.mp4: no blur found (300 frames) → out/x.json"


def test_detect_prints_the_effective_resolution_only_when_clearly_below_the_frame():
    sharp_upscale = native_result("upscale.mp4")
    sharp_upscale["video"].update(effective_width=640, effective_height=360, detail=0.5)
    assert summary(sharp_upscale) == (
        "upscale.mp4: no blur found (300 frames); effective resolution about 640x360 of 1280x720 (50 %) → out/x.json")
    whole = soft_result("whole.mp4")  # one shot, soft throughout: said once, with the shot
    whole.update(blurry_throughout=True, shots=1, shot_list=whole["shot_list"][:1], segments=whole["segments"][:2])
    whole["shot_list"][0].update(end_frame=FRAMES - 1, end_s=(FRAMES - 1) / FPS, end_tc=clock((FRAMES - 1) / FPS))
    assert summary(whole) == (
        "whole.mp4: blurry throughout (severe), 110/300 frames, 1 blur event: 00:00:01.600–00:00:01.960 (frames 40–49); "
        "soft throughout: 00:00:00.000–00:00:11.960 (shot 1, moderate, holds about 330x185 of 1280x720) → out/x.json"
    )


def test_detect_prints_a_hostile_reason_as_text():
    data = soft_result("hostile.mp4", reason=HOSTILE_REASON)
    del data["shot_list"][0]["effective_width"]  # no size to say: the reason is shown instead
    line = summary(data)
    check_terminal_text(line)
    assert "\x1b" not in line and "[bold red]" in line and "\\x1b[2J" in line and "\\u202e" in line and "\\n" in line


def test_detect_prints_soft_shots_in_chinese():
    assert summary(soft_result(), "zh") == (
        "upscaled.mp4: 严重模糊, 110/300 帧 (36.7%), "
        "2 模糊事件: 00:00:01.600–00:00:01.960 (帧 40–49), 00:00:08.000–00:00:08.360 (帧 200–209); "
        "画面整体偏软: 00:00:00.000–00:00:03.960 (镜头 1, 中等模糊, 有效分辨率约 330x185（画面 1280x720）); "
        "有效分辨率约 602x338（画面 1280x720，47 %） → out/x.json"
    )


# -- report.html ----------------------------------------------------------------------------


CELLS = "[...document.querySelectorAll('#videos tbody tr:not(.detail)')].map(r => r.cells[{}].textContent)"
TABLE = "[...document.querySelectorAll('tr.detail table.{} tr')].slice(1).map(r => [...r.cells].map(c => c.textContent))"



def _open(page, path: str) -> None:
    page.js("[...document.querySelectorAll('#videos tbody tr')].find(r => r.querySelector('.path').textContent"
            f" === {json.dumps(path)}).querySelector('button.tog').click()")


def test_report_data_holds_soft_shots_apart_from_events(batch):
    videos = {v["path"]: v for v in check_report_html(batch, ["upscaled.mp4", "old.mp4"])["data"]["videos"]}
    soft, old = videos["upscaled.mp4"], videos["old.mp4"]
    assert [soft[k] for k in ("segment_count", "event_count", "soft_shot_count", "effective_width", "effective_height",
                              "detail")] == [3, 2, 1, 602, 338, 0.47]
    assert [(g["start_frame"], g["end_frame"]) for g in soft["events"]] == [(40, 49), (200, 209)]  # the events only
    (shot,) = soft["soft_shots"]
    assert (shot["shot"], shot["start_frame"], shot["end_frame"], shot["start_tc"], shot["end_tc"]) == (
        1, 0, 99, "00:00:00.000", "00:00:03.960")
    assert shot["size_text"] == "about 330x185 of 1280x720 (26 %)" and shot["reason"] == REASON
    assert soft["effective_text"] == "about 602x338 of 1280x720 (47 %)"
    assert (old["event_count"], old["soft_shot_count"]) == (2, 0)
    assert not {"effective_width", "effective_height", "detail", "soft_shots", "effective_text"} & set(old)


def test_report_shows_soft_shots_sorts_effective_resolution_and_filters(batch, tmp_path, browser):
    extra = native_result("small.mp4")  # 640x360 of its frame: sorts between 602x338 and 1254x705
    extra["video"].update(effective_width=640, effective_height=360, detail=0.5)
    out = write_results(tmp_path / "out", [soft_result(), old_result(), native_result(), extra])
    assert run("report", out).exit_code == 0
    page = browser.page()
    page.goto((out / "report.html").as_uri(), READY)
    header = page.js("[...document.querySelectorAll('#videos thead th')].map(t => t.textContent)")
    column = header.index("effective resolution")

    page.js("document.querySelector('th[data-k=effective]').click()")  # numbers, not text: 1254x705 is the largest
    assert page.js(PATHS) == ["native.mp4", "small.mp4", "upscaled.mp4", "old.mp4"]
    assert page.js(CELLS.format(column)) == ["1254x705 (98 %)", "640x360 (50 %)", "602x338 (47 %)", "–"]
    assert page.js(CELLS.format(header.index("soft shots"))) == ["0", "0", "1", "0"]
    page.js("document.querySelector('th[data-k=effective]').click()")
    assert page.js(PATHS) == ["old.mp4", "upscaled.mp4", "small.mp4", "native.mp4"]

    set_value(page, "#severity", "soft", "change")
    assert page.js(PATHS) == ["upscaled.mp4"]
    set_value(page, "#severity", "severe", "change")  # the severity filter as before
    assert sorted(page.js(PATHS)) == ["old.mp4", "upscaled.mp4"]
    set_value(page, "#severity", "none", "change")
    assert sorted(page.js(PATHS)) == ["native.mp4", "small.mp4"]
    set_value(page, "#severity", "", "change")

    _open(page, "upscaled.mp4")
    assert page.js(TABLE.format("soft")) == [
        ["1", "00:00:00.000", "00:00:03.960", "3.960 s", "0–99", "moderate", "", "about 330x185 of 1280x720 (26 %)", REASON,
         ""]]  # no cause: the made result gives none
    assert [r[1:3] for r in page.js(TABLE.format("events"))] == [
        ["00:00:01.600", "00:00:01.960"], ["00:00:08.000", "00:00:08.360"]]
    assert "effective resolution: about 602x338 of 1280x720 (47 %)" in page.js("document.querySelector('tr.detail').textContent")
    assert page.js("document.querySelectorAll('tr.detail svg.curve rect').length") == 3  # one soft shot, two events
    _open(page, "old.mp4")  # blur events only: its events, no soft table
    assert page.js("document.querySelectorAll('tr.detail table.soft').length") == 1
    assert page.js("document.querySelectorAll('tr.detail table.events').length") == 2


def test_report_shows_a_hostile_reason_as_text(tmp_path, browser):
    out = write_results(tmp_path / "out", [soft_result("hostile.mp4", reason=HOSTILE_REASON)])
    assert run("report", out).exit_code == 0
    data = check_report_html(out, ["hostile.mp4"])["data"]
    reason = data["videos"][0]["soft_shots"][0]["reason"]
    assert reason == HOSTILE_REASON.replace("\x1b", "\\x1b").replace("\u202e", "\\u202e").replace("\n", "\\n")
    page = browser.page()
    page.goto((out / "report.html").as_uri(), READY)  # one video: its details are open
    assert page.js(TABLE.format("soft"))[0][8] == reason
    assert page.js("typeof window.pwned") == "undefined" and page.js("document.querySelectorAll('img[src=\"x\"]').length") == 0


def test_soft_shots_in_chinese_with_the_same_data(batch, tmp_path):
    import shutil

    out = tmp_path / "zh"
    shutil.copytree(batch, out)
    assert run("report", out, "--lang", "zh").exit_code == 0
    stats = (out / "statistics.md").read_text(encoding="utf-8")
    for line in ("| 模糊事件 | 4 |", "| 含偏软镜头的视频 | 1 |", "| 偏软镜头 | 1 |", "## 保留细节最少的视频",
                 "| upscaled.mp4 | 1 | 约 602x338（47 %） | 2 |", "| 有效分辨率占比（相对画面尺寸） | 0.7250 |"):
        assert line in stats, line
    page = check_report_html(out, ["upscaled.mp4"])
    words = page["data"]["meta"]["words"]
    assert (words["soft_throughout"], words["soft_shots"], words["blur_events"], words["effective_resolution"]) == (
        "画面整体偏软", "偏软镜头", "模糊事件", "有效分辨率")
    assert all(any("\u4e00" <= c <= "\u9fff" for c in w) for w in words.values()), words
    soft = next(v for v in page["data"]["videos"] if v["path"] == "upscaled.mp4")
    shot = soft["soft_shots"][0]
    assert shot["size_text"] == "约 330x185（画面 1280x720，26 %）" and soft["effective_text"] == "约 602x338（画面 1280x720，47 %）"
    html = (out / "report.html").read_text(encoding="utf-8")
    assert ">含偏软镜头</option>" in html and ">有效分辨率<" in html
    for name in ("summary.csv", "segments.csv", "results.json"):  # the data stays language-neutral
        assert (out / name).read_bytes() == (batch / name).read_bytes(), name


# -- Parquet ----------------------------------------------------------------------------------


def test_a_parquet_row_has_the_summary_names_and_the_json_lists():
    pa = pytest.importorskip("pyarrow")
    from blurscan.report.parquet import video_row, video_schema

    names = video_schema().names
    assert set(SUMMARY_FIELDS) - {"relative_path", "result_file"} <= set(names)  # summary.csv's names, one by one
    rows = [video_row(from_dict(soft_result()), "s"), video_row(from_dict(old_result()), "s")]
    soft, old = pa.Table.from_pylist(rows, schema=video_schema()).to_pylist()
    assert [soft[k] for k in ("shot_count", "soft_shot_count", "event_count", "segment_count", "effective_width",
                              "effective_height", "detail", "verdict")] == [2, 1, 2, 3, 602, 338, 0.47, "blur_found"]
    assert [(s["kind"], s["shot"]) for s in soft["segments"]] == [("soft", 0), ("event", None), ("event", None)]
    assert [s["soft"] for s in soft["shot_list"]] == [True, False]
    assert soft["recommendations"][0]["code"] == "advice.severe.rerecord"  # codes: any language can be shown
    assert [old[k] for k in ("shot_count", "soft_shot_count", "effective_width", "detail", "event_count")] == [0, 0, None, None, 2]


def _first_dataset_schema_row():
    """A row as the first dataset schema (``blurscan-dataset/1``) held it: counts ``shots``, ``soft_shots``,
    ``events``, words in English, the shot list inside ``extra``."""
    pa = pytest.importorskip("pyarrow")
    segment = pa.struct([("start_frame", pa.int64()), ("end_frame", pa.int64()), ("start_s", pa.float64()),
                         ("end_s", pa.float64()), ("start_tc", pa.string()), ("end_tc", pa.string()),
                         ("severity", pa.string()), ("min_score", pa.float64()), ("kind", pa.string())])
    schema = pa.schema([("path", pa.string()), ("name", pa.string()), ("status", pa.string()),
                        ("blur_detected", pa.bool_()), ("blurry_throughout", pa.bool_()), ("severity", pa.string()),
                        ("blur_ratio", pa.float64()), ("shots", pa.int64()), ("soft_shots", pa.int64()),
                        ("segment_count", pa.int64()), ("segments", pa.list_(segment)),
                        ("recommendations", pa.list_(pa.string())), ("warnings", pa.list_(pa.string())),
                        ("extra", pa.string()), ("settings_id", pa.string()), ("events", pa.int64()),
                        ("effective_scale", pa.float64())])
    shot_list = [{"index": 0, "start_frame": 0, "end_frame": 99, "start_s": 0.0, "end_s": 4.0, "frames": 100,
                  "soft": True, "reason": REASON, "severity": "moderate"}]
    row = {"path": "/data/v1.mp4", "name": "v1.mp4", "status": "ok", "blur_detected": True, "blurry_throughout": False,
           "severity": "moderate", "blur_ratio": 0.3, "shots": 2, "soft_shots": 1, "segment_count": 1,
           "segments": [{**_span(0, 99), "severity": "moderate", "min_score": 0.4, "kind": "soft"}],
           "recommendations": ["Moderate blur: review the listed segments."], "warnings": ["skipped 2 corrupt frame(s)"],
           "extra": json.dumps({"shot_list": shot_list}), "settings_id": "s", "events": 0, "effective_scale": 0.3}
    return pa.Table.from_pylist([row], schema=schema)


def test_summaries_from_a_parquet_dataset_old_shards_included(tmp_path):
    pytest.importorskip("pyarrow")
    from blurscan.batch.sinks.parquet import DatasetDir, prune_for_resume, write_shard
    from blurscan.batch.summaries import write_dataset_summaries
    from blurscan.report.parquet import video_row, video_schema

    dataset = DatasetDir(tmp_path / "ds")
    dataset.prepare()
    dataset.write_meta({"scorer": "sharpness", "detector": "drop", "window_size": 3}, "zh")
    write_shard(dataset, "part-new.parquet", [video_row(from_dict(soft_result()), "s")], [])
    dataset.write("videos", "part-old.parquet", _first_dataset_schema_row())

    write_dataset_summaries(dataset.location)
    rows = {r["name"]: [r[k] for k in SOFT_FIELDS] for r in check_summary_csv(dataset.root / "summary.csv", 2)}
    assert rows == {"upscaled.mp4": ["602", "338", "0.47", "1", "2"], "v1.mp4": ["", "", "", "1", "0"]}
    videos = {v["name"]: v for v in check_report_html(dataset.root)["data"]["videos"]}
    assert videos["upscaled.mp4"]["severity"] == "severe" and videos["upscaled.mp4"]["status"] == "ok"
    assert (videos["upscaled.mp4"]["effective_width"], videos["upscaled.mp4"]["soft_shot_count"]) == (602, 1)
    assert "偏软镜头" in (dataset.root / "statistics.md").read_text(encoding="utf-8")  # the batch's language

    assert prune_for_resume(dataset, lambda row: True) == {"/data/upscaled.mp4", "/data/v1.mp4"}
    assert dataset.schema("videos", "part-old.parquet").equals(video_schema())  # brought up to today's columns
    (old,) = dataset.read("videos", "part-old.parquet").to_pylist()
    assert (old["shot_count"], old["soft_shot_count"], old["event_count"], old["verdict"]) == (2, 1, 0, "blur_found")
    assert old["recommendations"] == [{"code": "advice.moderate.review", "values": "{}"}]
    assert old["shot_list"][0]["reason_code"] == "text" and json.loads(old["shot_list"][0]["reason_values"]) == {"text": REASON}
