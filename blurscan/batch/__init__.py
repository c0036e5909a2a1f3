"""Batch runner: every video of a folder or list, results per video plus summaries.

A bad video gets an error entry and the rest finish. Each finished video is
written atomically and journalled at once, so an interrupted batch resumes
where it stopped (``resume=True``).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blurscan.batch.engines.base import BatchExecutor, BatchProgress, Job
from blurscan.batch.inputs import VIDEO_EXTENSIONS, VideoRef, discover_videos, relative_name
from blurscan.io.lock import LOCK_NAME, OutputLock
from blurscan.batch.manifest import MANIFEST_NAME, Manifest
from blurscan.cut.batch import SplitOptions, split_result
from blurscan.errors import OutputError, UsageError, as_blurscan_error, path_text
from blurscan.io.atomic import FATAL_ERRNOS, make_output_dir, remove_stale_temp_files
from blurscan.report.files import JSON_SUFFIX, VIDEO_SUFFIXES, VideoOutputs, write_outputs
from blurscan.report.html import write_report_html
from blurscan.io.names import stable_stems
from blurscan.report.segments import write_segments_csv
from blurscan.report.summary import summary_row, write_combined_json, write_statistics, write_summary_csv
from blurscan.settings import Settings
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


def output_stems(paths: Sequence[VideoRef], root: VideoRef) -> list[str]:
    """A file-system-safe output name per video: its path under ``root`` without the extension
    (a stable function of that path; see :mod:`blurscan.io.names`)."""
    keys = []
    for path in paths:
        rel = relative_name(path, root)
        keys.append((rel.with_suffix("").parts or ("video",), rel.as_posix()))
    return stable_stems(keys, reserved=reserved_stems())


def relative_path(path: Path, root: Path) -> str:
    """The video's path under the batch's root as people look for it (``sub/clip.mp4``); its name if outside."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        rel = Path(path.name)
    return path_text(rel.as_posix())


@dataclass
class BatchSummary:
    out_dir: Path
    total: int
    scanned: int
    skipped: int
    errors: int
    blurry: int
    rows: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return self.errors == 0


OUTPUT_FORMATS = ("json", "parquet")


def run_batch(
    source: str | os.PathLike,
    out_dir: str | os.PathLike,
    settings: Settings | None = None,
    *,
    workers: int = 1,
    resume: bool = False,
    engine: str = "local",
    plot: bool = False,
    thumbnails: bool = True,
    split: SplitOptions | None = None,
    progress: BatchProgress | None = None,
    executor: BatchExecutor | None = None,
    ray_address: str | None = None,
    output_format: str = "json",
    frame_scores: bool = False,
    shard_rows: int | None = None,
) -> BatchSummary:
    """Scan every video of ``source`` into ``out_dir``; see the module docstring.

    ``output_format="parquet"`` writes a Parquet dataset instead of files per
    video (``out_dir`` may then be an object-storage URL); see
    :mod:`blurscan.batch.dataset_run`.
    """
    from blurscan.batch.engines.local import in_spawned_bootstrap

    if in_spawned_bootstrap():
        raise SystemExit(1)  # a worker importing an unguarded script: the parent reports it in one line
    settings = settings or Settings()
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    if output_format not in OUTPUT_FORMATS:
        raise UsageError(f"unknown output format {output_format!r}; choose one of {', '.join(OUTPUT_FORMATS)}")
    if is_url(os.fspath(out_dir)) and output_format != "parquet":
        raise UsageError(f"{out_dir}: an object-storage output needs --output-format parquet")
    paths, root = discover_videos(source)
    executor = executor or make_executor(engine, settings, workers=workers, plot=plot, thumbnails=thumbnails,
                                         address=ray_address)
    if executor.resolves_paths:  # the workers run elsewhere: a relative path means nothing there
        paths = [p if isinstance(p, str) and is_url(p) else Path(os.path.abspath(p)) for p in paths]
        root = root if isinstance(root, str) else Path(os.path.abspath(root))
    journal_settings = settings.describe()
    journal_settings["scorer_options"].pop("device", None)
    if output_format == "parquet":
        from blurscan.batch.dataset_run import run_to_dataset

        if plot:
            logger.warning("--plot is ignored with --output-format parquet (no files per video)")
        out = os.fspath(out_dir) if is_url(os.fspath(out_dir)) else os.path.abspath(out_dir)  # workers write there too
        counts = run_to_dataset([str(p) for p in paths], out, journal_settings, executor,
                                resume=resume, frame_scores=frame_scores, progress=progress, shard_rows=shard_rows)
        return BatchSummary(out_dir=out_dir if is_url(os.fspath(out_dir)) else Path(out_dir), total=counts["total"],
                            scanned=counts["scanned"], skipped=counts["skipped"], errors=counts["errors"],
                            blurry=counts["blurry"], rows=[])
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder; choose another output folder")
    make_output_dir(out_dir)
    with OutputLock(out_dir):
        remove_stale_temp_files(out_dir)
        manifest = Manifest.open(out_dir, journal_settings, resume)
        jobs = [Job(str(p), stem) for p, stem in zip(paths, output_stems(paths, root))]
        relative = {job.stem: relative_path(Path(job.path), root) for job in jobs}
        todo = [job for job in jobs if not (resume and manifest.is_done(job.stem, job.path))]
        skipped = len(jobs) - len(todo)
        if resume and (manifest.recovered or manifest.redo):  # what resume rebuilt, and what it could not
            logger.warning("%s", manifest.resume_message(skipped, len(jobs)))
        if progress:
            sizes = {path_text(job.path): _size(job.path) for job in jobs}
            done_paths = {path_text(job.path) for job in jobs} - {path_text(job.path) for job in todo}
            progress.start(len(jobs), skipped, sizes=sizes, skipped_bytes=sum(sizes[p] for p in done_paths))

        def on_done(job: Job, outputs: VideoOutputs) -> None:
            result_file = f"{job.stem}{JSON_SUFFIX}"
            try:
                write_outputs(out_dir, job.stem, outputs)
                row = summary_row(outputs.summary_data(), result_file, relative[job.stem])
                if split is not None and outputs.ok:
                    row["clips"] = _split(job, outputs.summary_data(), out_dir, split)
            except OutputError as ex:
                if ex.errno in FATAL_ERRNOS:
                    raise  # nothing more can be written: stop; --resume finishes the batch later
                entry = {"video": {"path": path_text(job.path), "name": path_text(Path(job.path).name)}, "error": str(ex)}
                row = summary_row(entry, result_file, relative[job.stem])
            manifest.record(job.stem, job.path, row)
            if progress:
                progress.done(row)

        try:
            executor.run(todo, on_done, progress)
        finally:
            rows = [{**manifest.rows[job.stem], "relative_path": relative[job.stem]} for job in jobs if job.stem in manifest.rows]
            _write_summaries(out_dir, rows, journal_settings, settings.lang)
            if progress:
                progress.finish()
    return BatchSummary(
        out_dir=out_dir,
        total=len(jobs),
        scanned=len(todo),
        skipped=skipped,
        errors=sum(r.get("status") == "error" for r in rows),
        blurry=sum(bool(r.get("blur_detected")) for r in rows),
        rows=rows,
    )


