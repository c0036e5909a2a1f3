"""Every output of one batch tells the same story: the same names and the same counts.

One folder holds a clip soft throughout (an enlargement), a compilation of a soft shot and a sharp shot
with a blur event, a clip with a blur burst, a clean clip and a file that is not a video. It is scanned
into files and into a Parquet dataset; then every output is read back — each JSON, summary.csv,
segments.csv, statistics.md, report.html's data, the dataset's rows and its own summaries, the ``detect``
summary line and the plot's title — and each video's verdict and counts must agree across all of them.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import cv2
import numpy as np
import pytest
from rich.console import Console
from typer.testing import CliRunner

from blurscan._cli import app
from blurscan._cli.detect import summary_line
from blurscan.report.plots import plot_title
from blurscan.result import read_result_file
from blurscan.testing.synthetic import Blur, blurred, scene_frames, write_video
from tests.output_checks import check_report_html, walk_strings

COUNTS = ("segment_count", "event_count", "soft_shot_count", "shot_count", "blur_frame_count")


def _enlarged(frames):
    for frame in frames:
        small = cv2.resize(frame, (320, 180), interpolation=cv2.INTER_AREA)
        yield cv2.resize(small, (1280, 720), interpolation=cv2.INTER_CUBIC)


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    root = tmp_path_factory.mktemp("consistency") / "in"
    root.mkdir()
    write_video(root / "upscaled.mp4", _enlarged(scene_frames(60, 1280, 720, pan=2.0, seed=3)), 30.0)
    soft = list(_enlarged(scene_frames(45, 1280, 720, pan=2.0, seed=5)))
    sharp = [255 - f for f in blurred(scene_frames(75, 1280, 720, pan=1.0, seed=9), [Blur(40, 47, "gaussian", 3.0)])]
    write_video(root / "compilation.mp4", soft + sharp, 30.0)
    write_video(root / "burst.mp4", blurred(scene_frames(90, 320, 180, seed=1), [Blur(40, 44, "gaussian", 3.0)]), 30.0)
    write_video(root / "clean.mp4", scene_frames(60, 320, 180, seed=4), 30.0)
    (root / "notes.mp4").write_text("not a video")
    return root


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def outputs(folder):
    out, dataset = folder.parent / "out", folder.parent / "ds"
    assert run("batch", folder, "-o", out, "-q").exit_code == 1  # one video failed
    assert run("batch", folder, "-o", dataset, "--output-format", "parquet", "-q").exit_code == 1
    assert run("report", dataset, "-q").exit_code == 0
    return out, dataset


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _truth(out: Path) -> dict[str, dict]:
    """Each video's verdict and counts, read from its own JSON (where they are checked against its lists)."""
    truth = {}
    for row in _csv(out / "summary.csv"):
        data = json.loads((out / row["result_file"]).read_text(encoding="utf-8"))
        if "error" in data:
            truth[row["name"]] = {"status": "error"}
            continue
        kinds = [s["kind"] for s in data["segments"]]
        assert data["segment_count"] == len(data["segments"])
        assert data["event_count"] == kinds.count("event")
        assert data["soft_shot_count"] == kinds.count("soft") == sum(bool(s["soft"]) for s in data["shot_list"])
        assert data["shot_count"] == len(data["shot_list"]) and data["blur_frame_count"] == len(data["blur_frames"])
        verdict = "blurry_throughout" if data["blurry_throughout"] else "blur_found" if data["blur_detected"] else "no_blur"
        truth[row["name"]] = {"status": "ok", "verdict": verdict, "severity": data["severity"],
                              **{k: data[k] for k in COUNTS}}
    return truth


def test_the_batch_holds_the_cases_it_is_meant_to(outputs):
    truth = _truth(outputs[0])
    assert truth["upscaled.mp4"]["soft_shot_count"] == 1 and truth["upscaled.mp4"]["verdict"] == "blurry_throughout"
    compilation = truth["compilation.mp4"]
    assert (compilation["shot_count"], compilation["soft_shot_count"]) == (2, 1) and compilation["event_count"] >= 1
    assert truth["burst.mp4"]["event_count"] == 1 and truth["clean.mp4"]["verdict"] == "no_blur"
    assert truth["notes.mp4"]["status"] == "error"


