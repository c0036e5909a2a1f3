"""A batch's summaries speak one convention: yes/no as 1/0 in every CSV, each section named for what it
lists, an error's path said once."""

from __future__ import annotations

import csv
import json
import shutil

from typer.testing import CliRunner

from blurscan._cli import app


def test_summaries_say_yes_no_and_errors_one_way(tmp_path, clean_clip, burst_clip):
    folder = tmp_path / "videos"
    folder.mkdir()
    shutil.copy(clean_clip.path, folder / "clean.mp4")
    shutil.copy(burst_clip.path, folder / "burst.mp4")
    (folder / "notes.mp4").write_text("not a video")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["batch", str(folder), "-o", str(out), "-q"], catch_exceptions=False)
    assert result.exit_code == 1
    rows = {r["name"]: r for r in csv.DictReader((out / "summary.csv").open())}
    assert rows["burst.mp4"]["blur_detected"] == "1" and rows["clean.mp4"]["blur_detected"] == "0"
    assert rows["clean.mp4"]["blurry_throughout"] == "0"
    frames = list(csv.DictReader((out / "burst.frames.csv").open()))
    assert {r["blurry"] for r in frames} == {"0", "1"}  # the same convention as frames.csv

    statistics = (out / "statistics.md").read_text()
    (line,) = [x for x in statistics.splitlines() if x.startswith("- notes.mp4")]
    assert line.startswith("- notes.mp4: cannot be read as a video") and str(folder) not in line, line
    page = (out / "report.html").read_text()
    start = page.index('id="data">') + len('id="data">')
    videos = json.loads(page[start:page.index("</script>", start)])["videos"]
    (failed,) = [v for v in videos if v["status"] == "error"]
    assert failed["error"].startswith("cannot be read as a video")
    assert "Soft footage" not in statistics
