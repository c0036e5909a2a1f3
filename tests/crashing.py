"""A worker initializer for the batch tests: the worker process dies on any video named *crash*."""

from __future__ import annotations

import os

import blurscan.batch.local as local


def install(settings) -> None:
    local._init_worker(settings, None, None, os.getppid())
    real_work = local._work

    def work(path, *args):
        if "crash" in os.path.basename(path):
            os._exit(3)  # like a segfault in a decoder: no exception, the process is gone
        return real_work(path, *args)

    local._work = work
