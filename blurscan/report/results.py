"""A batch's per-video results as the writers read them: one at a time, from the files beside the summaries.

The writers get small summary rows (:data:`blurscan.result.model.SUMMARY_FIELDS`, plus the batch's
``relative_path`` and ``result_file``) and read a video's whole result only when they need it, so a
batch of any size costs no more memory than its largest result.
"""

from __future__ import annotations

import os
from typing import Any

from blurscan.io.atomic import file_inside
from blurscan.messages import error_text
from blurscan.result.model import FailedResult, Result, Video
from blurscan.result.reader import ResultFileError, read_result_file


def row_result(out_dir: str | os.PathLike, row: dict[str, Any]) -> Result:
    """A row's per-video result; an error entry when its file cannot be read as one."""
    name = row.get("result_file")
    path = file_inside(out_dir, name)
    if path is None:  # a folder's own files are untrusted: nothing is read from outside it
        why = "outside the output folder, not read" if isinstance(name, str) and name else "not named"
        return FailedResult(Video(str(row.get("path")), str(row.get("name"))), {}, f"result file {why}", "ReportError")
    try:
        return read_result_file(path)
    except (OSError, ResultFileError, KeyError) as ex:
        reason = ex.strerror if isinstance(ex, OSError) and ex.strerror else ex
        return FailedResult(Video(str(row.get("path")), str(row.get("name"))), {}, f"result file unreadable: {reason}",
                            "ReportError")


def shown_path(row: dict[str, Any]) -> str:
    """The video as people look for it: its path under the batch's root, else its name."""
    return str(row.get("relative_path") or row.get("name"))


def shown_error(row: dict[str, Any], lang: str, error: Any = None) -> str:
    """Why a row's video failed, to show beside its path: the message without the path it starts with
    (``bad.mp4: vids/bad.mp4: cannot ...`` said the path twice)."""
    text = error_text(row.get("error_type"), str(error if error is not None else row.get("error") or ""), lang)
    for path in (row.get("path"), row.get("relative_path")):
        if path and text.startswith(f"{path}: "):
            return text[len(str(path)) + 2:]
    return text
