"""The Ray executor: the same per-video work on a Ray cluster.

With ``--output-format parquet`` the batch is a Ray Data pipeline: the list of
videos is a dataset, an actor pool of scanners (one GPU each for a GPU
scorer) scans it a batch of videos at a time, and each actor writes its
batch's rows as one Parquet shard straight to the output (a shared folder or
an object-storage URL). The driver sees three small fields per video for the
progress display and holds nothing. A shard is named after the videos it
holds, so a batch retried after its actor died replaces its own shard: no
video is lost or written twice.

Ray restarts a dead actor and retries its batch. A ledger of the videos in
flight counts how often a video was being scanned when its worker died; one
that killed its worker more than ``RETRIES`` times is recorded as failed by
the worker, not retried for ever.

With per-video JSON/CSV outputs the older path runs: actors scan and the
driver writes each video's files (small batches, outputs the driver can see).
Ray is an optional extra: ``pip install 'blurscan[ray]'``.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Sequence
from typing import Any

from blurscan.batch.engines import ENGINES
from blurscan.batch.engines.base import (
    BatchExecutor,
    BatchProgress,
    Job,
    OnDone,
    RowSink,
    crashed_entry,
    scan_to_outputs,
)
from blurscan.errors import BlurscanError, MissingDependencyError
from blurscan.scanner import Scanner
from blurscan.scorers import SCORERS
from blurscan.settings import Settings

logger = logging.getLogger("blurscan")

#: times a video is scanned again after its worker died on it
RETRIES = 2
#: videos per Ray Data batch, and so per Parquet shard the workers write
BATCH_VIDEOS = 64
#: seconds to wait for a cluster's address to answer
CONNECT_TIMEOUT_S = 3.0
#: the status a batch reports when the batch as a whole must stop
FATAL = "fatal"


class ClusterError(BlurscanError, ConnectionError):
    """The Ray cluster cannot be reached or cannot run the batch."""


def _worker_died(path: str, deaths: int, settings: dict[str, Any]):
    return crashed_entry(
        Job(path, ""), settings,
        f"the Ray worker scanning this video died {deaths} time(s) (killed, out of memory, or a crash in the decoder)",
    )


class _ScanActor:
    def __init__(self, settings: Settings):
        self.scanner = Scanner(settings)

    def scan(self, path: str, plot: bool, thumbnails: bool = False):
        return scan_to_outputs(self.scanner, path, plot=plot, thumbnails=thumbnails)


class _Attempts:
    """The ledger of worker deaths: a video started and never finished was being scanned when its worker died."""

    def __init__(self):
        self.started: dict[str, int] = {}

    def start(self, path: str) -> int:
        """Mark ``path`` started; returns how many times its worker died before."""
        deaths = self.started.get(path, 0)
        self.started[path] = deaths + 1
        return deaths

    def finish(self, path: str) -> None:
        self.started.pop(path, None)


class _ScanBatches:
    """The Ray Data callable: one scanner per actor; each batch of videos becomes one shard."""

    def __init__(self, settings: Settings, sink: RowSink, attempts, retries: int):
        self.sink, self.attempts, self.retries = sink, attempts, retries
        self.failure: str | None = None
        try:
            self.scanner = Scanner(settings)
        except Exception as ex:  # noqa: BLE001 - reported once by the driver, never blamed on videos
            self.failure = str(ex) if isinstance(ex, BlurscanError) else f"the scanner could not start ({type(ex).__name__}: {ex})"
        self.described = self.scanner.describe() if self.failure is None else {}

    def scan(self, path: str):
        return scan_to_outputs(self.scanner, path)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        try:
            return self._scan_batch([str(p) for p in batch["path"]])
        except BlurscanError as ex:  # the scanner cannot start, the output cannot be written: stop the batch
            # handed back as data: Ray drops an exception's cause on its way to the driver
            return {"status": np.array([FATAL]), "blur_detected": np.array([False]), "error": np.array([str(ex)])}

    def _scan_batch(self, paths: list[str]) -> dict[str, Any]:
        import numpy as np
        import ray

        if self.failure:
            raise BlurscanError(self.failure)
        shard = self.sink.shard()
        status, blurry, errors = [], [], []
        for path in paths:
            # awaited: a decoder that crashes at once must not outrun the mark (about 1 ms a video)
            deaths = ray.get(self.attempts.start.remote(path))
            if deaths > self.retries:
                outputs = _worker_died(path, deaths, self.described)
            else:
                outputs = self.scan(path)
            row = shard.add(path, outputs)
            self.attempts.finish.remote(path)  # not awaited: one actor's calls arrive in order
            status.append(row["status"])
            blurry.append(bool(row.get("blur_detected")))
            errors.append(row.get("error") or "")
        shard.write_batch(paths)
        return {"status": np.array(status), "blur_detected": np.array(blurry), "error": np.array(errors)}


def ray_log_level() -> int:
    """How much of Ray's own logging to let through: as much as blurscan's logger shows, less
    Ray's INFO chatter unless blurscan shows debug lines (``-v``); with ``-q`` only errors."""
    level = logging.getLogger("blurscan").getEffectiveLevel()
    return logging.INFO if level <= logging.DEBUG else max(level, logging.WARNING)


