"""Datasets at scale: Parquet out, inputs from lists and object storage, the Ray Data pipeline.

The Ray tests run on a local Ray this module starts (2 CPUs), over hundreds of
tiny clips made once per session.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from blurscan import Settings
from blurscan.batch import discover_videos, run_batch
from blurscan.testing.synthetic import Blur, make_clip

pa = pytest.importorskip("pyarrow", reason="the parquet extra is not installed: pip install 'blurscan[parquet]'")
import pyarrow.parquet as pq  # noqa: E402

CLIPS = 520
#: columns that differ from run to run (timings, memory, the source file's identity)
RUN_FACTS = {"seconds", "frames_per_s", "peak_rss_mb", "source_mtime_ns", "source_size", "path", "source_key"}


@pytest.fixture(scope="session")
def tiny_bases(tmp_path_factory):
    """Four 32x32 clips of 6 frames: two sharp, two with Gaussian blur (sigma 3) on frames 2-3."""
    folder = tmp_path_factory.mktemp("tiny-bases")
    return [
        make_clip(folder / f"base{i}.mp4", frames=6, width=32, height=32, seed=i,
                  blurs=[Blur(2, 3, "gaussian", 3.0)] if i % 2 else [])
        for i in range(4)
    ]


@pytest.fixture(scope="session")
def many_clips(tmp_path_factory, tiny_bases):
    """520 tiny clips (copies of the four bases under distinct names) and one file that is not a video."""
    folder = tmp_path_factory.mktemp("many") / "clips"
    folder.mkdir()
    for i in range(CLIPS):
        shutil.copy(tiny_bases[i % 4].path, folder / f"c{i:04d}.mp4")
    (folder / "junk.mp4").write_bytes(b"junk" * 64)
    return folder


def findings(table) -> dict[str, dict]:
    """The dataset's rows by file name, without what differs between runs."""
    return {row["name"]: {k: v for k, v in row.items() if k not in RUN_FACTS} for row in table.to_pylist()}


@pytest.fixture(scope="module")
def local_dataset(many_clips, tmp_path_factory):
    out = tmp_path_factory.mktemp("local") / "out"
    run_batch(many_clips, out, output_format="parquet", frame_scores=True, shard_rows=200)
    return out


def test_parquet_holds_one_row_per_video_in_shards(local_dataset, many_clips):
    table = pq.read_table(local_dataset / "videos")
    assert table.num_rows == CLIPS + 1 and len(set(table.column("path").to_pylist())) == CLIPS + 1
    assert len(os.listdir(local_dataset / "videos")) == 3  # flushed every 200 rows
    rows = {r["name"]: r for r in table.to_pylist()}
    assert rows["junk.mp4"]["status"] == "error" and "junk.mp4" in rows["junk.mp4"]["error"]
    blurry = rows["c0001.mp4"]
    assert blurry["blur_detected"] and blurry["segment_count"] == len(blurry["segments"]) == 1
    segment = blurry["segments"][0]
    assert (segment["start_frame"], segment["end_frame"], segment["start_tc"]) == (2, 3, "00:00:00.067")
    assert not rows["c0000.mp4"]["blur_detected"] and rows["c0000.mp4"]["frames"] == 6
    frames = pq.read_table(local_dataset / "frames")
    assert frames.num_rows == CLIPS and frames.schema.field("scores").type == pa.list_(pa.float32())
    pandas = pytest.importorskip("pandas")
    assert len(pandas.read_parquet(local_dataset / "videos")) == CLIPS + 1


def test_the_summaries_are_built_from_the_dataset(local_dataset, tmp_path):
    import csv

    from blurscan._cli import main

    assert main(["report", str(local_dataset), "-o", str(tmp_path / "summaries"), "-q"]) == 0
    rows = list(csv.DictReader((tmp_path / "summaries" / "summary.csv").open(encoding="utf-8")))
    assert len(rows) == CLIPS + 1 and sum(r["status"] == "error" for r in rows) == 1
    assert sum(r["blur_detected"] == "1" for r in rows) == CLIPS // 2
    assert f"| videos | {CLIPS + 1} |" in (tmp_path / "summaries" / "statistics.md").read_text(encoding="utf-8")
    assert (tmp_path / "summaries" / "report.html").stat().st_size > 0
    assert main(["report", str(tmp_path), "-q"]) == 1  # no results and no dataset here: one line, exit code 1


