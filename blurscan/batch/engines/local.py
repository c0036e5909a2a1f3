"""The local executor: videos in this process, or in parallel worker processes.

Worker processes never outlive the batch: they are killed when the batch is
interrupted or fails, and on Linux the kernel kills them if the parent dies
(even by SIGKILL), so no worker keeps decoding, or holding a GPU model, for
nobody. Workers ignore Ctrl-C; the parent decides what an interrupt stops.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import replace

from blurscan.batch.engines import ENGINES
from blurscan.batch.engines.base import (
    BatchExecutor,
    BatchProgress,
    Job,
    OnDone,
    crashed_entry,
    job_name,
    scan_to_outputs,
)
from blurscan.errors import BlurscanError, path_text
from blurscan.io.escape import TerminalSafeFormatter
from blurscan.scanner import Scanner
from blurscan.scorers import SCORERS
from blurscan.settings import Settings

logger = logging.getLogger("blurscan")

_worker_scanner: Scanner | None = None
#: where a worker posts the progress of its video, for the parent's display (None: nobody watches)
_progress_queue = None
#: seconds between a worker's progress messages
PROGRESS_EVERY_S = 0.5
#: why this worker has no scanner (e.g. the model is missing), as (message, exit code)
_worker_failure: tuple[str, int] | None = None

#: prctl(2) option that has the kernel signal a process when its parent dies
_PR_SET_PDEATHSIG = 1


def available_cpus() -> int:
    """CPUs this process may run on: its affinity mask, and a container's CPU quota where one is set."""
    try:
        cpus = len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        cpus = os.cpu_count() or 1
    with contextlib.suppress(OSError, ValueError):
        with open("/sys/fs/cgroup/cpu.max", encoding="ascii") as handle:
            quota, period = handle.read().split()[:2]
        if quota != "max":
            cpus = min(cpus, max(1, int(int(quota) // int(period))))
    return max(1, cpus)


def usable_workers(workers: int) -> int:
    """``workers``, lowered to the CPUs available: more processes than CPUs only add memory and switching."""
    cpus = available_cpus()
    if workers > cpus:
        logger.warning("--workers %d lowered to %d: this machine has %d CPU(s) available", workers, cpus, cpus)
        return cpus
    return workers


def _die_with_parent(parent_pid: int) -> None:
    """Make this worker end when the batch's process ends, however it ends."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent_pid:  # the parent died before the line above took effect
        os._exit(1)

    def watch() -> None:  # elsewhere (and as a second guard): poll for the parent
        while os.getppid() == parent_pid:
            time.sleep(1.0)
        os._exit(1)

    threading.Thread(target=watch, name="blurscan-parent-watch", daemon=True).start()


def _log_setup() -> tuple[int, bool]:
    """The parent's blurscan log level, and whether its messages are shown (a CLI installed a handler)."""
    logger = logging.getLogger("blurscan")
    return logger.getEffectiveLevel(), bool(logger.handlers)


def _init_worker(settings: Settings, devices: list[str] | None, counter, parent_pid: int,
                 log_setup: tuple[int, bool] = (logging.WARNING, False), progress_queue=None) -> None:
    global _worker_scanner, _worker_failure, _progress_queue
    _progress_queue = progress_queue
    _die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    level, shown = log_setup
    logger = logging.getLogger("blurscan")
    logger.setLevel(level)
    if shown:  # as the parent shows them: one line each, names escaped for the terminal
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(TerminalSafeFormatter("%(message)s"))
        logger.addHandler(handler)
        logger.propagate = False
    if devices:
        with counter.get_lock():
            slot = counter.value
            counter.value += 1
        options = {**settings.scorer_options, "device": devices[slot % len(devices)]}
        settings = replace(settings, scorer_options=options)
    try:
        _worker_scanner = Scanner(settings)
    except Exception as ex:  # noqa: BLE001 - reported by the start-up check, in the parent
        if isinstance(ex, BlurscanError):
            _worker_failure = (str(ex), ex.exit_code)
        else:
            _worker_failure = (f"the scanner could not start in a worker process ({type(ex).__name__}: {ex})", 1)


class _PostedProgress:
    """A worker's progress on one video, posted to the parent a few times a second."""

    def __init__(self, queue, path: str):
        self.queue, self.path = queue, path
        self.name, self.total, self._last, self.done = "", None, 0.0, 0

    def _post(self, done: int) -> None:
        with contextlib.suppress(Exception):  # progress is never worth a video
            self.queue.put_nowait((os.getpid(), self.name, done, self.total, self.path))

    def start(self, name: str, total: int | None) -> None:
        self.name, self.total = name, total
        self._post(0)

    def update(self, done: int, status) -> None:
        self.done = done
        now = time.monotonic()
        if now - self._last >= PROGRESS_EVERY_S:
            self._last = now
            self._post(done)

    def finish(self) -> None:
        self._post(self.done)  # the last count, not the one of a few tenths of a second before


def _work(path: str, plot: bool, thumbnails: bool = False):
    if _worker_scanner is None:
        raise BlurscanError(_worker_failure[0] if _worker_failure else "the worker has no scanner")
    progress = _PostedProgress(_progress_queue, path_text(path)) if _progress_queue is not None else None
    return scan_to_outputs(_worker_scanner, path, plot=plot, thumbnails=thumbnails, progress=progress)


def _ping() -> tuple[str, int] | None:
    return _worker_failure


def in_spawned_bootstrap() -> bool:
    """Whether this process is a spawned worker still importing its parent's main script.

    A script that starts a batch with workers at its top level (no
    ``if __name__ == "__main__":``) runs again in every worker; it must not
    start a batch there.
    """
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


UNGUARDED_MAIN = (
    "the worker processes could not start. A script that calls run_batch(..., workers=N) with N > 1 must call it "
    "under `if __name__ == \"__main__\":`, because each worker imports the script again; or use workers=1"
)


@ENGINES.register
class LocalExecutor(BatchExecutor):
    """``workers=1`` scans in this process (with a per-video progress bar); more use spawned processes,
    each holding its own scanner (``devices`` gives each worker its device, e.g. one GPU each)."""

    name = "local"
    description = "this machine: videos in parallel worker processes (one GPU each for GPU scorers)"

    @classmethod
    def for_batch(cls, settings: Settings, batch) -> LocalExecutor:
        """At most as many workers as CPUs, and one GPU each for a GPU scorer on ``device=auto``."""
        workers = usable_workers(batch.workers)
        return cls(settings, workers, plot=batch.plot, thumbnails=batch.thumbnails,
                   devices=_worker_devices(settings, workers))

    def __init__(self, settings: Settings, workers: int = 1, *, plot: bool = False, thumbnails: bool = False,
                 devices: list[str] | None = None, scanner: Scanner | None = None):
        self.settings = settings
        self.workers = workers
        self.plot = plot
        self.thumbnails = thumbnails
        self.devices = devices
        self._scanner = scanner
        #: the display the workers' progress is relayed to, and the queue it comes through
        self._progress: BatchProgress | None = None
        self._queue = None

    def run(self, jobs: Sequence[Job], on_done: OnDone, progress: BatchProgress | None) -> None:
        if self.workers <= 1:
            self._run_here(jobs, on_done, progress)
        elif jobs:
            self._progress = progress
            self._run_pool(list(jobs), on_done)

    def _run_here(self, jobs, on_done, progress) -> None:
        scanner = self._scanner or Scanner(self.settings)
        try:
            for job in jobs:
                bar = progress.video(job_name(job), path_text(job.path)) if progress else None
                on_done(job, scan_to_outputs(scanner, job.path, plot=self.plot, thumbnails=self.thumbnails, progress=bar))
        finally:
            if self._scanner is None:
                scanner.close()

    def _pool(self, workers: int) -> ProcessPoolExecutor:
        context = multiprocessing.get_context("spawn")
        counter = context.Value("i", 0)
        self._queue = context.Queue() if self._progress is not None else None
        if self._queue is not None:
            self._queue.cancel_join_thread()  # a killed batch must not wait on it
        return ProcessPoolExecutor(
            max_workers=workers, mp_context=context, initializer=_init_worker,
            initargs=(self.settings, self.devices, counter, os.getpid(), _log_setup(), self._queue),
        )

    def _relay_progress(self) -> None:
        """Hand the workers' progress messages to the display."""
        queue, progress = self._queue, self._progress
        if queue is None or progress is None:
            return
        while True:
            try:
                pid, name, done, total, path = queue.get_nowait()
            except Exception:  # noqa: BLE001 - empty, or closed under a dying worker
                return
            progress.worker(pid, name, done, total, path)

    def _run_pool(self, jobs: list[Job], on_done: OnDone) -> None:
        pending = list(reversed(jobs))
        suspects: list[Job] = []
        first = True
        while pending:
            with _owned(self._pool(min(self.workers, len(pending)))) as pool:
                if first:
                    _check_workers_start(pool)
                    first = False
                running: dict[Future, Job] = {}
                try:
                    while pending or running:
                        while pending and len(running) < 2 * self.workers:
                            future = pool.submit(_work, pending[-1].path, self.plot, self.thumbnails)
                            running[future] = pending.pop()
                        finished, _ = wait(running, timeout=0.25, return_when=FIRST_COMPLETED)
                        self._relay_progress()
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
        with _owned(self._pool(1)) as pool:
            try:
                return pool.submit(_work, job.path, self.plot, self.thumbnails).result()
            except BrokenProcessPool:
                return crashed_entry(job, self.settings.describe(), "the worker process crashed while decoding this video")


def _check_workers_start(pool: ProcessPoolExecutor) -> None:
    """Fail with one clear line when workers cannot even start (never blame the videos for it)."""
    try:
        failure = pool.submit(_ping).result()
    except BrokenProcessPool:
        raise BlurscanError(UNGUARDED_MAIN) from None
    if failure:
        error = BlurscanError(failure[0])
        error.exit_code = failure[1]
        raise error


@contextlib.contextmanager
def _owned(pool: ProcessPoolExecutor):
    """A pool whose workers are killed, not waited for, when the batch stops early."""
    try:
        yield pool
    except BaseException:
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            with contextlib.suppress(Exception):
                process.kill()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)


def _worker_devices(settings: Settings, workers: int) -> list[str] | None:
    """One GPU per worker when a GPU scorer runs several local workers on ``device=auto``."""
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
