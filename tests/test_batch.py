"""The batch runner: bad videos get error entries, results are atomic, interrupted batches resume."""

from __future__ import annotations

import json
import multiprocessing
import shutil
from concurrent.futures import ProcessPoolExecutor

import pytest

from blurscan import Settings
from blurscan.batch import discover_videos, output_stems, run_batch
from blurscan.batch.engines.local import LocalExecutor
from blurscan.errors import InputError
from tests import crashing


@pytest.fixture
def folder(tmp_path, burst_clip, clean_clip, edges_clip):
    """Four videos: three good (one in a sub-folder) and one that is not a video."""
    videos = tmp_path / "videos"
    (videos / "sub").mkdir(parents=True)
    shutil.copy(burst_clip.path, videos / "burst.mp4")
    shutil.copy(clean_clip.path, videos / "clean.mp4")
    shutil.copy(edges_clip.path, videos / "sub" / "edges.mp4")
    (videos / "junk.mp4").write_bytes(b"junk" * 100)
    return videos


class StopAfter:
    """A progress listener that interrupts the batch like Ctrl-C after ``n`` videos."""

    def __init__(self, n):
        self.n = n
        self.seen = 0

    def start(self, total, skipped, **sizes):
        pass

    def video(self, name, path=None):
        return None

    def done(self, row):
        self.seen += 1
        if self.seen == self.n:
            raise KeyboardInterrupt

    def finish(self):
        pass


def test_discovery_and_unique_stems(folder, tmp_path):
    paths, root = discover_videos(folder)
    assert [p.name for p in paths] == ["burst.mp4", "clean.mp4", "junk.mp4", "edges.mp4"]
    listing = tmp_path / "list.txt"
    listing.write_text("# my videos\nvideos/burst.mp4\n\nvideos/sub/edges.mp4\nvideos/burst.mp4\n")
    paths, root = discover_videos(listing)
    assert [p.name for p in paths] == ["burst.mp4", "edges.mp4"]  # listed twice, scanned once
    assert output_stems(paths, root) == ["videos__burst", "videos__sub__edges"]
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InputError, match="no video files"):
        discover_videos(empty)


def test_a_bad_video_gets_an_error_entry_and_the_rest_finish(folder, tmp_path):
    out = tmp_path / "out"
    summary = run_batch(folder, out)
    assert (summary.total, summary.errors, summary.scanned) == (4, 1, 4)
    junk = json.loads((out / "junk.json").read_text())
    assert junk["error_type"] == "NotAVideoError" and "junk.mp4" in junk["error"]
    good = json.loads((out / "sub__edges.json").read_text())
    assert good["video"]["frames"] == 60
    assert {p.name for p in out.iterdir()} >= {"summary.csv", "results.json", "statistics.md", "manifest.jsonl"}
    assert not list(out.glob(".*.tmp"))


def test_an_interrupted_batch_resumes_where_it_stopped(folder, tmp_path):
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        run_batch(folder, out, progress=StopAfter(2))
    first = {p.name: p.stat().st_mtime_ns for p in out.glob("*.json") if p.name != "results.json"}
    assert len(first) == 2  # the two finished videos were written (and the summaries of what was done)

    summary = run_batch(folder, out, resume=True)
    assert summary.skipped == 2 and summary.scanned == 2 and summary.total == 4
    for name, mtime in first.items():  # finished videos were not redone
        assert (out / name).stat().st_mtime_ns == mtime
    assert len(json.loads((out / "results.json").read_text())["videos"]) == 4

    # a changed source video is scanned again; errors are retried
    shutil.copy(folder / "clean.mp4", folder / "burst.mp4")
    summary = run_batch(folder, out, resume=True)
    assert summary.scanned == 2 and summary.skipped == 2


def test_resume_rescans_results_made_with_other_settings(folder, tmp_path):
    out = tmp_path / "out"
    run_batch(folder, out, Settings(window_size=3))
    summary = run_batch(folder, out, Settings(window_size=5), resume=True)
    assert summary.skipped == 0 and summary.scanned == 4
    good = json.loads((out / "burst.json").read_text())
    assert good["settings"]["window_size"] == 5
    again = run_batch(folder, out, Settings(window_size=5), resume=True)
    assert again.skipped == 3 and again.scanned == 1  # only the bad video is retried


def test_parallel_workers_give_the_same_results(folder, tmp_path):
    one = run_batch(folder, tmp_path / "one")
    two = run_batch(folder, tmp_path / "two", workers=2)
    for row in one.rows:
        a = json.loads((tmp_path / "one" / row["result_file"]).read_text())
        b = json.loads((tmp_path / "two" / row["result_file"]).read_text())
        assert a.get("scores") == b.get("scores") and a.get("error") == b.get("error")
    assert two.errors == 1


class CrashingExecutor(LocalExecutor):
    def _pool(self, workers):
        context = multiprocessing.get_context("spawn")
        return ProcessPoolExecutor(workers, mp_context=context, initializer=crashing.install, initargs=(self.settings,))


def test_a_worker_crash_costs_only_its_video(folder, tmp_path):
    shutil.copy(folder / "clean.mp4", folder / "crash.mp4")
    out = tmp_path / "out"
    settings = Settings()
    summary = run_batch(folder, out, settings, executor=CrashingExecutor(settings, workers=2))
    status = {row["name"]: row["status"] for row in summary.rows}
    assert status == {"burst.mp4": "ok", "clean.mp4": "ok", "crash.mp4": "error", "junk.mp4": "error", "edges.mp4": "ok"}
    assert "crashed" in json.loads((out / "crash.json").read_text())["error"]


@pytest.mark.slow
def test_ray_engine(folder, tmp_path):
    pytest.importorskip("ray", reason="the ray extra is not installed: pip install 'blurscan[ray]'")
    import ray

    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        summary = run_batch(folder, tmp_path / "out", engine="ray", workers=2)
    finally:
        ray.shutdown()
    assert summary.total == 4 and summary.errors == 1
    local = run_batch(folder, tmp_path / "local")
    for row in local.rows:
        a = json.loads((tmp_path / "out" / row["result_file"]).read_text())
        b = json.loads((tmp_path / "local" / row["result_file"]).read_text())
        assert a.get("scores") == b.get("scores")


def test_html_report_links_every_video_and_its_plot(folder, tmp_path):
    from tests.output_checks import check_report_html

    out = tmp_path / "out"
    run_batch(folder, out, plot=True)
    page = check_report_html(out)  # every href/src in the page's data resolves to a file in out
    videos = page["data"]["videos"]
    assert len(videos) == 4  # one entry per video, the failed one included
    good = [v for v in videos if v["status"] == "ok"]
    assert len(good) == 3 and all(v["curve"] for v in good)  # each good video has its score curve
    plots = [f["href"] for v in videos for f in v["files"] if f["href"].endswith(".png")]
    assert len(plots) == 3  # the three good videos link their plots
    results = {f["href"] for v in videos for f in v["files"] if f["href"].endswith(".json")}
    assert len(results) == 4 and all((out / h).is_file() for h in results)
