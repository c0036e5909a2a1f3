"""Batch reports people act on: segments.csv, statistics ranked by severity, Chinese labels,
``blurscan report`` rebuilding a folder, and report.html driven in headless Chromium."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blurscan._cli import app
from blurscan.batch import run_batch
from blurscan.report.statistics import statistics_markdown
from blurscan.testing.chromium import PATHS, READY, set_value
from blurscan.testing.results import add_thumbnails, write_synthetic_batch
from blurscan.testing.synthetic import Blur, make_clip
from tests.output_checks import check_csv_rows, check_report_html, check_statistics_md

HOSTILE = '<img src=x onerror="window.pwned=1">.mp4'
SUMMARIES = ("summary.csv", "results.json", "statistics.md", "segments.csv", "report.html")


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    """A folder with sub-folders: two blurry clips, a clean one, one with a hostile name, a broken file."""
    folder = tmp_path_factory.mktemp("report") / "videos"
    (folder / "sub").mkdir(parents=True)
    (folder / "other").mkdir()
    make_clip(folder / "a.mp4", frames=16, width=96, height=64, blurs=[Blur(7, 9, "gaussian", 3.0)], seed=1)
    make_clip(folder / "sub" / "clip.mp4", frames=20, width=96, height=64,
              blurs=[Blur(3, 8, "gaussian", 4.0), Blur(14, 16, "gaussian", 3.0)], seed=2)
    make_clip(folder / "other" / "clean.mp4", frames=16, width=96, height=64, seed=4)
    shutil.copy(folder / "a.mp4", folder / "other" / HOSTILE)
    (folder / "sub" / "broken.mp4").write_bytes(b"not a video " * 40)
    return folder


@pytest.fixture(scope="module")
def batch_out(videos, tmp_path_factory):
    out = tmp_path_factory.mktemp("report-out") / "out"
    summary = run_batch(videos, out)
    assert summary.total == 5 and summary.errors == 1
    return out


def _csv(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_segments_csv_has_one_row_per_segment_with_relative_paths_and_timecodes(batch_out):
    rows = _csv(batch_out / "segments.csv")
    check_csv_rows(rows, "segments.csv", ["relative_path", "name", "severity", "start_tc", "end_tc"])
    expected = []
    for row in _csv(batch_out / "summary.csv"):
        if row["status"] != "ok":
            continue
        result = json.loads((batch_out / row["result_file"]).read_text(encoding="utf-8"))
        for number, seg in enumerate(result["segments"], 1):
            expected.append((row["relative_path"], str(number), str(seg["start_frame"]), str(seg["end_frame"]),
                             seg["start_tc"], seg["end_tc"], seg["severity"], str(seg["min_score"])))
    got = [(r["relative_path"], r["segment"], r["start_frame"], r["end_frame"], r["start_tc"], r["end_tc"],
            r["severity"], r["min_score"]) for r in rows]
    assert got == expected and len(got) >= 4
    clip = [r for r in rows if r["relative_path"] == "sub/clip.mp4"]
    assert [r["segment"] for r in clip] == ["1", "2"] and all(r["name"] == "clip.mp4" for r in clip)
    assert all(r["start_tc"].count(":") == 2 and len(r["start_tc"]) == 12 for r in rows)  # HH:MM:SS.mmm
    assert {r["relative_path"] for r in _csv(batch_out / "summary.csv")} >= {"sub/broken.mp4", f"other/{HOSTILE}"}


def test_statistics_rank_most_blurry_by_severity_then_blur_ratio():
    rows = [
        {"name": n, "status": "ok", "blur_detected": True, "severity": s, "blur_ratio": r, "event_count": 1}
        for n, s, r in [("mild-but-long.mp4", "mild", 0.9), ("severe-short.mp4", "severe", 0.1),
                        ("moderate.mp4", "moderate", 0.5), ("severe-long.mp4", "severe", 0.3)]
    ]
    text = statistics_markdown(rows, {"scorer": "sharpness", "detector": "drop", "window_size": 3})
    listed = [line.split("|")[1].strip() for line in text.split("## Most blurry")[1].splitlines() if line.startswith("| ")][1:]
    assert listed == ["severe-long.mp4", "severe-short.mp4", "moderate.mp4", "mild-but-long.mp4"]


def test_statistics_and_report_in_chinese(batch_out, tmp_path):
    out = tmp_path / "out"
    shutil.copytree(batch_out, out)
    english = {name: (out / name).read_bytes() for name in SUMMARIES}
    assert "严重模糊" not in english["statistics.md"].decode() and "报告" not in english["report.html"].decode()
    result = run("report", out, "--lang", "zh")
    assert result.exit_code == 0, result.stderr
    stats = (out / "statistics.md").read_text(encoding="utf-8")
    for word in ("# blurscan 批量统计", "## 最模糊的视频", "## 错误", "| 无模糊 |", "| 轻微模糊 |", "| 中等模糊 |", "| 严重模糊 |", "检测到模糊"):
        assert word in stats, word
    assert "sub/clip.mp4 | 严重模糊" in stats or "sub/clip.mp4 | 中等模糊" in stats
    page = check_report_html(out, ["clip.mp4", HOSTILE])
    html = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in html and "blurscan 报告" in html and "全部严重程度" in html
    meta = page["data"]["meta"]
    assert list(meta["severity_labels"].values())[:4] == ["无模糊", "轻微模糊", "中等模糊", "严重模糊"]
    assert meta["words"]["segments"] == "片段" and meta["words"]["blur_events"] == "模糊事件"
    assert any("请" in r for r in meta["recommendations"])  # the advice, translated
    # the data stays language-neutral: the same JSON and CSVs as in English
    for name in ("results.json", "summary.csv", "segments.csv"):
        assert (out / name).read_bytes() == english[name], name


@pytest.mark.parametrize("journal", [True, False], ids=["from-manifest", "from-result-files"])
def test_report_command_rebuilds_the_batch_outputs_exactly(batch_out, tmp_path, journal):
    out = tmp_path / "out"
    shutil.copytree(batch_out, out)
    made = {name: (out / name).read_bytes() for name in SUMMARIES}
    for name in SUMMARIES:
        (out / name).unlink()
    if not journal:
        (out / "manifest.jsonl").unlink()
    result = run("report", out)
    assert result.exit_code == 0, result.stderr
    assert "for 5 video(s) (1 failed)" in result.stderr
    same = ("summary.csv", "statistics.md", "segments.csv", "report.html") + (("results.json",) if journal else ())
    for name in same:  # without the journal the batch's settings come from a result, so results.json differs there
        assert (out / name).read_bytes() == made[name], name


def test_report_command_takes_the_folders_lock_and_says_what_is_wrong(batch_out, tmp_path):
    from blurscan.io.lock import OutputLock

    out = tmp_path / "out"
    shutil.copytree(batch_out, out)
    with OutputLock(out):
        busy = run("report", out)
    assert busy.exit_code != 0 and "another blurscan run (a batch or a split) is writing to this folder" in busy.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    nothing = run("report", empty)
    assert nothing.exit_code == 1 and "no blurscan results here" in nothing.stderr
    assert run("report", tmp_path / "missing").exit_code == 2


# -- in a browser -------------------------------------------------------------------------


SEVERITY_CELLS = "[...document.querySelectorAll('#videos tbody tr:not(.detail)')].map(r => r.cells[1].className)"



def _images_loaded(page, within: str) -> list[dict]:
    return page.js(
        f"""new Promise(done => {{
          const imgs = [...document.querySelectorAll({json.dumps(within + ' img')})];
          const check = () => imgs.every(i => i.complete) ? done(imgs.map(i => ({{src: i.src.slice(0, 30),
              w: i.naturalWidth, h: i.naturalHeight}}))) : setTimeout(check, 20);
          imgs.forEach(i => i.loading = 'eager'); check(); }})"""
    )


def test_report_in_a_browser_sorts_filters_and_shows_segments_with_thumbnails(batch_out, tmp_path, browser):
    out = tmp_path / "out"
    shutil.copytree(batch_out, out)
    segments = sum(add_thumbnails(out, r["result_file"]) for r in _csv(out / "summary.csv") if r["status"] == "ok")
    assert segments >= 4
    assert run("report", out).exit_code == 0
    check_report_html(out, ["clip.mp4", HOSTILE])

    page = browser.page()
    page.goto((out / "report.html").as_uri(), READY)
    assert sorted(page.js(PATHS)) == sorted(["a.mp4", "other/clean.mp4", f"other/{HOSTILE}", "sub/broken.mp4", "sub/clip.mp4"])
    # the hostile name is text, not markup
    assert page.js("typeof window.pwned") == "undefined" and page.js("document.querySelectorAll('img[src=\"x\"]').length") == 0

    # sort: click the severity header, then again
    page.js("document.querySelector('th[data-k=severity]').click()")
    assert page.js("document.querySelector('th[data-k=severity]').getAttribute('aria-sort')") == "descending"
    assert page.js("document.querySelector('th[data-k=severity] .ind').textContent") == "▼"
    order = [int(c[3:]) % 4 - (c == "sev4") for c in page.js(SEVERITY_CELLS)]  # an error (sev4) as -1
    assert order == sorted(order, reverse=True) and order[0] == 3 and order[-1] == -1  # severe first, errors last
    page.js("document.querySelector('th[data-k=severity]').click()")
    assert page.js("document.querySelector('th[data-k=severity]').getAttribute('aria-sort')") == "ascending"
    order = [int(c[3:]) % 4 - (c == "sev4") for c in page.js(SEVERITY_CELLS)]
    assert order == sorted(order) and order[0] == -1
    page.js("document.querySelector('th[data-k=path]').click()")
    assert page.js(PATHS) == sorted(page.js(PATHS))
    assert page.js("[...document.querySelectorAll('th[aria-sort=ascending]')].map(t => t.dataset.k)") == ["path"]

    # filter by severity, then by a sub-folder's name
    summary = {r["relative_path"]: r for r in _csv(out / "summary.csv")}
    set_value(page, "#severity", "severe", "change")
    assert page.js(PATHS) == sorted(p for p, r in summary.items() if r["severity"] == "severe")
    set_value(page, "#severity", "error", "change")
    assert page.js(PATHS) == ["sub/broken.mp4"]
    set_value(page, "#severity", "", "change")
    set_value(page, "#filter", "sub/", "input")
    assert page.js(PATHS) == ["sub/broken.mp4", "sub/clip.mp4"]
    assert page.js("document.getElementById('count').textContent").endswith(" 2")

    # open a video's segments: timecodes as in its JSON, every thumbnail loads
    result = json.loads((out / summary["sub/clip.mp4"]["result_file"]).read_text(encoding="utf-8"))
    page.js("[...document.querySelectorAll('#videos tbody tr')].find(r => r.querySelector('.path').textContent"
            " === 'sub/clip.mp4').querySelector('button.tog').click()")
    rows = page.js("[...document.querySelectorAll('tr.detail table.segs tr')].slice(1).map(r => [...r.cells].map(c => c.textContent))")
    assert [(r[1], r[2]) for r in rows] == [(s["start_tc"], s["end_tc"]) for s in result["segments"]]
    assert page.js("document.querySelectorAll('tr.detail svg.curve path').length") == 1
    images = _images_loaded(page, "tr.detail")
    assert len(images) == 2 * len(result["segments"])
    assert all(i["w"] == 96 and i["h"] == 64 for i in images), images
    assert all(i["src"].startswith("data:image/jpeg") for i in images)  # a small batch embeds them


def test_big_report_pages_rows_and_links_thumbnails(tmp_path, browser):
    from blurscan.report.html import SMALL_BATCH

    out = write_synthetic_batch(tmp_path / "big", SMALL_BATCH + 60, frames=(100, 400))
    result = run("report", out)
    assert result.exit_code == 0, result.stderr
    data = check_report_html(out)["data"]
    assert len(data["videos"]) == SMALL_BATCH + 60 and data["meta"]["curve_chars"] == 1
    check_statistics_md(out / "statistics.md", SMALL_BATCH + 60)

    page = browser.page()
    page.goto((out / "report.html").as_uri(), READY)
    assert len(page.js(PATHS)) == data["meta"]["page"] == 100
    page.js("document.getElementById('next').click()")
    assert page.js(PATHS)[0] == data["videos"][100]["path"]
    set_value(page, "#filter", "cam3/day05/", "input")
    shown = page.js(PATHS)
    assert shown and all("/cam3/day05/" in "/" + p for p in shown)
    assert len(shown) == sum("cam3/day05/" in v["path"] for v in data["videos"])
    page.js("document.querySelector('th[data-k=blur_ratio]').click()")
    ratios = page.js("[...document.querySelectorAll('#videos tbody tr:not(.detail)')].map(r => parseFloat(r.cells[2].textContent))")
    assert ratios == sorted(ratios, reverse=True)
    page.js("document.querySelector('#videos tbody button.tog').click()")
    images = _images_loaded(page, "tr.detail")
    assert images and all(i["src"].startswith("file:") and i["w"] == 96 for i in images), images  # files beside the page


@pytest.mark.parametrize("chars, points", [(1, 100), (2, 400)])
def test_curves_keep_a_two_frame_dip_in_a_long_video(chars, points):
    from blurscan.report.html import _ALPHABET, pack_curve

    scores = [0.9] * 200_000
    scores[123_456:123_458] = [0.1, 0.12]
    scores[5] = None  # a frame without a score
    packed = pack_curve(scores, points, chars)
    assert len(packed) == points * chars
    levels = [packed[i:i + chars] for i in range(0, len(packed), chars)]

    def value(level):
        return _ALPHABET.index(level) / 63 if chars == 1 else (_ALPHABET.index(level[0]) * 64 + _ALPHABET.index(level[1])) / 4095

    values = [value(lv) for lv in levels]
    dip = values.index(min(values))
    assert min(values) == pytest.approx(0.1, abs=0.01) and dip == 123_456 * points // 200_000
    assert sorted(values)[1] == pytest.approx(0.9, abs=0.01)  # only the dip's bucket is low
    assert pack_curve([None, None, 1.0, 0.0], 100, 1) == ".._A"  # short: every frame a point; no score: "."


def test_a_batch_in_chinese_writes_chinese_summaries_and_the_same_data(videos, batch_out, tmp_path):
    from blurscan.settings import Settings

    out = tmp_path / "zh"
    run_batch(videos, out, Settings(lang="zh"))
    assert "## 最模糊的视频" in (out / "statistics.md").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in (out / "report.html").read_text(encoding="utf-8")
    assert (out / "segments.csv").read_bytes() == (batch_out / "segments.csv").read_bytes()
    zh = json.loads((out / "sub__clip.json").read_text(encoding="utf-8"))
    en = json.loads((batch_out / "sub__clip.json").read_text(encoding="utf-8"))
    assert zh["severity"] == en["severity"] and zh["labels"]["severity"] in ("轻微模糊", "中等模糊", "严重模糊")
    # `blurscan report` keeps the batch's language unless told otherwise
    assert run("report", out).exit_code == 0
    assert "## 最模糊的视频" in (out / "statistics.md").read_text(encoding="utf-8")