def test_parquet_resume_keeps_done_rows_and_redoes_the_rest(many_clips, tmp_path, tiny_bases):
    folder = tmp_path / "few"
    folder.mkdir()
    for i in range(6):
        shutil.copy(tiny_bases[i % 4].path, folder / f"v{i}.mp4")
    (folder / "bad.mp4").write_bytes(b"x" * 100)
    out = tmp_path / "out"
    first = run_batch(folder, out, output_format="parquet", shard_rows=3)
    assert (first.total, first.errors) == (7, 1)
    shutil.copy(tiny_bases[0].path, folder / "bad.mp4")  # repaired
    again = run_batch(folder, out, output_format="parquet", resume=True, shard_rows=3)
    assert (again.skipped, again.scanned, again.errors) == (6, 1, 0)
    table = pq.read_table(out / "videos")
    assert sorted(table.column("name").to_pylist()) == sorted(p.name for p in folder.iterdir())  # one row each
    other = run_batch(folder, out, Settings(window_size=5), output_format="parquet", resume=True)
    assert other.scanned == 7 and pq.read_table(out / "videos").num_rows == 7
    more = tmp_path / "more"
    more.mkdir()
    shutil.copy(tiny_bases[1].path, more / "w.mp4")
    run_batch(more, out, Settings(window_size=5), output_format="parquet", resume=True)  # a second list, one dataset
    assert pq.read_table(out / "videos").num_rows == 8


def test_list_files_text_csv_parquet_and_globs(many_clips, tmp_path):
    names = ["c0001.mp4", "c0002.mp4"]
    (tmp_path / "list.csv").write_text("path,label\n" + "".join(f"{many_clips / n},x\n" for n in names))
    pq.write_table(pa.table({"path": [str(many_clips / n) for n in names]}), tmp_path / "list.parquet")
    for listing in ("list.csv", "list.parquet"):
        paths, _ = discover_videos(tmp_path / listing)
        assert [p.name for p in paths] == names
    paths, root = discover_videos(str(many_clips / "c000*.mp4"))
    assert len(paths) == 10 and root == many_clips


def test_object_storage_in_and_out(tiny_bases, tmp_path):
    """Videos in an fsspec in-memory bucket, read as streams; the Parquet dataset written back there."""
    fsspec = pytest.importorskip("fsspec")
    memory = fsspec.filesystem("memory")
    for i, clip in enumerate(tiny_bases):
        memory.pipe(f"/bucket/clips/sub/v{i}.mp4", open(clip.path, "rb").read())
    memory.pipe("/bucket/clips/.hidden/x.mp4", b"not scanned")
    summary = run_batch("memory://bucket/clips/", "memory://bucket/results", output_format="parquet", frame_scores=True)
    assert (summary.total, summary.errors, summary.blurry) == (4, 0, 2)
    with memory.open(memory.ls("/bucket/results/videos", detail=False)[0], "rb") as handle:
        rows = pq.read_table(handle).to_pylist()
    assert sorted(r["path"] for r in rows) == [f"memory://bucket/clips/sub/v{i}.mp4" for i in range(4)]
    local = run_batch(tiny_bases[0].path.rsplit("/", 1)[0], tmp_path / "local", output_format="parquet")
    assert local.total == 4
    by_name = findings(pq.read_table(tmp_path / "local" / "videos"))
    for row in rows:
        assert {k: v for k, v in row.items() if k not in RUN_FACTS} == by_name[row["name"].replace("v", "base")] | {"name": row["name"]}
    again = run_batch("memory://bucket/clips/", "memory://bucket/results", output_format="parquet", resume=True)
    assert again.skipped == 4
    from blurscan.errors import UsageError

    with pytest.raises(UsageError, match="needs --output-format parquet"):
        run_batch("memory://bucket/clips/", "memory://bucket/json-out")
    memory.pipe("/bucket/list.txt", b"clips/sub/v1.mp4\nmemory://bucket/gone.mp4\n")  # relative to the list, and a URL
    listed = run_batch("memory://bucket/list.txt", tmp_path / "listed", output_format="parquet")
    rows = {r["path"]: r for r in pq.read_table(tmp_path / "listed" / "videos").to_pylist()}
    assert rows["memory://bucket/clips/sub/v1.mp4"]["status"] == "ok"
    assert "no such object" in rows["memory://bucket/gone.mp4"]["error"] and listed.errors == 1


def test_workers_are_capped_at_the_cpus(tiny_bases, tmp_path, caplog):
    from blurscan.batch.engines.local import available_cpus

    summary = run_batch(tiny_bases[0].path.rsplit("/", 1)[0], tmp_path / "out", workers=available_cpus() + 3)
    assert summary.errors == 0 and "lowered to" in caplog.text


