"""Batch runner: every video of a folder, list or bucket, results per video plus summaries.

Inputs (:mod:`~blurscan.batch.inputs`) go to an engine (``local`` or ``ray``,
:mod:`~blurscan.batch.engines`) and its results to a sink (files per video
with a journal, or a Parquet dataset, :mod:`~blurscan.batch.sinks`); the
summaries are written by one module whatever the format
(:mod:`~blurscan.batch.summaries`). A bad video gets an error entry and the
rest finish; an interrupted batch resumes where it stopped (``resume=True``).
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from blurscan.batch.engines import ENGINES
from blurscan.batch.engines.base import BatchExecutor, BatchProgress, Job, job_name, scan_to_outputs
from blurscan.batch.engines.local import in_spawned_bootstrap
from blurscan.batch.inputs import VIDEO_EXTENSIONS, discover_videos
from blurscan.batch.sinks.files import output_stems, run_to_files
from blurscan.batch.sinks.parquet import run_to_dataset
from blurscan.cut.batch import SplitOptions
from blurscan.errors import UsageError, path_text
from blurscan.settings import Settings
from blurscan.source.remote import is_url

logger = logging.getLogger("blurscan")

OUTPUT_FORMATS = ("json", "parquet")


@dataclass(frozen=True)
class BatchSettings:
    """How a batch runs, beside how each video is scanned (:class:`~blurscan.settings.Settings`)."""

    #: videos scanned in parallel: processes locally, actors on Ray (one GPU each for GPU scorers)
    workers: int = 1
    #: skip the videos an earlier, interrupted run with the same settings finished
    resume: bool = False
    #: ``local`` or ``ray`` (or an installed engine)
    engine: str = "local"
    #: the Ray cluster (default ``RAY_ADDRESS``, else a local Ray)
    ray_address: str | None = None
    #: ``json`` (files per video and summaries) or ``parquet`` (a sharded dataset)
    output_format: str = "json"
    #: with ``parquet``: the per-frame scores too (``frames/``)
    frame_scores: bool = False
    #: a PNG plot per video (``json`` only)
    plot: bool = False
    #: small JPEGs of each segment's worst frame and of a sharp frame of its shot
    thumbnails: bool = True
    #: cut each video's blurry segments out beside its results (``json`` only)
    split: SplitOptions | None = None
    #: with ``parquet``: rows per shard the driver writes (default 1,000)
    shard_rows: int | None = None

    def __post_init__(self):
        if isinstance(self.workers, bool) or not isinstance(self.workers, int) or self.workers < 1:
            raise UsageError("--workers must be at least 1")
        if self.output_format not in OUTPUT_FORMATS:
            raise UsageError(f"unknown output format {self.output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
        ENGINES.get(self.engine)


@dataclass
class BatchSummary:
    out_dir: Path | str
    total: int
    scanned: int
    skipped: int
    errors: int
    blurry: int
    rows: list[dict[str, Any]]
    #: subfolders of the source that could not be read (skipped with a warning): (folder, reason)
    unreadable_folders: list[tuple[str, str]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors == 0


def make_executor(settings: Settings, batch: BatchSettings) -> BatchExecutor:
    """The engine ``batch.engine`` names, built for these settings."""
    return ENGINES.get(batch.engine).for_batch(settings, batch)


def run_batch(source: str | os.PathLike, out_dir: str | os.PathLike, settings: Settings | None = None,
              batch: BatchSettings | None = None, *, progress: BatchProgress | None = None,
              executor: BatchExecutor | None = None, **options: Any) -> BatchSummary:
    """Scan every video of ``source`` into ``out_dir``; see the module docstring.

    ``batch`` says how the batch runs; its fields may be given as keyword
    ``options`` instead (``run_batch("videos/", "out/", workers=2, resume=True)``).
    With ``output_format="parquet"`` ``out_dir`` may be an object-storage URL.
    """
    if in_spawned_bootstrap():
        raise SystemExit(1)  # a worker importing an unguarded script: the parent reports it in one line
    if batch is not None and options:
        raise UsageError("give the batch's settings either as batch=BatchSettings(...) or as keywords, not both")
    known = {f.name for f in fields(BatchSettings)}
    unknown = sorted(set(options) - known)
    if unknown:
        raise UsageError(f"run_batch() has no option {unknown[0]!r}; its options are those of BatchSettings: "
                         f"{', '.join(sorted(known))}")
    settings = settings or Settings()
    batch = batch or BatchSettings(**options)
    location = os.fspath(out_dir)
    if is_url(location) and batch.output_format != "parquet":
        raise UsageError(f"{out_dir}: an object-storage output needs --output-format parquet")
    unreadable: list[tuple[str, str]] = []
    # never an input from inside the output folder: a rerun would scan (and cut) its own clips
    paths, root = discover_videos(source, exclude=None if is_url(location) else location, unreadable=unreadable)
    for folder, reason in unreadable:
        logger.warning("%s: folder skipped, it cannot be read (%s)", path_text(folder), reason)
    executor = executor or make_executor(settings, batch)
    if executor.resolves_paths:  # the workers run elsewhere: a relative path means nothing there
        paths = [p if isinstance(p, str) and is_url(p) else Path(os.path.abspath(p)) for p in paths]
        root = root if isinstance(root, str) else Path(os.path.abspath(root))
    journal_settings = settings.describe()
    journal_settings["scorer_options"].pop("device", None)
    if batch.output_format == "parquet":
        if batch.plot:
            logger.warning("--plot is ignored with --output-format parquet (no files per video)")
        out = location if is_url(location) else os.path.abspath(location)  # workers write there too
        counts = run_to_dataset([str(p) for p in paths], out, journal_settings, executor, resume=batch.resume,
                                frame_scores=batch.frame_scores, progress=progress, shard_rows=batch.shard_rows,
                                lang=settings.lang)
        return BatchSummary(out_dir=out_dir if is_url(location) else Path(out_dir), total=counts["total"],
                            scanned=counts["scanned"], skipped=counts["skipped"], errors=counts["errors"],
                            blurry=counts["blurry"], rows=[], unreadable_folders=unreadable)
    out_path = Path(out_dir)
    if out_path.exists() and not out_path.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder; choose another output folder")
    rows, scanned, skipped = run_to_files(paths, root, out_path, journal_settings, executor, resume=batch.resume,
                                          lang=settings.lang, split=batch.split, progress=progress)
    return BatchSummary(out_dir=out_path, total=scanned + skipped, scanned=scanned, skipped=skipped,
                        errors=sum(r.get("status") == "error" for r in rows),
                        blurry=sum(bool(r.get("blur_detected")) for r in rows), rows=rows,
                        unreadable_folders=unreadable)


__all__ = ["BatchExecutor", "BatchSettings", "BatchSummary", "Job", "VIDEO_EXTENSIONS", "discover_videos", "job_name",
           "output_stems", "run_batch", "scan_to_outputs"]
