"""What a batch says as it goes and when it stops: one line per worker, done bars done, what Ctrl-C keeps."""

from __future__ import annotations

import shutil

import pytest
from typer.testing import CliRunner

import blurscan._cli.batch as batch_cli
from blurscan._cli import app
from blurscan._cli.progress import BatchBars

runner = CliRunner()


def live_bars() -> BatchBars:
    """Bars that keep their lines as on a terminal (nothing is drawn: the test reads the lines)."""
    bars = BatchBars(enabled=True)
    bars._display.live = True
    return bars


def worker_lines(bars: BatchBars) -> dict[str, tuple[float, float | None]]:
    return {t.fields["name"]: (t.completed, t.total) for t in bars._display._progress.tasks if "name" in t.fields}


def test_each_worker_has_its_own_number_and_a_finished_bar_shows_done():
    bars = live_bars()
    bars.start(3, 0, sizes={"a.mp4": 10, "b.mp4": 10, "c.mp4": 10})
    bars.worker(101, "a.mp4", 10, 1500, "a.mp4")
    bars.worker(202, "b.mp4", 10, 900, "b.mp4")
    bars.worker(101, "a.mp4", 1440, 1500, "a.mp4")  # the last message before the result: 1,440/1,500
    assert set(worker_lines(bars)) == {"[1] a.mp4", "[2] b.mp4"}
    bars.done({"path": "a.mp4", "frames": 1500, "status": "ok"})
    assert worker_lines(bars)["[1] a.mp4"] == (1500, 1500)
    bars.worker(101, "a.mp4", 1490, 1500, "a.mp4")  # a message that comes after the result changes nothing
    assert worker_lines(bars)["[1] a.mp4"] == (1500, 1500)
    assert "a.mp4" not in bars._state.workers
    bars.worker(101, "c.mp4", 5, 60, "c.mp4")
    assert set(worker_lines(bars)) == {"[1] c.mp4", "[2] b.mp4"}
    bars.done({"path": "b.mp4", "frames": 900, "status": "ok"})
    bars.done({"path": "c.mp4", "frames": 60, "status": "ok"})
    assert worker_lines(bars) == {}  # all done: only the overall line is left
    assert bars._state.line(200).startswith("batch 3/3 videos · 2,460 frames")
    bars.finish()


def test_the_eta_counts_only_the_work_left_when_sizes_are_unknown():
    bars = live_bars()
    bars.start(10, 8)  # resumed: 8 of 10 done before; no sizes (a dataset, URLs)
    bars._state.started -= 10.0  # 10 s of this run
    bars.done({"path": "x.mp4", "frames": 10, "status": "ok"})
    eta = bars._state.eta()
    assert eta is not None and 9.0 <= eta <= 11.0  # one video left at one video per 10 s, not the 8 done before
    bars.finish()


@pytest.fixture()
def three_videos(tmp_path, clean_clip, burst_clip):
    folder = tmp_path / "videos"
    folder.mkdir()
    for name, clip in (("a.mp4", clean_clip), ("b.mp4", burst_clip), ("c.mp4", clean_clip)):
        shutil.copy(clip.path, folder / name)
    return folder


def test_ctrl_c_says_what_is_kept_and_that_resume_continues(three_videos, tmp_path, monkeypatch):
    class StopAfterOne(BatchBars):
        def done(self, row):
            super().done(row)
            raise KeyboardInterrupt

    out = tmp_path / "out"
    monkeypatch.setattr(batch_cli, "BatchBars", StopAfterOne)
    result = runner.invoke(app, ["batch", str(three_videos), "-o", str(out)], catch_exceptions=False)
    assert result.exit_code == 130
    lines = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert lines == [f"error: interrupted: 1 of 3 videos done and kept (in {out}, with its summaries); run the same "
                     "command with --resume to scan the other 2"], result.stderr
    assert (out / "summary.csv").is_file() and len(list(out.glob("?.json"))) == 1

    monkeypatch.setattr(batch_cli, "BatchBars", BatchBars)
    (out / "a.json").unlink(missing_ok=True)
    (out / "b.json").unlink(missing_ok=True)
    (out / "c.json").unlink(missing_ok=True)  # resuming finds the one result gone: it says so, once
    result = runner.invoke(app, ["batch", str(three_videos), "-o", str(out), "--resume"], catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    said = [line for line in result.stderr.splitlines() if "resuming" in line]
    assert len(said) == 1 and "scanning again" in said[0], result.stderr
    assert "WARNING" not in result.stderr
