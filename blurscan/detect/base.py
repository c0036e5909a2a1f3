"""The detector interface: from a video's score series to blurry frames, segments and a verdict."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar

import numpy as np

from blurscan.detect.cause import Cause, cause_fields
from blurscan.messages import Message
from blurscan.registry import option_values
from blurscan.timecode import span

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
    #: per frame, the quantiser it was coded with on the H.264 scale (NaN where the decoder exported none;
    #: see :mod:`blurscan.source.quantiser`); None when no frame had one
    quantiser: np.ndarray | None = None
    #: on the frames the detail tap fits (every other frame it measures), how much better a coarser pixel grid
    #: fits the picture at one phase than at the others (about 1: never enlarged, and 1 where too sharp to ask;
    #: under 0.65: enlarged; NaN elsewhere; see :mod:`blurscan.taps.resampling`); None when not measured
    resampled: np.ndarray | None = None
    #: on the same frames, the factor that grid is coarser by (NaN where not asked); None when not measured
    enlarged_by: np.ndarray | None = None

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
    #: why it is blurry (:mod:`blurscan.detect.cause`); None: not estimated
    cause: Cause | None = field(default=None, kw_only=True)

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    def to_dict(self) -> dict[str, Any]:
        return {
            **span(self.start_frame, self.end_frame, self.start_s, self.end_s),
            "frames": self.frames,
            "severity": self.severity,
            "min_score": round(self.min_score, 6),
            "kind": self.kind,
            **cause_fields(self.cause),
        }


@dataclass
class Detection:
    """A detector's findings: its blur events and the verdict fields of the result schema.

    ``blur_frames`` are the frames the detector flags; shots soft throughout are judged after
    any detector (:mod:`blurscan.detect.softness`) and folded in by :meth:`Detector.conclude`.
    """

    blur_frames: np.ndarray
    segments: list[Segment]
    blur_detected: bool
    severity: str
    confidence: float
    threshold: float
    #: advice, as messages (plain strings from a plug-in are shown as they are)
    recommendations: list[Message | str]
    #: detector-specific fields, written under the result's ``detector_extra``
    extra: dict[str, Any] = field(default_factory=dict)
    #: the detector's own motion-smoothness score where it has one (``mss``: VMBench's), else None:
    #: the result's ``mss`` is then ``1 - blur_ratio``
    smoothness: float | None = None
    #: what a detector keeps for its own :meth:`Detector.conclude` (never written)
    notes: dict[str, Any] = field(default_factory=dict, repr=False)


class Detector(ABC):
    """Turns a :class:`ScoreSeries` into a :class:`Detection`.

    A detector's options are its constructor's keyword parameters (annotated, with defaults):
    the command line takes them as ``--detector-option NAME=VALUE`` and :meth:`settings` records them.
    """

    name: ClassVar[str]
    description: ClassVar[str] = ""
    #: how readily it flags blur, 0 to 1; the shot stage judges soft shots at the same sensitivity
    sensitivity: float = 0.5

    # -- required ---------------------------------------------------------

    @abstractmethod
    def detect(self, series: ScoreSeries) -> Detection:
        """Find the blur events of one video."""

    # -- optional hooks ---------------------------------------------------

    def conclude(self, series: ScoreSeries, detection: Detection, shots) -> Detection:
        """Fold the shots judged soft throughout (``shots``, a :class:`~blurscan.detect.softness.Shots`)
        into the verdict: their frames and segments join the events', the severity is the worst of
        all, and the advice says what to do with them."""
        soft = [shot for shot in shots.verdicts if shot.soft]
        if not soft:
            return detection
        segments = sorted([*detection.segments, *(shot.segment(series) for shot in soft)],
                          key=lambda seg: (seg.start_frame, seg.kind != "soft"))
        flags = np.zeros(len(series), dtype=bool)
        flags[np.asarray(detection.blur_frames, dtype=np.int64)] = True
        measurable = series.frame_quality() > 0
        for shot in soft:
            flags[shot.start : shot.stop] |= measurable[shot.start : shot.stop]
        severity = worst_severity([detection.severity, *(shot.severity for shot in soft)])
        advice = [Message("advice.blurry_throughout" if shots.blurry_throughout else "advice.soft_shots")]
        kept = detection.recommendations if severity == detection.severity else recommendations(severity)
        return replace(detection, blur_frames=np.flatnonzero(flags).astype(np.int64), segments=segments,
                       blur_detected=True, severity=severity, recommendations=[*advice, *kept])

    def settings(self) -> dict[str, Any]:
        """The options this detector runs with, recorded in each result (by default its declared options)."""
        return option_values(self)


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
    "none": ("advice.none",),
    "mild": ("advice.mild.acceptable", "advice.mild.fix_frames"),
    "moderate": ("advice.moderate.review", "advice.moderate.stabilise", "advice.moderate.light"),
    "severe": ("advice.severe.rerecord", "advice.severe.tripod", "advice.severe.drop"),
}


#: blur events no longer than this (seconds), together a small share of the video, are "short bursts"
SHORT_BURST_S = 0.5
SHORT_BURSTS_SHARE = 0.1


def short_bursts(segments, frames: int) -> bool:
    """Whether the blur is a few short bursts (a shaken camera for a moment), which are cut, not re-recorded."""
    events = [s for s in segments if s.kind == "event"]
    held = sum(s.end_frame - s.start_frame + 1 for s in events)
    return bool(events) and all(s.end_s - s.start_s <= SHORT_BURST_S for s in events) and held <= SHORT_BURSTS_SHARE * frames


def recommendations(severity: str, extra: list[Message] | None = None, *, bursts: bool = False) -> list[Message]:
    """What to do about blur of ``severity`` (after ``extra``, advice of the detector's own); for short
    ``bursts``, cutting them out with ``split`` instead of re-recording."""
    codes = _ADVICE[severity]
    if bursts and severity != "none":
        codes = ("advice.short_bursts", *(c for c in codes if c != "advice.severe.rerecord"))
    return list(extra or []) + [Message(code) for code in codes]
