"""The one place a result is built: from what the pass measured and what the detector and the shot stage found."""

from __future__ import annotations

from typing import Any

import numpy as np

from blurscan.detect.base import ScoreSeries
from blurscan.detect.findings import Findings
from blurscan.detect.softness import held_per_frame
from blurscan.messages import Message
from blurscan.result.model import EVENT, SOFT, Segment, Shot, Thumbnail, Verdict, Video, VideoResult
from blurscan.taps.detail import effective_size


def build_result(*, video: Video, settings: dict[str, Any], series: ScoreSeries, findings: Findings,
                 camera_movement_vmbench: float, thumbnails: list[dict[str, Any] | None] | None = None,
                 timing: dict[str, Any] | None = None, memory: dict[str, Any] | None = None,
                 warnings: list[Message] | None = None) -> VideoResult:
    """The model of one scanned video.

    ``video`` holds the decoder's facts; what its picture holds is measured here from the
    series, leaving the blur events out. ``thumbnails`` are the picks of the thumbnail tap,
    one per segment of the concluded detection, in its order.
    """
    detection, shots = findings.detection, findings.shots
    picks = list(thumbnails or [])
    picks += [None] * (len(detection.segments) - len(picks))
    events: list[Segment] = []
    soft_thumbnails: dict[int, dict[str, Thumbnail]] = {}
    times = series.times_s
    for found, pick in zip(detection.segments, picks):
        refs = {role: Thumbnail(t.frame, float(times[t.frame]), image=t) for role, t in (pick or {}).items()}
        if found.kind == SOFT:
            soft_thumbnails[found.start_frame] = refs
            continue
        events.append(Segment(found.start_frame, found.end_frame, found.start_s, found.end_s, found.severity,
                              float(found.min_score), EVENT, None, refs, cause=found.cause))
    model_shots = []
    for verdict in shots.verdicts:
        held = verdict.held
        shot = Shot(verdict.index, verdict.start, verdict.stop - 1, verdict.start_s, verdict.end_s, soft=verdict.soft,
                    severity=verdict.severity, reason_code=verdict.reason_code, reason_values=dict(verdict.reason_values),
                    detail=held.get("detail"), effective_width=held.get("effective_width"),
                    effective_height=held.get("effective_height"), cause=verdict.cause)
        if verdict.soft:
            shot.min_score = float(np.min(series.scores[verdict.start : verdict.stop]))
            shot.thumbnails = soft_thumbnails.get(verdict.start, {})
        model_shots.append(shot)
    event_frames = [np.arange(s.start_frame, s.end_frame + 1) for s in events]
    held = effective_size(held_per_frame(series.detail, shots.verdicts), series.size,
                          outside=np.concatenate(event_frames) if event_frames else np.zeros(0, dtype=np.int64))
    video.detail, video.effective_width, video.effective_height = (
        held["detail"], held["effective_width"], held["effective_height"])
    verdict = Verdict(
        blur_detected=bool(detection.blur_detected), severity=detection.severity, confidence=float(detection.confidence),
        threshold=detection.threshold, recommendations=[Message.of(r) for r in detection.recommendations],
        blurry_throughout=shots.blurry_throughout, floor=shots.floor, smoothness=detection.smoothness,
        camera_movement=float(series.camera_movement), camera_movement_vmbench=float(camera_movement_vmbench),
    )
    return VideoResult(
        video=video, settings=settings, scores=series.scores, blur_frames=np.asarray(detection.blur_frames, np.int64),
        events=events, shots=model_shots, verdict=verdict, times_s=series.times_s, signals=dict(series.signals),
        timing=dict(timing or {}), memory=dict(memory or {}), warnings=list(warnings or []),
        detector_extra=dict(detection.extra), series=series,
    )
