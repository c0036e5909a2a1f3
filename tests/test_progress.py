"""Progress people can read: at 80 columns the counts, rate and ETA always show (the name gives way);
off a terminal, plain lines come before the summary; a batch shows every worker's video."""

from __future__ import annotations

import os
import re
import select
import shutil
import subprocess
import sys

import pytest

from blurscan._cli.progress import progress_line, shorten

NAME = "my_holiday_footage_2024_camera_A_take_03_1080p_final_cut.mp4"  # 60 characters


def test_a_long_name_gives_way_to_counts_rate_and_eta():
    assert len(NAME) == 60
    for width in (80, 60, 50):
        line = progress_line(NAME, 108, 300, 0.6, {"rss_mb": 143.0, "batch_size": 32}, width)
        assert len(line) <= width, (width, line)
        assert "108/300 frames" in line and "180 frames/s" in line and "ETA 0:00:01" in line, line
        assert line.startswith("my_h") and "…" in line
    wide = progress_line(NAME, 108, 300, 0.6, {"rss_mb": 143.0}, 200)
    assert NAME in wide and "RSS 143 MiB" in wide
    assert shorten("short.mp4", 20) == "short.mp4" and len(shorten(NAME, 20)) == 20


def _pty_run(argv, columns=80, timeout=120):
    """Run ``argv`` with standard error on a pseudo-terminal ``columns`` wide; return what it drew."""
    pty = pytest.importorskip("pty")
    import fcntl
    import struct
    import termios

    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of the given width
        os.environ.update(COLUMNS=str(columns), TERM="xterm")
        os.execvp(argv[0], argv)
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", 24, columns, 0, 0))
    out = b""
    while True:
        ready, _, _ = select.select([fd], [], [], timeout)
        if not ready:
            os.kill(pid, 9)
            break
        try:
            data = os.read(fd, 65536)
        except OSError:
            break
        if not data:
            break
        out += data
    _, status = os.waitpid(pid, 0)
    return out.decode("utf-8", "replace"), os.waitstatus_to_exitcode(status)


def test_progress_on_an_80_column_terminal(burst_clip, tmp_path):
    video = tmp_path / NAME
    shutil.copy(burst_clip.path, video)
    drawn, code = _pty_run([sys.executable, "-m", "blurscan", "detect", str(video), "-o", str(tmp_path / "out")])
    assert code == 0, drawn
    lines = [re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", part) for part in re.split(r"[\r\n]+", drawn)]
    bars = [line for line in lines if " frames/s · ETA " in line]
    assert bars, drawn
    for line in bars:
        assert len(line.rstrip()) <= 80, line
        assert re.search(r"\d+/90 frames · +[\d,]+ frames/s · ETA (\d:\d\d:\d\d|-:--:--)", line), line


def test_plain_lines_off_a_terminal_come_before_the_summary(burst_clip, tmp_path):
    video = tmp_path / NAME
    shutil.copy(burst_clip.path, video)
    env = {**os.environ, "BLURSCAN_PROGRESS_INTERVAL": "0"}
    done = subprocess.run([sys.executable, "-m", "blurscan", "detect", str(video), "-o", str(tmp_path / "out")],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    assert all("\r" not in line and "━" not in line for line in lines)  # no bar frames
    assert re.match(rf"{re.escape(NAME)} \d+/90 frames · [\d,]+ frames/s · ETA", lines[0]), lines
    assert lines[-2].startswith(f"{NAME}: ") and "00:00:01.333–00:00:01.500" in lines[-2], lines
    assert lines[-1].startswith("report: "), lines


def test_a_batch_shows_each_workers_video(burst_clip, clean_clip, tmp_path):
    videos = tmp_path / "videos"
    videos.mkdir()
    for i in range(4):
        shutil.copy((burst_clip if i % 2 else clean_clip).path, videos / f"clip{i}.mp4")
    env = {**os.environ, "BLURSCAN_PROGRESS_INTERVAL": "0"}
    done = subprocess.run([sys.executable, "-m", "blurscan", "batch", str(videos), "-o", str(tmp_path / "out"), "-j", "2"],
                          capture_output=True, text=True, env=env, timeout=180)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.strip().splitlines()
    overall = [line for line in lines if line.startswith("batch ")]
    assert overall and re.match(r"batch 4/4 videos · [\d,]+ frames · [\d,]+ frames/s · ETA 0:00:00", overall[-1])
    assert any(re.search(r"scanning: clip\d\.mp4 \d+/\d+", line) for line in overall), overall  # the workers' videos
    assert lines[-1].startswith("4 videos:")
