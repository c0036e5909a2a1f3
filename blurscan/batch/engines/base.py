"""The batch executor interface, and the per-video work every executor runs."""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from blurscan.errors import BlurscanError, as_blurscan_error
from blurscan.pipeline.stream import Progress
from blurscan.report.outputs import VideoOutputs, render_outputs
from blurscan.result.model import error_result
from blurscan.scanner import Scanner
from blurscan.settings import Settings
from blurscan.source.remote import as_video_path

logger = logging.getLogger("blurscan")


@dataclass(frozen=True)
class Job:
    """One video of a batch and the stem of its output files."""

    path: str
    stem: str


#: called with each finished job and its outputs, ready to write
OnDone = Callable[[Job, VideoOutputs], None]


class BatchProgress(Protocol):
    """What a batch reports as it goes (the CLI draws it). ``sizes`` are the videos' file sizes
    by path, which make a good ETA without opening any video in advance; ``note`` is what resuming
    found, said once by the display (a batch without one logs it as a warning)."""

    def start(self, total: int, skipped: int, sizes: dict[str, int] | None = None, skipped_bytes: int = 0,
              note: str | None = None) -> None: ...

    def video(self, name: str, path: str | None = None) -> Progress | None: ...

    def worker(self, worker: Any, name: str, done: int, total: int | None, path: str | None = None) -> None: ...

    def done(self, row: dict[str, Any]) -> None: ...

    def finish(self) -> None: ...


def scan_to_outputs(scanner: Scanner, path: str, *, plot: bool = False, thumbnails: bool = False,
                    progress: Progress | None = None) -> VideoOutputs:
    """Scan one video and render its output files; a failure becomes an error entry, never an exception."""
    try:
        return render_outputs(scanner.scan(path, progress, thumbnails=thumbnails), plot=plot)
    except Exception as ex:  # noqa: BLE001 - one bad video must not stop a batch
        if not isinstance(ex, BlurscanError):
            logger.debug("unexpected error scanning %s", path, exc_info=True)
        return render_outputs(error_result(path, as_blurscan_error(path, ex), scanner.describe()))


class RowSink(Protocol):
    """Where rows go when the executor writes a dataset (:class:`blurscan.batch.sinks.parquet.DatasetSink`)."""

    def writer(self) -> Any: ...

    def shard(self) -> Any: ...


class BatchExecutor(ABC):
    """Runs the per-video work for a list of jobs, on this machine or a cluster."""

    name: str
    #: whether local paths are made absolute before they reach the workers (their working folder differs)
    resolves_paths = False

    @classmethod
    def for_batch(cls, settings: Settings, batch) -> BatchExecutor:
        """The engine for a batch's settings (:class:`blurscan.batch.BatchSettings`)."""
        return cls(settings, batch.workers, plot=batch.plot, thumbnails=batch.thumbnails)

    @abstractmethod
    def run(self, jobs: Sequence[Job], on_done: OnDone, progress: BatchProgress | None) -> None:
        """Scan every job and call ``on_done`` once per job (in any order), in this process."""

    # -- optional hooks ---------------------------------------------------

    def run_to_dataset(self, jobs: Sequence[Job], sink: RowSink, progress: BatchProgress | None) -> None:
        """Scan every job into ``sink``'s Parquet dataset. By default this process writes the rows as
        they come, a shard every so many; a cluster executor lets its workers write instead."""
        writer = sink.writer()

        def on_done(job: Job, outputs: VideoOutputs) -> None:
            row = writer.add(job.path, outputs)
            if progress:
                progress.done(row)

        try:
            self.run(jobs, on_done, progress)
        finally:
            writer.flush()  # what is done stays done, even when the batch is interrupted


def crashed_entry(job: Job, settings: dict[str, Any], reason: str) -> VideoOutputs:
    error = BlurscanError(f"{job.path}: {reason}. The file is probably damaged: re-encode or re-download it.")
    return render_outputs(error_result(job.path, error, settings))


def job_name(job: Job) -> str:
    return as_video_path(job.path).name
