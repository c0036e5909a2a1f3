"""Batch results as a Parquet dataset: one row per video, written in shards.

A million clips cannot each get a JSON and a CSV file. ``--output-format
parquet`` writes ``videos/part-*.parquet`` (one row per video: verdict,
counts, ratios, segments as a nested list with timecodes, timings, error)
and, with ``--frame-scores``, ``frames/part-*.parquet`` (the per-frame scores
and times as float32 lists). Every shard has the same schema, so pandas,
pyarrow, DuckDB and Ray Data read the folder directly. Names are kept as
data, never used as file names. A shard is written whole or not at all
(a temporary dot-file renamed locally; one object PUT in object storage), and
readers skip dot-files, so a kill never leaves half a shard to read.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import time
import uuid
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from blurscan.errors import MissingDependencyError, OutputError
from blurscan.report.shots import (
    count,
    event_segments,
    segment_kind,
    shot_list,
    soft_shots,
    video_effective_size,
)
from blurscan.source.remote import filesystem, is_url

logger = logging.getLogger("blurscan")

VIDEOS_DIR = "videos"
FRAMES_DIR = "frames"
#: the settings the dataset was made with (what ``blurscan report`` prints in the statistics)
META_NAME = "dataset.json"
DATASET_SCHEMA = "blurscan-dataset/1"
SHARD_PREFIX = "part-"
SHARD_SUFFIX = ".parquet"
#: rows a driver-written shard holds at most, and seconds it waits before writing what it has
SHARD_ROWS = 1000
SHARD_SECONDS = 30.0

#: result fields with a column of their own (``detector extra`` fields among them, null where absent)
_SCALARS = {
    "blur_detected": "bool", "blurry_throughout": "bool", "severity": "string", "confidence": "float64",
    "blur_ratio": "float64", "mss": "float64", "avg_quality": "float64", "quality_std": "float64",
    "max_quality_drop": "float64", "threshold": "float64", "camera_movement": "float64",
    "camera_movement_vmbench": "float64", "shots": "int64", "floor": "float64", "soft_shots": "int64",
    "soft_frames": "int64", "effective_scale": "float64", "effective_width": "int64", "effective_height": "int64",
}
_VIDEO_FIELDS = {
    "frames": "int64", "fps": "float64", "duration_s": "float64", "width": "int64", "height": "int64",
    "rotation": "int64", "codec": "string", "declared_frames": "int64", "corrupt_frames": "int64",
}
#: summary columns added after the first release, at the end of the row so older readers keep their columns
_SUMMARY_COUNTS = {"detail": "float64", "events": "int64"}
#: result fields held elsewhere in the row (or only in the frames dataset)
_HANDLED = {"schema", "video", "settings", "scores", "blur_frames", "segments", "recommendations", "timing",
            "memory", "warnings", "error", "error_type", *_SCALARS}


def require_pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet  # noqa: F401
    except ImportError:
        raise MissingDependencyError("--output-format parquet", "parquet", "pyarrow") from None
    return pyarrow


def video_schema():
    pa = require_pyarrow()
    segment = pa.struct([
        ("start_frame", pa.int64()), ("end_frame", pa.int64()), ("start_s", pa.float64()), ("end_s", pa.float64()),
        ("start_tc", pa.string()), ("end_tc", pa.string()), ("severity", pa.string()), ("min_score", pa.float64()),
        ("kind", pa.string()),
    ])
    fields = [("path", pa.string()), ("name", pa.string()), ("status", pa.string())]
    fields += [(k, pa.type_for_alias(v)) for k, v in _SCALARS.items()]
    fields += [("blur_frame_count", pa.int64()), ("segment_count", pa.int64()), ("segments", pa.list_(segment))]
    fields += [(k, pa.type_for_alias(v)) for k, v in _VIDEO_FIELDS.items()]
    fields += [
        ("seconds", pa.float64()), ("frames_per_s", pa.float64()), ("peak_rss_mb", pa.float64()),
        ("recommendations", pa.list_(pa.string())), ("warnings", pa.list_(pa.string())),
        ("extra", pa.string()), ("error", pa.string()), ("error_type", pa.string()),
        ("settings_id", pa.string()), ("source_size", pa.int64()), ("source_mtime_ns", pa.int64()),
    ]
    fields += [(k, pa.type_for_alias(v)) for k, v in _SUMMARY_COUNTS.items()]
    return pa.schema(fields)


def frames_schema():
    pa = require_pyarrow()
    return pa.schema([("path", pa.string()), ("times_s", pa.list_(pa.float32())), ("scores", pa.list_(pa.float32()))])


def timecode(seconds: float | None) -> str | None:
    """``HH:MM:SS.mmm``, what editors and players take."""
    if seconds is None:
        return None
    millis = int(round(max(0.0, float(seconds)) * 1000))
    hours, rest = divmod(millis, 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    return f"{hours:02d}:{minutes:02d}:{rest // 1000:02d}.{rest % 1000:03d}"


def video_row(result: dict[str, Any], settings_id: str, source: dict[str, int] | None = None) -> dict[str, Any]:
    """One video's row, from its result dict without scores (or its error entry)."""
    video = result.get("video") or {}
    row: dict[str, Any] = {"path": video.get("path"), "name": video.get("name"), "settings_id": settings_id,
                           "source_size": (source or {}).get("size"), "source_mtime_ns": (source or {}).get("mtime_ns")}
    if "error" in result:
        row.update(status="error", error=str(result["error"]), error_type=result.get("error_type"))
        return row
    row["status"] = "ok"
    for key in _SCALARS:
        row[key] = result.get(key)
    for key in _VIDEO_FIELDS:
        row[key] = video.get(key)
    shots = shot_list(result)
    if shots is not None:  # a result that lists its shots: the counts and sizes come from the list and the video
        soft = soft_shots(result)
        row.update(shots=len(shots), soft_shots=len(soft),
                   soft_frames=sum(count(s.get("frames")) or 0 for s in soft))
    width, height, detail = video_effective_size(result)
    # effective_scale was reserved for this before detail had its name: the same share, kept filled
    row.update(effective_width=width, effective_height=height, detail=detail, effective_scale=detail,
               events=len(event_segments(result)))
    if count(row["shots"]) is None:
        row["shots"] = None
    segments = result.get("segments") or []
    row["segments"] = [{**s, "start_tc": timecode(s.get("start_s")), "end_tc": timecode(s.get("end_s")),
                        "kind": segment_kind(s)} for s in segments]
    row["segment_count"] = len(segments)
    row["blur_frame_count"] = len(result.get("blur_frames") or [])
    timing, memory = result.get("timing") or {}, result.get("memory") or {}
    row.update(seconds=timing.get("seconds"), frames_per_s=timing.get("frames_per_s"),
               peak_rss_mb=memory.get("peak_rss_mb"))
    row["recommendations"] = list(result.get("recommendations") or [])
    row["warnings"] = list(result.get("warnings") or [])
    extra = {k: v for k, v in result.items() if k not in _HANDLED}
    row["extra"] = json.dumps(extra, ensure_ascii=False, allow_nan=False, default=str) if extra else None
    return row


