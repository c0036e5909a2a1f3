"""Batches over folders blurscan did not make, and output folders someone else touched (issue 21,
items 9-13): a full disk between the two Parquet datasets, one input spelled two ways, an input
folder that holds the output folder, a tree deeper than PATH_MAX or with an unreadable
subfolder, and a journal that points outside its folder."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from blurscan.batch import run_batch
from blurscan.testing.synthetic import scene_frames, write_video

REPO = Path(__file__).resolve().parents[1]


def clips(folder: Path, count: int, frames: int = 8) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    made = []
    for i in range(count):
        write_video(folder / f"clip{i}.mp4", scene_frames(frames, 64, 48, pan=1.0, seed=i), fps=25)
        made.append(folder / f"clip{i}.mp4")
    return made


def parquet_rows(out: Path, sub: str) -> list[dict]:
    import pyarrow.dataset as ds

    if not (out / sub).is_dir() or not any(n.endswith(".parquet") for n in os.listdir(out / sub)):
        return []
    return ds.dataset(out / sub, format="parquet").to_table().to_pylist()


# -- 9: a full disk between the frames shard and the videos shard ----------------------------


def test_parquet_after_a_full_disk_keeps_frames_rows_only_with_their_videos_rows(tmp_path, monkeypatch):
    from blurscan.batch.sinks import parquet
    from blurscan.errors import OutputError
    from blurscan.io.atomic import output_error

    clips(tmp_path / "in", 5)
    out = tmp_path / "out"
    write = parquet.DatasetDir.write

    def full_disk(self, sub, name, table):
        if sub == parquet.VIDEOS_DIR:
            raise output_error(self.root / sub / name, OSError(errno.ENOSPC, "No space left on device"))
        return write(self, sub, name, table)

    monkeypatch.setattr(parquet.DatasetDir, "write", full_disk)
    with pytest.raises(OutputError, match="No space left"):
        run_batch(tmp_path / "in", out, output_format="parquet", frame_scores=True)
    assert parquet_rows(out, "frames") == []  # the frames shard went with its videos shard
    monkeypatch.setattr(parquet.DatasetDir, "write", write)
    run_batch(tmp_path / "in", out, output_format="parquet", frame_scores=True, resume=True)
    videos, frames = parquet_rows(out, "videos"), parquet_rows(out, "frames")
    assert len(videos) == len(frames) == 5
    assert sorted(r["path"] for r in frames) == sorted(r["path"] for r in videos)


def test_parquet_resume_removes_a_frames_shard_left_without_its_videos_shard(tmp_path):
    """An orphan from an older blurscan (or a kill between the two writes) is pruned by --resume."""
    clips(tmp_path / "in", 2)
    out = tmp_path / "out"
    run_batch(tmp_path / "in", out, output_format="parquet", frame_scores=True)
    (name,) = os.listdir(out / "frames")
    (out / "frames" / name).rename(out / "frames" / "part-orphan.parquet")
    summary = run_batch(tmp_path / "in", out, output_format="parquet", frame_scores=True, resume=True)
    assert summary.skipped == 2
    assert os.listdir(out / "frames") == []


# -- 10: one input spelled two ways ----------------------------------------------------------


@pytest.mark.parametrize("output_format", ["parquet", "json"])
def test_resume_knows_a_video_whatever_way_its_folder_is_spelled(tmp_path, monkeypatch, output_format):
    clips(tmp_path / "in", 3)
    monkeypatch.chdir(tmp_path)
    first = run_batch("in", tmp_path / "out", output_format=output_format)
    assert first.scanned == 3
    again = run_batch(tmp_path / "in", tmp_path / "out", output_format=output_format, resume=True)
    assert (again.scanned, again.skipped) == (0, 3)
    monkeypatch.chdir(tmp_path / "in")
    third = run_batch(".", tmp_path / "out", output_format=output_format, resume=True)
    assert (third.scanned, third.skipped) == (0, 3)
    if output_format == "parquet":
        rows = parquet_rows(tmp_path / "out", "videos")
        assert len(rows) == 3
        assert sorted(r["path"] for r in rows) == ["in/clip0.mp4", "in/clip1.mp4", "in/clip2.mp4"]  # as given
        assert {r["source_key"] for r in rows} == {str(tmp_path / "in" / f"clip{i}.mp4") for i in range(3)}
    else:
        assert len(third.rows) == 3


# -- 11: an input folder that holds the output folder ----------------------------------------


def test_a_folder_that_holds_the_output_folder_never_scans_its_outputs(tmp_path, monkeypatch):
    from blurscan.cut.batch import SplitOptions

    clips(tmp_path / "work", 2, frames=20)
    monkeypatch.chdir(tmp_path / "work")
    first = run_batch(".", "./out", split=SplitOptions(keep_whole=True))
    assert first.total == 2
    assert any(name.endswith(".mp4") for name in os.listdir("out"))  # clips were cut into the output folder
    again = run_batch(".", "./out", split=SplitOptions(keep_whole=True), resume=True)
    assert (again.total, again.skipped) == (2, 2)
    assert sorted(r["relative_path"] for r in again.rows) == ["clip0.mp4", "clip1.mp4"]


def test_a_glob_never_takes_inputs_from_the_output_folder(tmp_path):
    from blurscan.batch.inputs import discover_videos

    clips(tmp_path / "work", 1)
    clips(tmp_path / "work" / "out", 1)
    paths, _ = discover_videos(str(tmp_path / "work" / "**" / "*.mp4"), exclude=tmp_path / "work" / "out")
    assert paths == [tmp_path / "work" / "clip0.mp4"]


# -- 12: a tree deeper than PATH_MAX, an unreadable subfolder --------------------------------


def _deep_tree(top: Path, depth: int = 25, width: int = 200) -> None:
    """``depth`` nested folders of ``width``-character names (about 5,000 characters: past PATH_MAX),
    made relative to an open folder, with a video at the bottom."""
    fd = os.open(top, os.O_RDONLY)
    try:
        for level in range(depth):
            name = f"{level:02d}" + "d" * (width - 2)
            os.mkdir(name, dir_fd=fd)
            inner = os.open(name, os.O_RDONLY, dir_fd=fd)
            os.close(fd)
            fd = inner
        os.close(os.open("deep.mp4", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd))
    finally:
        os.close(fd)


def test_a_tree_deeper_than_path_max_is_skipped_with_a_warning_and_the_rest_scanned(tmp_path, caplog):
    clips(tmp_path / "in", 1)
    _deep_tree(tmp_path / "in")
    summary = run_batch(tmp_path / "in", tmp_path / "out")
    assert summary.total == 1 and summary.errors == 0
    assert len(summary.unreadable_folders) == 1
    folder, reason = summary.unreadable_folders[0]
    assert "too long" in reason.lower()
    assert any("folder skipped" in r.getMessage() for r in caplog.records)


def test_an_unreadable_subfolder_is_named_and_counted(tmp_path, monkeypatch, caplog):
    clips(tmp_path / "in", 2)
    clips(tmp_path / "in" / "locked", 1)
    locked = tmp_path / "in" / "locked"
    if os.geteuid() == 0:  # root reads a chmod 000 folder: make the listing fail as it would for a user
        scandir = os.scandir

        def refuse(path="."):
            if os.fspath(path) == os.fspath(locked):
                raise PermissionError(errno.EACCES, "Permission denied", os.fspath(path))
            return scandir(path)

        monkeypatch.setattr(os, "scandir", refuse)
    else:
        locked.chmod(0)
    try:
        summary = run_batch(tmp_path / "in", tmp_path / "out")
    finally:
        locked.chmod(0o755)
    assert summary.total == 2
    assert summary.unreadable_folders == [(str(locked), "Permission denied")]
    assert any(str(locked) in r.getMessage() and "folder skipped" in r.getMessage() for r in caplog.records)


def test_the_cli_counts_unreadable_folders_in_its_summary_line(tmp_path):
    from typer.testing import CliRunner

    from blurscan._cli import app

    clips(tmp_path / "in", 1)
    _deep_tree(tmp_path / "in", depth=22)
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "in"), "-o", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    assert "1 folder could not be read" in result.output


# -- 13: a journal that points outside its folder --------------------------------------------


def test_report_never_reads_a_result_file_outside_the_output_folder(tmp_path):
    from typer.testing import CliRunner

    from blurscan._cli import app

    clips(tmp_path / "in", 1)
    clips(tmp_path / "secret_in", 1)
    run_batch(tmp_path / "in", tmp_path / "out")
    run_batch(tmp_path / "secret_in", tmp_path / "elsewhere")
    secret = tmp_path / "secret.json"
    secret.write_bytes((tmp_path / "elsewhere" / "clip0.json").read_bytes())
    (tmp_path / "out" / "link.json").symlink_to(secret)
    manifest = tmp_path / "out" / "manifest.jsonl"
    lines = manifest.read_text(encoding="utf-8").splitlines()
    row = json.loads(lines[1])
    lines += [json.dumps({**row, "stem": "outside", "result_file": "../secret.json"}),
              json.dumps({**row, "stem": "absolute", "result_file": str(secret)}),
              json.dumps({**row, "stem": "linked", "result_file": "link.json"})]
    manifest.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["report", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    combined = (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
    assert "secret_in" not in combined
    assert "secret_in" not in (tmp_path / "out" / "summary.csv").read_text(encoding="utf-8")
    assert "outside the folder" in result.output


# -- 16: -q with --engine ray ------------------------------------------------------------------


def test_quiet_silences_what_a_library_writes_to_descriptor_2_but_not_blurscans_own_lines():
    import subprocess
    import sys

    code = ("import os, sys\n"
            "from blurscan._cli.quiet import native_stderr_silenced\n"
            "with native_stderr_silenced():\n"
            "    os.write(2, b'core_worker.cc:2465 E from C++\\n')\n"
            "    sys.stderr.write('error: from blurscan\\n')\n"
            "sys.stderr.write('after\\n')\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "PYTHONPATH": str(REPO)})
    assert done.returncode == 0, done.stderr
    assert done.stderr == "error: from blurscan\nafter\n"


@pytest.mark.slow
def test_quiet_is_quiet_with_the_ray_engine(tmp_path):
    """Ray's INFO and WARNING lines and its core worker's E line (Parquet output) stay off stderr."""
    import subprocess
    import sys

    pytest.importorskip("ray")
    clips(tmp_path / "in", 2)
    done = subprocess.run(
        [sys.executable, "-m", "blurscan", "batch", str(tmp_path / "in"), "-o", str(tmp_path / "out"), "--engine", "ray",
         "-q", "--output-format", "parquet"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr == "" and done.stdout == ""
    assert len(parquet_rows(tmp_path / "out", "videos")) == 2


def test_report_without_a_journal_does_not_follow_a_result_link_out_of_the_folder(tmp_path):
    from blurscan.batch.summaries import rebuild

    clips(tmp_path / "in", 1)
    clips(tmp_path / "secret_in", 1)
    run_batch(tmp_path / "in", tmp_path / "out")
    run_batch(tmp_path / "secret_in", tmp_path / "elsewhere")
    (tmp_path / "out" / "manifest.jsonl").unlink()
    (tmp_path / "out" / "zz.json").symlink_to(tmp_path / "elsewhere" / "clip0.json")
    rows = rebuild(tmp_path / "out")
    assert [r["relative_path"] for r in rows] == ["clip0.mp4"]
    assert "secret_in" not in (tmp_path / "out" / "results.json").read_text(encoding="utf-8")
