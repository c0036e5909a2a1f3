"""Engine: decoded frames -> per-frame features -> windows -> batches -> scores, streaming.

At any moment the pipeline holds one batch of converted frames, at most about
two batches of per-frame features (the windows being scored and the frames
being encoded) and ``W`` more in the window ring, a native-size luma plane on
the few frames the detail stage measures, and the thumbnail candidates (a
bounded number, small); plus a few floats per frame for the score series
(score, time, per-frame signals, detail). Nothing else depends on the
video's length.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import time
from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from blurscan.detect import DEFAULT_DETECTOR, Detector, ScoreSeries, create_detector
from blurscan.taps.detail import detail_format, effective_size, measure_detail
from blurscan.taps.shots import shot_ranges
from blurscan.errors import path_text
from blurscan.pipeline.memory import BatchSizer, PeakRSS, run_batched
from blurscan.taps.motion import MOTION_FORMAT, MotionTracker
from blurscan.result import VideoResult
from blurscan.scorers import Scorer, create_scorer
from blurscan.settings import Settings
from blurscan.taps.thumbnails import CHROMA_FORMAT, ThumbnailCollector
from blurscan.source.decode import MAX_GAPS_LISTED, Frame, open_video, timeline_gaps
from blurscan.pipeline.windows import sliding_windows

logger = logging.getLogger("blurscan")


class Progress(Protocol):
    """What the engine reports while it works (the CLI draws it as a bar)."""

    def start(self, name: str, total: int | None) -> None: ...

    def update(self, done: int, status: dict[str, Any]) -> None: ...

    def finish(self) -> None: ...


class _NoProgress:
    def start(self, name, total):
        pass

    def update(self, done, status):
        pass

    def finish(self):
        pass


def _chunks(items: Iterable, sizer: BatchSizer) -> Iterator[list]:
    """Consecutive lists of up to ``sizer.size`` items (read afresh for every chunk)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, sizer.size)):
        yield chunk


@dataclass
class _Gathered:
    """What one pass over a video collects: a few numbers a frame, the decoder's facts, the thumbnail candidates."""

    info: Any
    motion: MotionTracker
    peak: PeakRSS
    thumbnails: ThumbnailCollector | None = None
    times: array = field(default_factory=lambda: array("d"))
    scores: array = field(default_factory=lambda: array("d"))
    signals: dict[str, array] = field(default_factory=dict)
    #: per frame, the share of its resolution the picture carries (NaN where not measured)
    detail: array = field(default_factory=lambda: array("d"))
    #: ... and how much it looks like a sharp picture behind a low-pass filter (see blurscan.taps.detail)
    filtered: array = field(default_factory=lambda: array("d"))
    rotation: int = 0
    #: the colour matrix of the decoder's chroma (for the thumbnails' colour)
    matrix: str = "bt601"
    width: int = 0
    height: int = 0
    warnings: list[str] = field(default_factory=list)
    corrupt: int = 0
    frames_lost: int = 0
    first_frame_s: float = 0.0


