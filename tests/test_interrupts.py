"""A batch killed (SIGKILL) or stopped (SIGTERM) at any point loses nothing: resumed, its outputs equal
an uninterrupted run's, no worker outlives it, no temporary file is left."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from blurscan.batch import run_batch

VIDEOS = 6


@pytest.fixture(scope="module")
def source(tmp_path_factory, request):
    """Six short videos (three blurry, three clean) in a folder and a sub-folder."""
    burst = request.getfixturevalue("burst_clip")
    clean = request.getfixturevalue("clean_clip")
    folder = tmp_path_factory.mktemp("interrupts") / "videos"
    (folder / "sub").mkdir(parents=True)
    for i in range(VIDEOS):
        target = folder / ("sub" if i % 2 else ".") / f"clip{i}.mp4"
        shutil.copy((burst if i % 2 else clean).path, target)
    return folder


@pytest.fixture(scope="module")
def reference(source, tmp_path_factory):
    out = tmp_path_factory.mktemp("reference") / "out"
    run_batch(source, out)
    return out


def _without_run_facts(data):
    """A result without what differs from run to run (timings, memory, paths of the run)."""
    if isinstance(data, dict):
        return {k: _without_run_facts(v) for k, v in data.items() if k not in ("timing", "memory", "seconds", "frames_per_s", "peak_rss_mb")}
    if isinstance(data, list):
        return [_without_run_facts(v) for v in data]
    return data


def assert_same_outputs(out: Path, reference: Path) -> None:
    names = sorted(p.name for p in reference.iterdir() if not p.name.startswith("."))
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == names
    for name in names:
        if name.endswith(".json"):
            assert _without_run_facts(json.loads((out / name).read_text())) == _without_run_facts(
                json.loads((reference / name).read_text())), name
        elif name.endswith(".frames.csv"):
            assert (out / name).read_text() == (reference / name).read_text(), name
    rows = [_without_run_facts(r) for r in csv.DictReader((out / "summary.csv").open())]
    assert rows == [_without_run_facts(r) for r in csv.DictReader((reference / "summary.csv").open())]
    assert not list(out.glob(".*"))  # no temporary file, no lock left


def _start(source: Path, out: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "blurscan", "batch", str(source), "-o", str(out), "-q", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _journal_rows(out: Path) -> int:
    try:
        return max(0, (out / "manifest.jsonl").read_bytes().count(b"\n") - 1)
    except FileNotFoundError:
        return 0


def _wait_for(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _all_gone(processes: list[psutil.Process]) -> bool:
    for process in processes:
        try:
            if process.is_running() and process.status() != psutil.STATUS_ZOMBIE:
                return False
        except psutil.NoSuchProcess:
            continue
    return True


@pytest.mark.parametrize("after", [0, 2, 4])
def test_sigkill_then_resume_equals_an_uninterrupted_run(source, reference, tmp_path, after):
    out = tmp_path / "out"
    batch = _start(source, out, "--workers", "2")
    workers: list[psutil.Process] = []

    def ready() -> bool:
        workers[:] = [p for p in _descendants(batch.pid) if "python" in p.name().lower()] or workers
        return _journal_rows(out) >= after and len(workers) >= 2

    _wait_for(ready)
    batch.send_signal(signal.SIGKILL)
    batch.wait(timeout=10)
    _wait_for(lambda: _all_gone(workers), timeout=15)  # the workers died with their parent

    resumed = _start(source, out, "--workers", "2", "--resume")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert_same_outputs(out, reference)


def test_sigterm_stops_like_ctrl_c_and_writes_the_summaries(source, reference, tmp_path):
    out = tmp_path / "out"
    batch = _start(source, out, "--workers", "2")
    _wait_for(lambda: _journal_rows(out) >= 2)
    workers = _descendants(batch.pid)
    batch.send_signal(signal.SIGTERM)
    _, err = batch.communicate(timeout=30)
    assert batch.returncode == 143, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: terminated: ") and "with --resume" in lines[0], err
    _wait_for(lambda: _all_gone(workers), timeout=15)
    done = list(csv.DictReader((out / "summary.csv").open()))
    assert 2 <= len(done) < VIDEOS + 1
    assert f": {len(done)} of " in lines[0]  # the line says what was kept
    assert not list(out.glob(".*.tmp"))

    resumed = _start(source, out, "--resume")
    _, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert_same_outputs(out, reference)


def test_workers_die_with_a_killed_parent_even_mid_video(source, tmp_path):
    """Kill the batch while both workers decode: neither keeps running for nobody."""
    out = tmp_path / "out"
    batch = _start(source, out, "--workers", "2")
    _wait_for(lambda: len([p for p in _descendants(batch.pid) if "python" in p.name().lower()]) >= 2)
    workers = _descendants(batch.pid)
    os.kill(batch.pid, signal.SIGKILL)
    batch.wait(timeout=10)
    _wait_for(lambda: _all_gone(workers), timeout=15)
