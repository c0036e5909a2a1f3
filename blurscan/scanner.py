"""The Scanner: settings -> plug-ins -> one pass over the video -> detection -> shot verdicts -> the result.

Streaming (:mod:`blurscan.pipeline.stream`) and building the result
(:mod:`blurscan.result.build`) are stages of their own; this module only
wires them: it makes the scorer, the detector and the taps, runs the pass,
puts the pass's numbers on the video's timeline, and hands everything to
the one place a result is built.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from blurscan.detect import DEFAULT_DETECTOR, DETECTORS, Detector, ScoreSeries, find
from blurscan.errors import path_text
from blurscan.messages import Message
from blurscan.pipeline.memory import BatchSizer
from blurscan.pipeline.stream import Pass, Progress, run_pass
from blurscan.result.build import build_result
from blurscan.result.model import Video, VideoResult
from blurscan.scorers import SCORERS, Scorer
from blurscan.settings import Settings
from blurscan.source.decode import MAX_GAPS_LISTED, timeline_gaps
from blurscan.taps.detail import DetailTap
from blurscan.taps.motion import MotionTap
from blurscan.taps.shots import shot_ranges
from blurscan.taps.thumbnails import ThumbnailTap
from blurscan.timecode import clock

logger = logging.getLogger("blurscan")

#: a picture smaller than this on either side, at the scorer's working size, holds no measurable edge
MIN_MEASURABLE_SIDE = 8


class Scanner:
    """Scans videos one after another with one scorer and one detector (models load once)."""

    def __init__(self, settings: Settings | None = None, *, scorer: Scorer | None = None, detector: Detector | None = None):
        self.settings = settings or Settings()
        self.scorer = scorer or SCORERS.create(self.settings.scorer, self.settings.scorer_options)
        self.detector = detector or DETECTORS.create(self.settings.detector or DEFAULT_DETECTOR,
                                                     self.settings.detector_options)
        self.sizer = BatchSizer(self.settings.batch_size or self.scorer.batch_size())

    def describe(self) -> dict[str, Any]:
        """The settings block of each result: the settings, with each plug-in's options filled in."""
        return {
            **self.settings.describe(),
            "scorer": self.scorer.name,
            "detector": self.detector.name,
            "scorer_options": self.scorer.settings(),
            "detector_options": self.detector.settings(),
            "lang": self.settings.lang,
        }

    def scan(self, path: str | os.PathLike, progress: Progress | None = None, *, thumbnails: bool = False) -> VideoResult:
        """Decode ``path`` once and return its scores and findings (with ``thumbnails``, small JPEGs
        of each blurry segment's worst frame and of a sharp frame of its shot)."""
        started = time.perf_counter()
        shrinks_before = self.sizer.shrinks
        self.scorer.reset_peak_memory()
        motion, detail = MotionTap(), DetailTap()
        thumbnail_tap = ThumbnailTap(self.settings.thumbnail_size) if thumbnails else None
        taps = [motion, detail, *([thumbnail_tap] if thumbnail_tap else [])]
        passed = run_pass(path, self.scorer, taps, self.sizer, window_size=self.settings.window_size,
                          compat=self.settings.compat, stream=self.settings.stream, progress=progress,
                          time_range=self.settings.time_range)
        return self._assemble(path, passed, motion, detail, thumbnail_tap, time.perf_counter() - started,
                              shrinks_before)

    def _assemble(self, path, passed: Pass, motion: MotionTap, detail: DetailTap, thumbnail_tap: ThumbnailTap | None,
                  elapsed: float, shrinks_before: int) -> VideoResult:
        """The pass's numbers on the video's timeline, the findings, and the result built from them."""
        scorer, info, stats = self.scorer, passed.info, passed.stats
        warnings = [Message.of(w) for w in stats.warnings]
        scores, times, signals = passed.arrays()
        fps = info.fps or _fps_from_times(times)
        gaps: list[dict] = []
        late_start = bool(fps) and stats.first_frame_s >= 1.5 / fps  # the first frames did not decode
        if fps and (stats.frames_lost or late_start):
            # frame numbers count decoded frames; times stay on the video's own timeline
            if late_start:
                times = times + stats.first_frame_s
            ranged_from = stats.range_s[0] + stats.first_frame_s if stats.range_s else 0.0
            gaps = timeline_gaps(times, fps, max(0.0, ranged_from))
            if gaps:
                warnings.append(_gaps_warning(gaps))
        tracker = motion.tracker
        signals.update(tracker.signals())
        camera_movement = tracker.camera_movement("flow")
        camera_movement_vmbench = tracker.camera_movement("vmbench")
        width, height = passed.display_size
        detail_shares, filtered = detail.arrays()
        resampled, enlarged_by = detail.enlargements()
        series = ScoreSeries(
            scores=scores,
            times_s=times,
            fps=fps,
            camera_movement=camera_movement if self.settings.camera_motion == "flow" else camera_movement_vmbench,
            signals=signals,
            absolute_scale=scorer.absolute_scale,
            missing_after=frozenset(g["before_frame"] - 1 for g in gaps if g["before_frame"]),
            native_scale=scorer.native_scale(width, height),
            detail=detail_shares,
            filtered=filtered,
            size=(width, height),
            quantiser=passed.quantiser_array(),
            resampled=resampled,
            enlarged_by=enlarged_by,
        )
        findings = find(series, self.detector)
        n = len(scores)
        picks = None
        if thumbnail_tap is not None:
            picks = thumbnail_tap.pick(findings.detection.segments, shot_ranges(signals.get("scene_change"), n))
        scanned_to = float(times[-1] + 1.0 / fps) if fps else float(times[-1])
        scanned = None
        duration_s = scanned_to
        if stats.range_s is not None:  # the part asked for: the video's own frames and times
            scanned = {"first_frame": stats.range_first_frame, "frames": n, **_span_of(float(times[0]), scanned_to)}
            duration_s = max(scanned_to, float(info.duration_s or 0.0))
        video = Video(
            path=path_text(path), name=info.name, stream=info.stream, frames=n, fps=fps, scanned=scanned,
            duration_s=duration_s, width=width, height=height,
            rotation=stats.rotation, codec=info.codec, declared_frames=info.declared_frames,
            corrupt_frames=stats.corrupt, missing_frames=sum(g["missing_frames"] for g in gaps),
            gaps=gaps[:MAX_GAPS_LISTED],
        )
        warnings.extend(_nothing_to_measure(n, tracker.flat_frames, (width, height), scorer.frame_format))
        if self.sizer.shrinks > shrinks_before:
            warnings.append(Message("warning.out_of_memory", {"times": self.sizer.shrinks - shrinks_before,
                                                               "batch_size": self.sizer.size}))
        passed.peak.sample()
        memory = {"peak_rss_mb": round(passed.peak.peak_mb, 1), **{k: round(v, 1) for k, v in scorer.peak_memory().items()}}
        timing = {"seconds": round(elapsed, 3), "frames_per_s": round(n / elapsed, 2) if elapsed > 0 else None}
        return build_result(video=video, settings=self.describe(), series=series, findings=findings,
                            camera_movement_vmbench=camera_movement_vmbench, thumbnails=picks, timing=timing,
                            memory=memory, warnings=warnings)

    def close(self) -> None:
        self.scorer.close()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _span_of(start_s: float, end_s: float) -> dict:
    return {"start_s": round(start_s, 4), "end_s": round(end_s, 4), "start_tc": clock(start_s), "end_tc": clock(end_s)}


