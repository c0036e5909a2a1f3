"""Engines that run a batch's per-video work: this machine (``local``: processes) or a Ray cluster (``ray``).

An engine is a :class:`~blurscan.batch.engines.base.BatchExecutor` registered by name; a
third-party engine registers through the ``blurscan.engines`` entry-point group and is built
with the scan's settings and the batch's (``engine(settings, batch)``).
"""

from __future__ import annotations

from blurscan.batch.engines.base import BatchExecutor
from blurscan.registry import Registry

ENGINES: Registry[BatchExecutor] = Registry("engine", "blurscan.engines")

from blurscan.batch.engines import local, ray  # noqa: E402,F401  (built-ins register on import)

__all__ = ["ENGINES", "BatchExecutor"]
