"""Incremental detection: the file detector run over the last seconds of the stream, findings reported as they close.

The watch does not have a second detector. Every half second of stream time
it runs the scan's own detector (``drop`` by default, with its
shot-relative thresholds and absolute floor) over the last
:data:`HORIZON_S` seconds of per-frame numbers, kept in fixed-length
buffers. A blur event is reported once the frames after it have been sharp
for :data:`CLOSE_S` (it has closed) and never again (later runs see it with
more context and are ignored up to where the last report ended). Events
that last are the reference's (:mod:`blurscan.watch.reference`): a picture
far below the stream's sharp level for ``soft_after`` seconds is ``soft``
(reported when decided, then on recovery), and a blur event inside such a
stretch is part of it, not reported on its own. Nothing kept grows with
time.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from blurscan.detect import ScoreSeries
from blurscan.detect.base import Detector, Segment
from blurscan.detect.cause import direction_widths, event_cause
from blurscan.detect.drop import SEVERITY_DEPTHS
from blurscan.detect.softness import logit, native_logit
from blurscan.scorers.base import DIRECTION_SIGNALS
from blurscan.watch.reference import Condition, Reference

#: seconds of per-frame numbers the detector sees at a time (more than its 2 s reach on each side)
HORIZON_S = 30.0
#: the detector runs every this many seconds of stream time
DETECT_EVERY_S = 0.5
#: a blur event is reported once this many seconds of frames follow it unflagged
CLOSE_S = 0.5
#: how far back the conditions look each tick (seconds)
LOOK_S = 1.0
#: share of the last LOOK_S of frames that must be below, flat or frozen for the condition to hold
HOLD_SHARE = 0.5
#: a frame changing less than this from the previous one (mean absolute difference, 0..1) is a repeat
FROZEN_CHANGE = 1e-4
#: snapshot candidates are the worst frame of each bucket of this many seconds
SNAPSHOT_BUCKET_S = 1.0
_MAX_FRAMES = int(HORIZON_S * 120)


@dataclass
class Finding:
    """An event as the monitor found it, before it is dressed for output."""

    type: str
    start_s: float
    end_s: float | None
    start_wall: float
    end_wall: float | None
    severity: str | None = None
    min_score: float | None = None
    state: str | None = None
    cause: Any = None
    picture: np.ndarray | None = None
    extra: dict | None = None


def _severity(depth: float) -> str:
    moderate, severe = SEVERITY_DEPTHS
    return "severe" if depth >= severe else "moderate" if depth >= moderate else "mild"


class Monitor:
    """Feed it scored frames in order; it calls ``report`` with each :class:`Finding` as soon as it is known."""

    def __init__(self, detector: Detector, report: Callable[[Finding], None], *, absolute_scale: bool,
                 native_scale: float | None = None, soft_after: float = 10.0, flat_after: float = 3.0,
                 frozen_after: float = 10.0, cooldown: float = 0.0):
        self.detector = detector
        self.report = report
        self.absolute_scale = absolute_scale
        self.native_scale = native_scale
        self.cooldown = cooldown
        self.drop = float(getattr(detector, "drop", 0.9))
        self.floor_logit = getattr(detector, "floor_logit", None) if absolute_scale else None
        self.reference = Reference()
        self.soft = Condition("soft", soft_after, recover_s=2.0)
        self.flat = Condition("flat", flat_after)
        self.frozen = Condition("frozen", frozen_after)
        self._columns = ("time", "wall", "score", "quality", "scene", "change", "below", *DIRECTION_SIGNALS)
        self._buffer = {name: deque(maxlen=_MAX_FRAMES) for name in self._columns}
        self._snapshots: deque = deque(maxlen=int(HORIZON_S / SNAPSHOT_BUCKET_S) + 2)
        self._last_tick: float | None = None
        self._reported_until = -math.inf
        #: how long a blur event may wait for the picture to come back before it is reported as it stands
        self._hold_s = max(soft_after, 5.0) + 2.0
        self._last_end: dict[str, float] = {}
        self._quiet: dict[str, bool] = {}
        self._soft_min = math.inf
        self._soft_depth = 0.0
        self.suppressed = 0
        self.events = 0

    # -- feeding ------------------------------------------------------------

    def add(self, time_s: float, wall: float, score: float, quality: float, scene_change: float, change: float,
            picture: np.ndarray | None = None, directions: tuple[float, ...] | None = None) -> None:
        """One scored frame; ``directions``: the scorer's edge widths along four directions (the cause of a blur)."""
        x = float(native_logit(logit(quality), self.native_scale))
        level = self.reference.level
        below = quality > 0 and (level is not None and x < level - self.drop
                                 or self.floor_logit is not None and x < self.floor_logit)
        values = (time_s, wall, score, quality, scene_change, change, below, *(directions or (math.nan,) * 4))
        for name, value in zip(self._columns, values):
            self._buffer[name].append(value)
        buf = self._buffer["time"]
        while buf and buf[0] < time_s - HORIZON_S:
            for column in self._buffer.values():
                column.popleft()
        if picture is not None:
            self._keep_snapshot(time_s, quality, picture)
        if self.soft.on:
            self._soft_min = min(self._soft_min, score)
            if level is not None and quality > 0:
                self._soft_depth = max(self._soft_depth, level - x)
        if self._last_tick is None:
            self._last_tick = time_s
        elif time_s - self._last_tick >= DETECT_EVERY_S:
            self._tick(time_s - self._last_tick)
            self._last_tick = time_s

    def flush(self) -> None:
        """The run of frames has ended (signal lost, end of input, stop): report what it closed, start afresh."""
        if self._buffer["time"]:
            self._detect(final=True)
        for column in self._buffer.values():
            column.clear()
        self._snapshots.clear()
        self._last_tick = None

    # -- each tick ------------------------------------------------------------

    def _tick(self, dt: float) -> None:
        self._detect(final=False)
        self._conditions(dt)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {name: np.fromiter(column, dtype=np.float64, count=len(column)) for name, column in self._buffer.items()}

    def _detect(self, final: bool) -> None:
        a = self._arrays()
        times = a["time"]
        if len(times) < 2:
            return
        step = float(np.median(np.diff(times)))
        fps = 1.0 / step if step > 0 else 0.0
        signals = {"quality": a["quality"], "scene_change": a["scene"]}
        if all(np.isfinite(a[name]).all() for name in DIRECTION_SIGNALS):
            signals.update({name: a[name] for name in DIRECTION_SIGNALS})
        series = ScoreSeries(scores=a["score"], times_s=times, fps=fps, camera_movement=0.0, signals=signals,
                             absolute_scale=self.absolute_scale, native_scale=self.native_scale)
        newest = float(times[-1])
        below = a["below"]
        segments = self.detector.detect(series).segments
        in_event = np.zeros(len(times), dtype=bool)
        for segment in segments:
            in_event[segment.start_frame : segment.end_frame + 1] = True
        widths2 = direction_widths(series.signals, len(times))
        for segment in segments:
            if segment.start_s < self._reported_until - 1e-9:
                continue  # reported already (seen again with more context), or overlapping what was
            if self.soft.on and segment.end_s >= self.soft.start_s:
                self._reported_until = segment.end_s
                continue  # part of the soft stretch
            if not final:
                if segment.end_s > newest - CLOSE_S:
                    break  # still open
                after = below[segment.end_frame + 1 :][times[segment.end_frame + 1 :] <= segment.end_s + CLOSE_S]
                waited = newest - segment.end_s
                if len(after) and after.mean() >= HOLD_SHARE and waited < self._hold_s:
                    # the picture has not come back: the detector, seeing only the stretch's start, has let its
                    # level follow it down; wait for the sharp frames after it (or for the soft verdict)
                    break
            self._reported_until = segment.end_s
            if getattr(segment, "cause", None) is None:  # read as the scan reads it, against the sharp frames near it
                cause = event_cause(series, widths2, a["quality"], segment.start_frame, segment.end_frame,
                                    (0, len(times)), in_event)
                segment = replace(segment, cause=cause)
            self._emit(self._blur(segment, a))

    def _blur(self, segment: Segment, a: dict[str, np.ndarray]) -> Finding:
        walls = a["wall"]
        end_wall = float(walls[min(segment.end_frame + 1, len(walls) - 1)])
        return Finding("blur", segment.start_s, segment.end_s, float(walls[segment.start_frame]), end_wall,
                       severity=segment.severity, min_score=segment.min_score, cause=getattr(segment, "cause", None),
                       picture=self._snapshot(segment.start_s, segment.end_s))

    def _conditions(self, dt: float) -> None:
        a = self._arrays()
        times, walls = a["time"], a["wall"]
        newest = float(times[-1])
        recent = times >= newest - LOOK_S
        quality = a["quality"]
        usable = quality > 0
        x = native_logit(logit(quality), self.native_scale)
        below = a["below"] > 0
        # the reference learns from the frames that are not far below it
        fresh = recent & usable & ~below
        self.reference.update(newest, dt, float(np.median(x[fresh])) if fresh.any() else None)

        def check(condition: Condition, flags: np.ndarray) -> str | None:
            holds = bool(flags[recent].mean() >= HOLD_SHARE) if recent.any() else False
            on = np.flatnonzero(flags & recent)
            first = int(on[0]) if len(on) else len(times) - 1
            after = min(int(on[-1]) + 1, len(times) - 1) if len(on) else int(np.argmax(recent))
            return condition.update(newest, holds, (float(times[first]), float(walls[first])),
                                    (float(times[after]), float(walls[after])))

        frozen_flags = a["change"] < FROZEN_CHANGE
        frozen_flags[0] = False  # the first frame of a run has nothing to compare with
        for condition, flags in ((self.flat, ~usable), (self.frozen, frozen_flags)):
            change = check(condition, flags)
            if change:
                self._emit(self._lasting(condition, change))
        change = check(self.soft, below & usable)
        if change == "begun":
            self._soft_min = float(np.min(a["score"][times >= self.soft.start_s]))
            level = self.reference.level
            part = (times >= self.soft.start_s) & usable
            self._soft_depth = float(np.max(level - x[part])) if level is not None and part.any() else self.drop
            self._emit(self._lasting(self.soft, change))
        elif change == "ended":
            self._emit(self._lasting(self.soft, change))
            self._reported_until = max(self._reported_until, self.soft.end_s)

    def _lasting(self, condition: Condition, change: str) -> Finding:
        ended = change == "ended"
        finding = Finding(condition.name, condition.start_s, condition.end_s if ended else None, condition.start_wall,
                          condition.end_wall if ended else None, state=change)
        if condition is self.soft:
            finding.severity = _severity(self._soft_depth)
            finding.min_score = self._soft_min if math.isfinite(self._soft_min) else None
            finding.picture = self._snapshot(condition.start_s, condition.end_s if ended else math.inf)
        return finding

    # -- snapshots -----------------------------------------------------------

    def _keep_snapshot(self, time_s: float, quality: float, picture: np.ndarray) -> None:
        bucket = math.floor(time_s / SNAPSHOT_BUCKET_S)
        if self._snapshots and self._snapshots[-1][0] == bucket:
            if quality < self._snapshots[-1][1]:
                self._snapshots[-1] = (bucket, quality, time_s, picture)
            return
        self._snapshots.append((bucket, quality, time_s, picture))

    def _snapshot(self, start_s: float, end_s: float) -> np.ndarray | None:
        inside = [s for s in self._snapshots if start_s - 1e-9 <= s[2] <= end_s + 1e-9]
        return min(inside, key=lambda s: s[1])[3] if inside else None

    # -- out ----------------------------------------------------------------

    def signal(self, kind: str, start_s: float, end_s: float | None, start_wall: float, end_wall: float | None) -> None:
        """``signal_lost`` or ``signal_back`` (told by the watcher, which sees the silence)."""
        self._emit(Finding(kind, start_s, end_s, start_wall, end_wall))

    def _emit(self, finding: Finding) -> None:
        """Report ``finding``, unless it repeats its kind within the cooldown (a flapping camera is one event):
        a repeat's recovery or end is then left out with it."""
        kind = finding.type
        if kind == "signal_back" or finding.state == "ended":
            if self._quiet.pop(kind if finding.state else "signal_lost", False):
                return
        else:
            last = self._last_end.get(kind)
            if self.cooldown > 0 and last is not None and finding.start_s - last < self.cooldown:
                self.suppressed += 1
                if finding.state == "begun" or kind == "signal_lost":
                    self._quiet[kind] = True
                self._last_end[kind] = max(last, finding.end_s if finding.end_s is not None else finding.start_s)
                return
        anchor = finding.end_s if finding.end_s is not None else finding.start_s
        self._last_end["signal_lost" if kind == "signal_back" else kind] = anchor
        self.events += 1
        self.report(finding)
