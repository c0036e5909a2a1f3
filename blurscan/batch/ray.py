"""The Ray executor: the same per-video work on a Ray cluster, one video per task.

Each actor holds one scanner (for a GPU scorer, one model on one GPU) and
scans the videos it is handed, one at a time; the driver writes every output,
so only the input videos must be readable from the nodes. An actor that dies
on a video (e.g. a decoder crash) gets that video an error entry and is
replaced. Ray is an optional extra: ``pip install 'blurscan[ray]'``.
"""

from __future__ import annotations

from collections.abc import Sequence

from blurscan.batch.executor import BatchExecutor, BatchProgress, Job, OnDone, crashed_entry, scan_to_outputs
from blurscan.errors import MissingDependencyError
from blurscan.settings import Settings


class _ScanActor:
    def __init__(self, settings: Settings):
        from blurscan.engine import Scanner

        self.scanner = Scanner(settings)

    def scan(self, path: str, plot: bool, thumbnails: bool = False):
        return scan_to_outputs(self.scanner, path, plot=plot, thumbnails=thumbnails)


class RayExecutor(BatchExecutor):
    """``workers`` actors, each holding one scanner (and one GPU for a GPU scorer).

    ``address`` is a Ray cluster address (``auto``, ``ray://host:10001``); by
    default the ``RAY_ADDRESS`` environment variable, else a local Ray.
    """

    name = "ray"

    def __init__(self, settings: Settings, workers: int = 1, *, plot: bool = False, thumbnails: bool = False,
                 address: str | None = None):
        self.settings = settings
        self.workers = workers
        self.plot = plot
        self.thumbnails = thumbnails
        self.address = address

    def run(self, jobs: Sequence[Job], on_done: OnDone, progress: BatchProgress | None) -> None:
        try:
            import ray
        except ImportError:
            raise MissingDependencyError("--engine ray", "ray", "ray") from None
        from blurscan.scorers import SCORERS

        if not jobs:
            return
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(address=self.address, log_to_driver=False, include_dashboard=False)
        try:
            gpus = 1 if SCORERS.get(self.settings.scorer).uses_gpu else 0
            actor_class = ray.remote(num_cpus=1, num_gpus=gpus)(_ScanActor)
            idle = [actor_class.remote(self.settings) for _ in range(max(1, min(self.workers, len(jobs))))]
            queue = list(reversed(jobs))
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
                        rendered = crashed_entry(job, self.settings.describe(), "the Ray worker died on this video")
                        actor = actor_class.remote(self.settings)
                    idle.append(actor)
                    on_done(job, rendered)
        finally:
            if started_here:
                ray.shutdown()
