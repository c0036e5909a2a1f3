"""A video's Parquet row: the result model as one row of a table, with the JSON's names.

The flat columns are the video's one-line summary (the same names as summary.csv), its video
facts and its verdict; ``segments`` and ``shot_list`` are nested lists with the JSON's fields,
``recommendations`` and ``warnings`` lists of message codes with their values (as JSON text), so
any language can be rendered from a dataset. Rows of the first dataset schema are upgraded on read.
"""

from __future__ import annotations

import json
from typing import Any

import numpy as np

from blurscan.errors import MissingDependencyError
from blurscan.messages import Message
from blurscan.result.model import Result, VideoResult, causes_text
from blurscan.result.reader import message_of

DATASET_SCHEMA = "blurscan-dataset/2"
#: the columns that hold the verdict and counts, with their Arrow types (the summary fields among them)
_SCALARS = {
    "verdict": "string", "blur_detected": "bool", "blurry_throughout": "bool", "severity": "string",
    "confidence": "float64", "blur_ratio": "float64", "mss": "float64", "avg_quality": "float64",
    "quality_std": "float64", "max_quality_drop": "float64", "threshold": "float64", "floor": "float64",
    "camera_movement": "float64", "camera_movement_vmbench": "float64", "segment_count": "int64",
    "event_count": "int64", "soft_shot_count": "int64", "shot_count": "int64", "blur_frame_count": "int64",
    "effective_width": "int64", "effective_height": "int64", "detail": "float64", "cause": "string", "causes": "string",
}
_VIDEO_FIELDS = {
    "frames": "int64", "fps": "float64", "duration_s": "float64", "width": "int64", "height": "int64",
    "rotation": "int64", "codec": "string", "declared_frames": "int64", "corrupt_frames": "int64",
}
_SEGMENT_FIELDS = {
    "start_frame": "int64", "end_frame": "int64", "start_s": "float64", "end_s": "float64", "start_tc": "string",
    "end_tc": "string", "duration_s": "float64", "frames": "int64", "severity": "string", "min_score": "float64",
    "kind": "string", "shot": "int64", "cause": "string", "cause_confidence": "float64", "motion_angle_deg": "float64",
    "blur_px": "float64",
}
_SHOT_FIELDS = {
    "index": "int64", "start_frame": "int64", "end_frame": "int64", "start_s": "float64", "end_s": "float64",
    "frames": "int64", "soft": "bool", "severity": "string", "reason_code": "string", "reason_values": "string",
    "detail": "float64", "effective_width": "int64", "effective_height": "int64", "cause": "string",
    "cause_confidence": "float64", "motion_angle_deg": "float64", "blur_px": "float64",
}
#: columns of the first dataset schema that were renamed (old -> new)
_RENAMED_V1 = {"shots": "shot_count", "soft_shots": "soft_shot_count", "events": "event_count"}


def require_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingDependencyError("--output-format parquet", "parquet", "pyarrow") from None
    return pyarrow


def _struct(pa, fields: dict[str, str]):
    return pa.struct([(k, pa.type_for_alias(v)) for k, v in fields.items()])


def video_schema():
    pa = require_pyarrow()
    message = pa.struct([("code", pa.string()), ("values", pa.string())])
    fields = [("path", pa.string()), ("name", pa.string()), ("status", pa.string())]
    fields += [(k, pa.type_for_alias(v)) for k, v in _SCALARS.items()]
    fields += [(k, pa.type_for_alias(v)) for k, v in _VIDEO_FIELDS.items()]
    fields += [
        ("segments", pa.list_(_struct(pa, _SEGMENT_FIELDS))), ("shot_list", pa.list_(_struct(pa, _SHOT_FIELDS))),
        ("recommendations", pa.list_(message)), ("warnings", pa.list_(message)),
        ("seconds", pa.float64()), ("frames_per_s", pa.float64()), ("peak_rss_mb", pa.float64()),
        ("detector_extra", pa.string()), ("error", pa.string()), ("error_type", pa.string()),
        ("settings_id", pa.string()), ("source_size", pa.int64()), ("source_mtime_ns", pa.int64()),
        ("source_key", pa.string()),
    ]
    return pa.schema(fields)


