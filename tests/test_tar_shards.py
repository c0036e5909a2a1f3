"""Tar shards read in place: each video member is scanned from its shard (never extracted), named
``tar://MEMBER::SHARD``, resumed member by member; a damaged member is that member's error only."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import tarfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from blurscan import Scanner
from blurscan.batch import run_batch
from blurscan.batch.inputs import discover_videos
from blurscan.cut.batch import SplitOptions
from blurscan.testing.synthetic import Blur, make_clip
from tests.test_interrupts import _journal_rows, _wait_for, _without_run_facts, assert_same_outputs

MEMBERS_PER_SHARD = 10
DAMAGED = "k0013.mp4"


def _add(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    tar.addfile(info, io.BytesIO(data))


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    """Four small clips (two with a blurry burst) the shards' members are copies of."""
    folder = tmp_path_factory.mktemp("tar-clips")
    return [make_clip(folder / f"c{i}.mp4", frames=16, width=128, height=80, seed=10 + i,
                      blurs=[Blur(6, 9, "gaussian", 3.0)] if i % 2 else []) for i in range(4)]


@pytest.fixture(scope="module")
def shards(clips, tmp_path_factory):
    """Two webdataset-style shards of ten clips each (``KEY.mp4`` beside ``KEY.json``); member k0013 is
    garbage bytes named like a video. Returns the folder and the original clip of each member."""
    folder = tmp_path_factory.mktemp("shards")
    originals = {}
    for s in range(2):
        with tarfile.open(folder / f"shard-{s:03d}.tar", "w") as tar:
            for k in range(s * MEMBERS_PER_SHARD, (s + 1) * MEMBERS_PER_SHARD):
                key = f"k{k:04d}"
                clip = clips[k % len(clips)]
                data = b"\x00garbage" * 500 if f"{key}.mp4" == DAMAGED else Path(clip.path).read_bytes()
                _add(tar, f"{key}.mp4", data)
                _add(tar, f"{key}.json", json.dumps({"key": key}).encode())
                originals[f"{key}.mp4"] = clip
    return folder, originals


def _member(folder: Path, key: str) -> str:
    shard = int(key[1:5]) // MEMBERS_PER_SHARD
    return f"tar://{key}::{folder / f'shard-{shard:03d}.tar'}"


def test_a_folder_of_shards_lists_each_video_member_in_the_chained_form(shards):
    folder, originals = shards
    paths, root = discover_videos(folder)
    assert paths == [_member(folder, name) for name in sorted(originals)]
    assert root == folder
    single, _ = discover_videos(folder / "shard-001.tar")
    assert single == paths[MEMBERS_PER_SHARD:]


def test_batch_with_files_scans_each_member_like_the_file_it_holds(shards, tmp_path):
    folder, originals = shards
    out = tmp_path / "out"
    summary = run_batch(folder, out, thumbnails=False)
    assert (summary.total, summary.errors) == (20, 1)
    assert not (out / "k0000.mp4").exists() and not list(out.rglob("*.mp4"))  # nothing extracted
    rows = {r["path"]: r for r in summary.rows}
    damaged = rows[_member(folder, DAMAGED)]
    assert damaged["status"] == "error" and "cannot be read as a video" in damaged["error"]
    assert damaged["name"] == DAMAGED and damaged["relative_path"] == f"shard-001/{DAMAGED}"
    with Scanner() as scanner:
        expected = {path: scanner.scan(path).to_dict() for path in {clip.path for clip in originals.values()}}
    for name, clip in originals.items():
        if name == DAMAGED:
            continue
        row = rows[_member(folder, name)]
        result = json.loads((out / row["result_file"]).read_text())
        assert row["status"] == "ok" and result["video"]["name"] == name
        assert result["scores"] == expected[clip.path]["scores"]
        assert result["segments"] == expected[clip.path]["segments"]


