"""The command line, in-process (CliRunner) and once as a real subprocess."""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
from typer.testing import CliRunner

from blurscan._cli import app
from blurscan.testing.synthetic import scene_frames, write_video
from tests.media import write_audio_only

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args], catch_exceptions=False)


def one_error_line(result, *fragments):
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:"), lines
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_detect_prints_the_result_json(burst_clip):
    result = run("detect", burst_clip.path, "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["schema"] == "blurscan/2"
    assert data["video"]["frames"] == burst_clip.frames == len(data["scores"])
    for key in ("blur_frames", "segments", "blur_detected", "blur_ratio", "mss", "severity", "confidence",
                "avg_quality", "quality_std", "max_quality_drop", "threshold", "camera_movement",
                "recommendations", "timing", "memory", "warnings", "settings"):
        assert key in data
    assert data["blur_detected"] and any(s["start_frame"] <= 44 and s["end_frame"] >= 40 for s in data["segments"])
    assert data["settings"]["batch_size"] == "auto"


def test_detect_writes_json_and_frames_csv(tmp_path, burst_clip):
    out = tmp_path / "out"
    result = run("detect", burst_clip.path, "-o", out, "--plot")
    assert result.exit_code == 0, result.stderr
    assert "burst.mp4" in result.stderr  # the summary line
    data = json.loads((out / "burst.json").read_text())
    rows = list(csv.DictReader((out / "burst.frames.csv").open()))
    assert len(rows) == burst_clip.frames
    assert list(rows[0])[:4] == ["frame", "time_s", "score", "blurry"]
    assert [int(r["frame"]) for r in rows if r["blurry"] == "1"] == data["blur_frames"]
    assert (out / "burst.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(out.glob(".*.tmp"))  # no temporary files left behind


def test_detect_csv_to_stdout(carphone):
    result = run("detect", carphone, "--format", "csv", "-q")
    assert result.exit_code == 0
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("video,frame,time_s,score,blurry") and len(lines) == 121


def test_several_videos_with_one_bad(tmp_path, clean_clip):
    bad = tmp_path / "bad.mp4"
    bad.write_text("nope")
    result = run("detect", clean_clip.path, bad, "-q")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert len(data) == 2 and data[0]["video"]["frames"] == 60 and "error" in data[1]
    one_error_line(result, "bad.mp4", "cannot be read as a video")


def test_same_stem_twice_gets_two_outputs_named_after_their_paths(tmp_path, clean_clip, burst_clip):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    shutil.copy(clean_clip.path, tmp_path / "a" / "clip.mp4")
    shutil.copy(burst_clip.path, tmp_path / "b" / "clip.mp4")
    videos = [str(tmp_path / "a" / "clip.mp4"), str(tmp_path / "b" / "clip.mp4")]
    names = set()
    for order in (videos, videos[::-1]):  # the names do not depend on the order videos are given in
        out = tmp_path / f"out{len(names)}"
        assert run("detect", *order, "-o", out, "-q").exit_code == 0
        found = {p.name: json.loads(p.read_text())["video"]["path"] for p in out.glob("*.json")}
        assert sorted(found.values()) == sorted(videos)
        names.add(frozenset(found.items()))
    assert len(names) == 1


# -- bad input: one line, the right exit code --------------------------------


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: None, "no such file"),
        (lambda p: p.mkdir(), "is a directory"),
        (lambda p: p.symlink_to(p.with_name("gone.mp4")), "broken symbolic link"),
        (lambda p: p.symlink_to(p), "symbolic link loop"),
    ],
    ids=["missing", "directory", "dangling-link", "link-loop"],
)
def test_inputs_that_are_not_files_exit_1(tmp_path, make, message):
    """Exit code 2 is for a wrong command line; an input that cannot be scanned is 1, like a bad video."""
    make(tmp_path / "x.mp4")
    result = run("detect", tmp_path / "x.mp4")
    assert result.exit_code == 1
    one_error_line(result, "x.mp4", message)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p.write_bytes(b""), "empty file"),
        (lambda p: p.write_text("hello " * 100), "cannot be read as a video"),
        (lambda p: write_audio_only(p), "no video stream"),
    ],
    ids=["empty", "text", "audio-only"],
)
def test_files_that_are_not_videos(tmp_path, make, message):
    path = tmp_path / "input.mp4"
    make(path)
    result = run("detect", path)
    assert result.exit_code == 1
    one_error_line(result, message)


