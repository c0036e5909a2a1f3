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

from blurscan.batch.executor import BatchExecutor, BatchProgress, Job
from blurscan.batch.lock import LOCK_NAME, OutputLock
from blurscan.batch.manifest import MANIFEST_NAME, Manifest
from blurscan.cut.batch import SplitOptions, split_result
from blurscan.errors import InputError, OutputError, UsageError, as_blurscan_error, path_text
from blurscan.report.atomic import FATAL_ERRNOS, make_output_dir, remove_stale_temp_files
from blurscan.report.files import JSON_SUFFIX, VIDEO_SUFFIXES, VideoOutputs, write_outputs
from blurscan.report.html import write_report_html
from blurscan.report.names import stable_stems
from blurscan.report.segments import write_segments_csv
from blurscan.report.summary import summary_row, write_combined_json, write_statistics, write_summary_csv
from blurscan.settings import Settings

logger = logging.getLogger("blurscan")

VIDEO_EXTENSIONS = frozenset(
    ".mp4 .m4v .mov .mkv .webm .avi .mpg .mpeg .ts .mts .m2ts .wmv .flv .3gp .ogv .y4m .mxf .gif".split()
)
SUMMARY_CSV = "summary.csv"
COMBINED_JSON = "results.json"
STATISTICS_MD = "statistics.md"
REPORT_HTML = "report.html"
SEGMENTS_CSV = "segments.csv"


def discover_videos(source: str | os.PathLike) -> tuple[list[Path], Path]:
    """The videos of a folder (recursively, by extension) or of a list file (one path per line;
    a path listed twice counts once).

    Returns the paths and the folder their output names are made relative to.
    """
    source = Path(source)
    if not source.exists():
        raise InputError(f"{source}: no such folder or list file. Check the path.")
    if source.is_dir():
        paths = sorted(
            p for p in source.rglob("*")
            # not only regular files: a broken link or a FIFO named like a video gets its error entry
            if p.suffix.lower() in VIDEO_EXTENSIONS and (p.is_symlink() or not p.is_dir())
            and not any(part.startswith(".") for part in p.relative_to(source).parts)
        )
        if not paths:
            raise InputError(
                f"{source}: no video files found (looked for {', '.join(sorted(VIDEO_EXTENSIONS))}). "
                "Point to a folder of videos or a text file listing them."
            )
        return paths, source
    try:
        text = source.read_text(encoding="utf-8")
    except (UnicodeDecodeError, OSError) as ex:
        raise InputError(
            f"{source}: not a folder or a readable text list of videos ({ex}). "
            "Use `blurscan detect` for a single video."
        ) from None
    paths, seen = [], set()
    for line in text.split("\n"):  # not splitlines(): U+2028, U+0085 ... may be part of a name
        line = line.strip("\r\t ")
        if line and not line.startswith("#"):
            path = Path(line).expanduser()
            path = path if path.is_absolute() else source.parent / path
            key = os.path.normpath(os.path.abspath(path))
            if key not in seen:  # a video listed twice is scanned once
                seen.add(key)
                paths.append(path)
    if not paths:
        raise InputError(f"{source}: the list names no videos (one path per line; '#' starts a comment).")
    return paths, source.parent


#: the batch's own files; no video's output may take one of their names
COMBINED_FILES = (SUMMARY_CSV, COMBINED_JSON, STATISTICS_MD, REPORT_HTML, SEGMENTS_CSV, MANIFEST_NAME, LOCK_NAME)


def reserved_stems() -> list[str]:
    """Stems whose per-video outputs would land on one of the batch's own files."""
    return [name[: -len(suffix)] for name in COMBINED_FILES for suffix in VIDEO_SUFFIXES if name.endswith(suffix)]


def output_stems(paths: Sequence[Path], root: Path) -> list[str]:
    """A file-system-safe output name per video: its path under ``root`` without the extension
    (a stable function of that path; see :mod:`blurscan.report.names`)."""

    def relative(path: Path) -> Path:
        try:
            return path.resolve().relative_to(root.resolve())
        except (ValueError, OSError, RuntimeError):
            return Path(path.name)

    keys = []
    for path in paths:
        rel = relative(path)
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
) -> BatchSummary:
    """Scan every video of ``source`` into ``out_dir``; see the module docstring."""
    from blurscan.batch.local import in_spawned_bootstrap

    if in_spawned_bootstrap():
        raise SystemExit(1)  # a worker importing an unguarded script: the parent reports it in one line
    settings = settings or Settings()
    if workers < 1:
        raise UsageError("--workers must be at least 1")
    paths, root = discover_videos(source)
    out_dir = Path(out_dir)
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"{out_dir}: exists and is not a folder; choose another output folder")
    make_output_dir(out_dir)
    journal_settings = settings.describe()
    journal_settings["scorer_options"].pop("device", None)
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

        executor = executor or make_executor(engine, settings, workers=workers, plot=plot, thumbnails=thumbnails,
                                             address=ray_address)
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
        from blurscan.batch.local import LocalExecutor

        return LocalExecutor(settings, workers, plot=plot, thumbnails=thumbnails,
                             devices=_worker_devices(settings, workers))
    if engine == "ray":
        from blurscan.batch.ray import RayExecutor

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
