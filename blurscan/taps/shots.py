"""Shot cuts, found from the motion tracker's ``scene_change`` signal.

A cut changes even 16-pixel-wide thumbnails a lot from one frame to the next;
blur, camera shake and most camera motion do not. A frame starts a new shot
when its thumbnail change is large in itself and many times the change around
it (so a fast pan, which changes every thumbnail a little, is not a cut).
"""

from __future__ import annotations

import numpy as np

#: thumbnail change (0 to 1) a cut must reach
MIN_CUT_CHANGE = 0.1
#: ... and how many times the median change of the frames around it
CUT_CONTRAST = 6.0
#: frames on each side that make up "around it"
CUT_NEIGHBOURS = 8


def shot_starts(scene_change: np.ndarray | None, frames: int) -> np.ndarray:
    """Indices of the first frame of every shot (always starting with 0)."""
    if scene_change is None or len(scene_change) != frames:
        return np.zeros(1, dtype=np.int64)
    change = np.asarray(scene_change, dtype=np.float64)
    starts = [0]
    for t in np.flatnonzero(change > MIN_CUT_CHANGE):
        if t == 0:
            continue
        around = np.concatenate([change[max(1, t - CUT_NEIGHBOURS) : t], change[t + 1 : t + 1 + CUT_NEIGHBOURS]])
        if change[t] > CUT_CONTRAST * (float(np.median(around)) if len(around) else 0.0):
            starts.append(int(t))
    return np.asarray(starts, dtype=np.int64)


def shot_ranges(scene_change: np.ndarray | None, frames: int) -> list[tuple[int, int]]:
    """Half-open ``(start, stop)`` frame ranges of the shots."""
    starts = shot_starts(scene_change, frames)
    stops = np.append(starts[1:], frames)
    return [(int(a), int(b)) for a, b in zip(starts, stops) if b > a]
