"""The Parquet sink: a batch's results as a dataset, one row per video, written in shards.

A million clips cannot each get a JSON and a CSV file. ``--output-format
parquet`` writes ``videos/part-*.parquet`` (one row per video, see
:mod:`blurscan.report.parquet`) and, with ``--frame-scores``,
``frames/part-*.parquet`` (the per-frame scores and times as float32 lists).
Every shard has the same schema, so pandas, pyarrow, DuckDB and Ray Data read
the folder directly. Names are kept as data, never used as file names. A
shard is written whole or not at all (a temporary dot-file renamed locally;
one object PUT in object storage), and readers skip dot-files, so a kill
never leaves half a shard to read.

The dataset is the journal: resume keeps a video when the dataset holds an
``ok`` row for its path made with the same settings from an unchanged source
file, and drops every other row of the videos it scans again, so the
finished dataset has one row per video. Rows of videos the run does not list
are left alone, so several lists can fill one dataset. The driver never holds
results: rows are written in shards as they come (locally) or by the workers (Ray).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from blurscan.batch.engines.base import BatchExecutor, BatchProgress, Job
from blurscan.batch.manifest import settings_id, source_identity, source_key
from blurscan.errors import OutputError
from blurscan.io.atomic import atomic_write, make_output_dir, remove_stale_temp_files
from blurscan.io.lock import OutputLock
from blurscan.report.parquet import (
    DATASET_SCHEMA,
    frames_row,
    frames_schema,
    require_pyarrow,
    upgrade_row,
    video_row,
    video_schema,
)
from blurscan.source.remote import filesystem, is_url
from blurscan.source.tar import is_member, local_shard

logger = logging.getLogger("blurscan")

VIDEOS_DIR = "videos"
FRAMES_DIR = "frames"
#: the settings the dataset was made with (what ``blurscan report`` prints in the statistics)
META_NAME = "dataset.json"
#: the dataset schemas this blurscan reads (rows of the first are upgraded as they are read)
READABLE_DATASET_SCHEMAS = ("blurscan-dataset/1", DATASET_SCHEMA)
SHARD_PREFIX = "part-"
SHARD_SUFFIX = ".parquet"
#: rows a driver-written shard holds at most, and seconds it waits before writing what it has
SHARD_ROWS = 1000
SHARD_SECONDS = 30.0


def _frames_table(rows: list[dict[str, Any]]):
    pa = require_pyarrow()

    def lists(key):
        values = [r[key] for r in rows]
        offsets = np.zeros(len(values) + 1, dtype=np.int32)
        np.cumsum([len(v) for v in values], out=offsets[1:])
        flat = np.concatenate(values) if values else np.zeros(0, dtype=np.float32)
        return pa.ListArray.from_arrays(pa.array(offsets), pa.array(flat, type=pa.float32()))

    return pa.Table.from_arrays([pa.array([r["path"] for r in rows], pa.string()), lists("times_s"), lists("scores")],
                                schema=frames_schema())


class DatasetDir:
    """An output folder for Parquet shards: a local folder or an object-storage URL."""

    def __init__(self, location: str | os.PathLike):
        self.location = os.fspath(location)
        self.is_local = not is_url(self.location)
        if self.is_local:
            self.fs, self.root = None, Path(self.location)
        else:
            self.fs, self.root = filesystem(self.location)
            self.root = self.root.rstrip("/")

    def _join(self, *parts: str) -> str:
        return "/".join([str(self.root), *parts])

    def prepare(self) -> None:
        for sub in (VIDEOS_DIR, FRAMES_DIR):
            if self.is_local:
                make_output_dir(self.root / sub)
            else:
                with contextlib.suppress(FileExistsError):
                    self.fs.makedirs(self._join(sub), exist_ok=True)

    def write_meta(self, settings: dict[str, Any], lang: str = "en") -> None:
        text = json.dumps({"schema": DATASET_SCHEMA, "settings": settings, "lang": lang}, indent=1) + "\n"
        if self.is_local:
            with atomic_write(self.root / META_NAME, "w", encoding="utf-8") as handle:
                handle.write(text)
        else:
            self.fs.pipe(self._join(META_NAME), text.encode())

    def read_meta(self) -> dict[str, Any] | None:
        """The dataset's description, or None when ``location`` holds no blurscan dataset."""
        try:
            if self.is_local:
                data = json.loads((self.root / META_NAME).read_text(encoding="utf-8"))
            else:
                data = json.loads(self.fs.cat(self._join(META_NAME)).decode("utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and data.get("schema") in READABLE_DATASET_SCHEMAS else None

    def shards(self, sub: str) -> list[str]:
        """The shard file names of ``videos`` or ``frames`` (sorted; temporary files excluded)."""
        try:
            if self.is_local:
                names = os.listdir(self.root / sub)
            else:
                names = [p.rstrip("/").rsplit("/", 1)[-1] for p in self.fs.ls(self._join(sub), detail=False)]
        except (FileNotFoundError, NotADirectoryError):
            return []
        return sorted(n for n in names if n.startswith(SHARD_PREFIX) and n.endswith(SHARD_SUFFIX))

    def write(self, sub: str, name: str, table) -> None:
        """Write one shard whole: a temporary dot-file renamed locally, one object elsewhere."""
        import pyarrow.parquet as pq

        if self.is_local:
            with atomic_write(self.root / sub / name, "wb") as handle:
                pq.write_table(table, handle, compression="zstd")
            return
        target = self._join(sub, name)
        try:
            with self.fs.open(target, "wb") as handle:
                pq.write_table(table, handle, compression="zstd")
        except OSError as ex:
            raise OutputError(f"cannot write {self.fs.unstrip_protocol(target)}: {ex}; check the URL and the "
                              "credentials in the environment") from None

    def parquet(self, sub: str, name: str, use):
        """``use(pyarrow.parquet.ParquetFile)`` on a shard, opened once (its footer read once)."""
        import pyarrow.parquet as pq

        if self.is_local:
            return use(pq.ParquetFile(self.root / sub / name))
        with self.fs.open(self._join(sub, name), "rb") as handle:
            return use(pq.ParquetFile(handle))

    def read(self, sub: str, name: str, columns: list[str] | None = None):
        """A shard, or the ``columns`` of it that it has: a shard from an older blurscan lacks the newer ones."""
        return self.parquet(sub, name, lambda shard: _read(shard, columns))

    def schema(self, sub: str, name: str):
        return self.parquet(sub, name, lambda shard: shard.schema_arrow)

    def remove(self, sub: str, name: str) -> None:
        if self.is_local:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.root / sub / name)
        else:
            with contextlib.suppress(FileNotFoundError):
                self.fs.rm(self._join(sub, name))

    def clear(self) -> None:
        """Remove the shards of an earlier run (a fresh batch without ``--resume``)."""
        for sub in (VIDEOS_DIR, FRAMES_DIR):
            for name in self.shards(sub):
                self.remove(sub, name)

    def __str__(self) -> str:
        return self.location


def _read(shard, columns: list[str] | None):
    """The ``columns`` of an open shard that it has (all of them for None)."""
    return shard.read(columns=None if columns is None else [c for c in columns if c in shard.schema_arrow.names])


def _first_schema(names: Iterable[str]) -> bool:
    """Whether a shard's columns are the first dataset schema's (it has no ``verdict``)."""
    return "verdict" not in set(names)


def _rows(table) -> list[dict[str, Any]]:
    rows = table.to_pylist()
    return [upgrade_row(r) for r in rows] if _first_schema(table.column_names) else rows


def batch_shard_name(paths: Iterable[str]) -> str:
    """A shard name that is a function of the videos it holds: a retried batch replaces its own shard."""
    digest = hashlib.sha1()
    for path in paths:
        digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
    return f"{SHARD_PREFIX}{digest.hexdigest()[:20]}{SHARD_SUFFIX}"


def row_key(row: dict[str, Any]) -> str:
    """A dataset row's :func:`source_key` (rows of an older blurscan have only the path as listed)."""
    return row.get("source_key") or source_key(row["path"])


def write_shard(dataset: DatasetDir, name: str, rows: list[dict[str, Any]], frames: list[dict[str, Any]]) -> None:
    """The frames shard first, so a videos row never points to per-frame scores that are not there;
    when the videos shard cannot be written (a full disk), its frames shard is removed again, so
    no per-frame row is left without its video's row."""
    pa = require_pyarrow()
    if frames:
        dataset.write(FRAMES_DIR, name, _frames_table(frames))
    if rows:
        try:
            dataset.write(VIDEOS_DIR, name, pa.Table.from_pylist(rows, schema=video_schema()))
        except BaseException:
            if frames:
                with contextlib.suppress(Exception):
                    dataset.remove(FRAMES_DIR, name)
            raise


class ShardWriter:
    """Rows gathered in this process and written as a shard every ``rows`` rows or ``seconds`` seconds,
    so memory stays bounded and a kill loses at most one shard's worth (redone by ``--resume``)."""

    def __init__(self, sink: DatasetSink, dataset: DatasetDir, *, rows: int = SHARD_ROWS, seconds: float = SHARD_SECONDS):
        require_pyarrow()
        self.sink, self.dataset = sink, dataset
        self.max_rows, self.max_seconds = rows, seconds
        self._run = uuid.uuid4().hex[:10]
        self._count = 0
        self._rows: list[dict[str, Any]] = []
        self._frames: list[dict[str, Any]] = []
        self._since = time.monotonic()

    def add(self, path: str, outputs) -> dict[str, Any]:
        row, frames = self.sink.rows_of(path, outputs)
        self._rows.append(row)
        if frames is not None:
            self._frames.append(frames)
        if len(self._rows) >= self.max_rows or time.monotonic() - self._since >= self.max_seconds:
            self.flush()
        return row

    def flush(self) -> None:
        if self._rows:
            self._count += 1
            write_shard(self.dataset, f"{SHARD_PREFIX}{self._run}-{self._count:06d}{SHARD_SUFFIX}", self._rows, self._frames)
        self._rows, self._frames = [], []
        self._since = time.monotonic()


def iter_rows(dataset: DatasetDir, columns: list[str] | None = None) -> Iterator[dict[str, Any]]:
    """Every video row with today's columns, one shard in memory at a time (``columns``: those at least)."""
    for name in dataset.shards(VIDEOS_DIR):
        table = dataset.parquet(VIDEOS_DIR, name, lambda shard: _read(
            shard, None if columns is None or _first_schema(shard.schema_arrow.names) else columns))
        for row in _rows(table):
            yield row if columns is None else {c: row.get(c) for c in columns}


def prune_for_resume(dataset: DatasetDir, keep) -> set[str]:
    """Keep only the rows ``keep(row)`` accepts, one per video (:func:`row_key`), and return the keys kept.

    Rows of videos that will be scanned again (failed, other settings, a
    changed source) and second rows of one video are dropped, by rewriting
    their shards, so the finished dataset holds one row per video. A shard an
    older blurscan wrote is rewritten with today's columns (null where it had
    none), so every shard keeps one schema. A frames shard whose videos shard
    was never written (a batch stopped by a full disk) is removed.
    """
    kept: set[str] = set()
    columns = ["path", "status", "settings_id", "source_size", "source_mtime_ns", "source_key"]
    schema = video_schema()
    videos = set(dataset.shards(VIDEOS_DIR))
    for name in dataset.shards(FRAMES_DIR):
        if name not in videos:
            logger.info("%s/%s/%s has no videos shard; removed", dataset, FRAMES_DIR, name)
            dataset.remove(FRAMES_DIR, name)
    for name in sorted(videos):
        try:
            table, outdated = dataset.parquet(
                VIDEOS_DIR, name, lambda shard: (_read(shard, columns), not shard.schema_arrow.equals(schema)))
        except Exception as ex:  # noqa: BLE001 - a damaged shard is dropped and its videos redone
            logger.warning("%s/%s/%s unreadable (%s); its videos are scanned again", dataset, VIDEOS_DIR, name, ex)
            dataset.remove(VIDEOS_DIR, name)
            dataset.remove(FRAMES_DIR, name)
            continue
        mask = []
        for row in table.to_pylist():
            key = row_key(row)
            ok = key not in kept and keep(row)
            if ok:
                kept.add(key)
            mask.append(ok)
        if all(mask) and not outdated:
            continue
        if not any(mask):
            dataset.remove(VIDEOS_DIR, name)
            dataset.remove(FRAMES_DIR, name)
            continue
        pa = require_pyarrow()
        full = dataset.read(VIDEOS_DIR, name)
        rows = full.filter(pa.array(mask))
        dataset.write(VIDEOS_DIR, name, pa.Table.from_pylist(_rows(rows), schema=schema) if outdated else rows)
        if all(mask):
            continue
        if name in dataset.shards(FRAMES_DIR):
            paths = set(full.filter(pa.array(mask)).column("path").to_pylist())
            frames = dataset.read(FRAMES_DIR, name)
            dataset.write(FRAMES_DIR, name, frames.filter(pa.array([p in paths for p in frames.column("path").to_pylist()])))
    return kept


def listed_source(path: str) -> dict[str, int]:
    """The source identity a row records (resume compares it): the local file's, or a local tar shard's."""
    return {} if is_url(path) and not is_member(path) else source_identity(path)


class DatasetSink:
    """Where a batch's rows go, as plain data a Ray worker can be sent: the dataset's location,
    the settings' fingerprint, whether per-frame scores are kept, and the rows per driver shard."""

    def __init__(self, location: str | os.PathLike, settings_id: str, *, frame_scores: bool = False,
                 shard_rows: int = SHARD_ROWS, shard_seconds: float = SHARD_SECONDS):
        self.location = os.fspath(location)
        self.settings_id = settings_id
        self.frame_scores = frame_scores
        self.shard_rows, self.shard_seconds = shard_rows, shard_seconds

    def rows_of(self, path: str, outputs) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A video's row, and its per-frame row when they are kept."""
        row = video_row(outputs.result, self.settings_id, listed_source(path))
        row["path"] = path  # the path as listed, for people
        row["source_key"] = source_key(path)  # what resume compares
        frames = None
        if self.frame_scores and outputs.ok:
            frames = frames_row(outputs.result)
            frames["path"] = path
        return row, frames

    def writer(self) -> ShardWriter:
        """Rows written by this process, a shard every so many rows or seconds (the local engine)."""
        return ShardWriter(self, DatasetDir(self.location), rows=self.shard_rows, seconds=self.shard_seconds)

    def shard(self) -> BatchShard:
        """One batch's rows, written as one shard named after its videos (a Ray worker)."""
        return BatchShard(self, DatasetDir(self.location))


class BatchShard:
    def __init__(self, sink: DatasetSink, dataset: DatasetDir):
        self.sink, self.dataset = sink, dataset
        self.rows: list[dict[str, Any]] = []
        self.frames: list[dict[str, Any]] = []

    def add(self, path: str, outputs) -> dict[str, Any]:
        row, frames = self.sink.rows_of(path, outputs)
        self.rows.append(row)
        if frames is not None:
            self.frames.append(frames)
        return row

    def write_batch(self, paths: Iterable[str]) -> None:
        write_shard(self.dataset, batch_shard_name(paths), self.rows, self.frames)


def _same_source(row: dict[str, Any]) -> bool:
    if is_url(row["path"]) and not (is_member(row["path"]) and local_shard(row["path"])):
        return True
    now = source_identity(row_key(row))
    return bool(now) and now == {"size": row.get("source_size"), "mtime_ns": row.get("source_mtime_ns")}


def run_to_dataset(paths: Sequence[str], out: str, settings: dict[str, Any], executor: BatchExecutor, *,
                   resume: bool, frame_scores: bool, progress: BatchProgress | None, shard_rows: int | None = None,
                   lang: str = "en") -> dict[str, int]:
    """Scan ``paths`` into the dataset at ``out``; returns the counts (total, scanned, skipped, errors, blurry)."""
    require_pyarrow()  # before anything is scanned or written
    dataset = DatasetDir(out)
    lock = OutputLock(dataset.root) if dataset.is_local else contextlib.nullcontext()
    if dataset.is_local:
        make_output_dir(dataset.root)
    with lock:
        dataset.prepare()
        if dataset.is_local:
            for sub in (VIDEOS_DIR, FRAMES_DIR):
                remove_stale_temp_files(dataset.root / sub)
        fingerprint = settings_id(settings)
        dataset.write_meta(settings, lang)
        keys = [source_key(path) for path in paths]
        if resume:
            wanted = set(keys)
            kept = prune_for_resume(  # rows of videos this run does not list stay: several lists may share a dataset
                dataset, lambda row: row_key(row) not in wanted or (
                    row["status"] == "ok" and row["settings_id"] == fingerprint and _same_source(row))
            )
            del wanted
        else:
            dataset.clear()
            kept = set()
        jobs = [Job(path, "") for path, key in zip(paths, keys) if key not in kept]
        del keys
        skipped = len(paths) - len(jobs)
        if resume:
            logger.info("resuming: %d of %d videos already in %s", skipped, len(paths), out)
        if progress:
            progress.start(len(paths), skipped)
        sink = DatasetSink(out, fingerprint, frame_scores=frame_scores, **({"shard_rows": shard_rows} if shard_rows else {}))
        try:
            executor.run_to_dataset(jobs, sink, progress)
        finally:
            if progress:
                progress.finish()
        errors = blurry = rows = 0
        for row in iter_rows(dataset, ["status", "blur_detected"]):
            rows += 1
            errors += row["status"] == "error"
            blurry += bool(row["blur_detected"])
    return {"total": len(paths), "scanned": len(jobs), "skipped": skipped, "errors": errors, "blurry": blurry,
            "rows": rows}
