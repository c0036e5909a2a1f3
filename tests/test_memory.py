"""Batching by memory: halve on out-of-memory, retry the same items, never lose or reorder one."""

from __future__ import annotations

import pytest

from blurscan.errors import OutOfMemoryError
from blurscan.pipeline.memory import BatchSizer, PeakRSS, rss_mb, run_batched


class FakeOOM(MemoryError):
    pass


def make_fn(limit, calls):
    def fn(chunk):
        calls.append(list(chunk))
        if len(chunk) > limit:
            raise FakeOOM(f"{len(chunk)} > {limit}")
        return [x * 10 for x in chunk]

    return fn


def test_out_of_memory_halves_and_retries_the_same_items():
    calls = []
    sizer = BatchSizer(16)
    out = run_batched(make_fn(5, calls), list(range(40)), sizer, lambda e: isinstance(e, FakeOOM))
    assert out == [x * 10 for x in range(40)]
    assert sizer.size == 4 and sizer.shrinks == 2
    done = [x for c in calls if len(c) <= 5 for x in c]
    assert done == list(range(40))  # each item processed exactly once, in order


def test_a_batch_of_one_that_does_not_fit_is_a_clear_error():
    with pytest.raises(OutOfMemoryError, match="batch of one"):
        run_batched(make_fn(0, []), [1, 2], BatchSizer(2), lambda e: isinstance(e, FakeOOM))


def test_other_errors_are_not_retried():
    def fn(chunk):
        raise ValueError("bug")

    with pytest.raises(ValueError):
        run_batched(fn, [1], BatchSizer(4), lambda e: isinstance(e, FakeOOM))


def test_size_grows_back_after_successes_but_not_past_the_failure():
    sizer = BatchSizer(8, grow_after=2)
    sizer.shrink(8)
    assert sizer.size == 4 and sizer.grow_after == 4
    for _ in range(4):
        sizer.success()
    assert sizer.size == 8
    for _ in range(20):
        sizer.success()
    assert sizer.size == 8


def test_wrong_result_count_is_caught():
    with pytest.raises(RuntimeError, match="returned"):
        run_batched(lambda chunk: chunk[:-1], [1, 2, 3], BatchSizer(3), lambda e: False)


def test_rss_readings():
    peak = PeakRSS()
    assert peak.sample() > 10 and peak.peak_mb >= rss_mb() * 0.5
