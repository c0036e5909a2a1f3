"""The result of scanning one video: one typed model, and every output's view of it.

Every writer — the JSON, the frames CSV, summary.csv, segments.csv, statistics.md, report.html,
Parquet, the ``detect`` summary line, the plot — reads this model and nothing else, so they
cannot disagree. Names are fixed here once:

- a **blur event** is a stretch below its shot's own level (``events``); a **soft shot** is a shot
  soft throughout (``soft_shots``); **segments** are both, in time order: what ``split`` cuts;
- a list and its number never share a name: ``segments`` is the list, ``segment_count`` its
  number, and so on for ``event_count``, ``soft_shot_count``, ``shot_count`` and ``blur_frame_count``.

A soft shot is stored once, as its :class:`Shot`; its segment is a view of it.
Words are :class:`~blurscan.messages.Message` codes with values; ``labels`` renders them in the
result's language.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

import numpy as np

from blurscan.detect.base import Segment as Found
from blurscan.detect.cause import CAUSES, Cause, cause_fields
from blurscan.errors import path_text
from blurscan.messages import Message, error_text, reason_text
from blurscan.source.remote import VideoURL, is_url
from blurscan.timecode import clock, span

SCHEMA = "blurscan/2"
#: the schemas the reader takes: every result blurscan has written
READABLE_SCHEMAS = ("blurscan/1", SCHEMA)
EVENT = "event"
SOFT = "soft"
SEVERITIES = ("none", "mild", "moderate", "severe")
#: below this share of the frame's linear resolution a picture clearly holds less than its frame
CLEARLY_BELOW = 0.8

#: the one-line summary of a video: summary.csv's columns, the journal's rows, the base of a Parquet row
SUMMARY_FIELDS = (
    "name", "relative_path", "path", "status", "verdict", "blur_detected", "blurry_throughout", "severity",
    "confidence", "blur_ratio", "mss", "segment_count", "event_count", "soft_shot_count", "shot_count",
    "blur_frame_count", "cause", "causes", "frames", "fps", "duration_s", "avg_quality", "camera_movement", "effective_width",
    "effective_height", "detail", "seconds", "frames_per_s", "peak_rss_mb", "result_file", "error", "error_type",
)
#: what ``verdict`` says: the words of each code are ``verdict.<code>`` (blurscan.messages)
VERDICTS = ("no_blur", "blur_found", "blurry_throughout", "error")


def rounded(value: float | None, digits: int = 6) -> float | None:
    """A float as the outputs hold it (``None`` where not finite)."""
    if value is None:
        return None
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


@dataclass
class Video:
    """What the result says about the video: the stream scanned, its frames, and what its picture holds."""

    path: str
    name: str
    stream: int | None = None
    frames: int = 0
    fps: float = 0.0
    duration_s: float = 0.0
    width: int = 0
    height: int = 0
    rotation: int = 0
    codec: str | None = None
    declared_frames: int = 0
    corrupt_frames: int = 0
    frame_numbering: str = "decoded"
    missing_frames: int = 0
    #: stretches with no decoded frame (``before_frame``, ``start_s``, ``end_s``, ``missing_frames``)
    gaps: list[dict[str, Any]] = field(default_factory=list)
    #: the share of its linear resolution the picture holds, and the size that stands for (None: not measured)
    detail: float | None = None
    effective_width: int | None = None
    effective_height: int | None = None
    #: with a time range, the part scanned: ``first_frame`` (the video's own number of frame 0 here),
    #: ``frames``, ``start_s``/``end_s`` and their timecodes on the video's timeline (None: the whole video)
    scanned: dict[str, Any] | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": self.path, "name": self.name, "stream": self.stream, "frames": self.frames,
            "fps": rounded(self.fps), "duration_s": rounded(self.duration_s, 4), "width": self.width,
            "height": self.height, "rotation": self.rotation, "codec": self.codec,
            "declared_frames": self.declared_frames, "corrupt_frames": self.corrupt_frames,
            "frame_numbering": self.frame_numbering, "missing_frames": self.missing_frames, "gaps": list(self.gaps),
            "detail": self.detail, "effective_width": self.effective_width, "effective_height": self.effective_height,
            **({"scanned": dict(self.scanned)} if self.scanned else {}),
        }

    @property
    def size(self) -> tuple[int, int]:
        return self.width, self.height


@dataclass
class Thumbnail:
    """A small JPEG of one frame: where it is in the video, its file once written, its picture while in memory."""

    frame: int
    time_s: float
    file: str | None = None
    #: the picture (anything with ``.jpeg`` bytes), held only between the scan and the writer
    image: Any = field(default=None, repr=False, compare=False)

    def to_dict(self, file: str | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {"frame": self.frame, "time_s": rounded(self.time_s, 4)}
        if file or self.file:
            out["file"] = file or self.file
        return out


@dataclass
class Segment(Found):
    """A stretch to cut: a blur event a detector found, or (``kind="soft"``, ``shot`` its index) a shot soft
    throughout; with the thumbnails the scan took of it."""

    shot: int | None = None
    #: ``worst`` and ``sharp`` (a sharp frame of its shot, to compare)
    thumbnails: dict[str, Thumbnail] = field(default_factory=dict)

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s

    @property
    def start_tc(self) -> str:
        return clock(self.start_s)

    @property
    def end_tc(self) -> str:
        return clock(self.end_s)

    def to_dict(self, thumbnail_files: dict[str, str] | None = None) -> dict[str, Any]:
        out = {**super().to_dict(), "min_score": rounded(self.min_score)}
        if self.shot is not None:
            out["shot"] = self.shot
        if self.thumbnails:
            files = thumbnail_files or {}
            out["thumbnails"] = {role: t.to_dict(files.get(role)) for role, t in self.thumbnails.items()}
        return out


@dataclass
class Shot:
    """A shot (between cuts), whether it is soft throughout (None: nothing to measure), why, and what it holds."""

    index: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    soft: bool | None = None
    severity: str | None = None
    #: ``below_floor``, ``little_detail`` or both joined by ``+``; the values its words are made from
    reason_code: str | None = None
    reason_values: dict[str, Any] = field(default_factory=dict)
    detail: float | None = None
    effective_width: int | None = None
    effective_height: int | None = None
    #: the lowest window score in the shot, and the thumbnails of its soft segment
    min_score: float | None = None
    thumbnails: dict[str, Thumbnail] = field(default_factory=dict)
    #: why it is soft throughout (None when it is not, or in a result written before causes)
    cause: Cause | None = None

    @property
    def frames(self) -> int:
        return self.end_frame - self.start_frame + 1

    def reason(self, lang: str = "en") -> str | None:
        """Why the shot is soft throughout, in words (None when it is not)."""
        return reason_text(self.reason_code, self.reason_values, lang) or None

    def segment(self) -> Segment:
        """The shot's soft segment (a view: the shot holds its severity, worst score and thumbnails)."""
        return Segment(self.start_frame, self.end_frame, self.start_s, self.end_s, self.severity or "mild",
                       self.min_score if self.min_score is not None else 0.0, SOFT, self.index, self.thumbnails,
                       cause=self.cause)

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, **span(self.start_frame, self.end_frame, self.start_s, self.end_s),
                "frames": self.frames, "soft": self.soft, "severity": self.severity, "reason_code": self.reason_code,
                "reason_values": dict(self.reason_values), "detail": self.detail,
                "effective_width": self.effective_width, "effective_height": self.effective_height,
                **cause_fields(self.cause)}


