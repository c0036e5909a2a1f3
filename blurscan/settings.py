"""Defaults and their allowed ranges, in one place (the CLI's ``--help`` shows these)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from blurscan.detect import DEFAULT_DETECTOR, DETECTORS
from blurscan.errors import UsageError
from blurscan.messages import LANGS
from blurscan.pipeline.windows import COMPAT_MODES
from blurscan.scorers import SCORERS
from blurscan.taps.motion import MOTION_ESTIMATORS
from blurscan.taps.thumbnails import THUMBNAIL_SIZE
from blurscan.timecode import TimeRange

DEFAULT_SCORER = "sharpness"
DEFAULT_WINDOW_SIZE = 3
WINDOW_SIZE_RANGE = (1, 31)
BATCH_SIZE_RANGE = (1, 4096)
DEFAULT_CAMERA_MOTION = "flow"
DEFAULT_THUMBNAIL_SIZE = THUMBNAIL_SIZE
THUMBNAIL_SIZE_RANGE = (32, 1024)


@dataclass(frozen=True)
class Settings:
    """How to scan: which scorer and detector, window and batch sizes.

    Checked when made: an unknown scorer or detector, or a value out of range, fails
    at once. ``batch_size=None`` lets the scorer choose from free memory. ``stream`` is the index of
    the video stream to scan; ``None`` picks the one FFmpeg would (not cover art).
    """

    scorer: str = DEFAULT_SCORER
    detector: str | None = None
    window_size: int = DEFAULT_WINDOW_SIZE
    batch_size: int | None = None
    compat: str | None = None
    camera_motion: str = DEFAULT_CAMERA_MOTION
    stream: int | None = None
    scorer_options: dict[str, Any] = field(default_factory=dict)
    detector_options: dict[str, Any] = field(default_factory=dict)
    #: language of the words in summaries and reports (``en`` or ``zh``); never changes the findings
    lang: str = "en"
    #: the part of each video to scan (None: all of it); frames and times keep the video's own timeline
    time_range: TimeRange | None = None
    #: the longer side of each thumbnail, in pixels
    thumbnail_size: int = DEFAULT_THUMBNAIL_SIZE

    def __post_init__(self):
        SCORERS.get(self.scorer)  # an unknown name fails here, with "did you mean", not at the first scan
        if self.detector is not None:
            DETECTORS.get(self.detector)
        if self.lang not in LANGS:
            raise UsageError(f"language must be one of {', '.join(LANGS)}, not {self.lang!r}")
        lo, hi = WINDOW_SIZE_RANGE
        if not isinstance(self.window_size, int) or not lo <= self.window_size <= hi:
            raise UsageError(f"window size must be an integer from {lo} to {hi}, not {self.window_size!r}")
        lo, hi = BATCH_SIZE_RANGE
        if self.batch_size is not None and (not isinstance(self.batch_size, int) or not lo <= self.batch_size <= hi):
            raise UsageError(f"batch size must be 'auto' or an integer from {lo} to {hi}, not {self.batch_size!r}")
        if self.compat not in COMPAT_MODES:
            raise UsageError(f"compat mode must be one of {[m for m in COMPAT_MODES if m]}, not {self.compat!r}")
        if self.stream is not None and (
            isinstance(self.stream, bool) or not isinstance(self.stream, int) or self.stream < 0
        ):
            raise UsageError(f"stream must be a stream index (0, 1, 2 ...), not {self.stream!r}")
        lo, hi = THUMBNAIL_SIZE_RANGE
        if isinstance(self.thumbnail_size, bool) or not isinstance(self.thumbnail_size, int) or not lo <= self.thumbnail_size <= hi:
            raise UsageError(f"thumbnail size must be an integer from {lo} to {hi} pixels, not {self.thumbnail_size!r}")
        if self.time_range is not None and not isinstance(self.time_range, TimeRange):
            raise UsageError(f"time_range must be a blurscan.TimeRange, not {self.time_range!r}")
        if self.camera_motion not in MOTION_ESTIMATORS:
            raise UsageError(f"camera-motion estimator must be one of {list(MOTION_ESTIMATORS)}")

    def describe(self) -> dict[str, Any]:
        """The settings as given (before any plug-in fills in its defaults)."""
        return {
            "scorer": self.scorer,
            "detector": self.detector or DEFAULT_DETECTOR,
            "window_size": self.window_size,
            "batch_size": self.batch_size if self.batch_size is not None else "auto",
            "compat": self.compat,
            "camera_motion": self.camera_motion,
            "stream": self.stream,
            "scorer_options": dict(self.scorer_options),
            "detector_options": dict(self.detector_options),
            # only when asked for: results and journals made without them keep their settings
            **({"range": self.time_range.describe()} if self.time_range is not None else {}),
            **({"thumbnail_size": self.thumbnail_size} if self.thumbnail_size != DEFAULT_THUMBNAIL_SIZE else {}),
        }


def parse_batch_size(text: str) -> int | None:
    """``"auto"`` -> None, ``"16"`` -> 16; anything else is a usage error."""
    if text.strip().lower() == "auto":
        return None
    try:
        value = int(text)
    except ValueError:
        raise UsageError(f"batch size must be 'auto' or an integer, not {text!r}") from None
    lo, hi = BATCH_SIZE_RANGE
    if not lo <= value <= hi:
        raise UsageError(f"batch size must be from {lo} to {hi}, not {value}")
    return value