# -- Ray --------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def local_ray():
    ray = pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'blurscan[ray]'")
    pytest.importorskip("ray.data", reason="Ray Data is not installed: pip install 'blurscan[ray]'")
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield ray
    ray.shutdown()


def _scan_workers():
    import psutil

    return [p for p in psutil.process_iter(["cmdline"]) if "_ScanBatches" in " ".join(p.info["cmdline"] or [])]


@pytest.mark.slow
def test_ray_data_pipeline_survives_a_killed_worker(local_ray, many_clips, local_dataset, tmp_path, caplog):
    """Ray Data over 521 videos, 4 workers asked of 2 CPUs, one worker killed by PID mid-run:
    one row per video, none lost, none twice, the same findings as the local engine."""
    out = tmp_path / "ray"
    killed = []

    def kill_one_worker():
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not killed:
            shards = os.listdir(out / "videos") if (out / "videos").exists() else []
            workers = _scan_workers()
            if len([s for s in shards if not s.startswith(".")]) >= 2 and workers:
                os.kill(workers[0].pid, signal.SIGKILL)
                killed.append(workers[0].pid)
            time.sleep(0.05)

    from blurscan.batch.engines.ray import RayExecutor

    killer = threading.Thread(target=kill_one_worker)
    killer.start()
    summary = run_batch(many_clips, out, output_format="parquet", executor=RayExecutor(Settings(), 4, batch_videos=16))
    killer.join()
    assert killed, "no worker was killed: the run ended too soon"
    assert "--workers 4 lowered to 2" in caplog.text
    table = pq.read_table(out / "videos")
    assert table.num_rows == CLIPS + 1 == len(set(table.column("path").to_pylist()))
    assert summary.errors == 1  # the junk file only: the killed worker's videos were retried
    assert findings(table) == findings(pq.read_table(local_dataset / "videos"))


@pytest.mark.slow
def test_a_video_that_keeps_killing_its_worker_is_recorded_as_the_workers_failure(local_ray, tiny_bases, tmp_path):
    from tests.crashing import CrashingRayExecutor

    folder = tmp_path / "clips"
    folder.mkdir()
    for i in range(3):
        shutil.copy(tiny_bases[i].path, folder / f"v{i}.mp4")
    shutil.copy(tiny_bases[0].path, folder / "crash.mp4")
    summary = run_batch(folder, tmp_path / "out", output_format="parquet",
                        executor=CrashingRayExecutor(Settings(), 2, batch_videos=1, retries=1))
    rows = {r["name"]: r for r in pq.read_table(tmp_path / "out" / "videos").to_pylist()}
    assert summary.errors == 1 and rows["crash.mp4"]["status"] == "error"
    assert "Ray worker scanning this video died 2 time(s)" in rows["crash.mp4"]["error"]
    assert all(rows[f"v{i}.mp4"]["status"] == "ok" for i in range(3))


def test_relative_paths_with_a_ray_address_and_an_unreachable_one(local_ray, tiny_bases, tmp_path):
    (tmp_path / "rel").mkdir()
    for i in range(4):
        shutil.copy(tiny_bases[i].path, tmp_path / "rel" / f"v{i}.mp4")
    address = local_ray.get_runtime_context().gcs_address
    command = [sys.executable, "-m", "blurscan", "batch", "rel", "-o", "out", "-q", "--engine", "ray",
               "--output-format", "parquet"]
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    done = subprocess.run([*command, "--ray-address", address], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    rows = pq.read_table(tmp_path / "out" / "videos").to_pylist()
    assert sorted(r["status"] for r in rows) == ["ok"] * 4
    assert all(os.path.isabs(r["path"]) for r in rows)

    started = time.monotonic()
    failed = subprocess.run([*command, "--ray-address", "127.0.0.1:1"], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=60)
    assert time.monotonic() - started < 10
    assert failed.returncode == 1 and "cannot reach the Ray cluster at 127.0.0.1:1" in failed.stderr
    assert len(failed.stderr.strip().splitlines()) == 1


def test_parquet_without_pyarrow_names_the_extra(monkeypatch, tiny_bases, tmp_path):
    from blurscan.errors import MissingDependencyError

    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'blurscan\[parquet\]'"):
        run_batch(tiny_bases[0].path.rsplit("/", 1)[0], tmp_path / "out", output_format="parquet")
    assert not (tmp_path / "out").exists()  # nothing scanned, nothing written
