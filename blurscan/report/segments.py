"""``segments.csv``: one row per blurry segment of every video in a batch — what to cut, where.

``kind`` tells a blur event (``event``) from a shot soft throughout (``soft``).

Streamed: each video's result file is read, its segments written and the
result dropped before the next, so the file can list millions of segments.
Text cells go through :func:`csv_cell`, so a name cannot become a formula.
"""

from __future__ import annotations

import csv
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from blurscan.io.atomic import atomic_write
from blurscan.io.escape import csv_cell
from blurscan.report.shots import segment_kind
from blurscan.report.summary import read_result

SEGMENT_FIELDS = (
    "relative_path",
    "name",
    "segment",
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "start_tc",
    "end_tc",
    "duration_s",
    "frames",
    "severity",
    "worst_score",
    "worst_thumbnail",
    "sharp_thumbnail",
    "result_file",
    "kind",
)


def segment_rows(row: dict[str, Any], result: dict[str, Any]):
    """The CSV rows of one video's segments (none for an error entry)."""
    for number, seg in enumerate(result.get("segments") or [], 1):
        if not isinstance(seg, dict):
            continue
        thumbs = seg.get("thumbnails") or {}
        yield {
            "relative_path": row.get("relative_path") or row.get("name"),
            "name": row.get("name"),
            "segment": number,
            "start_frame": seg.get("start_frame"),
            "end_frame": seg.get("end_frame"),
            "start_s": seg.get("start_s"),
            "end_s": seg.get("end_s"),
            "start_tc": seg.get("start_tc"),
            "end_tc": seg.get("end_tc"),
            "duration_s": seg.get("duration_s"),
            "frames": seg.get("frames"),
            "severity": seg.get("severity"),
            "worst_score": seg.get("min_score"),
            "worst_thumbnail": (thumbs.get("worst") or {}).get("file") if isinstance(thumbs, dict) else None,
            "sharp_thumbnail": (thumbs.get("sharp") or {}).get("file") if isinstance(thumbs, dict) else None,
            "result_file": row.get("result_file"),
            "kind": segment_kind(seg),
        }


def write_segments_csv(path: str | os.PathLike, out_dir: str | os.PathLike, rows: Sequence[dict[str, Any]]) -> int:
    """Write ``segments.csv`` (text always quoted, as in summary.csv); returns the number of segments."""
    out_dir = Path(out_dir)
    count = 0
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SEGMENT_FIELDS, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        for row in rows:
            if row.get("status") != "ok" or not row.get("segments"):
                continue
            for seg in segment_rows(row, read_result(out_dir, row)):
                writer.writerow({k: ("" if v is None else csv_cell(v)) for k, v in seg.items()})
                count += 1
    return count
