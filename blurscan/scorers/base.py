"""The scorer interface: per-frame work once, then one quality score per window."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from blurscan.registry import option_values
from blurscan.source.convert import FrameFormat

#: per-frame signals of a scorer that measures edges along four directions (0, 45, 90 and 135 degrees
#: counter-clockwise in the displayed picture, in 1/pixel, like its ``sharpness``): a detector reads the
#: cause of a blur from them (:mod:`blurscan.detect.cause`)
DIRECTION_SIGNALS = ("edge_0", "edge_45", "edge_90", "edge_135")


class Scorer(ABC):
    """Turns windows of frames into quality scores in [0, 1] (higher = better).

    The engine calls :meth:`encode_frames` once for every decoded frame (in
    batches) and keeps each result only while a window still needs it; it then
    calls :meth:`score_windows` with windows made of those per-frame results.
    So a frame's expensive work (sharpness, vision-encoder tokens) is done once
    and shared by the ``W`` windows that hold it.

    A scorer's options are its constructor's keyword parameters (annotated, with defaults; see
    :mod:`blurscan.registry`): the command line takes them as ``--option NAME=VALUE``.

    Batch sizes are chosen by the engine. A scorer signals that a batch did not
    fit by raising an exception for which :meth:`is_out_of_memory` is true;
    the engine then retries the same items in smaller batches.
    """

    #: registry name, e.g. ``"sharpness"``
    name: ClassVar[str]
    #: one line for ``blurscan scorers`` and ``--help``
    description: ClassVar[str] = ""
    #: True when the scores have a meaningful absolute scale across videos
    absolute_scale: ClassVar[bool] = False
    #: True when the scorer wants a GPU (batch runners give each worker one)
    uses_gpu: ClassVar[bool] = False

    # -- required ---------------------------------------------------------

    @property
    @abstractmethod
    def frame_format(self) -> FrameFormat:
        """The picture this scorer wants from each decoded frame."""

    @abstractmethod
    def encode_frames(self, images: Sequence[np.ndarray]) -> Sequence[Any]:
        """Per-frame work for a batch of pictures; one result per picture."""

    @abstractmethod
    def score_windows(self, windows: Sequence[Sequence[Any]]) -> Sequence[float]:
        """One score in [0, 1] per window (a sequence of per-frame results)."""

    # -- optional hooks ---------------------------------------------------

    def native_scale(self, width: int, height: int) -> float | None:
        """Native pixels one working pixel spans, when this scorer's quality logit is -3 x log edge
        width (so the detector can read blur at the video's own size); None otherwise."""
        return None

    def batch_size(self) -> int:
        """The batch size to start from when the user asks for ``auto``."""
        return 64

    def is_out_of_memory(self, error: BaseException) -> bool:
        """Whether ``error`` means the batch was too large for the device."""
        return isinstance(error, MemoryError)

    def on_out_of_memory(self) -> None:
        """Called after an out-of-memory error, before the retry (e.g. to empty caches)."""

    def frame_signals(self, features: Sequence[Any]) -> dict[str, Sequence[float]] | None:
        """Optional per-frame scalars (e.g. raw sharpness) for detectors and reports."""
        return None

    def memory_status(self) -> dict[str, float]:
        """Device memory figures in MiB for progress displays (empty on CPU)."""
        return {}

    def peak_memory(self) -> dict[str, float]:
        """Peak device memory in MiB since the last :meth:`reset_peak_memory`."""
        return {}

    def reset_peak_memory(self) -> None:
        pass

    def settings(self) -> dict[str, Any]:
        """Settings recorded in each result, so a result says how it was made (by default its declared options)."""
        return option_values(self)

    def close(self) -> None:
        """Release models and device memory."""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
