"""``segments.csv``: one row per segment of every video in a batch — what to cut, where.

A segment is a blur event (``kind`` ``event``) or a shot soft throughout (``soft``, with its
``shot`` number), as in the result's ``segments``, with its cause; the columns carry the JSON's names.

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
from blurscan.report.results import row_result, shown_path
from blurscan.result.model import VideoResult

SEGMENT_FIELDS = (
    "relative_path",
    "name",
    "segment",
    "kind",
    "shot",
    "start_frame",
    "end_frame",
    "start_s",
    "end_s",
    "start_tc",
    "end_tc",
    "duration_s",
    "frames",
    "severity",
    "min_score",
    "cause",
    "cause_confidence",
    "motion_angle_deg",
    "blur_px",
    "worst_thumbnail",
    "sharp_thumbnail",
    "result_file",
)


def segment_rows(row: dict[str, Any], result: VideoResult):
    """The CSV rows of one video's segments."""
    for number, seg in enumerate(result.segments, 1):
        data = seg.to_dict()
        yield {
            "relative_path": shown_path(row),
            "name": row.get("name"),
            "segment": number,
            "kind": seg.kind,
            "shot": seg.shot,
            **{key: data[key] for key in ("start_frame", "end_frame", "start_s", "end_s", "start_tc", "end_tc",
                                          "duration_s", "frames", "severity", "min_score", "cause",
                                          "cause_confidence", "motion_angle_deg", "blur_px")},
            "worst_thumbnail": seg.thumbnails["worst"].file if "worst" in seg.thumbnails else None,
            "sharp_thumbnail": seg.thumbnails["sharp"].file if "sharp" in seg.thumbnails else None,
            "result_file": row.get("result_file"),
        }


def write_segments_csv(path: str | os.PathLike, out_dir: str | os.PathLike, rows: Sequence[dict[str, Any]]) -> int:
    """Write ``segments.csv`` (text always quoted, as in summary.csv); returns the number of segments."""
    out_dir = Path(out_dir)
    count = 0
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SEGMENT_FIELDS, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        for row in rows:
            if row.get("status") != "ok" or not row.get("segment_count"):
                continue
            result = row_result(out_dir, row)
            if not result.ok:
                continue
            for seg in segment_rows(row, result):
                writer.writerow({k: ("" if v is None else csv_cell(v)) for k, v in seg.items()})
                count += 1
    return count
