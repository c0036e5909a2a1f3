"""Soft shots and blur events as the reports show them, read from any result.

A result of schema ``blurscan/1`` may list its shots (``shot_list``, each soft throughout
or not, with the detail it holds) and mark each segment's ``kind``: ``"event"``
(a drop below the shot's own sharp level) or ``"soft"`` (a shot soft
throughout). Results written before either existed hold neither: their
segments are all events, and their shots and effective resolution are
unknown (None), which the reports show as "–" or not at all. Result files
are read from disk, so every value is checked for its type here, once.
"""

from __future__ import annotations

import math
from typing import Any

EVENT = "event"
SOFT = "soft"
#: below this share of the frame's linear resolution a picture clearly holds less than its frame
CLEARLY_BELOW = 0.8


def count(value: Any) -> int | None:
    """``value`` if it is a whole number (not a bool), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def share(value: Any) -> float | None:
    """``value`` if it is a finite number, else None."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return None
    return float(value)


def segment_kind(segment: dict[str, Any]) -> str:
    """``"soft"`` for a shot soft throughout, ``"event"`` otherwise (and for results older than kinds)."""
    return SOFT if segment.get("kind") == SOFT else EVENT


def event_segments(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The blur events among a result's segments."""
    return [s for s in result.get("segments") or [] if isinstance(s, dict) and segment_kind(s) == EVENT]


def shot_list(result: dict[str, Any]) -> list[dict[str, Any]] | None:
    """The result's shots (``shot_list``; ``shots`` is their number), each with its 0-based ``index``,
    or None when it does not list them (older results)."""
    shots = result.get("shot_list")
    if not isinstance(shots, list):
        return None
    return [s if "index" in s else {"index": i, **s} for i, s in enumerate(shots) if isinstance(s, dict)]


def soft_shots(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The shots soft throughout, in order (none when the result does not list shots)."""
    return [s for s in shot_list(result) or [] if s.get("soft") is True]


def soft_shot_count(result: dict[str, Any]) -> int | None:
    """How many shots are soft throughout; None when the result does not say."""
    if shot_list(result) is not None:
        return len(soft_shots(result))
    soft = [s for s in result.get("segments") or [] if isinstance(s, dict) and segment_kind(s) == SOFT]
    return len(soft) if soft else None


def effective_size(holder: dict[str, Any]) -> tuple[int | None, int | None, float | None]:
    """(effective width, height, detail) of a shot, or of a video given its ``video`` block; None where unknown."""
    width, height = count(holder.get("effective_width")), count(holder.get("effective_height"))
    if not (width and height):
        width = height = None
    return width, height, share(holder.get("detail"))


def video_effective_size(result: dict[str, Any]) -> tuple[int | None, int | None, float | None]:
    """The whole video's effective size (from ``video``; a top-level value as a fallback)."""
    video = result.get("video") if isinstance(result.get("video"), dict) else {}
    width, height, detail = effective_size(video)
    if width is None and detail is None:
        return effective_size(result)
    return width, height, detail


def frame_size(result: dict[str, Any]) -> tuple[int | None, int | None]:
    video = result.get("video") if isinstance(result.get("video"), dict) else {}
    width, height = count(video.get("width")), count(video.get("height"))
    return (width, height) if width and height else (None, None)


def clearly_below(detail: float | None) -> bool:
    """Whether a picture holding ``detail`` of its frame's linear resolution is clearly smaller than its frame."""
    return detail is not None and detail < CLEARLY_BELOW
