"""Memory: host RSS readings and the adaptive batch size.

Peak memory depends on the batch size and the frame size, never on the video
length; this module picks the batch size and shrinks it when a batch does not
fit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

import psutil

from blurscan.errors import OutOfMemoryError

logger = logging.getLogger("blurscan")

_PROCESS = psutil.Process()


def rss_mb() -> float:
    """Resident memory of this process in MiB."""
    return _PROCESS.memory_info().rss / 2**20


class PeakRSS:
    """Largest RSS seen by :meth:`sample` since creation."""

    def __init__(self):
        self.peak_mb = rss_mb()

    def sample(self) -> float:
        now = rss_mb()
        self.peak_mb = max(self.peak_mb, now)
        return now


class BatchSizer:
    """The current batch size: halved on out-of-memory, grown back after a run of successes.

    It never grows past the size that last failed, and each failure doubles
    the number of successes needed before it tries to grow again.
    """

    def __init__(self, initial: int, grow_after: int = 16):
        if initial < 1:
            raise ValueError("batch size must be at least 1")
        self.size = initial
        self.maximum = initial
        self.grow_after = grow_after
        self.shrinks = 0
        self._successes = 0

    def shrink(self, failed: int) -> None:
        self.maximum = max(1, failed)
        self.size = max(1, failed // 2)
        self.shrinks += 1
        self.grow_after *= 2
        self._successes = 0
        logger.info("batch of %d did not fit in memory; retrying with %d", failed, self.size)

    def success(self) -> None:
        self._successes += 1
        if self.size < self.maximum and self._successes >= self.grow_after:
            self.size = min(self.maximum, self.size * 2)
            self._successes = 0


def run_batched(
    fn: Callable[[Sequence[Any]], Sequence[Any]],
    items: Sequence[Any],
    sizer: BatchSizer,
    is_out_of_memory: Callable[[BaseException], bool],
    on_out_of_memory: Callable[[], None] | None = None,
) -> list[Any]:
    """Apply ``fn`` to consecutive slices of ``items``; one result per item, in order.

    On out-of-memory the same slice is retried at half the size, so no item is
    lost, reordered or processed twice.
    """
    results: list[Any] = []
    start = 0
    while start < len(items):
        chunk = items[start : start + sizer.size]
        try:
            out = fn(chunk)
        except Exception as ex:
            if not is_out_of_memory(ex):
                raise
            if on_out_of_memory is not None:
                on_out_of_memory()
            if len(chunk) == 1:
                raise OutOfMemoryError(
                    "a batch of one does not fit in memory. Free memory on the device, "
                    "use a smaller --window-size, or run on a larger device."
                ) from ex
            sizer.shrink(len(chunk))
            continue
        if len(out) != len(chunk):
            raise RuntimeError(f"{fn!r} returned {len(out)} results for {len(chunk)} items")
        results.extend(out)
        start += len(chunk)
        sizer.success()
    return results
