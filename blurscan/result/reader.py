"""The one reader of result JSON: resume, the summaries, ``blurscan report`` and ``split --result`` all use it.

A result file lies in a folder others can write to, so nothing in it is
trusted: every value is checked for its type here, once, and a file that is
not a whole blurscan result raises :class:`ResultFileError` (one line). Both
schemas blurscan has written are read: ``blurscan/1`` (English words, the
shot count as ``shots``) becomes today's model, its advice mapped back to
codes and its other words kept as plain text.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from typing import Any

import numpy as np

from blurscan.detect.cause import CAUSES, Cause
from blurscan.errors import BlurscanError
from blurscan.messages import CATALOGUE, PLAIN, Message
from blurscan.result.model import (
    EVENT,
    READABLE_SCHEMAS,
    SEVERITIES,
    SOFT,
    FailedResult,
    Result,
    Segment,
    Shot,
    Thumbnail,
    Verdict,
    Video,
    VideoResult,
)

#: the fields of a ``blurscan/1`` result that are not a detector's extras
_KNOWN_V1 = frozenset(
    "schema video settings scores blur_frames segments blur_detected blur_ratio mss severity confidence avg_quality "
    "quality_std max_quality_drop threshold camera_movement camera_movement_vmbench recommendations timing memory "
    "warnings labels blurry_throughout shots shot_list floor error error_type result_file relative_path".split()
)
#: English advice of ``blurscan/1`` results -> its code
_ADVICE_CODES = {text[0]: code for code, text in CATALOGUE.items() if code.startswith("advice.") and isinstance(text[0], str)}


class ResultFileError(BlurscanError, ValueError):
    """A file that is not a whole blurscan result."""


def _int(value: Any, default: int | None = 0) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _float(value: Any, default: float | None = None) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        return default
    return float(value)


def _text(value: Any, default: str | None = None) -> str | None:
    return value if isinstance(value, str) else default


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _dict(value: Any) -> dict[str, Any]:
    return dict(value) if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else []


def _severity(value: Any, default: str | None = "none") -> str | None:
    return value if value in SEVERITIES else default


def message_of(item: Any) -> Message:
    """A message as a result file holds it: a code with values, or (``blurscan/1``) its English words."""
    if isinstance(item, Mapping) and isinstance(item.get("code"), str):
        return Message.from_dict(item)
    if isinstance(item, str):
        code = _ADVICE_CODES.get(item)
        return Message(code) if code else Message.plain(item)
    return Message.plain(str(item))


def _video(data: Any) -> Video:
    data = _dict(data)
    path, name = _text(data.get("path")), _text(data.get("name"))
    if path is None or name is None:
        raise ResultFileError("no video path and name")
    return Video(
        path=path, name=name, stream=_int(data.get("stream"), None), frames=_int(data.get("frames")) or 0,
        fps=_float(data.get("fps"), 0.0), duration_s=_float(data.get("duration_s"), 0.0),
        width=_int(data.get("width")) or 0, height=_int(data.get("height")) or 0, rotation=_int(data.get("rotation")) or 0,
        codec=_text(data.get("codec")), declared_frames=_int(data.get("declared_frames")) or 0,
        corrupt_frames=_int(data.get("corrupt_frames")) or 0,
        frame_numbering=_text(data.get("frame_numbering"), "decoded"), missing_frames=_int(data.get("missing_frames")) or 0,
        gaps=[g for g in _list(data.get("gaps")) if isinstance(g, dict)],
        detail=_float(data.get("detail")), effective_width=_int(data.get("effective_width"), None),
        effective_height=_int(data.get("effective_height"), None),
        scanned=_dict(data.get("scanned")) or None,
    )


def _thumbnails(data: Any) -> dict[str, Thumbnail]:
    out = {}
    for role, thumb in _dict(data).items():
        thumb = _dict(thumb)
        frame = _int(thumb.get("frame"), None)
        if isinstance(role, str) and frame is not None:
            out[role] = Thumbnail(frame, _float(thumb.get("time_s"), 0.0), _text(thumb.get("file")))
    return out


def _span(data: Mapping[str, Any]) -> tuple[int, int, float, float] | None:
    start, end = _int(data.get("start_frame"), None), _int(data.get("end_frame"), None)
    if start is None or end is None:
        return None
    return start, end, _float(data.get("start_s"), 0.0), _float(data.get("end_s"), 0.0)


def _cause(data: Mapping[str, Any]) -> Cause | None:
    """A finding's cause (None in a result written before causes, or one that names no known cause)."""
    name = data.get("cause")
    if name not in CAUSES:
        return None
    confidence = _float(data.get("cause_confidence"), 0.0)
    angle, extent = _float(data.get("motion_angle_deg")), _float(data.get("blur_px"))
    return Cause(name, min(1.0, max(0.0, confidence)), angle % 180.0 if angle is not None else None,
                 extent if extent is not None and extent >= 0 else None)


