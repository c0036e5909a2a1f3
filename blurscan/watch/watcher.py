"""Watching one live source: frames -> the scorer (the scan's own, in small batches) -> the monitor -> events.

The scan's pieces, run live: the scorer's per-frame work and window scores
(:mod:`blurscan.pipeline.windows`, :func:`blurscan.pipeline.memory.run_batched`),
the motion tracker's shot-cut signal (:mod:`blurscan.taps.motion`), and the
scan's detector over the last seconds (:mod:`blurscan.watch.monitor`).
Batches are small (:data:`LIVE_BATCH` frames), so a finding waits for a few
frames, not for a batch of a file scan. The tracker's per-frame lists are
emptied as they are read, so nothing grows with the watch's length.

A run of frames ends when the signal is lost (``signal_lost`` is reported,
the source reconnects on its own, ``signal_back`` when frames come again),
when the input ends, or when the watch is stopped (:attr:`Watcher.stop`:
SIGTERM, Ctrl-C, ``duration``). A status line goes to standard error every
``status_every`` seconds, and a last one when the watch stops.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from blurscan.detect import DEFAULT_DETECTOR, DETECTORS
from blurscan.messages import Message
from blurscan.pipeline.memory import BatchSizer, rss_mb
from blurscan.pipeline.stream import encode_batch, score_batch
from blurscan.pipeline.windows import sliding_windows
from blurscan.scorers import SCORERS
from blurscan.scorers.base import DIRECTION_SIGNALS
from blurscan.settings import Settings
from blurscan.source.convert import FrameFormat
from blurscan.taps.motion import MOTION_FORMAT, MotionTracker
from blurscan.watch.monitor import Monitor
from blurscan.watch.sources import LiveFrame, LiveSource, SourceSpec

logger = logging.getLogger("blurscan")


def peak_rss_mb() -> float:
    """The most resident memory this process has used (MiB), from the kernel's own count."""
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 if sys.platform != "darwin" else peak / 2**20

#: frames scored together: a finding waits for at most this many more frames
LIVE_BATCH = 4
#: the picture kept of a frame for snapshots
SNAPSHOT_FORMAT = FrameFormat("rgb24", 320, fit="longest", interpolation="area")


@dataclass
class WatchSettings:
    """How to watch: the scan's settings, and the watch's own (seconds throughout; 0 turns a check off)."""

    scan: Settings
    timeout: float = 5.0
    duration: float | None = None
    cooldown: float = 0.0
    status_every: float = 60.0
    soft_after: float = 10.0
    flat_after: float = 3.0
    frozen_after: float = 10.0
    snapshots: bool = False
    lang: str = "en"


