"""A batch's summaries, one writer whatever the output format: summary.csv, statistics.md and report.html
(plus, for files per video, results.json and segments.csv).

For a batch of files the rows are the journal's (``manifest.jsonl``), else
every ``<video>.json`` of the folder, and the per-video results are read one
at a time by the writers; for a Parquet dataset the rows are its own, read
one shard at a time. Either way the words are in the batch's language unless
another is asked for. ``blurscan report`` rebuilds them without scanning.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

from blurscan.batch.manifest import MANIFEST_NAME, current_row, summary_row
from blurscan.batch.sinks.parquet import DatasetDir, iter_rows
from blurscan.errors import InputError, OutputError, UsageError, path_text
from blurscan.io.atomic import file_inside, make_output_dir
from blurscan.io.lock import LOCK_NAME, OutputLock
from blurscan.messages import DEFAULT_LANG, LANGS
from blurscan.report.combined_json import write_combined_json
from blurscan.report.html import write_report_html
from blurscan.report.outputs import VIDEO_SUFFIXES
from blurscan.report.results import row_result
from blurscan.report.segments_csv import write_segments_csv
from blurscan.report.statistics import write_statistics
from blurscan.report.summary_csv import write_summary_csv
from blurscan.result.model import SUMMARY_FIELDS
from blurscan.result.reader import ResultFileError, read_result_file
from blurscan.source.remote import is_url

logger = logging.getLogger("blurscan")

SUMMARY_CSV = "summary.csv"
COMBINED_JSON = "results.json"
STATISTICS_MD = "statistics.md"
REPORT_HTML = "report.html"
SEGMENTS_CSV = "segments.csv"
#: the batch's own files; no video's output may take one of their names
COMBINED_FILES = (SUMMARY_CSV, COMBINED_JSON, STATISTICS_MD, REPORT_HTML, SEGMENTS_CSV, MANIFEST_NAME, LOCK_NAME)


def reserved_stems() -> list[str]:
    """Stems whose per-video outputs would land on one of the batch's own files."""
    return [name[: -len(suffix)] for name in COMBINED_FILES for suffix in VIDEO_SUFFIXES if name.endswith(suffix)]


def write_summaries(out_dir: Path, rows: list[dict[str, Any]], settings: dict[str, Any], lang: str = DEFAULT_LANG) -> None:
    """The batch-wide files of a batch of files; when one cannot be written (disk full ...) the others are still tried."""
    writers = (
        (SUMMARY_CSV, lambda path: write_summary_csv(path, rows)),
        (COMBINED_JSON, lambda path: write_combined_json(path, out_dir, rows, settings)),
        (SEGMENTS_CSV, lambda path: write_segments_csv(path, out_dir, rows)),
        (STATISTICS_MD, lambda path: write_statistics(path, rows, settings, lang)),
        (REPORT_HTML, lambda path: write_report_html(path, rows, settings, lang)),
    )
    for name, write in writers:
        try:
            write(out_dir / name)
        except OutputError as ex:
            logger.warning("%s not written: %s", name, ex)


# -- a batch of files -----------------------------------------------------------------


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
                if file_inside(path.parent, value["result_file"]) is None:  # a tampered journal reads nothing outside
                    logger.warning("%s: the row of %s names a result file outside the folder (%s); left out",
                                   path, value["stem"], value["result_file"])
                    continue
                rows[value["stem"]] = current_row(value, path.parent)
    return list(rows.values()), settings


def _result_rows(out_dir: Path, skip: set[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """A row per blurscan result file of the folder (each read, summarised and dropped)."""
    rows, settings = [], {}
    for path in sorted(out_dir.glob("*.json")):
        if path.name in skip or file_inside(out_dir, path.name) is None:  # a link out of the folder is not read
            continue
        try:
            result = read_result_file(path)
        except (OSError, ResultFileError):
            continue
        if not settings and result.ok:
            settings = {k: v for k, v in result.settings.items() if k != "lang"}
        rows.append(summary_row(result, path.name))
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
            lang = row_result(out_dir, row).settings.get("lang")
            return lang if lang in LANGS else DEFAULT_LANG
    return DEFAULT_LANG


def load_batch(out_dir: str | os.PathLike) -> tuple[list[dict[str, Any]], dict[str, Any], str]:
    """The rows, settings and language of the batch in ``out_dir``."""
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
    rows, settings, batch_lang = load_batch(out_dir)
    with OutputLock(out_dir):
        write_summaries(Path(out_dir), rows, settings, lang or batch_lang)
    return rows


# -- a Parquet dataset --------------------------------------------------------------------

#: summary fields a dataset row does not hold: no files per video; its path is the full path or URL
_NOT_STORED = ("result_file", "relative_path")
_COLUMNS = [f for f in SUMMARY_FIELDS if f not in _NOT_STORED]


def dataset_summary_rows(dataset: DatasetDir):
    """Each video's summary row (the fields of ``summary.csv``), one shard in memory at a time."""
    for row in iter_rows(dataset, _COLUMNS):
        yield {**{field: row.get(field) for field in SUMMARY_FIELDS}, "result_file": "", "relative_path": row.get("path")}


def is_dataset(location: str) -> bool:
    """Whether ``location`` holds a blurscan Parquet dataset (an object-storage URL is taken as one)."""
    return is_url(location) or DatasetDir(location).read_meta() is not None


def write_dataset_summaries(location: str | os.PathLike, out_dir: str | os.PathLike | None = None,
                            lang: str | None = None) -> list[Path]:
    """Write the summaries of the dataset at ``location`` into ``out_dir`` (default: the dataset's folder),
    in ``lang`` (default: the batch's)."""
    dataset = DatasetDir(location)
    meta = dataset.read_meta()
    if meta is None:
        raise UsageError(f"{location}: no blurscan Parquet dataset here (dataset.json); "
                         "point to the -o folder of a batch run with --output-format parquet")
    if out_dir is None:
        if not dataset.is_local:
            raise UsageError(f"{location}: the summaries are written locally; give a folder with -o")
        out_dir = dataset.root
    out_dir = make_output_dir(out_dir)
    settings = meta.get("settings") or {}
    lang = lang or (meta.get("lang") if meta.get("lang") in LANGS else DEFAULT_LANG)
    write_summary_csv(out_dir / SUMMARY_CSV, dataset_summary_rows(dataset))  # streamed: the rows are read once
    rows = list(dataset_summary_rows(dataset))
    write_statistics(out_dir / STATISTICS_MD, rows, settings, lang)
    write_report_html(out_dir / REPORT_HTML, rows, settings, lang, with_results=False)
    return [out_dir / SUMMARY_CSV, out_dir / STATISTICS_MD, out_dir / REPORT_HTML]
