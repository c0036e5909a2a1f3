"""``summary.csv``: one row per video, the fields of its one-line summary (:data:`SUMMARY_FIELDS`); yes/no as 1/0."""

from __future__ import annotations

import csv
import os
from collections.abc import Iterable
from typing import Any

from blurscan.io.atomic import atomic_write
from blurscan.io.escape import csv_cell
from blurscan.result.model import SUMMARY_FIELDS


def write_summary_csv(path: str | os.PathLike, rows: Iterable[dict[str, Any]]) -> None:
    """One row per video; text cells that a spreadsheet would run as a formula start with ``'``.

    Text is always quoted: the writer quotes only around its own line terminator,
    so a name holding a bare CR would otherwise split its row in two.
    """
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=SUMMARY_FIELDS, extrasaction="ignore", lineterminator="\n",
                                quoting=csv.QUOTE_NONNUMERIC)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(row.get(k)) for k in SUMMARY_FIELDS})


def _cell(value: Any) -> Any:
    """A cell: yes/no as 1/0, as frames.csv writes ``blurry`` (one convention for every CSV), text neutralised."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    return csv_cell(value)
