"""Windows: centred, padded with the nearest frame, never more than W items held."""

from __future__ import annotations

import pytest

from blurscan.pipeline.windows import sliding_windows, window_indices


def indices(n, size, compat=None):
    return [w.indices for w in sliding_windows(range(n), size, compat)]


def test_centred_windows_pad_edges_with_the_nearest_frame():
    assert indices(5, 3) == [(0, 0, 1), (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 4, 4)]
    assert indices(4, 5) == [(0, 0, 0, 1, 2), (0, 0, 1, 2, 3), (0, 1, 2, 3, 3), (1, 2, 3, 3, 3)]


@pytest.mark.parametrize("n", [0, 1, 2])
def test_fewer_frames_than_the_window(n):
    got = indices(n, 3)
    assert len(got) == n
    assert all(i < n for w in got for i in w)
    if n == 1:
        assert got == [(0, 0, 0)]


def test_even_window_sizes_reach_ahead_like_vmbench():
    assert indices(3, 2) == [(0, 1), (1, 2), (2, 2)]
    assert indices(3, 1) == [(0,), (1,), (2,)]


def test_vmbench_compat_reproduces_its_loader_on_purpose():
    # first window is frame 0 repeated; the last is padded off-centre
    assert indices(5, 3, "vmbench") == [(0, 0, 0), (0, 1, 2), (1, 2, 3), (2, 3, 4), (3, 3, 4)]
    assert indices(2, 3, "vmbench") == [(0, 0, 0), (0, 1, 1)]


def test_streamed_windows_match_the_finite_formula():
    for n in range(1, 12):
        for size in range(1, 8):
            for compat in (None, "vmbench"):
                assert indices(n, size, compat) == [window_indices(t, n, size, compat) for t in range(n)]


def test_windows_share_items_and_hold_at_most_w_of_them():
    live = []

    class Item:
        def __init__(self, i):
            self.i = i

    def items():
        for i in range(50):
            item = Item(i)
            live.append(item)
            yield item

    seen_max_span = 0
    for window in sliding_windows(items(), 5):
        assert [it.i for it in window.items] == list(window.indices)
        # items are the very objects produced, not copies
        assert all(it is live[it.i] for it in window.items)
        # the newest item pulled is at most `right` frames ahead of the window's centre
        seen_max_span = max(seen_max_span, len(live) - 1 - window.index)
    assert seen_max_span == 2


def test_bad_sizes():
    with pytest.raises(ValueError):
        list(sliding_windows(range(3), 0))
    with pytest.raises(ValueError):
        list(sliding_windows(range(3), 3, "other"))