def test_summary_csv_and_segments_csv_agree_with_the_results(outputs):
    out, _ = outputs
    truth = _truth(out)
    rows = {r["name"]: r for r in _csv(out / "summary.csv")}
    segments = _csv(out / "segments.csv")
    for name, facts in truth.items():
        row = rows[name]
        assert row["status"] == facts["status"], name
        if facts["status"] != "ok":
            assert row["verdict"] == "error" and row["error_type"] == "NotAVideoError"
            continue
        assert (row["verdict"], row["severity"]) == (facts["verdict"], facts["severity"]), name
        assert {k: int(row[k]) for k in COUNTS} == {k: facts[k] for k in COUNTS}, name
        mine = [s for s in segments if s["name"] == name]
        assert len(mine) == facts["segment_count"], name
        assert [s["kind"] for s in mine].count("soft") == facts["soft_shot_count"], name


def test_statistics_md_counts_what_the_results_hold(outputs):
    out, _ = outputs
    truth = [t for t in _truth(out).values() if t["status"] == "ok"]
    text = (out / "statistics.md").read_text(encoding="utf-8")
    counts = dict(re.findall(r"^\| ([a-z ]+) \| ([0-9]+) \|$", text, flags=re.M))
    assert int(counts["segments"]) == sum(t["segment_count"] for t in truth)
    assert int(counts["blur events"]) == sum(t["event_count"] for t in truth)
    assert int(counts["soft shots"]) == sum(t["soft_shot_count"] for t in truth)
    assert int(counts["videos with soft shots"]) == sum(bool(t["soft_shot_count"]) for t in truth)
    assert int(counts["blurry throughout"]) == sum(t["verdict"] == "blurry_throughout" for t in truth)
    assert int(counts["errors"]) == 1


def test_report_html_shows_the_same_counts_and_lists(outputs):
    out, _ = outputs
    truth = _truth(out)
    data = check_report_html(out)["data"]
    for entry in data["videos"]:
        facts = truth[entry["name"]]
        assert entry["status"] == facts["status"]
        if facts["status"] != "ok":
            continue
        assert {k: entry[k] for k in ("segment_count", "event_count", "soft_shot_count")} == {
            k: facts[k] for k in ("segment_count", "event_count", "soft_shot_count")}, entry["name"]
        assert len(entry.get("events", [])) == facts["event_count"]
        assert len(entry.get("soft_shots", [])) == facts["soft_shot_count"]
        assert entry["severity"] == facts["severity"]


def test_the_parquet_dataset_and_its_summaries_agree_with_the_files(outputs):
    pa = pytest.importorskip("pyarrow.parquet")
    out, dataset = outputs
    truth = _truth(out)
    table = pa.read_table(dataset / "videos")
    for row in table.to_pylist():
        facts = truth[row["name"]]
        assert row["status"] == facts["status"]
        if facts["status"] != "ok":
            assert row["verdict"] == "error"
            continue
        assert (row["verdict"], row["severity"]) == (facts["verdict"], facts["severity"]), row["name"]
        assert {k: row[k] for k in COUNTS} == {k: facts[k] for k in COUNTS}, row["name"]
        assert len(row["segments"]) == facts["segment_count"] and len(row["shot_list"]) == facts["shot_count"]
    columns = ("name", "status", "verdict", "severity", *COUNTS)
    from_files = sorted(tuple(r[c] for c in columns) for r in _csv(out / "summary.csv"))
    from_dataset = sorted(tuple(r[c] for c in columns) for r in _csv(dataset / "summary.csv"))
    assert from_files == from_dataset