def _shot(index: int, data: Mapping[str, Any]) -> Shot | None:
    where = _span(data)
    if where is None:
        return None
    code, values = _text(data.get("reason_code")), _dict(data.get("reason_values"))
    if code is None and _text(data.get("reason")):  # blurscan/1: its words
        code, values = PLAIN, {"text": data["reason"]}
    return Shot(_int(data.get("index"), index), *where, soft=_bool(data.get("soft")), severity=_severity(data.get("severity"), None),
                reason_code=code, reason_values=values, detail=_float(data.get("detail")),
                effective_width=_int(data.get("effective_width"), None),
                effective_height=_int(data.get("effective_height"), None), cause=_cause(data))


def from_dict(data: Any) -> Result:
    """The model of a result's JSON (either schema); :class:`ResultFileError` if it is not one."""
    if not isinstance(data, Mapping):
        raise ResultFileError("not a JSON object")
    if data.get("schema") not in READABLE_SCHEMAS:
        raise ResultFileError(f"not a blurscan result (schema {data.get('schema')!r})")
    video = _video(data.get("video"))
    settings = _dict(data.get("settings"))
    if "error" in data:
        return FailedResult(video, settings, str(data["error"]), _text(data.get("error_type"), "BlurscanError"))

    shots = [s for i, item in enumerate(_list(data.get("shot_list"))) if isinstance(item, Mapping)
             for s in [_shot(i, item)] if s is not None]
    by_index = {shot.index: shot for shot in shots}
    by_start = {shot.start_frame: shot for shot in shots}
    events = []
    for item in _list(data.get("segments")):
        if not isinstance(item, Mapping) or (where := _span(item)) is None:
            continue
        thumbnails = _thumbnails(item.get("thumbnails"))
        min_score = _float(item.get("min_score"), 0.0)
        if item.get("kind") == SOFT:
            shot = by_index.get(_int(item.get("shot"), None)) or by_start.get(where[0])
            if shot is not None:  # the shot holds its soft segment's worst score and thumbnails
                shot.min_score, shot.thumbnails = min_score, thumbnails
                shot.soft = True if shot.soft is None else shot.soft
            continue
        events.append(Segment(*where, _severity(item.get("severity"), "mild"), min_score, EVENT, None, thumbnails,
                              cause=_cause(item)))

    scores = np.array([math.nan if _float(s) is None else float(s) for s in _list(data.get("scores"))], dtype=np.float64)
    verdict = Verdict(
        blur_detected=bool(data.get("blur_detected")), severity=_severity(data.get("severity")),
        confidence=_float(data.get("confidence"), 0.0), threshold=_float(data.get("threshold")),
        recommendations=[message_of(r) for r in _list(data.get("recommendations"))],
        blurry_throughout=_bool(data.get("blurry_throughout")), floor=_float(data.get("floor")),
        camera_movement=_float(data.get("camera_movement"), 0.0),
        camera_movement_vmbench=_float(data.get("camera_movement_vmbench"), 0.0),
    )
    if settings.get("detector") == "mss":
        verdict.smoothness = _float(data.get("mss"))
    if data.get("schema") == "blurscan/1":
        extra = {k: v for k, v in data.items() if k not in _KNOWN_V1}
    else:
        extra = _dict(data.get("detector_extra"))
    blur_frames = np.array([f for f in _list(data.get("blur_frames")) if _int(f, None) is not None], dtype=np.int64)
    return VideoResult(
        video=video, settings=settings, scores=scores, blur_frames=blur_frames, events=events, shots=shots,
        verdict=verdict, timing=_dict(data.get("timing")), memory=_dict(data.get("memory")),
        warnings=[message_of(w) for w in _list(data.get("warnings"))], detector_extra=extra,
        quality={key: _float(data.get(key), 0.0 if key == "max_quality_drop" else None)
                 for key in ("avg_quality", "quality_std", "max_quality_drop")},
    )


def read_result_file(path: str | os.PathLike) -> Result:
    """The result in a file; :class:`ResultFileError` (or ``OSError``) when it cannot be read as one."""
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        data = json.loads(raw.decode("utf-8"))
    except ValueError as ex:
        raise ResultFileError(f"not JSON ({ex})") from None
    return from_dict(data)
