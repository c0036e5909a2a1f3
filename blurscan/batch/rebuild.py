"""Rebuilding a batch's summaries from its per-video results, without scanning again.

A report made with other words (``--lang zh``), by a newer blurscan, or after
some result files were copied in, needs only the results: the journal
(``manifest.jsonl``) when there is one, else every ``<video>.json`` of the
folder. Rows are kept in memory (a few hundred bytes a video); results are
read one at a time by the writers.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from blurscan.errors import InputError, UsageError, path_text
from blurscan.report.labels import DEFAULT_LANG, LANGS
from blurscan.report.summary import read_result, summary_row
from blurscan.result import SCHEMA


def _manifest_rows(path: Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The journal's latest row per video and its settings; damaged lines are skipped, as resume does."""
    rows: dict[str, dict[str, Any]] = {}
    settings: dict[str, Any] = {}
    with open(path, "rb") as handle:
        for number, line in enumerate(handle):
            try:
                value = json.loads(line.decode("utf-8"))
            except ValueError:
                continue
            if not isinstance(value, dict):
                continue
            if number == 0 and "schema" in value and isinstance(value.get("settings"), dict):
                settings = value["settings"]
            elif isinstance(value.get("stem"), str) and isinstance(value.get("result_file"), str):
                rows[value["stem"]] = value
    return list(rows.values()), settings


def _result_rows(out_dir: Path, skip: set[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A row per blurscan result file of the folder (each read, summarised and dropped)."""
    rows, settings = [], {}
    for path in sorted(out_dir.glob("*.json")):
        if path.name in skip:
            continue
        try:
            data = json.loads(path.read_bytes().decode("utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(data, dict) or data.get("schema") != SCHEMA or not isinstance(data.get("video"), dict):
            continue
        if not settings and isinstance(data.get("settings"), dict) and "error" not in data:
            settings = {k: v for k, v in data["settings"].items() if k != "lang"}
        rows.append(summary_row(data, path.name))
    return rows, settings


def _fill_relative_paths(rows: list[dict[str, Any]]) -> None:
    """Rows that lack their relative path get it from the folder all the videos share."""
    missing = [r for r in rows if not r.get("relative_path")]
    if not missing:
        return
    paths = [os.path.abspath(str(r["path"])) for r in rows if r.get("path")]
    try:
        root = os.path.commonpath([os.path.dirname(p) for p in paths]) if paths else None
    except ValueError:
        root = None
    for row in missing:
        path = row.get("path")
        rel = os.path.relpath(os.path.abspath(str(path)), root) if (root and path) else None
        row["relative_path"] = path_text(rel if rel and not rel.startswith("..") else row.get("name"))


def _batch_lang(out_dir: Path, rows: list[dict[str, Any]]) -> str:
    """The language the videos were scanned with (their results record it), English if none says."""
    for row in rows:
        if row.get("status") == "ok":
            lang = (read_result(out_dir, row).get("settings") or {}).get("lang")
            return lang if lang in LANGS else DEFAULT_LANG
    return DEFAULT_LANG


def load_batch(out_dir: str | os.PathLike) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """The rows, settings and language of the batch in ``out_dir``."""
    from blurscan.batch import COMBINED_JSON
    from blurscan.batch.manifest import MANIFEST_NAME

    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UsageError(f"{out_dir}: not a folder; give the output folder of `blurscan batch` or `blurscan detect -o`")
    manifest = out_dir / MANIFEST_NAME
    try:
        rows, settings = _manifest_rows(manifest) if manifest.is_file() else ([], {})
    except OSError as ex:
        raise InputError(f"{manifest}: cannot be read ({ex.strerror or ex})") from None
    if not rows:
        rows, settings = _result_rows(out_dir, {COMBINED_JSON})
    if not rows:
        raise InputError(
            f"{out_dir}: no blurscan results here (manifest.jsonl or <video>.json files); "
            "run `blurscan batch` or `blurscan detect -o` into it first"
        )
    _fill_relative_paths(rows)
    # the batch's order: videos sorted by path (a journal lists them as they finished)
    rows.sort(key=lambda r: Path(str(r.get("path") or r.get("relative_path") or "")))
    return rows, settings, _batch_lang(out_dir, rows)


def rebuild(out_dir: str | os.PathLike, lang: str | None = None) -> list[dict[str, Any]]:
    """Write the batch's summaries and report again, holding the folder's batch lock; returns the rows."""
    from blurscan.batch import _write_summaries
    from blurscan.io.lock import OutputLock

    rows, settings, batch_lang = load_batch(out_dir)
    with OutputLock(out_dir):
        _write_summaries(Path(out_dir), rows, settings, lang or batch_lang)
    return rows