@dataclass
class Verdict:
    """What the video as a whole is: the detector's verdict with the shots soft throughout folded in."""

    blur_detected: bool
    severity: str
    confidence: float
    threshold: float | None
    recommendations: list[Message] = field(default_factory=list)
    #: soft shots hold nearly all its measurable frames (None: unknown, no absolute scale)
    blurry_throughout: bool | None = None
    #: the absolute floor shots were judged against (None: the scorer has no absolute scale)
    floor: float | None = None
    #: the detector's own smoothness score (``mss``: VMBench's), else None: ``1 - blur_ratio``
    smoothness: float | None = None
    camera_movement: float = 0.0
    camera_movement_vmbench: float = 0.0

    @property
    def code(self) -> str:
        if self.blurry_throughout:
            return "blurry_throughout"
        return "blur_found" if self.blur_detected else "no_blur"


@dataclass
class VideoResult:
    """Scores, findings and bookkeeping for one video. ``scores[i]`` belongs to frame ``i``."""

    video: Video
    #: how it was scanned (the scanner's settings, each plug-in's options filled in)
    settings: dict[str, Any]
    scores: np.ndarray
    blur_frames: np.ndarray
    events: list[Segment]
    shots: list[Shot]
    verdict: Verdict
    #: each frame's time (None when read back from a JSON, which does not hold them)
    times_s: np.ndarray | None = None
    #: per-frame signals (the scorer's and the motion tap's), for the frames CSV
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    timing: dict[str, Any] = field(default_factory=dict)
    memory: dict[str, Any] = field(default_factory=dict)
    warnings: list[Message] = field(default_factory=list)
    #: a third-party detector's own fields (``Detection.extra``)
    detector_extra: dict[str, Any] = field(default_factory=dict)
    #: ``avg_quality``, ``quality_std`` and ``max_quality_drop`` of the scores (computed when not given)
    quality: dict[str, float | None] = field(default_factory=dict)
    #: what the detector saw (to run another detector on the same scan, as the benchmarks do)
    series: Any = field(default=None, repr=False)

    ok = True

    # -- the names every output uses -----------------------------------------

    def __post_init__(self):
        if not self.quality:
            scores = self.scores
            drops = np.abs(np.diff(scores))
            self.quality = {"avg_quality": rounded(scores.mean()) if len(scores) else None,
                            "quality_std": rounded(scores.std()) if len(scores) else None,
                            "max_quality_drop": rounded(drops.max()) if len(drops) else 0.0}

    @property
    def frames(self) -> int:
        """Decoded frames (``scores`` has one per frame, unless read from a summary that leaves them out)."""
        return self.video.frames

    @property
    def soft_shots(self) -> list[Shot]:
        return [shot for shot in self.shots if shot.soft]

    @property
    def segments(self) -> list[Segment]:
        """Blur events and soft shots' segments, in time order (a soft shot before the events inside it)."""
        return sorted([*self.events, *(shot.segment() for shot in self.soft_shots)],
                      key=lambda seg: (seg.start_frame, seg.kind != SOFT))

    @property
    def blur_ratio(self) -> float:
        return len(self.blur_frames) / self.frames if self.frames else 0.0

    @property
    def mss(self) -> float:
        smooth = self.verdict.smoothness
        return smooth if smooth is not None else 1.0 - self.blur_ratio

    def cause_counts(self) -> dict[str, int]:
        """Segments by cause, the cause of most blurred frames first (segments without one left out)."""
        frames: dict[str, int] = {}
        count: dict[str, int] = {}
        for seg in self.segments:
            if seg.cause is not None:
                frames[seg.cause.name] = frames.get(seg.cause.name, 0) + seg.frames
                count[seg.cause.name] = count.get(seg.cause.name, 0) + 1
        return {name: count[name] for name in sorted(count, key=lambda c: (-frames[c], c))}

    @property
    def cause(self) -> str | None:
        """The cause of most blurred frames (None: nothing blurry, or no cause estimated)."""
        return next(iter(self.cause_counts()), None)

    def counts(self) -> dict[str, int]:
        return {"segment_count": len(self.events) + len(self.soft_shots), "event_count": len(self.events),
                "soft_shot_count": len(self.soft_shots), "shot_count": len(self.shots),
                "blur_frame_count": len(self.blur_frames)}

    @property
    def lang(self) -> str:
        return str(self.settings.get("lang") or "en")

    def labels(self, lang: str | None = None) -> dict[str, Any]:
        """The result's codes in words, in ``lang`` (default: the result's own)."""
        lang = lang or self.lang
        return {
            "lang": lang,
            "severity": Message(f"severity.{self.verdict.severity}").text(lang),
            "verdict": Message(f"verdict.{self.verdict.code}").text(lang),
            "recommendations": [m.text(lang) for m in self.verdict.recommendations],
            "warnings": [m.text(lang) for m in self.warnings],
            "shot_reasons": [shot.reason(lang) for shot in self.shots],
        }

    # -- outputs -------------------------------------------------------------

    def rounded_scores(self, start: int = 0, stop: int | None = None) -> list[float | None]:
        """Scores as the JSON holds them (6 digits; ``None`` where not finite)."""
        return [rounded(s) for s in self.scores[start:stop].tolist()]

    def thumbnail_files(self, stem: str) -> dict[str, dict[str, str]]:
        """Per segment number (1-based, as a string) and role, the file its thumbnail is written to."""
        return {str(number): {role: f"{stem}.seg{number:03d}.{role}.jpg" for role in seg.thumbnails}
                for number, seg in enumerate(self.segments, start=1) if seg.thumbnails}

    def thumbnail_images(self, stem: str) -> dict[str, bytes]:
        """The thumbnails still held in memory: file name -> JPEG bytes."""
        files = self.thumbnail_files(stem)
        return {files[str(number)][role]: thumb.image.jpeg
                for number, seg in enumerate(self.segments, start=1)
                for role, thumb in seg.thumbnails.items() if thumb.image is not None}

    def to_dict(self, *, include_scores: bool = True, scores_placeholder: Any = None,
                thumbnail_stem: str | None = None) -> dict[str, Any]:
        """The JSON form. Without ``include_scores`` the per-frame list is left out (summaries);
        with ``scores_placeholder`` it stands in for the list (the writer streams the list in its place).
        ``thumbnail_stem`` names the thumbnail files the segments point to."""
        files = self.thumbnail_files(thumbnail_stem) if thumbnail_stem else {}
        verdict = self.verdict
        out: dict[str, Any] = {"schema": SCHEMA, "video": self.video.to_dict(), "settings": dict(self.settings)}
        if include_scores:
            out["scores"] = scores_placeholder if scores_placeholder is not None else self.rounded_scores()
        out.update({
            "blur_frames": [int(i) for i in self.blur_frames],
            "segments": [seg.to_dict(files.get(str(n))) for n, seg in enumerate(self.segments, start=1)],
            "shot_list": [shot.to_dict() for shot in self.shots],
            **self.counts(),
            "blur_detected": bool(verdict.blur_detected),
            "blurry_throughout": verdict.blurry_throughout,
            "blur_ratio": rounded(self.blur_ratio),
            "mss": rounded(self.mss),
            "severity": verdict.severity,
            "confidence": rounded(verdict.confidence, 4),
            **self.quality,
            "threshold": rounded(verdict.threshold),
            "floor": verdict.floor,
            "camera_movement": rounded(verdict.camera_movement, 4),
            "camera_movement_vmbench": rounded(verdict.camera_movement_vmbench, 4),
            "recommendations": [m.to_dict() for m in verdict.recommendations],
            "timing": dict(self.timing),
            "memory": dict(self.memory),
            "warnings": [m.to_dict() for m in self.warnings],
        })
        if self.detector_extra:
            out["detector_extra"] = dict(self.detector_extra)
        out["labels"] = self.labels()
        return out

    def summary(self) -> dict[str, Any]:
        """The video's one-line summary (:data:`SUMMARY_FIELDS`, less the batch's ``relative_path`` and ``result_file``)."""
        video, verdict = self.video, self.verdict
        return {
            "name": video.name, "path": video.path, "status": "ok", "verdict": verdict.code,
            "blur_detected": bool(verdict.blur_detected), "blurry_throughout": verdict.blurry_throughout,
            "severity": verdict.severity, "confidence": rounded(verdict.confidence, 4),
            "blur_ratio": rounded(self.blur_ratio), "mss": rounded(self.mss), **self.counts(),
            "cause": self.cause, "causes": causes_text(self.cause_counts()), "frames": video.frames, "fps": rounded(video.fps), "duration_s": rounded(video.duration_s, 4),
            "avg_quality": self.quality.get("avg_quality"), "camera_movement": rounded(verdict.camera_movement, 4),
            "effective_width": video.effective_width, "effective_height": video.effective_height,
            "detail": video.detail, "seconds": self.timing.get("seconds"), "frames_per_s": self.timing.get("frames_per_s"),
            "peak_rss_mb": self.memory.get("peak_rss_mb"), "error": None, "error_type": None,
        }

    def frame_rows(self):
        """Rows of the per-frame CSV: frame, time_s, score, blurry, then any signals."""
        n = len(self.scores)
        blurry = np.zeros(n, dtype=bool)
        blurry[self.blur_frames] = True
        names = sorted(self.signals)
        header = ["frame", "time_s", "score", "blurry", *names]
        times = self.times_s if self.times_s is not None else np.full(n, math.nan)
        rows = (
            [i, f"{times[i]:.4f}", f"{self.scores[i]:.6f}", int(blurry[i]),
             *(f"{self.signals[name][i]:.6g}" for name in names)]
            for i in range(n)
        )
        return header, rows


