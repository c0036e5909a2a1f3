"""Timecodes: ``HH:MM:SS.mmm`` for people and CSVs, ``HH:MM:SS:FF`` for editors (EDL); and the part of a video
to scan, given as timecodes, seconds or frames."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from blurscan.errors import UsageError


def clock(seconds: float) -> str:
    """``HH:MM:SS.mmm``, as PySceneDetect and most players show time (milliseconds rounded)."""
    millis = max(0, int(round(float(seconds) * 1000)))
    hours, millis = divmod(millis, 3_600_000)
    minutes, millis = divmod(millis, 60_000)
    secs, millis = divmod(millis, 1000)
    return f"{hours:02d}:{minutes:02d}:{secs:02d}.{millis:03d}"


def span(start_frame: int, end_frame: int, start_s: float, end_s: float) -> dict:
    """A stretch of frames as the JSON gives it: frames, seconds and timecodes, and its length."""
    return {
        "start_frame": int(start_frame),
        "end_frame": int(end_frame),
        "start_s": round(start_s, 4),
        "end_s": round(end_s, 4),
        "start_tc": clock(start_s),
        "end_tc": clock(end_s),
        "duration_s": round(end_s - start_s, 4),
    }


def edl_rate(fps: float) -> int:
    """The whole frame rate an EDL counts in (non-drop frame): 29.97 counts as 30, 23.976 as 24."""
    return max(1, int(round(fps))) if fps and math.isfinite(fps) else 25


def smpte(frame: int, rate: int) -> str:
    """``HH:MM:SS:FF`` for frame number ``frame`` counted at ``rate`` frames a second (non-drop frame)."""
    frame = max(0, int(frame))
    seconds, ff = divmod(frame, rate)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}:{ff:02d}"


def parse_smpte(text: str, rate: int) -> int:
    """The frame number of an ``HH:MM:SS:FF`` timecode (inverse of :func:`smpte`)."""
    hours, minutes, seconds, frames = (int(part) for part in text.replace(";", ":").split(":"))
    return ((hours * 60 + minutes) * 60 + seconds) * rate + frames


@dataclass(frozen=True)
class Length:
    """A length as the user gave it: seconds, or a count of frames (``frames`` set), which each video
    measures at its own frame rate."""

    seconds: float = 0.0
    frames: int | None = None

    def __str__(self) -> str:
        return f"{self.frames} frames" if self.frames is not None else f"{self.seconds:g} s"


def parse_length(text: str) -> Length:
    """``2.5`` or ``2.5s``: seconds; ``48f``: frames; ``HH:MM:SS[.mmm]`` or ``MM:SS[.mmm]``: a timecode.

    Read as :func:`parse_time` reads times, except that a bare number is seconds (``--min-clip 2`` was
    two seconds before it took other units). Raises ``ValueError`` with one line naming the forms.
    """
    try:
        point = parse_time(text, "length", bare="s")
    except UsageError:
        raise ValueError(f"{text!r} is not a length: give seconds (2.5 or 2.5s), frames (48f) or a timecode "
                         "(00:00:02.500), at least 0") from None
    return Length(frames=int(point.value)) if point.unit == "frames" else Length(seconds=point.value)


# -- a part of a video to scan (--start / --end / --duration) --------------------------

_CLOCK = re.compile(r"(?:(\d+):)?(\d+):(\d+(?:\.\d*)?)")
_SECONDS = re.compile(r"(\d+(?:\.\d*)?|\.\d+)\s*s?")


@dataclass(frozen=True)
class TimePoint:
    """A point or a length on a video's timeline, as given: seconds, or a number of frames."""

    value: float
    unit: str  # "s" or "frames"
    text: str

    def seconds(self, fps: float) -> float:
        return self.value if self.unit == "s" else self.value / fps


def parse_time(text: str, what: str = "time", *, bare: str = "frames") -> TimePoint:
    """``"00:01:30.5"``, ``"1:30"`` (timecodes), ``"90.5"``, ``"90s"`` (seconds), ``"48f"`` (frames) or a whole
    number: frames as PySceneDetect reads them (``bare="frames"``), or seconds (``bare="s"``)."""
    given = str(text).strip()
    lowered = given.lower()
    if (match := _CLOCK.fullmatch(given)) is not None:
        hours, minutes, seconds = (float(g) if g else 0.0 for g in match.groups())
        if minutes >= 60 and match.group(1) or seconds >= 60:
            raise UsageError(f"{what} {given!r}: minutes and seconds of a timecode run from 0 to 59")
        return TimePoint(hours * 3600 + minutes * 60 + seconds, "s", given)
    if lowered.endswith("f") and lowered[:-1].strip().isdigit():
        return TimePoint(float(int(lowered[:-1])), "frames", given)
    if given.isdigit():
        return TimePoint(float(int(given)), bare, given)
    if (match := _SECONDS.fullmatch(lowered)) is not None:
        return TimePoint(float(match.group(1)), "s", given)
    raise UsageError(f"{what} {given!r} is not a time: give a timecode (00:01:30.5), seconds (90.5 or 90s) or "
                     "a frame number (2700 or 2700f)")


@dataclass(frozen=True)
class TimeRange:
    """The part of a video to scan: from ``start`` to ``end`` (not included), or ``duration`` long; each may be
    left out (the video's start, its end). Frames and times keep the video's own timeline."""

    start: TimePoint | None = None
    end: TimePoint | None = None
    duration: TimePoint | None = None

    def __post_init__(self):
        if self.end is not None and self.duration is not None:
            raise UsageError("give --end or --duration, not both")
        if self.duration is not None and self.duration.value <= 0:
            raise UsageError(f"--duration {self.duration.text} is empty: give a length above 0")
        both = self.start is not None and self.end is not None
        if both and self.start.unit == self.end.unit and self.end.value <= self.start.value:
            raise UsageError(f"--end {self.end.text} is not after --start {self.start.text}")

    @classmethod
    def parse(cls, start: str | None = None, end: str | None = None, duration: str | None = None) -> TimeRange | None:
        if start is None and end is None and duration is None:
            return None
        return cls(*(None if v is None else parse_time(v, f"--{name}")
                     for name, v in (("start", start), ("end", end), ("duration", duration))))

    @property
    def needs_fps(self) -> bool:
        return any(p is not None and p.unit == "frames" for p in (self.start, self.end, self.duration))

    def bounds(self, fps: float) -> tuple[float, float]:
        """(start, end) in seconds on the video's timeline (end ``inf`` for the video's end)."""
        start = self.start.seconds(fps) if self.start is not None else 0.0
        if self.end is not None:
            end = self.end.seconds(fps)
        elif self.duration is not None:
            end = start + self.duration.seconds(fps)
        else:
            end = math.inf
        return start, end

    def describe(self) -> dict:
        """The range as it was asked for (the result's ``settings.range``)."""
        return {name: p.text for name, p in (("start", self.start), ("end", self.end), ("duration", self.duration))
                if p is not None}
