"""The batch summaries (``summary.csv``, ``statistics.md``, ``report.html``) from a Parquet dataset.

A batch written with ``--output-format parquet`` keeps only its rows; these
files are made afterwards, on request, reading one shard at a time. The
summary CSV is streamed; the statistics and the page hold one small summary
row per video (a few hundred bytes each), so for millions of videos query
the dataset with DuckDB or pandas instead.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from blurscan.errors import UsageError
from blurscan.io.atomic import make_output_dir
from blurscan.batch.sinks.parquet import DatasetDir, iter_rows
from blurscan.report.summary import SUMMARY_FIELDS

#: dataset columns read for the summaries, and the summary fields named differently
_RENAMED = {"segments": "segment_count", "blur_frames": "blur_frame_count"}
#: summary fields a dataset row does not hold: no files per video; its path is the full path or URL
_NOT_STORED = ("result_file", "relative_path")
_COLUMNS = sorted({_RENAMED.get(f, f) for f in SUMMARY_FIELDS if f not in _NOT_STORED})


def summary_rows(dataset: DatasetDir) -> Iterator[dict[str, Any]]:
    """Each video's summary row (the fields of ``summary.csv``), one shard in memory at a time."""
    for row in iter_rows(dataset, _COLUMNS):
        out = {field: row.get(_RENAMED.get(field, field)) for field in SUMMARY_FIELDS}
        out["result_file"] = ""
        out["relative_path"] = row.get("path")
        if out["events"] is None and out["status"] == "ok":  # a row from before segments had kinds: all events
            out["events"] = row.get("segment_count")
        yield out


def write_dataset_summaries(location: str | os.PathLike, out_dir: str | os.PathLike | None = None) -> list[Path]:
    """Write the summaries of the dataset at ``location`` into ``out_dir`` (default: the dataset's folder)."""
    from blurscan.report.html import write_report_html
    from blurscan.report.summary import write_statistics, write_summary_csv

    dataset = DatasetDir(location)
    meta = dataset.read_meta()
    if meta is None:
        raise UsageError(f"{location}: no blurscan Parquet dataset here (no dataset.json); "
                         "point to the -o folder of a batch run with --output-format parquet")
    if out_dir is None:
        if not dataset.is_local:
            raise UsageError(f"{location}: the summaries are written locally; give a folder with -o")
        out_dir = dataset.root
    out_dir = make_output_dir(out_dir)
    settings = meta.get("settings") or {}
    write_summary_csv(out_dir / "summary.csv", summary_rows(dataset))  # streamed: the rows are read once
    rows = list(summary_rows(dataset))
    write_statistics(out_dir / "statistics.md", rows, settings)
    write_report_html(out_dir / "report.html", rows, settings)
    return [out_dir / "summary.csv", out_dir / "statistics.md", out_dir / "report.html"]