@dataclass
class FailedResult:
    """A video that could not be scanned: what it is, how it was to be scanned, and why it failed."""

    video: Video
    settings: dict[str, Any]
    error: str
    error_type: str = "BlurscanError"

    ok = False

    def to_dict(self, **_ignored) -> dict[str, Any]:
        return {"schema": SCHEMA, "video": {"path": self.video.path, "name": self.video.name},
                "settings": dict(self.settings), "error": self.error, "error_type": self.error_type,
                "labels": self.labels()}

    def summary(self) -> dict[str, Any]:
        return {"name": self.video.name, "path": self.video.path, "status": "error", "verdict": "error",
                "error": self.error, "error_type": self.error_type}

    def labels(self, lang: str | None = None) -> dict[str, Any]:
        lang = lang or str(self.settings.get("lang") or "en")
        return {"lang": lang, "verdict": Message("verdict.error").text(lang),
                "error": error_text(self.error_type, self.error, lang)}


Result = VideoResult | FailedResult


def error_result(path, error: BaseException, settings: dict[str, Any] | None = None) -> FailedResult:
    """The entry for a video that could not be scanned."""
    name = VideoURL(path).name if is_url(path) else PurePath(str(path)).name  # a tar member's own name
    return FailedResult(Video(path_text(path), path_text(name)), dict(settings or {}), str(error),
                        type(error).__name__)


def causes_text(counts: dict[str, int]) -> str | None:
    """Segments by cause as one cell: ``"motion=2;defocus=1"`` (None when there are none)."""
    return ";".join(f"{name}={n}" for name, n in counts.items()) or None


def parse_causes(text) -> dict[str, int]:
    """:func:`causes_text` read back (anything else reads as no causes)."""
    out: dict[str, int] = {}
    for part in str(text or "").split(";"):
        name, _, n = part.partition("=")
        if name in CAUSES and n.isdigit():
            out[name] = int(n)
    return out


def clearly_below(detail: float | None) -> bool:
    """Whether a picture holding ``detail`` of its frame's linear resolution is clearly smaller than its frame."""
    return detail is not None and detail < CLEARLY_BELOW
