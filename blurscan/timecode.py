"""Timecodes: ``HH:MM:SS.mmm`` for people and CSVs, ``HH:MM:SS:FF`` for editors (EDL)."""

from __future__ import annotations

import math
from dataclasses import dataclass


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


_LENGTH_FORMS = "seconds (2.5 or 2.5s), frames (48f) or a timecode (00:00:02.500)"


def parse_length(text: str) -> Length:
    """``2.5`` or ``2.5s``: seconds; ``48f``: frames; ``HH:MM:SS[.mmm]`` or ``MM:SS[.mmm]``: a timecode.

    Raises ``ValueError`` with one line naming the forms it takes.
    """
    raw = str(text).strip().lower()
    try:
        if raw.endswith("f"):
            frames = int(raw[:-1].strip())
            if frames < 0:
                raise ValueError
            return Length(frames=frames)
        if ":" in raw:
            parts = raw.split(":")
            if len(parts) > 3 or any(not p.strip() for p in parts):
                raise ValueError
            *whole, last = parts
            seconds = float(last)
            for part in whole:
                if not part.strip().isdigit():
                    raise ValueError
            if whole and not 0 <= seconds < 60 or len(whole) == 2 and int(whole[1]) >= 60:
                raise ValueError
            units = [3600, 60][-len(whole):] if whole else []
            seconds += sum(int(p) * u for p, u in zip(whole, units))
        else:
            seconds = float(raw[:-1] if raw.endswith("s") else raw)
    except ValueError:
        raise ValueError(f"{text!r} is not a length: give {_LENGTH_FORMS}") from None
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"{text!r} is not a length: give {_LENGTH_FORMS}, at least 0")
    return Length(seconds=seconds)