class Scanner:
    """Scans videos one after another with one scorer and one detector (models load once)."""

    def __init__(self, settings: Settings | None = None, *, scorer: Scorer | None = None, detector: Detector | None = None):
        self.settings = settings or Settings()
        self.scorer = scorer or create_scorer(self.settings.scorer, **self.settings.scorer_options)
        self.detector = detector or create_detector(
            self.settings.detector or DEFAULT_DETECTOR, **self.settings.detector_options
        )
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
        gathered = self._stream(path, progress or _NoProgress(), thumbnails)
        return self._assemble(path, gathered, time.perf_counter() - started, shrinks_before)

    def _stream(self, path, progress: Progress, thumbnails: bool) -> _Gathered:
        """The one pass over the video: a few numbers per frame, and the thumbnail candidates."""
        scorer, sizer = self.scorer, self.sizer
        peak = PeakRSS()
        with open_video(path, stream=self.settings.stream) as source:
            info = source.info
            formats = [scorer.frame_format]
            motion_slot = 0 if MOTION_FORMAT == scorer.frame_format else len(formats)
            if motion_slot:
                formats.append(MOTION_FORMAT)
            collector = ThumbnailCollector(expected_frames=info.declared_frames) if thumbnails else None
            chroma_slot = None
            if collector is not None and scorer.frame_format.pixel_format == "gray":
                chroma_slot = len(formats)
                formats.append(CHROMA_FORMAT)
            detail_slot = len(formats)
            formats.append(detail_format(info.fps))
            gathered = _Gathered(info=info, motion=MotionTracker(), peak=peak, thumbnails=collector)
            times, scores, signals = gathered.times, gathered.scores, gathered.signals
            detail, filtered = gathered.detail, gathered.filtered
            waiting: dict[int, tuple] = {}  # the pictures of frames not yet scored, for the thumbnails

            def features(frames: Iterable[Frame]) -> Iterator[Any]:
                for chunk in _chunks(frames, sizer):
                    for frame in chunk:
                        gathered.motion.update(frame.images[motion_slot])
                        times.append(frame.time_s)
                        luma = frame.images[detail_slot]  # native size, on a few frames a second
                        held = None if luma is None else measure_detail(luma)
                        detail.append(math.nan if held is None else held.share)
                        filtered.append(math.nan if held is None else held.filtered)
                        if collector is not None:
                            chroma = frame.images[chroma_slot] if chroma_slot is not None else None
                            waiting[frame.index] = (frame.images[0], chroma)
                    encoded = run_batched(
                        scorer.encode_frames, [f.images[0] for f in chunk], sizer, scorer.is_out_of_memory,
                        scorer.on_out_of_memory,
                    )
                    chunk_signals = scorer.frame_signals(encoded) or {}
                    for name, values in chunk_signals.items():
                        signals.setdefault(name, array("d")).extend(float(v) for v in values)
                    if collector is not None and "quality" in chunk_signals:
                        # a frame's own quality is known now: offer it at once, hold no picture for later
                        for frame, quality in zip(chunk, chunk_signals["quality"]):
                            collector.offer(frame.index, float(quality), *waiting.pop(frame.index))
                    yield from encoded

            progress.start(info.name, info.declared_frames or None)
            windows = sliding_windows(features(source.frames(formats)), self.settings.window_size, self.settings.compat)
            for chunk in _chunks(windows, sizer):
                batch_scores = run_batched(
                    scorer.score_windows, [w.items for w in chunk], sizer, scorer.is_out_of_memory, scorer.on_out_of_memory
                )
                for window, score in zip(chunk, batch_scores):
                    score = float(score)
                    if not (math.isfinite(score) and -1e-6 <= score <= 1 + 1e-6):
                        raise ValueError(f"scorer {scorer.name!r} returned {score} for frame {window.index}, outside [0, 1]")
                    scores.append(min(1.0, max(0.0, score)))
                    if collector is not None and window.index in waiting:  # scorers without a per-frame quality
                        collector.offer(window.index, score, *waiting.pop(window.index))
                status = {"rss_mb": peak.sample(), "batch_size": sizer.size, **scorer.memory_status()}
                progress.update(len(scores), status)
            progress.finish()
            stats = source.stats
            gathered.rotation, gathered.matrix = stats.rotation, stats.matrix
            gathered.width, gathered.height = source.display_size
            gathered.warnings = list(stats.warnings)
            gathered.corrupt = stats.corrupt
            gathered.frames_lost, gathered.first_frame_s = stats.frames_lost, stats.first_frame_s
        return gathered

    def _assemble(self, path, gathered: _Gathered, elapsed: float, shrinks_before: int) -> VideoResult:
        """From the pass's numbers to the result: time line, detection, verdict and bookkeeping."""
        scorer, sizer, info = self.scorer, self.sizer, gathered.info
        gathered.peak.sample()
        warnings = gathered.warnings
        score_array = np.frombuffer(gathered.scores, dtype=np.float64)
        times_array = np.frombuffer(gathered.times, dtype=np.float64)
        fps = info.fps or _fps_from_times(times_array)
        gaps: list[dict] = []
        late_start = bool(fps) and gathered.first_frame_s >= 1.5 / fps  # the first frames did not decode
        if fps and (gathered.frames_lost or late_start):
            # frame numbers count decoded frames; times stay on the video's own timeline
            if late_start:
                times_array = times_array + gathered.first_frame_s
            gaps = timeline_gaps(times_array, fps)
            if gaps:
                warnings.append(_gaps_warning(gaps))
        motion = gathered.motion
        signal_arrays = {name: np.frombuffer(values, dtype=np.float64) for name, values in gathered.signals.items()}
        signal_arrays.update(motion.signals())
        camera_movement = motion.camera_movement("flow")
        camera_movement_vmbench = motion.camera_movement("vmbench")
        chosen_movement = camera_movement if self.settings.camera_motion == "flow" else camera_movement_vmbench
        series = ScoreSeries(
            scores=score_array,
            times_s=times_array,
            fps=fps,
            camera_movement=chosen_movement,
            signals=signal_arrays,
            absolute_scale=scorer.absolute_scale,
            missing_after=frozenset(g["before_frame"] - 1 for g in gaps if g["before_frame"]),
            native_scale=scorer.native_scale(gathered.width, gathered.height),
            detail=np.frombuffer(gathered.detail, dtype=np.float64),
            filtered=np.frombuffer(gathered.filtered, dtype=np.float64),
            size=(gathered.width, gathered.height),
        )
        detection = self.detector.detect(series)
        n = len(score_array)
        thumbnails = None
        if gathered.thumbnails is not None:
            shots = shot_ranges(signal_arrays.get("scene_change"), n)
            thumbnails = gathered.thumbnails.pick(detection.segments, shots, gathered.matrix)
        duration = float(times_array[-1] + 1.0 / fps) if fps else float(times_array[-1])
        width, height = gathered.width, gathered.height
        video = {
            "path": path_text(path),
            "name": info.name,
            "stream": info.stream,
            "frames": n,
            "fps": round(fps, 6),
            "duration_s": round(duration, 4),
            "width": width,
            "height": height,
            "rotation": gathered.rotation,
            "codec": info.codec,
            "declared_frames": info.declared_frames,
            "corrupt_frames": gathered.corrupt,
            "frame_numbering": "decoded",
            "missing_frames": sum(g["missing_frames"] for g in gaps),
            "gaps": gaps[:MAX_GAPS_LISTED],
            **effective_size(series.detail, (width, height), outside=_event_frames(detection)),
        }
        peak = gathered.peak
        memory = {"peak_rss_mb": round(peak.peak_mb, 1), **{k: round(v, 1) for k, v in scorer.peak_memory().items()}}
        timing = {
            "seconds": round(elapsed, 3),
            "frames_per_s": round(n / elapsed, 2) if elapsed > 0 else None,
        }
        warnings.extend(_nothing_to_measure(n, motion.flat_frames, (width, height), scorer.frame_format))
        if sizer.shrinks > shrinks_before:
            warnings.append(
                f"out of memory {sizer.shrinks - shrinks_before} time(s); batch size reduced to {sizer.size}"
            )
        return VideoResult(
            video=video,
            settings=self.describe(),
            scores=score_array,
            times_s=times_array,
            detection=detection,
            camera_movement=chosen_movement,
            camera_movement_vmbench=camera_movement_vmbench,
            signals=signal_arrays,
            timing=timing,
            memory=memory,
            warnings=warnings,
            thumbnails=thumbnails,
            series=series,
        )

    def close(self) -> None:
        self.scorer.close()

    def __enter__(self) -> Scanner:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _event_frames(detection) -> np.ndarray:
    """The frames of blur events (not of soft shots): a blur event does not lower what a shot holds."""
    spans = [np.arange(s.start_frame, s.end_frame + 1) for s in detection.segments if s.kind == "event"]
    return np.concatenate(spans) if spans else np.zeros(0, dtype=np.int64)