def frames_schema():
    pa = require_pyarrow()
    return pa.schema([("path", pa.string()), ("times_s", pa.list_(pa.float32())), ("scores", pa.list_(pa.float32()))])


def _message(message: Message) -> dict[str, str]:
    return {"code": message.code, "values": json.dumps(dict(message.values), ensure_ascii=False, default=str)}


def video_row(result: Result, settings_id: str, source: dict[str, int] | None = None) -> dict[str, Any]:
    """One video's row (or its error entry's)."""
    row: dict[str, Any] = {"settings_id": settings_id, "source_size": (source or {}).get("size"),
                           "source_mtime_ns": (source or {}).get("mtime_ns")}
    if not isinstance(result, VideoResult):
        summary = result.summary()
        row.update(path=summary["path"], name=summary["name"], status="error", verdict="error",
                   error=summary["error"], error_type=result.error_type)
        return row
    data = result.to_dict(include_scores=False)
    row.update(path=result.video.path, name=result.video.name, status="ok")
    row.update({key: data.get(key) for key in _SCALARS if key in data})
    row.update(cause=result.cause, causes=causes_text(result.cause_counts()))
    video = data["video"]
    row.update({key: video.get(key) for key in _VIDEO_FIELDS})
    row.update(effective_width=video["effective_width"], effective_height=video["effective_height"],
               detail=video["detail"], verdict=result.verdict.code)
    row["segments"] = [{key: seg.get(key) for key in _SEGMENT_FIELDS} for seg in data["segments"]]
    row["shot_list"] = [{**{key: shot.get(key) for key in _SHOT_FIELDS},
                         "reason_values": json.dumps(shot["reason_values"], ensure_ascii=False)} for shot in data["shot_list"]]
    row["recommendations"] = [_message(m) for m in result.verdict.recommendations]
    row["warnings"] = [_message(m) for m in result.warnings]
    row.update(seconds=result.timing.get("seconds"), frames_per_s=result.timing.get("frames_per_s"),
               peak_rss_mb=result.memory.get("peak_rss_mb"))
    row["detector_extra"] = (json.dumps(result.detector_extra, ensure_ascii=False, allow_nan=False, default=str)
                             if result.detector_extra else None)
    return row


def upgrade_row(row: dict[str, Any]) -> dict[str, Any]:
    """A row of the first dataset schema with today's columns (its words kept as plain messages)."""
    row = {_RENAMED_V1.get(k, k): v for k, v in row.items() if k != "effective_scale"}
    extra = json.loads(row.pop("extra", None) or "{}")
    if row.get("status") == "ok":
        row["verdict"] = ("blurry_throughout" if row.get("blurry_throughout") else
                          "blur_found" if row.get("blur_detected") else "no_blur")
        row["event_count"] = row.get("event_count") if row.get("event_count") is not None else row.get("segment_count")
        row["segments"] = [{**seg, "duration_s": round(seg["end_s"] - seg["start_s"], 4),
                            "frames": seg["end_frame"] - seg["start_frame"] + 1, "shot": None}
                           for seg in row.get("segments") or []]
        row["shot_list"] = [{**{key: shot.get(key) for key in _SHOT_FIELDS}, "index": i,
                             "reason_code": "text" if shot.get("reason") else None,
                             "reason_values": json.dumps({"text": shot["reason"]} if shot.get("reason") else {})}
                            for i, shot in enumerate(extra.pop("shot_list", None) or [])]
        row["recommendations"] = [_message(message_of(r)) for r in row.get("recommendations") or []]
        row["warnings"] = [_message(message_of(w)) for w in row.get("warnings") or []]
        row["detector_extra"] = json.dumps(extra, ensure_ascii=False) if extra else None
    else:
        row["verdict"] = "error"
    return row


def frames_row(result: VideoResult) -> dict[str, Any]:
    """A scanned video's per-frame times and scores."""
    return {"path": result.video.path, "times_s": np.asarray(result.times_s, dtype=np.float32),
            "scores": np.asarray(result.scores, dtype=np.float32)}