def _gaps_warning(gaps: list[dict]) -> Message:
    first = gaps[0]
    return Message("warning.gaps", {"missing": sum(g["missing_frames"] for g in gaps), "gaps": len(gaps),
                                    "start_s": first["start_s"], "end_s": first["end_s"],
                                    "before_frame": first["before_frame"]})


def _nothing_to_measure(frames: int, flat_frames: int, display: tuple[int, int], frame_format) -> list[Message]:
    """Warnings for videos whose scores cannot mean anything, so 'no blur' is not read as a finding."""
    working = frame_format.output_size(*display)
    if min(working) < MIN_MEASURABLE_SIDE:
        return [Message("warning.too_small", {"width": display[0], "height": display[1],
                                              "working_width": working[0], "working_height": working[1]})]
    if frames and flat_frames == frames:
        return [Message("warning.flat")]
    return []


def _fps_from_times(times: np.ndarray) -> float:
    if len(times) < 2:
        return 0.0
    step = float(np.median(np.diff(times)))
    return 1.0 / step if step > 0 else 0.0


def scan(path: str | os.PathLike, settings: Settings | None = None, **kwargs) -> VideoResult:
    """Scan one video with ``settings`` (or ``Settings(**kwargs)``)."""
    with Scanner(settings or Settings(**kwargs)) as scanner:
        return scanner.scan(path)


__all__ = ["Progress", "Scanner", "scan"]
