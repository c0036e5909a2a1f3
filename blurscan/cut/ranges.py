"""The stretches to keep: the video's time line minus its blurry segments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from blurscan.timecode import span


@dataclass(frozen=True)
class KeepRange:
    """A sharp stretch ``[start_s, end_s)`` and the frames it holds (decode order, inclusive)."""

    index: int
    start_s: float
    end_s: float
    start_frame: int
    end_frame: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    def to_dict(self) -> dict[str, Any]:
        return {"clip": self.index, **span(self.start_frame, self.end_frame, self.start_s, self.end_s)}


def keep_ranges(segments: Iterable, frames: int, duration_s: float, *, min_clip_s: float = 0.0,
                min_clip_frames: int = 0) -> list[KeepRange]:
    """The stretches between segments (a result's :class:`~blurscan.result.model.Segment` list), in time order,
    each at least ``min_clip_s`` long and at least ``min_clip_frames`` frames.

    A segment covers ``[start_s, end_s)``, ``end_s`` being when its last frame
    stops showing, so a kept stretch begins exactly where a segment ends.
    """
    blurred = sorted((float(s.start_s), float(s.end_s), int(s.start_frame), int(s.end_frame)) for s in segments)
    ranges: list[KeepRange] = []
    cursor_s, cursor_frame = 0.0, 0
    for start_s, end_s, start_frame, end_frame in [*blurred, (duration_s, duration_s, frames, frames)]:
        if (start_frame > cursor_frame and start_s - cursor_s >= max(min_clip_s, 1e-9)
                and start_frame - cursor_frame >= min_clip_frames):
            ranges.append(KeepRange(len(ranges) + 1, cursor_s, start_s, cursor_frame, start_frame - 1))
        if end_frame + 1 > cursor_frame:
            cursor_s, cursor_frame = max(cursor_s, end_s), end_frame + 1
    return ranges
