"""Native-size stage: what the working width cannot show, read on the decoder's own luma plane.

The scorer measures every frame at its working width (640 px). On a 1280x720
or 1920x1080 video a blur of two native pixels is a blur of one working pixel
or less: the working picture barely changes. This stage reads the frames at
their own size, in two ways:

- the **detail stage** (:mod:`blurscan.detail`) on a sample of frames (two a
  second): what share of its resolution the picture holds;
- the **native look**, on every frame of a video larger than the working
  width: the edge sharpness (the scorer's own ``edge`` measure) of the
  strongest tiles at native size, against the same tiles shrunk to the working
  width. A sharp frame reads about the same both ways; blur the working width
  cannot see lowers the first only. As a ratio of the same pixels it hardly
  moves with what the tiles show, so a dip is blur, not a change of scene. The
  tiles are those the last sampled frame found strongest. The detector weighs
  the look's dip together with the working-width drop (see
  :mod:`blurscan.detect.drop`).
"""

from __future__ import annotations

import math
from array import array
from dataclasses import replace

import cv2
import numpy as np

from blurscan.detail import LUMA_FORMAT, Box, detail_format, measure_detail, strongest_tiles
from blurscan.scorers.sharpness import edge_sharpness
from blurscan.video import FrameFormat

#: the look runs on videos at least this many times wider than the working width (below, the working
#: picture shows what there is)
MIN_SCALE = 1.5
#: strongest tiles looked at on every frame (each costs about 0.4 ms)
LOOK_TILES = 2


def native_look(luma: np.ndarray, tiles: list[Box], scale: float) -> float:
    """log(edge sharpness at native size / the same at 1/``scale``), the median over ``tiles``; NaN
    when none has an edge to measure."""
    ratios = []
    for box in tiles:
        tile = luma[box]
        side = max(8, round(tile.shape[1] / scale)), max(8, round(tile.shape[0] / scale))
        native, working = edge_sharpness(tile), edge_sharpness(cv2.resize(tile, side, interpolation=cv2.INTER_AREA))
        if native > 0 and working > 0:
            ratios.append(math.log(native / working))
    return float(np.median(ratios)) if ratios else math.nan


class NativeStage:
    """Per frame: the detail stage's readings on its sampled frames, the native look on every frame
    (when the video is large enough to need one); NaN where nothing was measured."""

    def __init__(self, fps: float, scale: float | None):
        self.every = detail_format(fps).every
        self.scale = scale if scale and scale >= MIN_SCALE else None
        self.detail, self.filtered, self.look = array("d"), array("d"), array("d")
        self._tiles: list[Box] = []

    @property
    def frame_format(self) -> FrameFormat:
        """The native luma this stage needs: on every frame with a look, else on the sampled ones."""
        return replace(LUMA_FORMAT, every=1 if self.scale else self.every)

    def update(self, index: int, luma: np.ndarray | None) -> None:
        held = None
        if luma is not None and index % self.every == 0:
            self._tiles = strongest_tiles(luma)
            held = measure_detail(luma, self._tiles)
        self.detail.append(math.nan if held is None else held.share)
        self.filtered.append(math.nan if held is None else held.filtered)
        if self.scale:
            look = native_look(luma, self._tiles[:LOOK_TILES], self.scale) if luma is not None else math.nan
            self.look.append(look)

    def arrays(self) -> dict[str, np.ndarray | None]:
        """``detail``, ``filtered`` and ``native_look`` (None without a look), one value a frame."""
        def numbers(values: array) -> np.ndarray:
            return np.frombuffer(values, dtype=np.float64)

        return {"detail": numbers(self.detail), "filtered": numbers(self.filtered),
                "native_look": numbers(self.look) if self.scale else None}