def test_the_detect_line_and_the_plot_title_count_the_same(outputs):
    out, _ = outputs
    truth = _truth(out)
    for name in ("upscaled.mp4", "compilation.mp4", "burst.mp4", "clean.mp4"):
        result = read_result_file(out / f"{Path(name).stem}.json")
        console = Console(file=io.StringIO(), width=2000, color_system=None)
        console.print(summary_line(result))
        line = console.file.getvalue()
        events = truth[name]["event_count"]
        assert (f"{events} blur event" in line) == bool(events), line
        assert ("soft throughout:" in line) == bool(truth[name]["soft_shot_count"]), line
        title = plot_title(result)
        soft = truth[name]["soft_shot_count"]
        counted = f"{events} blur {'event' if events == 1 else 'events'}, {soft} soft {'shot' if soft == 1 else 'shots'}"
        assert counted in title, title
        assert ("soft throughout" in title) == bool(soft), title


def test_chinese_outputs_hold_no_english_sentence(folder, tmp_path):
    out = tmp_path / "zh"
    assert run("batch", folder, "-o", out, "--lang", "zh", "-q").exit_code == 1
    english = re.compile(r"[A-Za-z]{3,}(?: [A-Za-z]{2,})+")  # two English words in a row: a sentence
    data = check_report_html(out)["data"]
    skip = {"path", "name", "href", "src", "curve", "severity", "status", "lang", "severity_codes", "label"}

    def strings(value):
        return ((k, s) for k, s in walk_strings(value) if k not in skip)

    found = [(k, s) for k, s in strings(data) if english.search(s)]
    assert not found, found
    stats = (out / "statistics.md").read_text(encoding="utf-8")
    prose = re.sub(r"`[^`]*`|\S+\.mp4", "", stats)
    assert not english.findall(prose), english.findall(prose)
    for json_file in out.glob("*.json"):
        if json_file.name == "results.json":
            continue
        labels = json.loads(json_file.read_text(encoding="utf-8"))["labels"]
        found = [s for _, s in strings(labels) if english.search(s)]
        assert not found, (json_file.name, found)
    assert np.all([json.loads(f.read_text(encoding="utf-8"))["labels"]["lang"] == "zh" for f in out.glob("*.json")
                   if f.name != "results.json"])


def test_every_output_names_the_same_causes(outputs):
    """Each segment's cause (and the video's main cause) reads the same in the JSON, summary.csv, segments.csv,
    report.html's data and the Parquet rows."""
    pa = pytest.importorskip("pyarrow.parquet")
    out, dataset = outputs
    summary = {r["name"]: r for r in _csv(out / "summary.csv")}
    segments = _csv(out / "segments.csv")
    pages = {e["name"]: e for e in check_report_html(out)["data"]["videos"]}
    rows = {r["name"]: r for r in pa.read_table(dataset / "videos").to_pylist()}
    fields = ("cause", "cause_confidence", "motion_angle_deg", "blur_px")
    for name, row in summary.items():
        if row["status"] != "ok":
            continue
        data = json.loads((out / row["result_file"]).read_text(encoding="utf-8"))
        causes = [s["cause"] for s in data["segments"]]
        assert all(c in ("motion", "defocus", "compression", "upscale", "unknown") for c in causes), name
        assert [s["cause"] for s in data["shot_list"] if s["soft"]] == [s["cause"] for s in data["segments"]
                                                                           if s["kind"] == "soft"], name
        assert row["cause"] == (max(set(causes), key=lambda c: sum(s["frames"] for s in data["segments"]
                                                                  if s["cause"] == c)) if causes else ""), name
        assert row["cause"] == (rows[name]["cause"] or "") == pages[name].get("cause", ""), name
        mine = [s for s in segments if s["name"] == name]
        assert [s["cause"] for s in mine] == causes == [s["cause"] for s in rows[name]["segments"]], name
        for csv_seg, json_seg in zip(mine, data["segments"]):
            assert [csv_seg[f] for f in fields] == ["" if json_seg[f] is None else str(json_seg[f]) for f in fields]
        page = [*pages[name].get("soft_shots", []), *pages[name].get("events", [])]
        assert sorted(p["cause"] for p in page) == sorted(causes), name
    assert summary["burst.mp4"]["cause"] == "defocus"  # a Gaussian burst
    assert summary["clean.mp4"]["cause"] == "" and summary["upscaled.mp4"]["causes"].endswith("=1")
