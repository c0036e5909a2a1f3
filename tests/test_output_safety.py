"""Outputs are safe in folders blurscan did not make: no link followed, the umask kept, names stable,
one batch per folder, a damaged journal rebuilt, operating-system errors as one line."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from blurscan.batch import output_stems, run_batch
from blurscan.errors import OutputError, OutputFolderBusyError
from blurscan.io.atomic import append_line, atomic_write
from blurscan.io.lock import OutputLock
from blurscan.report.outputs import dump_result_json, json_text


@pytest.fixture
def two_videos(tmp_path, clean_clip, burst_clip):
    """Two good videos, one named like the batch's combined results file."""
    videos = tmp_path / "videos"
    videos.mkdir()
    shutil.copy(clean_clip.path, videos / "results.mp4")
    shutil.copy(burst_clip.path, videos / "burst.mp4")
    return videos


def blurscan_cli(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "blurscan", *map(str, args)], capture_output=True, text=True,
                          timeout=120, **kwargs)


# -- links, umask, names ------------------------------------------------------


def test_no_output_is_written_through_a_planted_link(two_videos, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    victims = {}
    for name in ("manifest.jsonl", "summary.csv", "results.json", "burst.json", "burst.frames.csv", "report.html"):
        victim = tmp_path / f"victim-{name}"
        victim.write_text("precious\n")
        (out / name).symlink_to(victim)
        victims[name] = victim
    run_batch(two_videos, out)
    run_batch(two_videos, out, resume=True)
    for name, victim in victims.items():
        assert victim.read_text() == "precious\n", name
        assert not (out / name).is_symlink(), name
    # the journal's appends refuse a link outright
    link = out / "journal"
    link.symlink_to(victims["manifest.jsonl"])
    with pytest.raises(OutputError, match="symbolic link"):
        append_line(link, "{}")
    assert victims["manifest.jsonl"].read_text() == "precious\n"


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_outputs_follow_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        with atomic_write(tmp_path / "f.txt") as handle:
            handle.write("x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "f.txt").stat().st_mode) == 0o666 & ~umask


def test_a_video_named_like_a_combined_file_keeps_its_result(two_videos, tmp_path):
    out = tmp_path / "out"
    summary = run_batch(two_videos, out)
    own = [r for r in summary.rows if r["name"] == "results.mp4"][0]["result_file"]
    assert own != "results.json"
    assert json.loads((out / own).read_text())["video"]["frames"] == 60
    sizes = []
    for _ in range(3):  # resuming never folds the combined file into itself
        run_batch(two_videos, out, resume=True)
        combined = json.loads((out / "results.json").read_text())
        assert len(combined["videos"]) == 2
        sizes.append((out / "results.json").stat().st_size)
    assert len(set(sizes)) == 1


def test_output_names_are_a_function_of_the_path_alone(tmp_path):
    root = tmp_path / "v"
    a = root / "a__b" / "c.mp4"
    b = root / "a" / "b__c.mp4"
    c = root / "x" / "clip.mp4"
    both = dict(zip([a, b, c], output_stems([a, b, c], root)))
    assert len(set(both.values())) == 3
    assert both[c] == "x__clip"  # unambiguous names stay readable
    assert dict(zip([b, a], output_stems([b, a], root))) == {a: both[a], b: both[b]}
    assert output_stems([a], root) == [both[a]] and output_stems([b], root) == [both[b]]


def test_result_json_is_streamed_with_the_same_content(burst_clip):
    import io

    from blurscan import scan

    result = scan(burst_clip.path)
    buffer = io.StringIO()
    dump_result_json(result, buffer)
    assert json.loads(buffer.getvalue()) == json.loads(json_text(result.to_dict()))
    assert ' "scores": [' + ",".join(map(repr, result.rounded_scores())) + "]," in buffer.getvalue().splitlines()


# -- one batch per folder; resume -------------------------------------------


def test_a_second_batch_on_the_same_folder_gets_a_clear_error(two_videos, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    with OutputLock(out):
        with pytest.raises(OutputFolderBusyError, match=f"PID {os.getpid()}"):
            run_batch(two_videos, out)
        result = blurscan_cli("batch", two_videos, "-o", out, "-q")
    assert result.returncode == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "another blurscan run (a batch or a split)" in lines[0] and str(os.getpid()) in lines[0]
    assert not (out / "manifest.jsonl").exists()
    run_batch(two_videos, out)  # released: the folder can be used again
    assert not list(out.glob(".*lock"))


def _journal(out: Path) -> bytes:
    return (out / "manifest.jsonl").read_bytes()


def test_resume_survives_a_damaged_journal(two_videos, tmp_path, caplog):
    out = tmp_path / "out"
    run_batch(two_videos, out)
    good = _journal(out)
    header, *rows = good.split(b"\n")
    cases = {
        "non-UTF-8 byte": header + b"\n" + b"\xff\xfe garbage\n" + b"\n".join(rows),
        "empty journal": b"",
        "damaged header": b'{"schema": "nope"\n' + b"\n".join(rows),
        "torn last line": good + b'{"stem": "x", "sta',
        "no journal": None,
    }
    for why, content in cases.items():
        if content is None:
            (out / "manifest.jsonl").unlink()
        else:
            (out / "manifest.jsonl").write_bytes(content)
        summary = run_batch(two_videos, out, resume=True)
        assert (summary.skipped, summary.scanned) == (2, 0), why
        lines = _journal(out).split(b"\n")
        assert all(json.loads(line) for line in lines if line), why  # every line whole again
    # a torn line is closed before the next append, so the next row stays whole
    (out / "manifest.jsonl").write_bytes(good + b'{"stem": "x", "sta')
    append_line(out / "manifest.jsonl", '{"stem": "y"}')
    assert _journal(out).endswith(b'{"stem": "x", "sta\n{"stem": "y"}\n')


def test_resume_redoes_a_truncated_result_and_cleans_stale_temp_files(two_videos, tmp_path):
    out = tmp_path / "out"
    run_batch(two_videos, out)
    text = (out / "burst.json").read_text()
    (out / "burst.json").write_text(text[: len(text) // 2])
    (out / ".burst.json.abcd1234.tmp").write_text("left by a kill")
    (out / ".notours.txt").write_text("kept")
    summary = run_batch(two_videos, out, resume=True)
    assert (summary.skipped, summary.scanned) == (1, 1)
    assert json.loads((out / "burst.json").read_text())["video"]["frames"] == 90
    assert not list(out.glob(".*.tmp")) and (out / ".notours.txt").exists()


def test_names_with_line_separators_are_not_rescanned(clean_clip, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for name in ("a\u2028b.mp4", "c\u0085d.mp4", "e\u2029f.mp4"):
        shutil.copy(clean_clip.path, videos / name)
    out = tmp_path / "out"
    run_batch(videos, out)
    summary = run_batch(videos, out, resume=True)
    assert (summary.skipped, summary.scanned) == (3, 0)


# -- operating-system errors -------------------------------------------------


@pytest.mark.parametrize("target", ["/proc/blurscan-nope", "/dev/null/sub"])
def test_an_unusable_output_folder_is_one_line(two_videos, target):
    for command in (["batch", two_videos, "-o", target], ["detect", two_videos / "burst.mp4", "-o", target]):
        result = blurscan_cli(*command, "-q")
        assert result.returncode == 1, result.stderr
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr and target in lines[0], result.stderr


def test_a_folder_in_the_way_fails_only_its_video(two_videos, tmp_path):
    out = tmp_path / "out"
    (out / "burst.json").mkdir(parents=True)
    summary = run_batch(two_videos, out)
    status = {r["name"]: r["status"] for r in summary.rows}
    assert status == {"burst.mp4": "error", "results.mp4": "ok"}
    error = [r for r in summary.rows if r["name"] == "burst.mp4"][0]["error"]
    assert "burst.json" in error and "folder has the output's name" in error
    result = blurscan_cli("detect", two_videos / "burst.mp4", two_videos / "results.mp4", "-o", out, "-q")
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert (out / "results.json").exists()


def _mount_tmpfs(path: Path, size: str) -> bool:
    if os.geteuid() != 0 or not shutil.which("mount"):
        return False
    path.mkdir(exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def test_a_full_disk_stops_cleanly_and_resume_finishes(two_videos, clean_clip, tmp_path):
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, "48k"):
        pytest.skip("cannot mount a small tmpfs here (needs root and mount rights); the full-disk path is untested")
    try:
        for i in range(6):
            shutil.copy(clean_clip.path, two_videos / f"more{i}.mp4")
        out = disk / "out"
        result = blurscan_cli("batch", two_videos, "-o", out, "-q")
        assert result.returncode == 1
        lines = result.stderr.strip().splitlines()
        assert "Traceback" not in result.stderr and any("No space left on device" in line for line in lines), lines
        assert not list(out.glob(".*.tmp"))
        for done in out.glob("*.json"):  # whatever was written is whole
            json.loads(done.read_text())
        subprocess.run(["mount", "-o", "remount,size=8m", str(disk)], check=True)
        result = blurscan_cli("batch", two_videos, "-o", out, "--resume", "-q")
        assert result.returncode == 0, result.stderr
        assert len(json.loads((out / "results.json").read_text())["videos"]) == 8
    finally:
        subprocess.run(["umount", "-l", str(disk)], capture_output=True)


# -- scripts -----------------------------------------------------------------


def test_a_script_without_a_main_guard_gets_one_clear_line(two_videos, tmp_path):
    script = tmp_path / "unguarded.py"
    script.write_text(f"import blurscan\nblurscan.run_batch({str(two_videos)!r}, {str(tmp_path / 'o1')!r}, workers=2)\n")
    result = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert "__main__" in result.stderr and "damaged" not in result.stderr
    assert result.stderr.count("Traceback") <= 1  # the script's own uncaught error, nothing per video

    guarded = tmp_path / "guarded.py"
    guarded.write_text(
        "import blurscan\n\nif __name__ == '__main__':\n"
        f"    s = blurscan.run_batch({str(two_videos)!r}, {str(tmp_path / 'o2')!r}, workers=2)\n"
        "    raise SystemExit(0 if s.ok else 1)\n"
    )
    result = subprocess.run([sys.executable, str(guarded)], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_writing_a_long_videos_outputs_costs_no_memory_per_frame(burst_clip, tmp_path):
    """Two hours at 30 fps: the JSON and the per-frame CSV are streamed from the arrays."""
    import dataclasses
    import tracemalloc

    import numpy as np

    from blurscan import scan
    from blurscan.report.outputs import render_outputs, write_outputs

    short = scan(burst_clip.path)
    n = 216_000
    reps = n // short.frames + 1

    def long(values):
        return np.tile(values, reps)[:n].copy()

    result = dataclasses.replace(
        short, scores=long(short.scores), times_s=np.arange(n) / 30.0,
        signals={k: long(v) for k, v in short.signals.items()},
    )
    tracemalloc.start()
    try:
        write_outputs(tmp_path, "long", render_outputs(result))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 * 2**20, f"{peak / 2**20:.1f} MiB allocated while writing"  # was about 70 MiB built in memory
    data = json.loads((tmp_path / "long.json").read_text())
    assert len(data["scores"]) == n
    with open(tmp_path / "long.frames.csv") as handle:
        assert sum(1 for _ in handle) == n + 1


def test_the_readmes_library_example_runs_as_shown(tmp_path, burst_clip, clean_clip):
    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Library"):]
    code = section[section.index("```python\n") + len("```python\n"):section.index("\n```", section.index("```python"))]
    (tmp_path / "videos").mkdir()
    shutil.copy(burst_clip.path, tmp_path / "clip.mp4")
    shutil.copy(clean_clip.path, tmp_path / "videos" / "clean.mp4")
    shutil.copy(burst_clip.path, tmp_path / "videos" / "burst.mp4")
    (tmp_path / "example.py").write_text(code)
    result = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert len(json.loads((tmp_path / "out" / "results.json").read_text())["videos"]) == 2
