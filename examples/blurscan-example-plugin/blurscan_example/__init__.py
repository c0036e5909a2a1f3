"""Example blurscan plug-ins: a scorer, a detector and a batch engine (see the README beside this package).

Each is one class against blurscan's public base class; options are constructor keyword parameters.
"""

from __future__ import annotations

import os
from typing import Annotated

import numpy as np

from blurscan import Detection, Detector, FrameFormat, Range, Scanner, Scorer, Segment
from blurscan.batch import BatchExecutor, job_name, scan_to_outputs
from blurscan.detect import recommendations, runs, segment_times, worst_severity


class ContrastScorer(Scorer):
    """Quality from the mean gradient of a small grey picture: flat (blurred) pictures score low."""

    name = "contrast"
    description = "mean gradient of a grey picture, mapped to [0, 1] (example plug-in)"

    def __init__(self, working_width: Annotated[int, Range(32, 1920), "width frames are measured at"] = 320,
                 gain: Annotated[float, Range(0.1, 10.0), "how fast the score rises with the gradient"] = 1.0):
        self.working_width = working_width
        self.gain = gain

    @property
    def frame_format(self) -> FrameFormat:
        return FrameFormat("gray", self.working_width)

    def encode_frames(self, images):
        # per-frame work, once: the mean absolute gradient (grey levels a pixel)
        return [float(np.abs(np.diff(image.astype(np.float32), axis=1)).mean()) for image in images]

    def score_windows(self, windows):
        return [float(np.mean([1.0 - np.exp(-self.gain * g / 8.0) for g in window])) for window in windows]

    def frame_signals(self, features):
        return {"quality": [1.0 - np.exp(-self.gain * g / 8.0) for g in features]}


class BelowDetector(Detector):
    """Frames whose own quality is below ``level`` are blurry; runs of them are the events."""

    name = "below"
    description = "frames below a fixed quality level (example plug-in)"

    def __init__(self, level: Annotated[float, Range(0.0, 1.0), "the quality below which a frame is blurry"] = 0.5,
                 sensitivity: Annotated[float, Range(0.0, 1.0), "for the shot stage's verdicts"] = 0.5):
        self.level = level
        self.sensitivity = sensitivity

    def detect(self, series):
        quality = series.frame_quality()
        flags = quality < self.level
        segments = []
        for start, end in runs(flags):
            start_s, end_s = segment_times(series, start, end)
            depth = self.level - float(quality[start : end + 1].min())
            severity = "severe" if depth > 0.3 else "moderate" if depth > 0.15 else "mild"
            segments.append(Segment(start, end, start_s, end_s, severity, float(series.scores[start : end + 1].min())))
        severity = worst_severity(s.severity for s in segments)
        return Detection(blur_frames=np.flatnonzero(flags), segments=segments, blur_detected=bool(segments),
                         severity=severity, confidence=1.0 if segments else 0.5, threshold=self.level,
                         recommendations=recommendations(severity))


class SmallestFirstEngine(BatchExecutor):
    """Scans the videos in this process, the smallest files first (quick results for a first look)."""

    name = "smallest-first"
    description = "one process, smallest files first (example plug-in)"

    def __init__(self, settings, workers: int = 1, *, plot: bool = False, thumbnails: bool = False):
        self.settings, self.plot, self.thumbnails = settings, plot, thumbnails

    def run(self, jobs, on_done, progress):
        def size(job):
            try:
                return os.path.getsize(job.path)
            except OSError:
                return 0

        with Scanner(self.settings) as scanner:
            for job in sorted(jobs, key=size):
                bar = progress.video(job_name(job), job.path) if progress else None
                on_done(job, scan_to_outputs(scanner, job.path, plot=self.plot, thumbnails=self.thumbnails, progress=bar))
