"""The watch's incremental detection, fed per-frame numbers directly: which events a stream's picture gives.

Frames here are numbers, not pictures (a frame's quality as a logit, its change from the previous
frame), so hours of stream take a second; tests/test_watch.py runs real streams end to end.
"""

from __future__ import annotations

import math

import numpy as np

from blurscan.detect.drop import DropDetector
from blurscan.watch.monitor import HORIZON_S, Monitor

SHARP = 2.6


def _quality(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


class Feed:
    """A monitor and a clock: ``run(seconds, level)`` feeds frames at ``fps`` with a little noise."""

    def __init__(self, fps: float = 5.0, **options):
        self.events = []
        self.monitor = Monitor(DropDetector(), self.events.append, absolute_scale=True, **options)
        self.fps = fps
        self.t = 0.0
        self.rng = np.random.default_rng(0)

    def run(self, seconds: float, level, *, change: float = 0.01, quality: float | None = None) -> None:
        start = self.t
        for _ in range(int(round(seconds * self.fps))):
            x = level(self.t - start) if callable(level) else level
            q = _quality(x + self.rng.normal(0, 0.05)) if quality is None else quality
            self.monitor.add(self.t, 1e9 + self.t, q, q, 0.002, change)
            self.t += 1.0 / self.fps

    def kinds(self) -> list[tuple[str, str | None]]:
        return [(e.type, e.state) for e in self.events]


def test_short_blurs_are_one_event_each_reported_soon_after_their_end():
    feed = Feed()
    feed.run(30, SHARP)
    for _ in range(2):
        start = feed.t
        feed.run(2, -1.0)
        end = feed.t
        feed.run(1.4, SHARP)  # out within CLOSE_S and a tick or two of its end
        assert feed.events and abs(feed.events[-1].end_s - end) < 0.25
        assert abs(feed.events[-1].start_s - start) < 0.25
        feed.run(20, SHARP)
    feed.monitor.flush()
    assert feed.kinds() == [("blur", None), ("blur", None)]
    assert all(e.severity in ("moderate", "severe") for e in feed.events)


def test_a_lasting_soft_stretch_is_reported_when_decided_then_on_recovery_and_sharp_is_not_forgotten():
    feed = Feed()
    feed.run(60, SHARP)
    soft_start = feed.t
    feed.run(11, 0.6)  # far below the stream's level, above the absolute floor: soft relative to the stream
    assert feed.kinds() == [("soft", "begun")], "decided once it has lasted soft_after (10 s)"
    assert abs(feed.events[0].start_s - soft_start) < 1.5 and feed.events[0].end_s is None
    feed.run(600, 0.6)  # ten minutes soft: not learned as the new normal
    assert feed.kinds() == [("soft", "begun")]
    assert feed.monitor.reference.level > SHARP - 0.3
    recovered = feed.t
    feed.run(30, SHARP)
    feed.monitor.flush()
    assert feed.kinds() == [("soft", "begun"), ("soft", "ended")]
    ended = feed.events[1]
    assert abs(ended.end_s - recovered) < 1.5 and abs(ended.start_s - soft_start) < 1.5
    assert ended.severity == "moderate" and ended.min_score < _quality(0.9)


def test_the_reference_follows_a_slow_change_like_dusk_without_an_event():
    feed = Feed(fps=1.0)
    feed.run(60, SHARP)
    feed.run(900, lambda t: SHARP - 1.5 * t / 900)  # a quarter of an hour: 1.5 logit units softer, slowly
    assert feed.events == []
    assert feed.monitor.reference.level < SHARP - 1.2
    feed.run(3, SHARP - 1.5 - 2.5)  # then a real blur against the new level
    feed.run(5, SHARP - 1.5)
    feed.monitor.flush()
    assert feed.kinds() == [("blur", None)]


def test_frozen_and_flat_pictures_are_events_that_begin_and_end():
    feed = Feed()
    feed.run(20, SHARP)
    feed.run(12, SHARP, change=0.0)  # the very same picture
    feed.run(5, SHARP)
    feed.run(5, SHARP, quality=0.0)  # black: nothing to measure
    feed.run(5, SHARP)
    feed.monitor.flush()
    assert feed.kinds() == [("frozen", "begun"), ("frozen", "ended"), ("flat", "begun"), ("flat", "ended")]


def test_cooldown_makes_a_flapping_camera_one_event():
    def flapping(cooldown):
        feed = Feed(cooldown=cooldown)
        feed.run(30, SHARP)
        for _ in range(3):
            feed.run(1.5, -1.0)
            feed.run(4, SHARP)
        feed.run(20, SHARP)
        feed.monitor.flush()
        return feed

    assert flapping(0).kinds() == [("blur", None)] * 3
    quiet = flapping(10)
    assert quiet.kinds() == [("blur", None)] and quiet.monitor.suppressed == 2


def test_memory_is_flat_nothing_kept_grows_with_the_stream():
    feed = Feed(fps=10.0)
    feed.run(HORIZON_S * 2, SHARP)
    sizes = {name: len(column) for name, column in feed.monitor._buffer.items()}
    feed.run(HORIZON_S * 4, SHARP)
    later = {name: len(column) for name, column in feed.monitor._buffer.items()}
    assert all(abs(later[name] - sizes[name]) <= 1 for name in sizes), (sizes, later)  # the horizon, give or take a frame
    assert max(sizes.values()) <= HORIZON_S * 10 + 1


def test_a_scan_slower_than_its_source_keeps_frames_evenly_and_its_lag_bounded():
    """The decode thread's thinning against a watcher that takes one frame in three's time (a full queue drops)."""
    import queue

    from blurscan.watch.sources import QUEUE_FRAMES, Thinning

    thinning, waiting, kept = Thinning(), queue.Queue(maxsize=QUEUE_FRAMES), []
    for decoded in range(6000):
        if decoded % 3 == 0 and not waiting.empty():
            waiting.get_nowait()  # the watcher's pace: one frame per three the camera sends
        if not thinning.keep():
            continue
        try:
            waiting.put_nowait(decoded)
            kept.append(decoded)
            thinning.handed(waiting.qsize() / QUEUE_FRAMES)
        except queue.Full:
            thinning.refused()
    later = np.diff(kept[len(kept) // 2 :])
    assert 2 <= thinning.every <= 4
    assert later.max() <= 2 * thinning.every + 1, "no burst of lost frames: the gaps stay near 1 in every"
    assert 1900 <= len(kept) <= 2100  # about the watcher's pace: it neither starves nor falls behind
