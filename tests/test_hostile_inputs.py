"""Broken, odd and hostile inputs (``tests/hostile_media.py``) through the command line.

Each case ends in a result or in one error line, with the exit code the README's rule gives,
without a traceback or a hang, and nothing is written outside the output folder: not next to
the inputs, not in the working directory. ``batch`` over the whole corpus gives every listed
video a result or an error entry and finishes.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from blurscan._cli import app
from blurscan.errors import path_text
from tests.hostile_media import Case, build_corpus, corpus_cases
from tests.output_checks import check_report_html, check_statistics_md, check_summary_csv, check_terminal_text

CASES = corpus_cases()
#: no case may take longer than this (a hang on a FIFO or on standard input would)
CASE_SECONDS = 30
BATCH_SECONDS = 240

runner = CliRunner()


def test_the_corpus_is_large_and_varied():
    outcomes = [case.outcome for case in CASES]
    assert len(CASES) >= 60 and len({c.id for c in CASES}) == len({c.name for c in CASES}) == len(CASES)
    assert outcomes.count("result") >= 30 and outcomes.count("error") >= 10


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    """Every case in one flat folder, built once per session."""
    folder = tmp_path_factory.mktemp("hostile") / "corpus"
    build_corpus(folder)
    return folder


def listing(folder: Path) -> list[str]:
    return sorted(os.listdir(folder))


def outputs_inside(out: Path) -> list[Path]:
    """Everything under ``out``, checked to be plain files or folders that stay inside it."""
    found = []
    for path in out.rglob("*"):
        assert not path.is_symlink(), path
        assert os.path.realpath(path).startswith(os.path.realpath(out) + os.sep), path
        found.append(path)
    return found


def error_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.strip()]


def check_result(case: Case, data: dict) -> None:
    video = data["video"]
    assert video["frames"] >= 1 and len(data["scores"]) == video["frames"], video
    assert all(score is not None and 0 <= score <= 1 for score in data["scores"])
    for key, value in case.video.items():
        assert video[key] == value, (key, video)


@pytest.mark.timeout(CASE_SECONDS)
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_detect(case: Case, corpus: Path, tmp_path: Path, monkeypatch):
    workdir = tmp_path / "cwd"
    workdir.mkdir()
    monkeypatch.chdir(workdir)
    out = tmp_path / "out"
    before = listing(corpus)

    run = runner.invoke(app, ["detect", str(case.path(corpus)), "-o", str(out), "-q"], catch_exceptions=False)

    assert "Traceback" not in run.output and run.stdout == ""
    assert listing(corpus) == before and listing(workdir) == [] and listing(tmp_path) == ["cwd", "out"]
    written = outputs_inside(out)
    results = [p for p in written if p.name.endswith(".json")]
    assert len(results) == 1, written
    data = json.loads(results[0].read_text(encoding="utf-8"))
    got = "error" if "error" in data else "result"
    if case.outcome != "either":
        assert got == case.outcome, data.get("error") or data["warnings"]
    if got == "result":
        assert run.exit_code == 0 and error_lines(run.stderr) == [], run.stderr
        check_result(case, data)
    else:
        assert run.exit_code == case.exit_code
        lines = error_lines(run.stderr)
        assert len(lines) == 1 and lines[0].startswith("error:"), run.stderr
        assert case.message in lines[0] and "\n" not in data["error"].replace(path_text(case.path(corpus)), "")


@pytest.mark.timeout(60)
def test_a_real_process_never_reads_standard_input(corpus: Path, tmp_path: Path):
    """``pipe:`` would make FFmpeg read standard input, left open here: a hang, not a result.
    A FIFO next to it fails at once; the good video after both is still scanned."""
    names = ["pipe:", "fifo.mp4", "plain.mp4"]
    out = tmp_path / "out"
    repo = str(Path(__file__).resolve().parents[1])  # this checkout's blurscan, whatever is installed
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [repo, os.environ.get("PYTHONPATH")]))}
    with subprocess.Popen(
        [sys.executable, "-m", "blurscan", "detect", *(str(corpus / n) for n in names), "-o", str(out), "-q"],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    ) as proc:
        try:
            stdout, stderr = proc.communicate(timeout=50)  # stdin stays open until the end
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail("blurscan detect hung (reading standard input or a FIFO?)")
    assert proc.returncode == 1 and stdout == "" and "Traceback" not in stderr
    lines = error_lines(stderr)
    assert len(lines) == 1 and "fifo.mp4: is not a regular file" in lines[0], stderr
    results = {Path(d["video"]["path"]).name: d for d in (json.loads(p.read_text()) for p in out.glob("*.json"))}
    assert sorted(results) == ["fifo.mp4", "pipe:", "plain.mp4"]
    assert results["pipe:"]["video"]["width"] == 80  # the file, not stdin


@pytest.mark.timeout(60)
def test_names_cannot_drive_the_terminal(corpus: Path, tmp_path: Path):
    names = ["\x1b[31mred.mp4", "over\rwrite.mp4", "new\nline.mp4", "bad\x1b[2Jname.mp4"]
    run = runner.invoke(app, ["detect", *(str(corpus / n) for n in names), "-o", str(tmp_path / "out")])
    assert not any(c in run.stderr for c in "\x1b\r"), repr(run.stderr)
    check_terminal_text(run.stderr)
    from blurscan.io.escape import visible

    assert all(visible(n) in run.stderr for n in names)  # each name shown, as escapes


# -- batch over the whole corpus ------------------------------------------------------------


def run_batch_in(corpus: Path, root: Path) -> dict:
    """``blurscan batch`` over ``corpus`` from an empty working folder: its exit, output and results."""
    out, workdir = root / "out", root / "cwd"
    workdir.mkdir()
    before = listing(corpus)
    cwd = os.getcwd()
    os.chdir(workdir)
    try:
        run = runner.invoke(app, ["batch", str(corpus), "-o", str(out), "-q"], catch_exceptions=False)
    finally:
        os.chdir(cwd)
    results = {}
    for path in outputs_inside(out):
        if path.name.endswith(".json"):
            data = json.loads(path.read_text(encoding="utf-8"))
            if "video" in data:  # not the combined results.json
                results[data["video"]["path"]] = data
    return {"run": run, "results": results, "inputs_untouched": listing(corpus) == before,
            "workdir_empty": listing(workdir) == [], "out": out}


@pytest.fixture(scope="module")
def batch_corpus(tmp_path_factory) -> Path:
    """The whole corpus, for one batch."""
    folder = tmp_path_factory.mktemp("hostile-batch") / "corpus"
    build_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def batch_run(batch_corpus: Path, tmp_path_factory) -> dict:
    return run_batch_in(batch_corpus, tmp_path_factory.mktemp("hostile-batch-run"))


@pytest.mark.timeout(BATCH_SECONDS)
def test_batch_finishes_and_writes_only_into_its_folder(batch_run, batch_corpus):
    from blurscan.batch import discover_videos

    run = batch_run["run"]
    assert run.exit_code == 1  # some inputs are bad; the batch still finished
    assert "Traceback" not in run.output and len(error_lines(run.stderr)) == 0, run.stderr
    assert batch_run["inputs_untouched"] and batch_run["workdir_empty"]
    listed = {p.name for p in discover_videos(batch_corpus)[0]}
    assert listed == {case.name for case in CASES if case.batch}
    for name in ("summary.csv", "results.json", "statistics.md", "report.html"):
        assert (batch_run["out"] / name).is_file(), name


@pytest.mark.timeout(BATCH_SECONDS)
def test_batch_summaries_carry_no_injection(batch_run):
    """report.html, summary.csv and statistics.md of the whole corpus: names are data, never markup,
    formulas or links elsewhere; every video has its row."""
    out = batch_run["out"]
    names = [path_text(p.name) for p in (Path(v["video"]["path"]) for v in batch_run["results"].values())]
    check_report_html(out)
    check_summary_csv(out / "summary.csv", n_videos=len(batch_run["results"]))
    check_statistics_md(out / "statistics.md", n_videos=len(batch_run["results"]))
    assert len(names) == len({c.name for c in CASES if c.batch})


@pytest.mark.timeout(BATCH_SECONDS)
@pytest.mark.parametrize("case", [c for c in CASES if c.batch], ids=[c.id for c in CASES if c.batch])
def test_batch_entry(case: Case, batch_run, batch_corpus: Path):
    check_batch_entry(case, batch_run, batch_corpus)


def check_batch_entry(case: Case, batch_run: dict, corpus: Path) -> None:
    data = batch_run["results"].get(path_text(case.path(corpus)))
    assert data is not None, f"no result or error entry for {case.name!r}"
    got = "error" if "error" in data else "result"
    if case.outcome != "either":
        assert got == case.outcome, data.get("error") or data["warnings"]
    if got == "result":
        check_result(case, data)
    else:
        # the message is one line; only a name may bring a line break into it (JSON escapes it)
        assert case.message in data["error"] and "\n" not in data["error"].replace(path_text(case.path(corpus)), "")
