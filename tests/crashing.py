"""Workers for the batch tests that die on any video named *crash* (a local process, a Ray actor)."""

from __future__ import annotations

import os

import blurscan.batch.engines.local as local
from blurscan.batch.engines.ray import RayExecutor, _ScanBatches


def install(settings) -> None:
    local._init_worker(settings, None, None, os.getppid())
    real_work = local._work

    def work(path, *args):
        if "crash" in os.path.basename(path):
            os._exit(3)  # like a segfault in a decoder: no exception, the process is gone
        return real_work(path, *args)

    local._work = work


def _crash_on(path: str) -> None:
    if "crash" in os.path.basename(path):
        os._exit(3)


class CrashingScanBatches(_ScanBatches):
    def scan(self, path):
        _crash_on(path)
        return super().scan(path)


class CrashingRayExecutor(RayExecutor):
    batch_class = CrashingScanBatches
