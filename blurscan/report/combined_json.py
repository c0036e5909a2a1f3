"""``results.json``: every per-video result of a batch in one file, without the per-frame scores.

Streamed: each video's result file is read, written and dropped before the next, so a batch of
any size costs the memory of its largest result.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from blurscan.io.atomic import atomic_write
from blurscan.report.results import row_result
from blurscan.result.model import SCHEMA


def write_combined_json(path: str | os.PathLike, out_dir: str | os.PathLike, rows: Sequence[dict[str, Any]],
                        settings: dict[str, Any]) -> None:
    """Every row's result (as this blurscan writes it), with its ``result_file`` and ``relative_path``."""
    out_dir = Path(out_dir)
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(f'{{"schema": "{SCHEMA}", "settings": ')
        json.dump(settings, handle)
        handle.write(', "videos": [\n')
        for i, row in enumerate(rows):
            entry = row_result(out_dir, row).to_dict(include_scores=False)
            entry["result_file"] = row.get("result_file")
            if row.get("relative_path") is not None:
                entry["relative_path"] = row["relative_path"]
            if i:
                handle.write(",\n")
            json.dump(entry, handle, ensure_ascii=False)
        handle.write("\n]}\n")
