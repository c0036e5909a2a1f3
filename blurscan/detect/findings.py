"""What one video's scores say: the detector's blur events, the shot stage's verdicts, the stretches the encoder
crushed, and the cause of each."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace

import numpy as np

from blurscan.detect.base import (
    Detection,
    Detector,
    ScoreSeries,
    Segment,
    recommendations,
    segment_times,
    worst_severity,
)
from blurscan.detect.cause import Cause, direction_widths, event_cause
from blurscan.detect.compression import STRETCH_S, crushed_stretches, crushed_threshold, severity_of
from blurscan.detect.softness import Shots, judge_shots
from blurscan.messages import Message


@dataclass
class Findings:
    """The detector's detection with the shots soft throughout folded in, and every shot's verdict."""

    detection: Detection
    shots: Shots


def find(series: ScoreSeries, detector: Detector) -> Findings:
    """Run ``detector`` on ``series``, judge every shot at its sensitivity, conclude, add the crushed stretches,
    and give every segment its cause."""
    detection = detector.detect(series)
    events = np.zeros(len(series), dtype=bool)
    events[np.asarray(detection.blur_frames, dtype=np.int64)] = True
    sensitivity = getattr(detector, "sensitivity", None)
    sensitivity = 0.5 if sensitivity is None else float(sensitivity)
    shots = judge_shots(series, events, sensitivity)
    concluded = detector.conclude(series, detection, shots)
    concluded = _with_crushed_stretches(series, concluded, shots, crushed_threshold(sensitivity))
    return Findings(_with_causes(series, concluded, shots), shots)


def _with_crushed_stretches(series: ScoreSeries, detection: Detection, shots: Shots, threshold: float) -> Detection:
    """Stretches of clean shots the encoder crushed (a bitrate drop), as events of cause compression; an event
    they overlap joins them."""
    crushed_shots = {v.start for v in shots.verdicts if v.cause is not None and v.cause.name == "compression"}
    spans = [(v.start, v.stop) for v in shots.verdicts if v.start not in crushed_shots]
    stretches = crushed_stretches(series.quantiser, series.fps, spans, threshold)
    if not stretches:
        return detection
    segments = list(detection.segments)
    flags = np.zeros(len(series), dtype=bool)
    flags[np.asarray(detection.blur_frames, dtype=np.int64)] = True
    measurable = series.frame_quality() > 0
    reach = max(1, round((series.fps or 25.0) * STRETCH_S / 2))  # an event this close to the stretch is its edge
    for start, end, quantiser in stretches:
        overlapping = [s for s in segments
                       if s.kind != "soft" and s.start_frame <= end + reach and s.end_frame >= start - reach]
        for seg in overlapping:
            segments.remove(seg)
        start = min([start, *(s.start_frame for s in overlapping)])
        end = max([end, *(s.end_frame for s in overlapping)])
        start_s, end_s = segment_times(series, start, end)
        severity = worst_severity([severity_of(quantiser, threshold), *(s.severity for s in overlapping)])
        cause = Cause("compression", min(1.0, 0.6 + (quantiser - threshold) / 10.0))
        segments.append(Segment(start, end, start_s, end_s, severity, float(np.min(series.scores[start : end + 1])),
                                cause=cause))
        flags[start : end + 1] |= measurable[start : end + 1]
    segments.sort(key=lambda seg: (seg.start_frame, seg.kind != "soft"))
    severity = worst_severity([detection.severity, *(s.severity for s in segments)])
    advice = detection.recommendations if severity == detection.severity else recommendations(severity)
    return replace(detection, segments=segments, blur_frames=np.flatnonzero(flags).astype(np.int64), blur_detected=True,
                   severity=severity, recommendations=advice)


def _with_causes(series: ScoreSeries, detection: Detection, shots: Shots) -> Detection:
    """Every event's cause (a soft shot's comes from its verdict), and advice for each cause found, the
    cause of most blurred frames first."""
    if not detection.segments:
        return detection
    n = len(series)
    widths2 = direction_widths(series.signals, n)
    quality = series.frame_quality()
    in_event = np.zeros(n, dtype=bool)
    for seg in detection.segments:
        if seg.kind != "soft":
            in_event[seg.start_frame : seg.end_frame + 1] = True
    spans = [(v.start, v.stop) for v in shots.verdicts] or [(0, n)]
    segments = []
    for seg in detection.segments:
        if getattr(seg, "cause", None) is None:  # a plug-in's own segment class may not carry one
            shot = next((s for s in spans if s[0] <= seg.start_frame < s[1]), (0, n))
            seg = replace(seg, cause=event_cause(series, widths2, quality, seg.start_frame, seg.end_frame, shot, in_event))
        segments.append(seg)
    frames: Counter = Counter()
    for seg in segments:
        frames[seg.cause.name] += seg.frames
    advice = [Message(f"advice.cause.{name}") for name, _ in frames.most_common() if name != "unknown"]
    kept = [m for m in detection.recommendations if not (isinstance(m, Message) and m in advice)]
    return replace(detection, segments=segments, recommendations=[*advice, *kept])
