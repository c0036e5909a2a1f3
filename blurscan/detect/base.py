"""The detector interface: from a video's score series to blurry frames, segments and a verdict."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

SEVERITIES = ("none", "mild", "moderate", "severe")


@dataclass
class ScoreSeries:
    """Everything a detector may look at, one value per decoded frame."""

    scores: np.ndarray
    times_s: np.ndarray
    fps: float
    camera_movement: float
    #: extra per-frame scalars: the scorer's (e.g. ``sharpness``, and ``quality``:
    #: each frame's own score in [0, 1]) and the motion tracker's (``shift``,
    #: ``change``, ``scene_change``)
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    #: whether the scorer's values mean the same thing across videos
    absolute_scale: bool = False
    #: decoded frames followed by frames that could not be decoded: a segment ending on one
    #: ends when that frame would, not across the stretch nobody saw
    missing_after: frozenset[int] = frozenset()
    #: native pixels one working pixel spans, for scorers whose quality logit is -3 x log edge width
    #: (see :mod:`blurscan.detect.softness`); None for the others
    native_scale: float | None = None
    #: per frame, the share (0..1) of its linear resolution the picture carries, measured at native
    #: size on a sample of frames (NaN elsewhere; see :mod:`blurscan.taps.detail`); None when not measured
    detail: np.ndarray | None = None
    #: on the same frames, how much the picture looks like a sharp one behind a low-pass filter
    #: (enlarged, defocused: 1) rather than soft by nature (0); None when not measured
    filtered: np.ndarray | None = None
    #: the video's display size (width, height), for the effective resolution
    size: tuple[int, int] = (0, 0)

    def __len__(self) -> int:
        return len(self.scores)

    def frame_quality(self) -> np.ndarray:
        """Each frame's own quality when the scorer reports it (``quality``), else the window scores.

        Window scores blend a frame with its neighbours; a frame's own value puts
        the edges of a blurry stretch on the right frame.
        """
        own = self.signals.get("quality")
        if own is not None and len(own) == len(self.scores):
            return np.asarray(own, dtype=np.float64)
        return np.asarray(self.scores, dtype=np.float64)


@dataclass
class Segment:
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    severity: str
    min_score: float
    #: "event" (a drop below the shot's own level) or "soft" (a shot soft throughout)
    kind: str = "event"

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    def to_dict(self) -> dict[str, Any]:
        from blurscan.timecode import span

        return {
            **span(self.start_frame, self.end_frame, self.start_s, self.end_s),
            "frames": self.frames,
            "severity": self.severity,
            "min_score": round(self.min_score, 6),
            "kind": self.kind,
        }


@dataclass
class Detection:
    """A detector's findings; the verdict fields of the result schema."""

    blur_frames: np.ndarray
    segments: list[Segment]
    blur_detected: bool
    severity: str
    confidence: float
    threshold: float
    recommendations: list[str]
    #: detector-specific fields added to the result (never replacing schema fields)
    extra: dict[str, Any] = field(default_factory=dict)


class Detector(ABC):
    """Turns a :class:`ScoreSeries` into a :class:`Detection`."""

    name: ClassVar[str]
    description: ClassVar[str] = ""

    @abstractmethod
    def detect(self, series: ScoreSeries) -> Detection:
        """Find the blurry frames of one video."""

    def settings(self) -> dict[str, Any]:
        return {}


def runs(flags: np.ndarray) -> list[tuple[int, int]]:
    """Inclusive (start, end) index pairs of the runs of True in ``flags``."""
    flags = np.asarray(flags, dtype=bool)
    if not flags.any():
        return []
    padded = np.concatenate([[False], flags, [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return [(int(a), int(b) - 1) for a, b in zip(edges[::2], edges[1::2])]


def segment_times(series: ScoreSeries, start: int, end: int) -> tuple[float, float]:
    """Start and end time of frames ``start..end``; the end is when the last frame stops showing."""
    times = series.times_s
    start_s = float(times[start])
    if end + 1 < len(times) and end not in series.missing_after:
        end_s = float(times[end + 1])
    elif series.fps > 0:
        end_s = float(times[end]) + 1.0 / series.fps
    else:
        end_s = float(times[end])
    return start_s, end_s


def worst_severity(severities) -> str:
    return max(severities, key=SEVERITIES.index, default="none")


_ADVICE = {
    "none": ["No blur found; no action needed."],
    "mild": [
        "Mild blur: usually acceptable; check the listed segments if they matter.",
        "Consider fixing or dropping only the affected frames.",
    ],
    "moderate": [
        "Moderate blur: review the listed segments.",
        "Stabilise the camera or raise the shutter speed / frame rate when recording.",
        "Ensure enough light so the camera can use a short exposure.",
    ],
    "severe": [
        "Severe blur: consider re-recording or regenerating the video.",
        "Use a tripod or stabiliser and check the focus settings.",
        "Drop the affected segments before using the clip for training or evaluation.",
    ],
}


def recommendations(severity: str, extra: list[str] | None = None) -> list[str]:
    return list(extra or []) + list(_ADVICE[severity])
