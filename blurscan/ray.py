"""The Ray Data stage for users' own pipelines: ``dataset.map_batches(BlurScan, ...)``.

A curation pipeline already holds its clips as a Ray Data dataset of paths;
``blurscan batch`` would write them all to disk to be joined back. ``BlurScan``
is a callable class instead: Ray makes one per actor (so one scanner, its
model loaded once, per actor) and calls it with each batch, which comes back
with the columns of a ``blurscan batch --output-format parquet`` row added
(:func:`blurscan.report.parquet.video_schema`; the batch's own columns kept).
A video that cannot be scanned gets ``status = "error"`` and its one-line
``error`` rather than failing the pipeline, unless ``raise_errors``. Nothing
here imports Ray: the class is plain Python that Ray runs.

Example::

    import ray
    from blurscan.ray import BlurScan

    scanned = ray.data.read_parquet("s3://bucket/clips.parquet").map_batches(
        BlurScan, fn_constructor_kwargs={"scorer": "sharpness"},
        concurrency=8, num_cpus=1, batch_size=16)        # a GPU scorer: num_gpus=1 (one GPU per actor)
    scanned.filter(lambda row: row["status"] == "ok" and not row["blur_detected"]).write_parquet("s3://bucket/sharp/")
"""

from __future__ import annotations

import logging
from typing import Any

from blurscan.batch.manifest import settings_id, source_key
from blurscan.batch.sinks.parquet import listed_source
from blurscan.errors import UsageError, as_blurscan_error, path_text
from blurscan.report.parquet import require_pyarrow, video_row, video_schema
from blurscan.result.model import error_result
from blurscan.scanner import Scanner
from blurscan.settings import Settings

logger = logging.getLogger("blurscan")


class BlurScan:
    """Scan each batch's videos and add their result columns; for ``Dataset.map_batches``.

    Args:
        scorer: the scorer's name (``sharpness``, ``qalign`` or an installed one).
        detector: the detector's name (None: the default).
        options: any other :class:`~blurscan.settings.Settings` field (``window_size``,
            ``scorer_options``, ``detector_options``, ``lang`` ...), or a whole ``Settings``.
        path_column: the column that holds each video's path or URL (a tar member as ``tar://KEY::SHARD``).
        raise_errors: raise a video's error instead of giving it an error row.

    Batches may be dicts of NumPy arrays (Ray's default format), pandas DataFrames or pyarrow
    Tables; each comes back in its own format. A result column replaces an input column of the
    same name (the path column is kept as given).
    """

    def __init__(self, scorer: str | None = None, detector: str | None = None,
                 options: dict[str, Any] | Settings | None = None, *, path_column: str = "path",
                 raise_errors: bool = False):
        if isinstance(options, Settings):
            settings = options
            if scorer is not None or detector is not None:
                raise UsageError("give the scorer and the detector either by name or inside Settings, not both")
        else:
            fields = dict(options or {})
            for name, value in (("scorer", scorer), ("detector", detector)):
                if value is not None:
                    fields[name] = value
            try:
                settings = Settings(**fields)
            except TypeError as ex:
                raise UsageError(f"BlurScan options: {ex}") from None
        self.settings = settings
        self.path_column = path_column
        self.raise_errors = raise_errors
        self.scanner = Scanner(settings)
        described = settings.describe()
        described["scorer_options"].pop("device", None)  # as a batch records it: one id on CPUs and GPUs
        self.settings_id = settings_id(described)
        self._warned: set[str] = set()

    def rows(self, paths) -> list[dict[str, Any]]:
        """One Parquet row per path (an error row for a video that fails, unless ``raise_errors``)."""
        rows = []
        for path in paths:
            text = path if isinstance(path, str) else None
            try:
                if not text:
                    raise UsageError(f"no video path in the {self.path_column!r} column (found {path!r})")
                result = self.scanner.scan(text)
            except Exception as ex:  # noqa: BLE001 - one bad video must not stop the pipeline
                if self.raise_errors:
                    raise
                result = error_result(path_text(path), as_blurscan_error(path, ex), self.scanner.describe())
            row = video_row(result, self.settings_id, listed_source(text) if text else None)
            row["source_key"] = source_key(text) if text else None  # as a batch's rows: what resume compares
            rows.append(row)
        return rows

    def __call__(self, batch):
        pa = require_pyarrow()
        kind = _kind(batch)
        if self.path_column not in _columns(batch, kind):
            raise UsageError(f"the batch has no {self.path_column!r} column (it has {sorted(_columns(batch, kind))}); "
                             "give BlurScan(path_column=...)")
        paths = [p if isinstance(p, str) else (None if p is None else str(p)) for p in _column(batch, kind, self.path_column)]
        results = pa.Table.from_pylist(self.rows(paths), schema=video_schema())
        added = [name for name in results.column_names if name != self.path_column]
        replaced = sorted(set(added) & set(_columns(batch, kind)) - self._warned)
        if replaced:
            logger.warning("BlurScan: input column(s) %s replaced by blurscan's result columns", ", ".join(replaced))
            self._warned.update(replaced)
        if kind == "arrow":
            table = batch.drop_columns([n for n in added if n in batch.column_names])
            for name in added:
                table = table.append_column(results.schema.field(name), results.column(name))
            return table
        if kind == "pandas":
            out = batch.drop(columns=[n for n in added if n in batch.columns])
            frame = results.select(added).to_pandas()
            frame.index = out.index
            return out.join(frame)
        out = {name: values for name, values in batch.items() if name not in added}
        out.update({name: _numpy_column(results.column(name)) for name in added})
        return out

    def __repr__(self) -> str:
        return f"BlurScan(scorer={self.scanner.scorer.name!r}, detector={self.scanner.detector.name!r})"


def _numpy_column(column):
    """A result column as NumPy: plain numbers as they are; lists, text and columns with nulls as objects
    (Python lists, ``None`` kept), which Ray turns back into the same Arrow types (NumPy's own
    conversion would make an int column with a null a float one, and pickle a batch of empty lists)."""
    import numpy as np
    import pyarrow as pa

    kind = column.type
    if column.null_count == 0 and (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)):
        return column.to_numpy()
    values = np.empty(len(column), dtype=object)
    for i, value in enumerate(column.to_pylist()):
        values[i] = value
    return values


def _kind(batch) -> str:
    if isinstance(batch, dict):
        return "numpy"
    module = type(batch).__module__.split(".", 1)[0]
    if module == "pyarrow":
        return "arrow"
    if module == "pandas":
        return "pandas"
    raise UsageError(f"BlurScan takes a dict of arrays, a pandas DataFrame or a pyarrow Table, not {type(batch).__name__}")


def _columns(batch, kind: str) -> list[str]:
    if kind == "arrow":
        return list(batch.column_names)
    return [str(c) for c in (batch.columns if kind == "pandas" else batch)]


def _column(batch, kind: str, name: str) -> list:
    if kind == "arrow":
        return batch.column(name).to_pylist()
    return list(batch[name].tolist() if hasattr(batch[name], "tolist") else batch[name])


__all__ = ["BlurScan"]