def test_messages_are_printed_as_is_not_as_markup(tmp_path):
    """Square brackets in a path (or in 'blurscan[qalign]') must survive the terminal styling."""
    path = tmp_path / "[bold]clip[red] [qalign].mp4"
    path.write_text("not a video")
    result = run("detect", path)
    assert result.exit_code == 1
    one_error_line(result, "[bold]clip[red] [qalign].mp4")


def test_truncated_mp4_without_its_index(tmp_path, bikes):
    path = tmp_path / "cut.mp4"
    path.write_bytes(bikes.read_bytes()[:200_000])
    result = run("detect", path)
    assert result.exit_code == 1
    one_error_line(result, "cut.mp4", "re-encode or re-download")


@pytest.mark.parametrize("frames", [1, 2])
def test_videos_shorter_than_the_window(tmp_path, frames):
    path = tmp_path / f"tiny{frames}.mp4"
    write_video(path, scene_frames(frames, 64, 48), fps=10)
    result = run("detect", path, "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert len(data["scores"]) == frames and data["blur_detected"] is False


def test_a_single_8k_frame(tmp_path):
    path = tmp_path / "8k.mp4"
    write_video(path, [np.full((4320, 7680, 3), 128, np.uint8)], fps=1, crf=35)
    result = run("detect", path, "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["video"]["width"] == 7680 and data["video"]["frames"] == 1
    assert data["memory"]["peak_rss_mb"] < 1500


def test_paths_with_spaces_and_non_ascii(tmp_path, clean_clip):
    folder = tmp_path / "dossier été 📹"
    folder.mkdir()
    path = folder / "ma vidéo (1).mp4"
    path.write_bytes(open(clean_clip.path, "rb").read())
    out = tmp_path / "sortie ü"
    result = run("detect", path, "-o", out, "-q")
    assert result.exit_code == 0, result.stderr
    data = json.loads((out / "ma vidéo (1).json").read_text(encoding="utf-8"))
    assert data["video"]["name"] == "ma vidéo (1).mp4"


# -- bad arguments: exit code 2 ----------------------------------------------


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["--window-size", "0"], "window-size"),
        (["--batch-size", "lots"], "batch size"),
        (["--batch-size", "0"], "batch size"),
        (["--scorer", "sharpnes"], "Did you mean 'sharpness'"),
        (["--detector", "nope"], "unknown detector"),
        (["--device", "cuda:0"], "only apply to GPU scorers"),
        (["--sensitivity", "3"], "sensitivity"),
        (["--working-width", "8"], "working-width"),
        (["--measure", "sobel"], "measure"),
        (["--scorer", "qalign", "--measure", "edge"], "only apply to --scorer sharpness"),
    ],
)
def test_bad_arguments(clean_clip, args, fragment):
    result = run("detect", clean_clip.path, *args)
    assert result.exit_code == 2, result.stdout
    assert fragment in result.stderr


def test_scorer_options_reach_the_result(clean_clip):
    result = run("detect", clean_clip.path, "--measure", "laplacian", "--working-width", "160", "--sensitivity", "0.7", "-q")
    assert result.exit_code == 0, result.stderr
    settings = json.loads(result.stdout)["settings"]
    assert settings["scorer_options"] == {"measure": "laplacian", "working_width": 160}
    assert settings["detector_options"]["sensitivity"] == 0.7


