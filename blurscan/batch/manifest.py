"""The batch journal: one JSON line per finished video, appended and flushed at once.

An interrupted batch leaves a journal whose complete lines say which videos
are done; ``--resume`` skips them (when the settings match and the source file
and its result are unchanged). Appending keeps each write small however many
videos the batch holds; a torn last line is ignored on reading.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from blurscan.errors import UsageError

MANIFEST_NAME = "manifest.jsonl"
MANIFEST_SCHEMA = "blurscan-manifest/1"


def source_identity(path: str | os.PathLike) -> dict[str, int]:
    try:
        st = os.stat(path)
    except OSError:
        return {}
    return {"size": st.st_size, "mtime_ns": st.st_mtime_ns}


class Manifest:
    def __init__(self, out_dir: str | os.PathLike, settings: dict[str, Any]):
        self.out_dir = Path(out_dir)
        self.path = self.out_dir / MANIFEST_NAME
        self.settings = settings
        #: latest row per output stem, in first-seen order
        self.rows: dict[str, dict[str, Any]] = {}

    @classmethod
    def open(cls, out_dir: str | os.PathLike, settings: dict[str, Any], resume: bool) -> Manifest:
        """Start a new journal, or with ``resume`` continue the one in ``out_dir``."""
        manifest = cls(out_dir, settings)
        manifest.out_dir.mkdir(parents=True, exist_ok=True)
        if resume and manifest.path.exists():
            manifest._load()
        else:
            with open(manifest.path, "w", encoding="utf-8") as handle:
                handle.write(json.dumps({"schema": MANIFEST_SCHEMA, "settings": settings}) + "\n")
                handle.flush()
                os.fsync(handle.fileno())
        return manifest

    def _load(self) -> None:
        with open(self.path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
        header = _parse(lines[0]) if lines else None
        if not header or header.get("schema") != MANIFEST_SCHEMA:
            raise UsageError(f"{self.path} is not a blurscan batch journal; use a new output folder")
        if header.get("settings") != self.settings:
            raise UsageError(
                f"{self.out_dir} holds results made with other settings; "
                "rerun with the same options, use a new output folder, or drop --resume"
            )
        for line in lines[1:]:
            row = _parse(line)
            if row and "stem" in row:
                self.rows[row["stem"]] = row

    def is_done(self, stem: str, source: str | os.PathLike) -> bool:
        row = self.rows.get(stem)
        return bool(
            row
            and row.get("status") == "ok"
            and row.get("source") == source_identity(source)
            and (self.out_dir / row["result_file"]).exists()
        )

    def record(self, stem: str, source: str | os.PathLike, row: dict[str, Any]) -> None:
        row = {"stem": stem, **row, "source": source_identity(source)}
        with open(self.path, "a", encoding="utf-8") as handle:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self.rows[stem] = row


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