def _gaps_warning(gaps: list[dict]) -> str:
    first = gaps[0]
    missing = sum(g["missing_frames"] for g in gaps)
    return (
        f"about {missing} frame(s) could not be decoded, in {len(gaps)} gap(s) (the first {first['start_s']:.2f}–"
        f"{first['end_s']:.2f} s, before frame {first['before_frame']}); frame numbers count decoded frames, so "
        "after a gap they run behind the video's own, while times stay on the video's timeline (see video.gaps)"
    )


#: a picture smaller than this on either side, at the scorer's working size, holds no measurable edge
MIN_MEASURABLE_SIDE = 8


def _nothing_to_measure(frames: int, flat_frames: int, display: tuple[int, int], frame_format) -> list[str]:
    """Warnings for videos whose scores cannot mean anything, so 'no blur' is not read as a finding."""
    working = frame_format.output_size(*display)
    if min(working) < MIN_MEASURABLE_SIDE:
        return [
            f"frames of {display[0]}x{display[1]} pixels are {working[0]}x{working[1]} at the scorer's working size: "
            "too small to measure, so the scores say nothing about blur"
        ]
    if frames and flat_frames == frames:
        return [
            "every frame is a single flat colour (black, blank or a test card without detail): "
            "there was nothing to measure, so 'no blur' says nothing about this video"
        ]
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