def test_plot_needs_an_output_folder(clean_clip):
    result = run("detect", clean_clip.path, "--plot")
    assert result.exit_code == 2
    one_error_line(result, "--plot writes files: add --output")


# -- batch and demo -----------------------------------------------------------


def test_batch_scans_a_folder_and_reports_bad_videos(tmp_path, burst_clip, clean_clip):
    videos = tmp_path / "videos"
    (videos / "sub").mkdir(parents=True)
    (videos / "a.mp4").write_bytes(open(burst_clip.path, "rb").read())
    (videos / "sub" / "b.mp4").write_bytes(open(clean_clip.path, "rb").read())
    (videos / "broken.mp4").write_bytes(b"\x00" * 1000)
    (videos / "notes.txt").write_text("not listed: wrong extension")
    out = tmp_path / "out"
    result = run("batch", videos, "-o", out)
    assert result.exit_code == 1  # one video failed, the others finished
    rows = list(csv.DictReader((out / "summary.csv").open()))
    assert [(r["name"], r["status"]) for r in rows] == [("a.mp4", "ok"), ("broken.mp4", "error"), ("b.mp4", "ok")]
    assert (out / "sub__b.json").exists() and (out / "a.frames.csv").exists()
    assert "3 videos: 1 with blur, 1 without, 1 error" in result.stderr
    combined = json.loads((out / "results.json").read_text())
    assert len(combined["videos"]) == 3 and all("scores" not in v for v in combined["videos"])
    assert "| errors | 1 |" in (out / "statistics.md").read_text()


def test_batch_missing_source(tmp_path):
    result = run("batch", tmp_path / "nowhere", "-o", tmp_path / "out")
    assert result.exit_code == 1
    one_error_line(result, "no such folder")


def test_demo_finds_its_blur(tmp_path):
    result = run("demo", "-o", tmp_path)
    assert result.exit_code == 0, result.stderr
    assert "all 2 injected bursts found" in result.stderr
    data = json.loads((tmp_path / "demo.json").read_text())
    assert data["blur_detected"] and (tmp_path / "demo.png").exists()


def test_real_subprocess(tmp_path, edges_clip):
    """The installed entry point, as a user runs it."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "blurscan", "detect", edges_clip.path, "-o", str(out), "-q"],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads((out / "edges.json").read_text())["video"]["frames"] == edges_clip.frames
    proc = subprocess.run([sys.executable, "-m", "blurscan", "detect", str(tmp_path / "none.mp4")],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_help_lists_the_defaults():
    result = run("detect", "--help")
    assert result.exit_code == 0
    for fragment in ("--window-size", "--batch-size", "--scorer", "--sensitivity", "--compat"):
        assert fragment in result.stdout


def test_stream_option_picks_the_stream_and_the_result_says_which(tmp_path):
    from tests.media import write_two_video_streams

    path = write_two_video_streams(tmp_path / "two.mp4", default=0)
    chosen = json.loads(run("detect", path, "-q").stdout)
    assert (chosen["video"]["stream"], chosen["video"]["width"]) == (0, 64)
    assert any("--stream" in w for w in chosen["labels"]["warnings"])
    picked = run("detect", path, "--stream", "1", "-q")
    assert picked.exit_code == 0, picked.stderr
    data = json.loads(picked.stdout)
    assert (data["video"]["stream"], data["video"]["width"], data["settings"]["stream"]) == (1, 160, 1)


def test_a_stream_the_video_lacks_is_one_line_naming_the_streams(tmp_path):
    from tests.media import write_two_video_streams

    path = write_two_video_streams(tmp_path / "two.mp4")
    result = run("detect", path, "--stream", "7")
    assert result.exit_code == 1
    one_error_line(result, "no video stream 7", "0 (h264 64x64)", "1 (h264 160x96)", "--stream")
    assert run("detect", path, "--stream", "-1").exit_code == 2