def test_detect_reads_one_member_by_its_chained_name(shards, tmp_path):
    folder, originals = shards
    url = _member(folder, "k0001.mp4")
    done = subprocess.run([sys.executable, "-m", "blurscan", "detect", url, "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["video"]["path"] == url and result["video"]["name"] == "k0001.mp4"
    with Scanner() as scanner:
        assert result["scores"] == scanner.scan(originals["k0001.mp4"].path).to_dict()["scores"]
    missing = f"tar://k9999.mp4::{folder / 'shard-000.tar'}"
    bad = subprocess.run([sys.executable, "-m", "blurscan", "detect", missing, "-q"], capture_output=True, text=True)
    assert bad.returncode == 1 and bad.stderr.strip().splitlines() == [
        f"error: {missing}: no such member in {folder / 'shard-000.tar'}. List the shard with `tar tf` and check the name."]


def test_members_are_cut_in_place_by_split_and_by_batch_split(shards, tmp_path):
    """The cutter reads a member from its shard too: `split tar://...` and `batch shards/ --split` write
    the sharp stretches of a member with a burst as clips (they logged 'cannot be read as a video')."""
    folder, originals = shards
    url = _member(folder, "k0001.mp4")  # a copy of a clip with a burst at frames 6-9
    done = subprocess.run([sys.executable, "-m", "blurscan", "split", url, "-o", str(tmp_path / "one"), "-q"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    cuts = json.loads((tmp_path / "one" / "k0001.cuts.json").read_text())
    assert cuts["complete"] and len(cuts["clips"]) == 2 and all(Path(c["file"]).exists() for c in cuts["clips"])
    summary = run_batch(str(folder), tmp_path / "all", split=SplitOptions())
    assert summary.errors == 1  # the damaged member
    cut = json.loads((tmp_path / "all" / "shard-000__k0001.cuts.json").read_text())
    assert cut["complete"] and [c["start_frame"] for c in cut["clips"]] == [c["start_frame"] for c in cuts["clips"]]

def test_parquet_output_has_one_row_per_member_and_resumes_per_member(shards, tmp_path):
    folder, originals = shards
    out = tmp_path / "dataset"
    done = subprocess.run([sys.executable, "-m", "blurscan", "batch", str(folder), "-o", str(out), "-q",
                           "--output-format", "parquet", "--no-thumbnails"], capture_output=True, text=True)
    assert done.returncode == 1, done.stderr  # one video failed
    rows = {r["path"]: r for r in pq.read_table(out / "videos").to_pylist()}
    assert sorted(rows) == sorted(_member(folder, name) for name in originals)
    assert [p for p, r in rows.items() if r["status"] == "error"] == [_member(folder, DAMAGED)]
    assert all(r["source_size"] == (folder / "shard-000.tar").stat().st_size for p, r in rows.items() if "shard-000" in p)
    again = run_batch(folder, out, output_format="parquet", resume=True, thumbnails=False)
    assert (again.skipped, again.scanned) == (19, 1)  # only the failed member is tried again


def test_a_damaged_shard_is_its_own_error_and_the_other_shards_go_on(shards, tmp_path):
    folder, _ = shards
    mixed = tmp_path / "mixed"
    mixed.mkdir()
    (mixed / "shard-000.tar").symlink_to(folder / "shard-000.tar")
    (mixed / "broken.tar").write_bytes(b"this is not a tar archive" * 40)
    summary = run_batch(mixed, tmp_path / "out", thumbnails=False)
    assert summary.total == MEMBERS_PER_SHARD + 1
    broken = [r for r in summary.rows if r["name"] == "broken.tar"]
    assert broken[0]["status"] == "error" and "cannot be read as a tar shard" in broken[0]["error"]


def test_untrusted_member_names_never_leave_the_output_folder(clips, tmp_path):
    shard = tmp_path / "in" / "hostile.tar"
    shard.parent.mkdir()
    data = Path(clips[0].path).read_bytes()
    names = ["../../escape.mp4", "/etc/abs.mp4", "line\nbreak.mp4", "a/./b/../c.mp4"]
    with tarfile.open(shard, "w") as tar:
        for name in names:
            _add(tar, name, data)
    out = tmp_path / "out"
    summary = run_batch(shard.parent, out, thumbnails=False)
    assert (summary.total, summary.errors) == (4, 0)
    written = {p.relative_to(out).as_posix() for p in out.rglob("*")}
    assert all("/" not in name for name in written)  # every output is a file directly in out/
    assert not (tmp_path / "escape.mp4").exists() and not (tmp_path / "escape.json").exists()


def test_shards_in_object_storage_are_read_in_place(clips, shards):
    fsspec = pytest.importorskip("fsspec")
    folder, originals = shards
    memory = fsspec.filesystem("memory")
    memory.pipe("/tarbucket/shards/shard-000.tar", (folder / "shard-000.tar").read_bytes())
    paths, _ = discover_videos("memory://tarbucket/shards/")
    assert paths[0] == "tar://k0000.mp4::memory://tarbucket/shards/shard-000.tar" and len(paths) == MEMBERS_PER_SHARD
    with Scanner() as scanner:
        assert scanner.scan(paths[1]).scores.tolist() == scanner.scan(originals["k0001.mp4"].path).scores.tolist()


def test_sigkill_then_resume_scans_each_member_once(shards, tmp_path):
    folder, _ = shards
    reference = tmp_path / "reference"
    run_batch(folder, reference)
    out = tmp_path / "out"
    batch = subprocess.Popen([sys.executable, "-m", "blurscan", "batch", str(folder), "-o", str(out), "-q"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: _journal_rows(out) >= 6)
    batch.send_signal(signal.SIGKILL)
    batch.wait(timeout=10)
    lines = (out / "manifest.jsonl").read_text().split("\n")[1:]
    ok_before = sum(json.loads(line)["status"] == "ok" for line in lines if line.endswith("}"))
    assert 0 < ok_before < 19
    resumed = subprocess.run([sys.executable, "-m", "blurscan", "batch", str(folder), "-o", str(out), "--resume"], capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 1, resumed.stderr  # the damaged member
    assert f"resuming: {ok_before} of 20 videos already done" in resumed.stderr
    assert_same_outputs(out, reference)
    assert _without_run_facts(json.loads((out / "results.json").read_text())) == _without_run_facts(
        json.loads((reference / "results.json").read_text()))
