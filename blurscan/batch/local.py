"""The local executor: videos in this process, or in parallel worker processes."""

from __future__ import annotations

import multiprocessing
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from blurscan.batch.executor import BatchExecutor, BatchProgress, Job, OnDone, crashed_entry, job_name, scan_to_outputs
from blurscan.engine import Scanner
from blurscan.settings import Settings

_worker_scanner: Scanner | None = None


def _init_worker(settings: Settings, devices: list[str] | None, counter) -> None:
    global _worker_scanner
    if devices:
        with counter.get_lock():
            slot = counter.value
            counter.value += 1
        options = {**settings.scorer_options, "device": devices[slot % len(devices)]}
        settings = replace(settings, scorer_options=options)
    _worker_scanner = Scanner(settings)


def _work(path: str, plot: bool):
    assert _worker_scanner is not None
    return scan_to_outputs(_worker_scanner, path, plot=plot)


class LocalExecutor(BatchExecutor):
    """``workers=1`` scans in this process (with a per-video progress bar); more use spawned processes,
    each holding its own scanner (``devices`` gives each worker its device, e.g. one GPU each)."""

    name = "local"

    def __init__(self, settings: Settings, workers: int = 1, *, plot: bool = False, devices: list[str] | None = None,
                 scanner: Scanner | None = None):
        self.settings = settings
        self.workers = workers
        self.plot = plot
        self.devices = devices
        self._scanner = scanner

    def run(self, jobs: Sequence[Job], on_done: OnDone, progress: BatchProgress | None) -> None:
        if self.workers <= 1:
            self._run_here(jobs, on_done, progress)
        else:
            self._run_pool(list(jobs), on_done)

    def _run_here(self, jobs, on_done, progress) -> None:
        scanner = self._scanner or Scanner(self.settings)
        try:
            for job in jobs:
                bar = progress.video(job_name(job)) if progress else None
                on_done(job, scan_to_outputs(scanner, job.path, plot=self.plot, progress=bar))
        finally:
            if self._scanner is None:
                scanner.close()

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        counter = context.Value("i", 0)
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker,
            initargs=(self.settings, self.devices, counter),
        )

    def _run_pool(self, jobs: list[Job], on_done: OnDone) -> None:
        pending = list(reversed(jobs))
        suspects: list[Job] = []
        while pending:
            with self._pool(self.workers) as pool:
                running: dict[Future, Job] = {}
                try:
                    while pending or running:
                        while pending and len(running) < 2 * self.workers:
                            future = pool.submit(_work, pending[-1].path, self.plot)
                            running[future] = pending.pop()
                        finished, _ = wait(running, return_when=FIRST_COMPLETED)
                        for future in finished:
                            outputs = future.result()
                            on_done(running.pop(future), outputs)
                except BrokenProcessPool:
                    # A worker died (e.g. a decoder crash): retry each unfinished job alone.
                    suspects.extend(running.values())
                    running.clear()
            for job in suspects:
                on_done(job, self._isolated(job))
            suspects.clear()

    def _isolated(self, job: Job):
        with self._pool(1) as pool:
            try:
                return pool.submit(_work, job.path, self.plot).result()
            except BrokenProcessPool:
                return crashed_entry(job, self.settings.describe(), "the worker process crashed while decoding this video")
