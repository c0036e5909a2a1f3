"""The lines people read on the terminal: every video's progress off a terminal, steady bars, short summaries."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

from blurscan import Scanner
from blurscan._cli.detect import summary_line
from blurscan._cli.progress import progress_line
from blurscan.testing.synthetic import Blur, make_clip


def test_off_a_terminal_every_video_gets_a_progress_line(clean_clip, burst_clip):
    env = {**os.environ, "BLURSCAN_PROGRESS_INTERVAL": "10", "PYTHONPATH": os.getcwd()}
    done = subprocess.run([sys.executable, "-m", "blurscan", "detect", str(clean_clip.path), str(burst_clip.path)],
                          capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    for name in ("clean.mp4", "burst.mp4"):
        progress = [i for i, line in enumerate(lines) if re.match(rf"{name} \d+/\d+ frames · ", line)]
        summary = [i for i, line in enumerate(lines) if line.startswith(f"{name}: ")]
        assert progress and summary and progress[0] < summary[0], done.stderr


def test_a_bar_keeps_its_layout_as_the_counts_grow():
    name = "my_holiday_footage_2024_camera_A_take_03_1080p_final_cut.mp4"
    lines = [progress_line(name, done, 12_000, max(done, 1) / rate, {"rss_mb": 150}, 100)
             for done, rate in ((3, 9.0), (95, 95.0), (4_500, 450.0), (12_000, 2_300.0))]
    assert {len(line) for line in lines} == {100}
    assert len({line.index("/12,000") for line in lines}) == 1  # the name's room never changes


@pytest.fixture(scope="module")
def many_events(tmp_path_factory):
    """Six short bursts in 240 frames: more blur events than a narrow terminal's summary lists."""
    bursts = [Blur(start, start + 4, "gaussian", 3.5) for start in (20, 60, 100, 140, 180, 215)]
    clip = make_clip(tmp_path_factory.mktemp("events") / "many.mp4", frames=240, width=320, height=180, blurs=bursts, seed=5)
    with Scanner() as scanner:
        return scanner.scan(clip.path)


def test_a_summary_fits_a_narrow_terminal_and_counts_right(many_events):
    assert len(many_events.events) == 6
    wide = summary_line(many_events)
    narrow = summary_line(many_events, {".json": "out/many.json"}, width=60)
    assert "6 blur events" in wide and wide.count("(frames ") == 4 and "(+2)" in wide
    assert "6 blur events" in narrow and len(narrow) <= 4 * 60, narrow
    listed = narrow.count("(frames ")
    assert 1 <= listed < 4 and f"(+{6 - listed})" in narrow
    assert "5/240" not in narrow and re.search(r"\d+/240 frames", narrow)
