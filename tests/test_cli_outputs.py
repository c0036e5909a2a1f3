"""What ``detect`` writes where: one rule for flags that cannot apply, the report page, standard output."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blurscan._cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def only_line(result) -> str:
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


@pytest.mark.parametrize("flags, says", [
    (["--thumbnails"], "--thumbnails writes files: add --output"),
    (["--plot"], "--plot writes files: add --output"),
    (["--plot", "--thumbnails"], "--plot and --thumbnails write files"),
])
def test_a_flag_that_writes_files_without_a_folder_is_refused(clean_clip, flags, says):
    result = run("detect", clean_clip.path, *flags)
    assert result.exit_code == 2 and result.stdout == ""
    assert says in only_line(result)


def test_format_with_a_folder_is_refused_not_ignored(tmp_path, clean_clip):
    result = run("detect", clean_clip.path, "--format", "csv", "-o", tmp_path / "out")
    assert result.exit_code == 2
    assert "--format chooses what to print without --output" in only_line(result)
    assert not (tmp_path / "out").exists()  # nothing was scanned or written


def test_no_thumbnails_without_a_folder_is_fine(clean_clip):
    result = run("detect", clean_clip.path, "--no-thumbnails", "-q")
    assert result.exit_code == 0 and json.loads(result.stdout)["video"]["frames"] == 60


def test_format_csv_has_a_video_column_for_one_input_too(clean_clip, burst_clip):
    one = list(csv.DictReader(io.StringIO(run("detect", clean_clip.path, "--format", "csv", "-q").stdout)))
    two = list(csv.DictReader(io.StringIO(run("detect", clean_clip.path, burst_clip.path, "--format", "csv", "-q").stdout)))
    assert list(one[0])[:3] == list(two[0])[:3] == ["video", "frame", "time_s"]
    assert {r["video"] for r in one} == {str(clean_clip.path)} and len(one) == 60
    assert {r["video"] for r in two} == {str(clean_clip.path), str(burst_clip.path)} and len(two) == 150


@pytest.mark.parametrize("fmt", ["csv", "json"])
def test_a_closed_pipe_is_not_an_error(clean_clip, burst_clip, fmt):
    """``detect ... | head -1``: the reader closes the pipe; blurscan stops, says nothing, exits 0."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    proc = subprocess.Popen([sys.executable, "-m", "blurscan", "detect", str(clean_clip.path), str(burst_clip.path),
                             "--format", fmt, "-q"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    proc.stdout.readline()
    proc.stdout.close()  # as head does after its line
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0, err
    assert err.decode().strip() == ""


def _page_videos(page: str) -> list[dict]:
    start = page.index('<script type="application/json" id="data">') + len('<script type="application/json" id="data">')
    return json.loads(page[start:page.index("</script>", start)])["videos"]


def test_detect_with_a_folder_writes_a_report_of_the_videos_scanned(tmp_path, clean_clip, burst_clip):
    out = tmp_path / "out"
    bad = tmp_path / "bad.mp4"
    bad.write_text("not a video")
    result = run("detect", clean_clip.path, burst_clip.path, bad, "-o", out)
    assert result.exit_code == 1
    page = (out / "report.html").read_text()
    videos = _page_videos(page)
    assert len(videos) == 3
    assert f"{out / 'report.html'}" in result.stderr  # the summary says where it is
    burst = json.loads((out / "burst.json").read_text())
    shown = json.dumps(videos)
    assert "burst.mp4" in shown and "clean.mp4" in shown and "bad.mp4" in shown
    assert burst["segments"][0]["start_tc"] in shown  # the page shows the result's segments
    # a second run writes the page of its own videos
    assert run("detect", clean_clip.path, "-o", out, "-q").exit_code == 0
    assert len(_page_videos((out / "report.html").read_text())) == 1


def test_detect_into_a_batch_folder_leaves_the_batch_page(tmp_path, clean_clip, burst_clip):
    out = tmp_path / "out"
    folder = tmp_path / "videos"
    folder.mkdir()
    for clip in (clean_clip, burst_clip):
        shutil.copy(clip.path, folder)
    assert run("batch", folder, "-o", out, "-q").exit_code == 0
    result = run("detect", clean_clip.path, "-o", out)
    assert result.exit_code == 0 and "left as the batch there wrote it" in result.stderr
    assert len(_page_videos((out / "report.html").read_text())) == 2


def test_the_report_says_what_confidence_means(tmp_path, clean_clip):
    out = tmp_path / "out"
    assert run("detect", clean_clip.path, "-o", out, "-q").exit_code == 0
    page = (out / "report.html").read_text()
    assert 'id="help-confidence">* confidence: how sure the verdict is' in page
    assert 'data-k="confidence" aria-sort="none" class="num">confidence*<' in page
    assert "**`confidence`**" in (Path(__file__).resolve().parent.parent / "README.md").read_text()


def test_the_summary_line_says_which_file_a_shared_name_got(tmp_path, clean_clip, burst_clip):
    for folder, clip in (("a", burst_clip), ("b", clean_clip)):
        (tmp_path / folder).mkdir()
        shutil.copy(clip.path, tmp_path / folder / "bikes.mp4")
    out = tmp_path / "out"
    result = run("detect", tmp_path / "a" / "bikes.mp4", tmp_path / "b" / "bikes.mp4", "-o", out)
    assert result.exit_code == 0
    lines = [line for line in result.stderr.splitlines() if line.startswith("bikes.mp4: ")]
    assert len(lines) == 2
    for line in lines:
        written = re.search(r"→ (\S+\.json) \(not bikes\.json: another input has the same name\)", line)
        assert written and Path(written.group(1)).is_file(), line
    alone = run("detect", tmp_path / "a" / "bikes.mp4", "-o", tmp_path / "alone")
    assert "another input" not in alone.stderr and (tmp_path / "alone" / "bikes.json").is_file()