def frames_row(result) -> dict[str, Any]:
    """A scanned video's per-frame times and scores (a :class:`~blurscan.result.VideoResult`)."""
    import numpy as np

    return {"path": result.video.get("path"), "times_s": np.asarray(result.times_s, dtype=np.float32),
            "scores": np.asarray(result.scores, dtype=np.float32)}


def _frames_table(rows: list[dict[str, Any]]):
    pa = require_pyarrow()
    import numpy as np

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
                from blurscan.io.atomic import make_output_dir

                make_output_dir(self.root / sub)
            else:
                with contextlib.suppress(FileExistsError):
                    self.fs.makedirs(self._join(sub), exist_ok=True)

    def write_meta(self, settings: dict[str, Any]) -> None:
        text = json.dumps({"schema": DATASET_SCHEMA, "settings": settings}, indent=1) + "\n"
        if self.is_local:
            from blurscan.io.atomic import atomic_write

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
        return data if isinstance(data, dict) and data.get("schema") == DATASET_SCHEMA else None

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
            from blurscan.io.atomic import atomic_write

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


def batch_shard_name(paths: Iterable[str]) -> str:
    """A shard name that is a function of the videos it holds: a retried batch replaces its own shard."""
    digest = hashlib.sha1()
    for path in paths:
        digest.update(path.encode("utf-8", "surrogateescape") + b"\0")
    return f"{SHARD_PREFIX}{digest.hexdigest()[:20]}{SHARD_SUFFIX}"


def write_shard(dataset: DatasetDir, name: str, rows: list[dict[str, Any]], frames: list[dict[str, Any]]) -> None:
    """The frames shard first, so a videos row never points to per-frame scores that are not there."""
    pa = require_pyarrow()
    if frames:
        dataset.write(FRAMES_DIR, name, _frames_table(frames))
    if rows:
        dataset.write(VIDEOS_DIR, name, pa.Table.from_pylist(rows, schema=video_schema()))


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
    """Every video row, one shard in memory at a time."""
    for name in dataset.shards(VIDEOS_DIR):
        yield from dataset.read(VIDEOS_DIR, name, columns).to_pylist()


def prune_for_resume(dataset: DatasetDir, keep) -> set[str]:
    """Keep only the rows ``keep(row)`` accepts, one per path, and return the paths kept.

    Rows of videos that will be scanned again (failed, other settings, a
    changed source) and second rows of one path are dropped, by rewriting
    their shards, so the finished dataset holds one row per video. A shard an
    older blurscan wrote is rewritten with today's columns (null where it had
    none), so every shard keeps one schema.
    """
    kept: set[str] = set()
    columns = ["path", "status", "settings_id", "source_size", "source_mtime_ns"]
    schema = video_schema()
    for name in dataset.shards(VIDEOS_DIR):
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
            ok = row["path"] not in kept and keep(row)
            if ok:
                kept.add(row["path"])
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
        dataset.write(VIDEOS_DIR, name, pa.Table.from_pylist(rows.to_pylist(), schema=schema) if outdated else rows)
        if all(mask):
            continue
        if name in dataset.shards(FRAMES_DIR):
            paths = set(full.filter(pa.array(mask)).column("path").to_pylist())
            frames = dataset.read(FRAMES_DIR, name)
            dataset.write(FRAMES_DIR, name, frames.filter(pa.array([p in paths for p in frames.column("path").to_pylist()])))
    return kept


def _source_identity(path: str) -> dict[str, int]:
    if is_url(path):
        return {}
    from blurscan.batch.manifest import source_identity

    return source_identity(path)


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
        row = video_row(outputs.summary_data(), self.settings_id, _source_identity(path))
        row["path"] = path  # the path as listed: what resume compares
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
