"""The native look: on videos larger than the working width, every frame's strongest tiles at their own
size against the same tiles at the working width; blur the working width cannot see lowers it, and the
drop detector weighs that dip together with the working-width drop."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from blurscan import Scanner
from blurscan.detail import strongest_tiles
from blurscan.detect import ScoreSeries
from blurscan.detect.drop import DropDetector
from blurscan.native_look import NativeStage, native_look
from blurscan.synthetic import Blur, blurred, gaussian_blur, render_canvas, scene_frames, write_video

FPS = 25.0


def _grey(width: int, height: int) -> np.ndarray:
    return cv2.cvtColor(render_canvas(width, height, 1), cv2.COLOR_RGB2GRAY)


def test_the_look_reads_blur_the_working_width_cannot_see():
    picture = _grey(1920, 1080)
    tiles = strongest_tiles(picture)[:2]
    sharp = native_look(picture, tiles, 3.0)
    assert abs(sharp) < 0.2  # a pixel-sharp picture reads about the same at both sizes
    soft = native_look(gaussian_blur(picture, 1.5), tiles, 3.0)
    assert soft < sharp - 0.4
    assert math.isnan(native_look(np.full((1080, 1920), 90, np.uint8), tiles, 3.0))  # no edge to measure


def test_the_stage_looks_at_every_frame_only_on_large_videos():
    small, large = NativeStage(25.0, 1.0), NativeStage(25.0, 2.0)
    assert small.frame_format.every == small.every > 1 and large.frame_format.every == 1
    picture = _grey(1280, 720)
    for index in range(26):
        small.update(index, picture if index % small.every == 0 else None)
        large.update(index, picture)
    assert small.arrays()["native_look"] is None
    values = large.arrays()
    assert list(np.flatnonzero(~np.isnan(values["detail"]))) == [0, small.every, 2 * small.every]
    assert not np.isnan(values["native_look"]).any() and len(values["native_look"]) == 26


def _series(working: np.ndarray, look: np.ndarray | None) -> ScoreSeries:
    q = 1.0 / (1.0 + np.exp(-working))
    return ScoreSeries(scores=q.copy(), times_s=np.arange(len(q)) / FPS, fps=FPS, camera_movement=0.0,
                       signals={"quality": q}, absolute_scale=True, native_scale=2.0, native_look=look)


@pytest.mark.parametrize("look_dip, flagged", [(0.0, False), (0.3, True)])
def test_a_shallow_working_drop_with_a_native_dip_is_an_event(look_dip, flagged):
    rng = np.random.default_rng(4)
    working = 1.0 + rng.normal(0.0, 0.05, 200)
    look = rng.normal(0.0, 0.05, 200)
    working[100:104] -= 0.5  # below the drop (0.9) at the working width, and read at native size (0.6)
    look[100:104] -= look_dip
    assert _event_frames(_series(working, look)) == (set(range(100, 104)) if flagged else set())
    # the look alone (a dip with nothing at the working width) is not enough
    working[100:104] += 0.5
    assert _event_frames(_series(working, look)) == set()


def _event_frames(series: ScoreSeries) -> set[int]:
    """Frames in blur events (a shot this soft at native size is also a soft shot: not asked here)."""
    segments = DropDetector().detect(series).segments
    return {i for s in segments if s.kind == "event" for i in range(s.start_frame, s.end_frame + 1)}

def test_a_720p_disk_burst_on_footage_soft_by_nature_is_found(tmp_path, monkeypatch):
    """Disk radius 2 on a 1280x720 picture already a little soft: a blur of about one pixel at 640 px."""
    frames = (gaussian_blur(frame, 0.8) for frame in scene_frames(60, 1280, 720, pan=2.0))
    path = tmp_path / "soft720.mp4"
    write_video(path, blurred(frames, [Blur(30, 32, "disk", 2.0)]), FPS)

    def events() -> list[tuple[int, int]]:
        with Scanner() as scanner:
            data = scanner.scan(path).to_dict(include_scores=False)
        return [(s["start_frame"], s["end_frame"]) for s in data["segments"] if s["kind"] == "event"]

    found = events()
    assert len(found) == 1 and found[0][0] <= 31 <= found[0][1] and 29 <= found[0][0] and found[0][1] <= 33
    monkeypatch.setattr("blurscan.native_look.MIN_SCALE", 100.0)  # the working width alone misses it
    assert events() == []

