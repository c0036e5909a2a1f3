"""The result of scanning one video, and its JSON form (schema ``blurscan/1``)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from blurscan.detect.base import Detection

SCHEMA = "blurscan/1"


def _round(value: float, digits: int = 6) -> float | None:
    value = float(value)
    return round(value, digits) if math.isfinite(value) else None


@dataclass
class VideoResult:
    """Scores, findings and bookkeeping for one video. ``scores[i]`` belongs to frame ``i``."""

    video: dict[str, Any]
    settings: dict[str, Any]
    scores: np.ndarray
    times_s: np.ndarray
    detection: Detection
    camera_movement: float
    camera_movement_vmbench: float
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    timing: dict[str, float] = field(default_factory=dict)
    memory: dict[str, float] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    #: per segment, its worst frame and a sharp frame of its shot as small JPEGs (``None`` where none was kept)
    thumbnails: list[dict[str, Any] | None] | None = None
    #: what the detector saw (to run another detector on the same scan, as the benchmarks do)
    series: Any = field(default=None, repr=False)

    @property
    def frames(self) -> int:
        return len(self.scores)

    @property
    def blur_ratio(self) -> float:
        return len(self.detection.blur_frames) / self.frames if self.frames else 0.0

    def rounded_scores(self, start: int = 0, stop: int | None = None) -> list[float | None]:
        """Scores as the JSON holds them (6 digits; ``None`` where not finite)."""
        return [_round(s) for s in self.scores[start:stop].tolist()]

    def thumbnail_files(self, stem: str) -> dict[str, bytes]:
        """The thumbnails' file names (``<stem>.seg001.worst.jpg`` ...) and their JPEG bytes."""
        files = {}
        for number, picks in enumerate(self.thumbnails or [], start=1):
            for role, thumb in (picks or {}).items():
                files[f"{stem}.seg{number:03d}.{role}.jpg"] = thumb.jpeg
        return files

    def _segment_dicts(self, stem: str | None) -> list[dict[str, Any]]:
        segments = [s.to_dict() for s in self.detection.segments]
        for number, (segment, picks) in enumerate(zip(segments, self.thumbnails or []), start=1):
            if picks:
                segment["thumbnails"] = {
                    role: {"frame": t.frame, "time_s": round(float(self.times_s[t.frame]), 4),
                           **({"file": f"{stem}.seg{number:03d}.{role}.jpg"} if stem else {})}
                    for role, t in picks.items()
                }
        return segments

    def to_dict(self, *, include_scores: bool = True, scores_placeholder: Any = None,
                thumbnail_stem: str | None = None) -> dict[str, Any]:
        """The JSON form. Without ``include_scores`` the per-frame list is left out (summaries);
        with ``scores_placeholder`` it stands in for the list (the writer streams the list in its place).
        ``thumbnail_stem`` names the thumbnail files the segments point to."""
        d = self.detection
        scores = self.scores
        drops = np.abs(np.diff(scores))
        out = {
            "schema": SCHEMA,
            "video": self.video,
            "settings": self.settings,
            "scores": (
                scores_placeholder if scores_placeholder is not None else self.rounded_scores() if include_scores else None
            ),
            "blur_frames": [int(i) for i in d.blur_frames],
            "segments": self._segment_dicts(thumbnail_stem),
            "blur_detected": bool(d.blur_detected),
            "blur_ratio": _round(self.blur_ratio),
            "mss": _round(1.0 - self.blur_ratio),
            "severity": d.severity,
            "confidence": _round(d.confidence, 4),
            "avg_quality": _round(scores.mean()) if len(scores) else None,
            "quality_std": _round(scores.std()) if len(scores) else None,
            "max_quality_drop": _round(drops.max()) if len(drops) else 0.0,
            "threshold": _round(d.threshold),
            "camera_movement": _round(self.camera_movement, 4),
            "camera_movement_vmbench": _round(self.camera_movement_vmbench, 4),
            "recommendations": list(d.recommendations),
        }
        for key, value in d.extra.items():
            out.setdefault(key, value)
        out["timing"] = self.timing
        out["memory"] = self.memory
        out["warnings"] = list(self.warnings)
        from blurscan.report.labels import result_labels

        out["labels"] = result_labels(out, self.settings.get("lang", "en"))
        if not include_scores:
            del out["scores"]
        return out

    def frame_rows(self):
        """Rows of the per-frame CSV: frame, time_s, score, blurry, then any signals."""
        blurry = np.zeros(self.frames, dtype=bool)
        blurry[self.detection.blur_frames] = True
        names = sorted(self.signals)
        header = ["frame", "time_s", "score", "blurry", *names]
        rows = (
            [
                i,
                f"{self.times_s[i]:.4f}",
                f"{self.scores[i]:.6f}",
                int(blurry[i]),
                *(f"{self.signals[name][i]:.6g}" for name in names),
            ]
            for i in range(self.frames)
        )
        return header, rows


def error_result(path, error: BaseException, settings: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON entry for a video that could not be scanned."""
    from pathlib import Path

    from blurscan.errors import path_text

    return {
        "schema": SCHEMA,
        "video": {"path": path_text(path), "name": path_text(Path(path).name)},
        "settings": settings or {},
        "error": str(error),
        "error_type": type(error).__name__,
    }
