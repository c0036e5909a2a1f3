"""The files sink: each video's outputs beside the others (``<stem>.json`` ...), a journal, and the summaries.

Each finished video is written atomically and journalled at once, so an
interrupted batch resumes where it stopped; the summaries are written at the
end whatever happened, from the journal's rows.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from blurscan.batch.engines.base import BatchExecutor, BatchProgress, Job
from blurscan.batch.inputs import VideoRef, relative_name
from blurscan.batch.manifest import Manifest, summary_row
from blurscan.batch.summaries import reserved_stems, write_summaries
from blurscan.cut.batch import SplitOptions, split_result
from blurscan.errors import OutputError, as_blurscan_error, path_text
from blurscan.io.atomic import FATAL_ERRNOS, make_output_dir, remove_stale_temp_files
from blurscan.io.lock import OutputLock
from blurscan.io.names import stable_stems
from blurscan.report.outputs import JSON_SUFFIX, VideoOutputs, write_outputs
from blurscan.result.model import FailedResult, Video
from blurscan.source.remote import as_video_path
from blurscan.source.tar import is_member

logger = logging.getLogger("blurscan")


def output_stems(paths: Sequence[VideoRef], root: VideoRef) -> list[str]:
    """A file-system-safe output name per video: its path under ``root`` without the extension
    (a stable function of that path; see :mod:`blurscan.io.names`)."""
    keys = []
    for path in paths:
        rel = relative_name(path, root)
        keys.append((rel.with_suffix("").parts or ("video",), rel.as_posix()))
    return stable_stems(keys, reserved=reserved_stems())


def relative_path(path: Path | str, root: Path | str) -> str:
    """The video's path under the batch's root as people look for it (``sub/clip.mp4``); its name if outside.
    A tar member is its shard's path and its own (``shard-000/KEY.mp4``)."""
    if is_member(path):
        return path_text(relative_name(path, root).as_posix())
    path, root = Path(path), Path(root)
    try:
        rel = path.resolve().relative_to(root.resolve())
    except (ValueError, OSError, RuntimeError):
        rel = Path(path.name)
    return path_text(rel.as_posix())


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0


def run_to_files(paths: Sequence[VideoRef], root: VideoRef, out_dir: Path, settings: dict[str, Any],
                 executor: BatchExecutor, *, resume: bool, lang: str, split: SplitOptions | None,
                 progress: BatchProgress | None) -> tuple[list[dict[str, Any]], int, int]:
    """Scan ``paths`` into ``out_dir``; returns the rows, how many videos were scanned and how many skipped."""
    make_output_dir(out_dir)
    with OutputLock(out_dir):
        remove_stale_temp_files(out_dir)
        manifest = Manifest.open(out_dir, settings, resume)
        jobs = [Job(str(p), stem) for p, stem in zip(paths, output_stems(paths, root))]
        relative = {job.stem: relative_path(job.path, root) for job in jobs}
        todo = [job for job in jobs if not (resume and manifest.is_done(job.stem, job.path))]
        skipped = len(jobs) - len(todo)
        note = None
        if resume and (manifest.recovered or manifest.redo):  # what resume rebuilt, and what it could not
            note = manifest.resume_message(skipped, len(jobs))
            if not progress:
                logger.warning("%s", note)
        if progress:
            sizes = {path_text(job.path): _size(job.path) for job in jobs}
            done_paths = {path_text(job.path) for job in jobs} - {path_text(job.path) for job in todo}
            progress.start(len(jobs), skipped, sizes=sizes, skipped_bytes=sum(sizes[p] for p in done_paths), note=note)

        def on_done(job: Job, outputs: VideoOutputs) -> None:
            result_file = f"{job.stem}{JSON_SUFFIX}"
            try:
                write_outputs(out_dir, job.stem, outputs)
                row = summary_row(outputs.result, result_file, relative[job.stem])
                if split is not None and outputs.ok:
                    row["clips"] = _split(job, outputs.result, out_dir, split)
            except OutputError as ex:
                if ex.errno in FATAL_ERRNOS:
                    raise  # nothing more can be written: stop; --resume finishes the batch later
                failed = FailedResult(Video(path_text(job.path), path_text(as_video_path(job.path).name)), {}, str(ex),
                                      "OutputError")
                row = summary_row(failed, result_file, relative[job.stem])
            manifest.record(job.stem, job.path, row)
            if progress:
                progress.done(row)

        try:
            executor.run(todo, on_done, progress)
        finally:
            rows = [{**manifest.rows[job.stem], "relative_path": relative[job.stem]} for job in jobs if job.stem in manifest.rows]
            write_summaries(out_dir, rows, settings, lang)
            if progress:
                progress.finish()
    return rows, len(todo), skipped


def _split(job: Job, result, out_dir: Path, options: SplitOptions) -> int | None:
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
