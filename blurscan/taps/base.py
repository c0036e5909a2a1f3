"""The tap interface: a per-frame consumer of the same pass as the scorer, so nothing is decoded twice.

A tap asks for the pictures it needs of each frame (formats identical to the
scorer's or another tap's are made once and shared), is handed them frame by
frame in order, may be told each frame's quality once the scorer knows it,
and is told when the video is decoded. It keeps a few numbers a frame, or a
bounded number of small pictures, never a whole video.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence

import numpy as np

from blurscan.source.decode import DecodeStats, FrameFormat, VideoInfo


class Tap(ABC):
    # -- required ---------------------------------------------------------

    @abstractmethod
    def formats(self, info: VideoInfo, scorer_format: FrameFormat) -> Sequence[FrameFormat]:
        """The pictures this tap wants of each frame (a format may give None on frames it skips)."""

    @abstractmethod
    def take(self, index: int, time_s: float, images: Sequence[np.ndarray | None]) -> None:
        """Frame ``index``'s pictures, in the order of :meth:`formats`; frames arrive in order."""

    # -- optional hooks ---------------------------------------------------

    def scored(self, index: int, quality: float) -> None:
        """Frame ``index``'s own quality (or its window's score, for scorers without one), once known."""

    def finish(self, stats: DecodeStats) -> None:
        """The video is decoded: ``stats`` holds what was learned on the way (rotation, colour matrix)."""
