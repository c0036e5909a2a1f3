"""A video's files are one set (issue 21, items 14-15): a rerun replaces the whole set, stale
thumbnails and plots included, and two runs writing a video of the same name never mix files."""

from __future__ import annotations

import json
import os
import shutil
import threading
import time

from typer.testing import CliRunner

from blurscan._cli import app
from blurscan.io.lock import WRITE_LOCK_NAME, OutputLock
from blurscan.report.outputs import render_outputs, write_outputs

runner = CliRunner()


def test_a_rerun_after_the_clip_was_fixed_leaves_no_stale_thumbnails_or_plot(burst_clip, clean_clip, tmp_path):
    clip, out = tmp_path / "clip.mp4", tmp_path / "out"
    shutil.copy(burst_clip.path, clip)
    assert runner.invoke(app, ["detect", str(clip), "-o", str(out), "--plot", "-q"]).exit_code == 0
    first = sorted(os.listdir(out))
    assert any(n.startswith("clip.seg001.") and n.endswith(".jpg") for n in first) and "clip.png" in first, first
    shutil.copy(clean_clip.path, clip)  # fixed: no blur now, and no plot asked for
    assert runner.invoke(app, ["detect", str(clip), "-o", str(out), "-q"]).exit_code == 0
    assert sorted(os.listdir(out)) == ["clip.frames.csv", "clip.json", "report.html"]  # the run's report
    assert json.loads((out / "clip.json").read_text(encoding="utf-8"))["segments"] == []


def test_an_error_entry_replaces_the_per_frame_table_of_an_earlier_scan(clean_clip, tmp_path):
    clip, out = tmp_path / "clip.mp4", tmp_path / "out"
    shutil.copy(clean_clip.path, clip)
    runner.invoke(app, ["detect", str(clip), "-o", str(out), "-q"])
    clip.write_bytes(b"not a video at all")
    assert runner.invoke(app, ["detect", str(clip), "-o", str(out), "-q"]).exit_code == 1
    assert sorted(os.listdir(out)) == ["clip.json", "report.html"]


def test_a_videos_set_is_written_under_the_folders_write_lock(burst_clip, tmp_path):
    """While another run holds the write lock, nothing of the set is written; then all of it."""
    from blurscan import Scanner

    out = tmp_path / "out"
    out.mkdir()
    with Scanner() as scanner:
        outputs = render_outputs(scanner.scan(burst_clip.path, thumbnails=True))
    done = threading.Event()
    with OutputLock(out, WRITE_LOCK_NAME, wait=True):  # another process writing its "clip" now
        worker = threading.Thread(target=lambda: (write_outputs(out, "clip", outputs), done.set()))
        worker.start()
        time.sleep(0.5)
        assert not done.is_set() and [n for n in os.listdir(out) if not n.startswith(".")] == []
    worker.join(10)
    assert done.is_set()
    names = sorted(os.listdir(out))
    assert "clip.json" in names and "clip.frames.csv" in names and WRITE_LOCK_NAME not in names
