"""A batch whose results go to a Parquet dataset (``--output-format parquet``).

The dataset is the journal: resume keeps a video when the dataset holds an
``ok`` row for its path made with the same settings from an unchanged source
file, and drops every other row of the videos it scans again, so the
finished dataset has one row per video. Rows of videos the run does not list
are left alone, so several lists can fill one dataset. The driver never holds results: rows
are written in shards as they come (locally) or by the workers (Ray).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from blurscan.batch.engines.base import BatchExecutor, BatchProgress, Job
from blurscan.batch.manifest import settings_id
from blurscan.batch.sinks.parquet import (
    FRAMES_DIR,
    VIDEOS_DIR,
    DatasetDir,
    DatasetSink,
    iter_rows,
    prune_for_resume,
    require_pyarrow,
)
from blurscan.source.remote import is_url

logger = logging.getLogger("blurscan")


def _same_source(row: dict[str, Any]) -> bool:
    if is_url(row["path"]):
        return True
    from blurscan.batch.manifest import source_identity

    now = source_identity(row["path"])
    return bool(now) and now == {"size": row.get("source_size"), "mtime_ns": row.get("source_mtime_ns")}


def run_to_dataset(paths: Sequence[str], out: str, settings: dict[str, Any], executor: BatchExecutor, *,
                   resume: bool, frame_scores: bool, progress: BatchProgress | None,
                   shard_rows: int | None = None) -> dict[str, int]:
    """Scan ``paths`` into the dataset at ``out``; returns the counts (total, scanned, skipped, errors, blurry)."""
    from blurscan.io.lock import OutputLock
    from blurscan.io.atomic import remove_stale_temp_files

    require_pyarrow()  # before anything is scanned or written
    dataset = DatasetDir(out)
    lock = OutputLock(dataset.root) if dataset.is_local else contextlib.nullcontext()
    if dataset.is_local:
        from blurscan.io.atomic import make_output_dir

        make_output_dir(dataset.root)
    with lock:
        dataset.prepare()
        if dataset.is_local:
            for sub in (VIDEOS_DIR, FRAMES_DIR):
                remove_stale_temp_files(dataset.root / sub)
        fingerprint = settings_id(settings)
        dataset.write_meta(settings)
        if resume:
            wanted = set(paths)
            kept = prune_for_resume(  # rows of videos this run does not list stay: several lists may share a dataset
                dataset, lambda row: row["path"] not in wanted or (
                    row["status"] == "ok" and row["settings_id"] == fingerprint and _same_source(row))
            )
            del wanted
        else:
            dataset.clear()
            kept = set()
        jobs = [Job(path, "") for path in paths if path not in kept]
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
