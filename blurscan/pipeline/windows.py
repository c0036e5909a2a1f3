"""Windows stage: centred sliding windows over a stream, held in a ring buffer.

The window of frame ``t`` holds frames ``t - left .. t + right`` with
``left = (W - 1) // 2`` and ``right = W - 1 - left``. Near the edges, indices
outside the video are replaced by the nearest frame (frame 0 is padded as
``[0, 0, 1]`` and the last as ``[n-2, n-1, n-1]`` for ``W = 3``). Windows share
item objects; the buffer never holds more than ``W`` items.

``compat="vmbench"`` reproduces VMBench's loader on purpose, including its
edge quirks: every window before ``left`` is the first frame repeated, and
windows at the end are padded *off-centre* by repeating their first frame
(``[n-2, n-2, n-1]`` for the last frame when ``W = 3``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T")

COMPAT_MODES = (None, "vmbench")


class Window(NamedTuple):
    """The window centred on frame ``index``: ``items[k]`` is frame ``indices[k]``."""

    index: int
    indices: tuple[int, ...]
    items: tuple[Any, ...]


def window_indices(t: int, n: int | None, size: int, compat: str | None = None) -> tuple[int, ...]:
    """Frame indices of the window centred on ``t``.

    ``n`` is the number of frames, or ``None`` while the end of the stream is
    not known yet (the window must then lie before the end).
    """
    left = (size - 1) // 2
    right = size - 1 - left
    last = (n - 1) if n is not None else t + right
    if compat == "vmbench":
        if t < left:
            return (0,) * size
        start, stop = max(0, t - left), min(last + 1, t + right + 1)
        indices = list(range(start, stop))
        while len(indices) < size:
            if start == 0:
                indices.append(indices[-1])
            else:
                indices.insert(0, indices[0])
        return tuple(indices)
    return tuple(min(max(i, 0), last) for i in range(t - left, t + right + 1))


def sliding_windows(items: Iterable[T], size: int = 3, compat: str | None = None) -> Iterator[Window]:
    """Yield one :class:`Window` per item, in order, holding at most ``size`` items."""
    if size < 1:
        raise ValueError("window size must be at least 1")
    if compat not in COMPAT_MODES:
        raise ValueError(f"compat must be one of {COMPAT_MODES}")
    left = (size - 1) // 2
    right = size - 1 - left
    ring: deque[tuple[int, T]] = deque(maxlen=size)
    next_window = 0

    def emit(t: int, n: int | None) -> Window:
        first = ring[0][0]
        indices = window_indices(t, n, size, compat)
        return Window(t, indices, tuple(ring[i - first][1] for i in indices))

    count = 0
    for item in items:
        ring.append((count, item))
        count += 1
        # the window of t is complete once frame t + right has arrived
        while next_window + right < count:
            yield emit(next_window, None)
            next_window += 1
    while next_window < count:
        yield emit(next_window, count)
        next_window += 1