def quiet_ray_loggers() -> None:
    """Ray Data sets up its own loggers when imported: give them Ray's level too."""
    level = ray_log_level()
    for name in ("ray", "ray.data", "ray.train", "ray.tune"):
        logging.getLogger(name).setLevel(level)


def connect(address: str | None) -> bool:
    """Join the cluster at ``address`` (else ``RAY_ADDRESS``, else a local Ray); True if started here.

    An address that does not answer fails in seconds with one line, instead
    of Ray's long wait for a cluster that is not there.
    """
    try:
        import ray
    except ImportError:
        raise MissingDependencyError("--engine ray", "ray", "ray") from None
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address and address not in ("auto", "local"):
        host, _, port = address.removeprefix("ray://").rpartition(":")
        if not host or not port.isdigit():
            raise ClusterError(f"--ray-address {address!r}: expected host:port, ray://host:port or auto")
        try:
            socket.create_connection((host.strip("[]"), int(port)), timeout=CONNECT_TIMEOUT_S).close()
        except OSError as ex:
            raise ClusterError(
                f"cannot reach the Ray cluster at {address} ({ex.strerror or ex}); check --ray-address "
                "(or RAY_ADDRESS) and that the cluster is running"
            ) from None
    kwargs = {} if address else {"include_dashboard": False}
    try:
        ray.init(address=address, log_to_driver=False, logging_level=ray_log_level(), **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as ex:
        reason = str(ex).strip().splitlines()[0] if str(ex).strip() else type(ex).__name__
        raise ClusterError(f"cannot join the Ray cluster at {address or 'a new local Ray'} ({reason}); "
                           "check --ray-address (or RAY_ADDRESS)") from None
    return True


def actor_count(workers: int, uses_gpu: bool) -> int:
    """Actors that can all be scheduled now: ``workers`` at most, and no more than the free CPUs (GPUs)."""
    import ray

    resource = "GPU" if uses_gpu else "CPU"
    free = int(ray.available_resources().get(resource, 0))
    if int(ray.cluster_resources().get(resource, 0)) < 1:
        raise ClusterError(f"the Ray cluster has no {resource}; the scorer needs one {resource} per worker")
    count = max(1, min(workers, free))
    if count < workers:
        logger.warning("--workers %d lowered to %d: the Ray cluster has %d free %s(s) now", workers, count, free, resource)
    return count


@ENGINES.register
class RayExecutor(BatchExecutor):
    """``workers`` actors (capped at what the cluster can schedule), each holding one scanner.

    ``address`` is a Ray cluster address (``auto``, ``host:6379``, ``ray://host:10001``);
    by default the ``RAY_ADDRESS`` environment variable, else a local Ray.
    """

    name = "ray"
    description = "a Ray cluster: an actor pool of scanners; with Parquet output a Ray Data pipeline"
    resolves_paths = True

    @classmethod
    def for_batch(cls, settings: Settings, batch) -> RayExecutor:
        return cls(settings, batch.workers, plot=batch.plot, thumbnails=batch.thumbnails, address=batch.ray_address)
    #: the Ray Data callable that scans a batch of videos into a shard
    batch_class = _ScanBatches

    def __init__(self, settings: Settings, workers: int = 1, *, plot: bool = False, thumbnails: bool = False,
                 address: str | None = None, batch_videos: int = BATCH_VIDEOS, retries: int = RETRIES):
        self.settings = settings
        self.workers = workers
        self.plot = plot
        self.thumbnails = thumbnails
        self.address = address
        self.batch_videos = batch_videos
        self.retries = retries

    def _uses_gpu(self) -> bool:
        return SCORERS.get(self.settings.scorer).uses_gpu

    def run(self, jobs: Sequence[Job], on_done: OnDone, progress: BatchProgress | None) -> None:
        if not jobs:
            return
        started_here = connect(self.address)
        try:
            import ray

            gpus = 1 if self._uses_gpu() else 0
            actor_class = ray.remote(num_cpus=1, num_gpus=gpus)(_ScanActor)
            idle = [actor_class.remote(self.settings) for _ in range(min(actor_count(self.workers, gpus > 0), len(jobs)))]
            queue = list(reversed(jobs))
            deaths: dict[Job, int] = {}
            running = {}
            while queue or running:
                while queue and idle:
                    actor, job = idle.pop(), queue.pop()
                    running[actor.scan.remote(job.path, self.plot, self.thumbnails)] = (job, actor)
                ready, _ = ray.wait(list(running), num_returns=1)
                for ref in ready:
                    job, actor = running.pop(ref)
                    try:
                        rendered = ray.get(ref)
                    except ray.exceptions.RayActorError:
                        actor = actor_class.remote(self.settings)
                        deaths[job] = deaths.get(job, 0) + 1
                        if deaths[job] <= self.retries:
                            idle.append(actor)
                            queue.append(job)
                            continue
                        rendered = _worker_died(job.path, deaths.pop(job), self.settings.describe())
                    deaths.pop(job, None)
                    idle.append(actor)
                    on_done(job, rendered)
        finally:
            if started_here:
                import ray

                ray.shutdown()

    def run_to_dataset(self, jobs: Sequence[Job], sink: RowSink, progress: BatchProgress | None) -> None:
        if not jobs:
            return
        started_here = connect(self.address)
        try:
            self._pipeline(jobs, sink, progress)
        finally:
            if started_here:
                import ray

                ray.shutdown()

    def _pipeline(self, jobs: Sequence[Job], sink: RowSink, progress: BatchProgress | None) -> None:
        import pyarrow as pa
        import ray
        import ray.data

        quiet_ray_loggers()
        context = ray.data.DataContext.get_current()
        context.enable_progress_bars = False
        context.print_on_execution_start = False
        uses_gpu = self._uses_gpu()
        actors = actor_count(self.workers, uses_gpu)
        size = max(1, min(self.batch_videos, -(-len(jobs) // actors)))  # every actor gets work in a small batch
        paths = pa.array([job.path for job in jobs], pa.string())
        blocks = [pa.table({"path": paths.slice(i, size)}) for i in range(0, len(paths), size)]
        attempts = ray.remote(num_cpus=0)(_Attempts).remote()
        scanned = ray.data.from_arrow(blocks).map_batches(
            self.batch_class,
            fn_constructor_kwargs={"settings": self.settings, "sink": sink, "attempts": attempts, "retries": self.retries},
            batch_size=size,
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=actors),
            num_cpus=1,
            num_gpus=1 if uses_gpu else 0,
        )  # Ray Data restarts dead actors and retries their batches (max_restarts=-1, max_task_retries=-1)
        try:
            for batch in scanned.iter_batches(batch_size=None, batch_format="numpy"):
                for status, blurry, error in zip(batch["status"], batch["blur_detected"], batch["error"]):
                    if status == FATAL:
                        raise BlurscanError(str(error))
                    if progress:
                        progress.done({"status": str(status), "blur_detected": bool(blurry), "error": str(error)})
        finally:
            ray.kill(attempts)