def _split(job: Job, result: dict[str, Any], out_dir: Path, options: SplitOptions) -> int | None:
    """``--split``: the video's sharp stretches as clips; a failure is a warning, never the video's error."""
    try:
        return split_result(job.path, result, out_dir, job.stem, options)
    except OutputError as ex:
        if ex.errno in FATAL_ERRNOS:
            raise
        logger.warning("%s: not cut: %s", path_text(job.path), ex)
    except Exception as ex:  # noqa: BLE001 - the findings are written; the clips are an extra
        logger.warning("%s: not cut: %s", path_text(job.path), as_blurscan_error(job.path, ex))
    return None


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def _write_summaries(out_dir: Path, rows: list[dict[str, Any]], settings: dict[str, Any], lang: str = "en") -> None:
    """The batch-wide files; when one cannot be written (disk full ...) the others are still tried.

    ``blurscan report`` calls this too, so a rebuilt folder gets exactly the files a batch writes.
    """
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


ENGINES = ("local", "ray")


def make_executor(engine: str, settings: Settings, *, workers: int = 1, plot: bool = False, thumbnails: bool = False,
                  address: str | None = None) -> BatchExecutor:
    if engine == "local":
        from blurscan.batch.engines.local import LocalExecutor, usable_workers

        workers = usable_workers(workers)
        return LocalExecutor(settings, workers, plot=plot, thumbnails=thumbnails,
                             devices=_worker_devices(settings, workers))
    if engine == "ray":
        from blurscan.batch.engines.ray import RayExecutor

        return RayExecutor(settings, workers, plot=plot, thumbnails=thumbnails, address=address)
    raise UsageError(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def _worker_devices(settings: Settings, workers: int) -> list[str] | None:
    """One GPU per worker when a GPU scorer runs several local workers on ``device=auto``."""
    from blurscan.scorers import SCORERS

    if workers <= 1 or settings.scorer_options.get("device", "auto") != "auto" or not SCORERS.get(settings.scorer).uses_gpu:
        return None
    try:
        import torch
    except ImportError:
        return None
    count = torch.cuda.device_count()
    if count == 0:
        return None
    if workers > count:
        logger.warning("%d workers share %d GPU(s): each worker holds its own copy of the model", workers, count)
    return [f"cuda:{i}" for i in range(count)]


__all__ = ["BatchSummary", "VIDEO_EXTENSIONS", "discover_videos", "output_stems", "run_batch"]