class Watcher:
    """Watches one source until it ends or :attr:`stop` is set; ``report`` receives each finding."""

    def __init__(self, spec: SourceSpec, settings: WatchSettings, report: Callable, *,
                 status: Callable[[str], None] | None = None, stop: threading.Event | None = None):
        self.spec = spec
        self.settings = settings
        self.report = report
        self.status = status
        self.stop = stop or threading.Event()
        scan = settings.scan
        self.scorer = SCORERS.create(scan.scorer, scan.scorer_options)
        self.detector = DETECTORS.create(scan.detector or DEFAULT_DETECTOR, scan.detector_options)
        self.sizer = BatchSizer(min(LIVE_BATCH, scan.batch_size or LIVE_BATCH))
        self.monitor = Monitor(self.detector, report, absolute_scale=self.scorer.absolute_scale,
                               soft_after=settings.soft_after, flat_after=settings.flat_after,
                               frozen_after=settings.frozen_after, cooldown=settings.cooldown)
        self.tracker = MotionTracker()
        self.scored = 0
        self.stream_s = 0.0
        self.lost = False
        self.waiting = True
        self._last_wall: float | None = None
        self._started = time.monotonic()
        self._started_wall = time.time()
        self.source: LiveSource | None = None

    # -- the watch ------------------------------------------------------------

    def run(self) -> None:
        formats = [self.scorer.frame_format, MOTION_FORMAT]
        if self.settings.snapshots:
            formats.append(SNAPSHOT_FORMAT)
        timer = None
        if self.settings.duration:
            timer = threading.Timer(self.settings.duration, self.stop.set)
            timer.daemon = True
            timer.start()
        ticker = threading.Thread(target=self._status_loop, name="blurscan-watch-status", daemon=True)
        ticker.start()
        self.source = source = LiveSource(self.spec, formats, timeout=self.settings.timeout, stop=self.stop)
        last_end: tuple[float, float] | None = None  # (stream time, wall) where the last frame ended
        failed = False
        try:
            while not self.stop.is_set():
                run = self._first_frame_hook(source.frames(), last_end)
                for frame_meta, score in self._scored(run):
                    self._add(frame_meta, score)
                self.monitor.flush()
                if source.ended or self.stop.is_set():
                    break
                # the signal is lost: nothing came for `timeout` seconds
                if self._last_wall is not None:
                    last_end = self._last_end
                if not self.lost:
                    self.lost = True
                    start_s, start_wall = last_end if last_end else (0.0, self._started_wall)
                    self.monitor.signal("signal_lost", start_s, None, start_wall, None)
        except BaseException:
            failed = True
            raise
        finally:
            source.close()
            if timer is not None:
                timer.cancel()
            self.stop.set()
            if not failed:
                self._say_status(final=True)

    @property
    def _last_end(self) -> tuple[float, float]:
        return self.stream_s, self._last_wall or time.time()

    def _first_frame_hook(self, frames: Iterable[LiveFrame], last_end) -> Iterator[LiveFrame]:
        """The run's frames; the first one after a loss reports ``signal_back``."""
        for frame in frames:
            if self.lost:
                self.lost = False
                start_s, start_wall = last_end if last_end else (0.0, frame.wall)
                self.monitor.signal("signal_back", start_s, frame.time_s, start_wall, frame.wall)
            if self.waiting:
                self.waiting = False
                width, height = self.source.stats.width, self.source.stats.height
                self.monitor.native_scale = self.scorer.native_scale(width, height) if width else None
            yield frame

    def _scored(self, frames: Iterable[LiveFrame]) -> Iterator[tuple[tuple, float]]:
        """(the frame's numbers, its window's score) for every frame of a run, in order."""
        scorer, sizer, tracker = self.scorer, self.sizer, self.tracker
        metas: deque = deque()
        self._encoded = 0
        self.tracker = tracker = MotionTracker()  # a run starts afresh: no change across a loss

        def features() -> Iterator:
            chunk: list[LiveFrame] = []
            for frame in frames:
                chunk.append(frame)
                if len(chunk) >= sizer.size:
                    yield from encode(chunk)
                    chunk = []
            if chunk:
                yield from encode(chunk)

        def encode(chunk: list[LiveFrame]) -> list:
            encoded = encode_batch(scorer, [f.images[0] for f in chunk], sizer)
            signals = scorer.frame_signals(encoded) or {}
            own = signals.get("quality")
            directions = [signals.get(name) for name in DIRECTION_SIGNALS]  # for the cause of a blur
            if any(d is None for d in directions):
                directions = None
            for i, frame in enumerate(chunk):
                tracker.update(frame.images[1])
                scene, change = tracker.scene_changes[-1], tracker.changes[-1]
                picture = frame.images[2] if len(frame.images) > 2 else None
                self._encoded += 1
                metas.append((frame.time_s, frame.wall, None if own is None else float(own[i]), scene, change, picture,
                              None if directions is None else tuple(float(d[i]) for d in directions)))
            for column in (tracker.shifts, tracker.changes, tracker.scene_changes):
                del column[:-1]  # only the last value is read: nothing grows with time
            return encoded

        size = self.settings.scan.window_size
        right = size - 1 - (size - 1) // 2  # frames a window waits for after its own
        windows = sliding_windows(features(), size, self.settings.scan.compat)
        batch = []
        for window in windows:
            batch.append(window)
            # score as soon as the windows the frames so far complete are in: never wait for more frames
            if len(batch) >= sizer.size or window.index >= self._encoded - right - 1:
                yield from self._score_batch(batch, metas)
                batch = []
        if batch:
            yield from self._score_batch(batch, metas)

    def _score_batch(self, batch: list, metas: deque) -> Iterator[tuple[tuple, float]]:
        for score in score_batch(self.scorer, batch, self.sizer):
            yield metas.popleft(), score

    def _add(self, meta: tuple, score: float) -> None:
        time_s, wall, quality, scene, change, picture, directions = meta
        self.monitor.add(time_s, wall, score, score if quality is None else quality, scene, change, picture,
                         directions=directions)
        self.scored += 1
        step = 1.0 / self.source.stats.fps if self.source.stats.fps else 0.0
        self.stream_s = time_s + step
        self._last_wall = wall

    # -- the status line ----------------------------------------------------

    def _status_loop(self) -> None:
        every = self.settings.status_every
        if not every or every <= 0:
            return
        while not self.stop.wait(every):
            self._say_status()

    def status_values(self) -> dict:
        now = time.monotonic()
        previous = getattr(self, "_status_mark", (self._started, 0))
        elapsed = max(1e-6, now - previous[0])
        fps = (self.scored - previous[1]) / elapsed
        self._status_mark = (now, self.scored)
        rss = rss_mb()
        stats = self.source.stats if self.source else None
        lag = max(0.0, time.time() - self._last_wall) if self._last_wall and not self.lost else 0.0
        state = "watch.state.lost" if self.lost else "watch.state.waiting" if self.waiting else None
        return {"source": self.spec.label, "fps": fps, "lag_s": lag, "dropped": stats.dropped if stats else 0,
                "rss_mb": rss, "events": self.monitor.events, "stream_s": self.stream_s,
                "state": Message(state).text(self.settings.lang) if state else "",
                "keep_every": stats.keep_every if stats else 1}

    def _say_status(self, final: bool = False) -> None:
        if self.status is None:
            return
        values = self.status_values()
        self.status(Message("watch.status", values).text(self.settings.lang))
        if values["keep_every"] > 1 and not final:
            self.status(Message("watch.dropping", {"source": values["source"], "every": values["keep_every"]})
                        .text(self.settings.lang))
        if final:
            values["peak_rss_mb"] = peak_rss_mb()
            self.status(Message("watch.stopped", values).text(self.settings.lang))
