"""Timecodes: ``HH:MM:SS.mmm`` for people and CSVs, ``HH:MM:SS:FF`` for editors (EDL)."""

from __future__ import annotations

import math


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
