"""The batch journal: one JSON line per finished video, appended and flushed at once.

An interrupted batch leaves a journal whose complete lines say which videos
are done. ``--resume`` trusts a line only when the video's source file is
unchanged, the line was made with the current settings, and its result file
is still a whole blurscan result; whatever the journal lost (a torn line, a
damaged header, a journal that was never written) is rebuilt from the
per-video result files. Lines are split on ``\\n`` alone, so names holding
U+2028 or U+0085 stay on their line; undecodable lines are skipped.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections import Counter
from pathlib import Path
from typing import Any

from blurscan.errors import path_text
from blurscan.io.atomic import append_line, atomic_write, file_inside, output_error
from blurscan.result.model import Result
from blurscan.result.reader import ResultFileError, read_result_file
from blurscan.source.remote import is_url
from blurscan.source.tar import is_member, local_shard

logger = logging.getLogger("blurscan")

MANIFEST_NAME = "manifest.jsonl"
MANIFEST_SCHEMA = "blurscan-manifest/1"
#: the version of a journal row's summary fields (rows of an older blurscan are summarised again from their result)
ROW_VERSION = 2


def summary_row(result: Result, result_file: str, relative_path: str | None = None) -> dict[str, Any]:
    """A video's row in the journal and the summaries: its one-line summary, where its result is, and
    its path under the batch's root (``sub/clip.mp4``: the name alone cannot tell two folders' ``clip.mp4`` apart)."""
    row = {**result.summary(), "result_file": result_file, "row": ROW_VERSION}
    if relative_path is not None:
        row["relative_path"] = relative_path
    return row


def current_row(row: dict[str, Any], out_dir: str | os.PathLike) -> dict[str, Any]:
    """A journal row with today's summary fields: an older blurscan's row is summarised again from its result file."""
    if row.get("row") == ROW_VERSION or not isinstance(row.get("result_file"), str):
        return row
    path = file_inside(out_dir, row["result_file"])
    if path is None:
        return row
    try:
        result = read_result_file(path)
    except (OSError, ResultFileError):
        return row
    keep = {k: row[k] for k in ("stem", "source", "settings_id", "relative_path", "clips") if k in row}
    return {**keep, **summary_row(result, row["result_file"])}


def source_key(path: str | os.PathLike) -> str:
    """The video as resume knows it across runs: its absolute, normalised path, so ``in/a.mp4`` and
    ``/data/in/a.mp4`` (or the same folder from another working directory) are one video; a URL (a tar
    member's included) as it is. Links stay apart, as in a list."""
    text = os.fspath(path)
    return text if is_url(text) else os.path.normpath(os.path.abspath(text))


def source_identity(path: str | os.PathLike) -> dict[str, int]:
    """The size and modification time of a video's file (of its shard, for a tar member); {} when unknown."""
    if is_member(path):
        path = local_shard(path) or ""
    try:
        st = os.stat(path)
    except OSError:
        return {}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


def settings_id(settings: dict[str, Any]) -> str:
    """A short fingerprint of the batch settings, recorded with every journal line."""
    return hashlib.sha1(json.dumps(settings, sort_keys=True, default=str).encode()).hexdigest()[:16]


def settings_match(given: dict[str, Any], recorded: dict[str, Any]) -> bool:
    """Whether a result's recorded settings are those asked for now.

    A result records every option with the plug-ins' defaults filled in; the
    options asked for must each be there with the same value.
    """
    for key, value in given.items():
        if key in ("scorer_options", "detector_options"):
            have = recorded.get(key) or {}
            if any(have.get(k) != v for k, v in (value or {}).items()):
                return False
        elif recorded.get(key) != value:
            return False
    return True


class Manifest:
    def __init__(self, out_dir: str | os.PathLike, settings: dict[str, Any]):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / MANIFEST_NAME
        self.settings = settings
        self.settings_id = settings_id(settings)
        #: latest row per output stem, in first-seen order
        self.rows: dict[str, dict[str, Any]] = {}
        #: why videos are scanned again on resume (reason -> count)
        self.redo: Counter[str] = Counter()
        #: stems whose journal lines were made with other settings
        self._stale: set[str] = set()
        self.recovered = 0

    @classmethod
    def open(cls, out_dir: str | os.PathLike, settings: dict[str, Any], resume: bool) -> Manifest:
        """Start a new journal, or with ``resume`` continue the one in ``out_dir`` (the folder must exist)."""
        manifest = cls(out_dir, settings)
        if resume:
            manifest._load()
        manifest._rewrite()
        return manifest

    def _load(self) -> None:
        try:
            with open(self.path, "rb") as handle:
                lines = handle.read().split(b"\n")
        except FileNotFoundError:
            return
        except OSError as ex:
            raise output_error(self.path, ex) from None
        header = _parse(lines[0]) if lines else None
        header_settings = None
        if header and header.get("schema") == MANIFEST_SCHEMA:
            header_settings = header.get("settings")
            lines = lines[1:]
        elif any(lines):
            logger.warning("%s: the journal's header is damaged; rebuilding from the per-video results", self.path)
        for line in lines:
            row = _parse(line)
            if not row or not isinstance(row.get("stem"), str):
                continue
            made_with = row.get("settings_id") or (settings_id(header_settings) if header_settings else None)
            if made_with != self.settings_id:
                self._stale.add(row["stem"])
                self.rows.pop(row["stem"], None)
                continue
            self._stale.discard(row["stem"])
            self.rows[row["stem"]] = row

    def _rewrite(self) -> None:
        """Write the header and the rows kept so far as a fresh journal (atomically; drops torn lines)."""
        with atomic_write(self.path, "w", encoding="utf-8") as handle:
            handle.write(json.dumps({"schema": MANIFEST_SCHEMA, "settings": self.settings}) + "\n")
            for row in self.rows.values():
                handle.write(json.dumps(row) + "\n")

    def is_done(self, stem: str, source: str | os.PathLike) -> bool:
        """Whether the video's result can be kept (resume); a result the journal lost is recovered."""
        row = self.rows.get(stem)
        result_file = f"{stem}.json"
        if row is not None:
            if row.get("status") != "ok":
                self.redo["failed last time"] += 1
            elif row.get("source") != source_identity(source):
                self.redo["source file changed"] += 1
            elif (result := _read_result(self.out_dir, row.get("result_file", result_file), str(source),
                                         row.get("key"))) is None:
                self.redo["result file missing or damaged"] += 1
            else:
                if row.get("row") != ROW_VERSION:  # written by an older blurscan: today's summary of its result
                    keep = {k: row[k] for k in ("relative_path", "clips") if k in row}
                    self.rows[stem] = {**row, **summary_row(result, row.get("result_file", result_file)), **keep}
                return True
            del self.rows[stem]
            return False
        if stem in self._stale:
            self.redo["made with other settings"] += 1
            return False
        result = _read_result(self.out_dir, result_file, str(source))
        if result is None:
            return False
        if not result.ok or not settings_match(self.settings, result.settings):
            self.redo["made with other settings" if result.ok else "failed last time"] += 1
            return False
        try:
            if os.stat(self.out_dir / result_file).st_mtime_ns < source_identity(source)["mtime_ns"]:
                return False
        except (OSError, KeyError):
            return False
        self.record(stem, source, summary_row(result, result_file))
        self.recovered += 1
        return True

    def record(self, stem: str, source: str | os.PathLike, row: dict[str, Any]) -> None:
        row = {"stem": stem, **row, "source": source_identity(source), "key": source_key(source),
               "settings_id": self.settings_id}
        # kept before it is journalled: a stop (Ctrl-C, SIGTERM) raised inside the append cannot leave
        # a journalled video out of the summaries (its result file is already written)
        self.rows[stem] = row
        append_line(self.path, json.dumps(row))  # ASCII: a name that is not UTF-8 stays writable

    def resume_message(self, done: int, total: int) -> str:
        parts = [f"resuming: {done} of {total} videos already done"]
        if self.recovered:
            parts.append(f"{self.recovered} recovered from their result files")
        if self.redo:
            parts.append("scanning again: " + ", ".join(f"{n} {why}" for why, n in sorted(self.redo.items())))
        return "; ".join(parts)


def _read_result(out_dir: Path, result_file: Any, source: str, key: str | None = None) -> Result | None:
    """A per-video result file of ``out_dir`` if it is whole, lies inside the folder and belongs to
    ``source`` (the path it records, spelled as it was then, is the same file: the same string, the
    same absolute path, or the journal's ``key`` for it); else None."""
    path = file_inside(out_dir, result_file)
    if path is None:
        return None
    try:
        result = read_result_file(path)
    except (OSError, ResultFileError):
        return None
    recorded = result.video.path
    if recorded == path_text(source) or source_key(recorded) == source_key(source):
        return result
    if key is not None and key == source_key(source) and os.path.basename(recorded) == path_text(os.path.basename(source)):
        return result  # the same video, listed from another folder or spelled another way last time
    return None


def _parse(line: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(line.decode("utf-8"))
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
