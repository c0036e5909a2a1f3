"""The one pass over a video: decoded frames -> the scorer's per-frame work and the taps -> windows -> scores.

At any moment the pass holds one batch of converted frames, at most about
two batches of per-frame features (the windows being scored and the frames
being encoded) and ``W`` more in the window ring; the taps hold what they
declare (a native-size luma plane on the few frames the detail tap
measures, a bounded number of thumbnail candidates); plus a few floats per
frame for the score series. Nothing else depends on the video's length.

The scorer and the taps are known here only by what they do (the scorer's
``frame_format``, ``encode_frames``, ``score_windows`` ...; a tap's
``formats``, ``take``, ``scored``, ``finish``), so this stage imports none of them.
"""

from __future__ import annotations

import itertools
import math
import os
from array import array
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from blurscan.pipeline.memory import BatchSizer, PeakRSS, run_batched
from blurscan.pipeline.windows import sliding_windows
from blurscan.source.decode import DecodeStats, Frame, FrameFormat, VideoInfo, open_video


class Progress(Protocol):
    """What the pass reports while it works (the CLI draws it as a bar)."""

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


@dataclass
class Pass:
    """What one pass over a video collects: the decoder's facts, and a few numbers a frame."""

    info: VideoInfo
    stats: DecodeStats
    #: (width, height) as the video is shown, after rotation
    display_size: tuple[int, int]
    peak: PeakRSS
    times: array = field(default_factory=lambda: array("d"))
    scores: array = field(default_factory=lambda: array("d"))
    #: the scorer's per-frame signals
    signals: dict[str, array] = field(default_factory=dict)
    #: each frame's quantiser on the H.264 scale, as the decoder exported it (NaN: none)
    quantisers: array = field(default_factory=lambda: array("d"))

    def quantiser_array(self) -> np.ndarray | None:
        """The frames' quantisers (None when the decoder exported none)."""
        values = np.frombuffer(self.quantisers, dtype=np.float64)
        return values if len(values) and np.isfinite(values).any() else None

    def arrays(self) -> tuple[np.ndarray, np.ndarray, dict[str, np.ndarray]]:
        """(scores, times, signals) as arrays over the pass's own buffers."""
        return (np.frombuffer(self.scores, dtype=np.float64), np.frombuffer(self.times, dtype=np.float64),
                {name: np.frombuffer(values, dtype=np.float64) for name, values in self.signals.items()})


def _chunks(items: Iterable, sizer: BatchSizer) -> Iterator[list]:
    """Consecutive lists of up to ``sizer.size`` items (read afresh for every chunk)."""
    iterator = iter(items)
    while chunk := list(itertools.islice(iterator, sizer.size)):
        yield chunk


def _slots(scorer_format: FrameFormat, taps: Sequence, info: VideoInfo) -> tuple[list[FrameFormat], list[list[int]]]:
    """The formats to convert each frame to (each made once), and where each tap's pictures are among them."""
    formats = [scorer_format]
    slots = []
    for tap in taps:
        mine = []
        for fmt in tap.formats(info, scorer_format):
            if fmt not in formats:
                formats.append(fmt)
            mine.append(formats.index(fmt))
        slots.append(mine)
    return formats, slots


def encode_batch(scorer, images: list, sizer: BatchSizer) -> list:
    """The scorer's per-frame features of ``images``, the batch halved on running out of memory."""
    return run_batched(scorer.encode_frames, images, sizer, scorer.is_out_of_memory, scorer.on_out_of_memory)


def score_batch(scorer, windows: Sequence, sizer: BatchSizer) -> list[float]:
    """The scores of ``windows`` (each checked to lie in [0, 1], and clamped to it)."""
    scored = run_batched(scorer.score_windows, [w.items for w in windows], sizer, scorer.is_out_of_memory,
                         scorer.on_out_of_memory)
    out = []
    for window, score in zip(windows, scored):
        score = float(score)
        if not (math.isfinite(score) and -1e-6 <= score <= 1 + 1e-6):
            raise ValueError(f"scorer {scorer.name!r} returned {score} for frame {window.index}, outside [0, 1]")
        out.append(min(1.0, max(0.0, score)))
    return out


def run_pass(path: str | os.PathLike, scorer, taps: Sequence, sizer: BatchSizer, *, window_size: int,
             compat: str | None = None, stream: int | None = None, progress: Progress | None = None,
             time_range=None) -> Pass:
    """Decode ``path`` once, feed every frame to ``scorer`` and the ``taps``, and score its windows (only
    those of ``time_range``, a :class:`blurscan.timecode.TimeRange`, when given)."""
    progress = progress or _NoProgress()
    with open_video(path, stream=stream) as source:
        info = source.info
        formats, slots = _slots(scorer.frame_format, taps, info)
        passed = Pass(info=info, stats=source.stats, display_size=(info.width, info.height), peak=PeakRSS())
        times, scores, signals = passed.times, passed.scores, passed.signals
        own_quality = False  # whether the scorer gives each frame's own quality (else a window's score stands in)

        def features(frames: Iterable[Frame]) -> Iterator[Any]:
            nonlocal own_quality
            for chunk in _chunks(frames, sizer):
                for frame in chunk:
                    times.append(frame.time_s)
                    passed.quantisers.append(frame.quantiser)
                    for tap, mine in zip(taps, slots):
                        tap.take(frame.index, frame.time_s, tuple(frame.images[s] for s in mine))
                encoded = encode_batch(scorer, [f.images[0] for f in chunk], sizer)
                chunk_signals = scorer.frame_signals(encoded) or {}
                for name, values in chunk_signals.items():
                    signals.setdefault(name, array("d")).extend(float(v) for v in values)
                if "quality" in chunk_signals:
                    own_quality = True
                    for frame, quality in zip(chunk, chunk_signals["quality"]):
                        for tap in taps:
                            tap.scored(frame.index, float(quality))
                yield from encoded

        progress.start(info.name, source.expected_frames(time_range) or None)
        windows = sliding_windows(features(source.frames(formats, time_range)), window_size, compat)
        for chunk in _chunks(windows, sizer):
            for window, score in zip(chunk, score_batch(scorer, chunk, sizer)):
                scores.append(score)
                if not own_quality:
                    for tap in taps:
                        tap.scored(window.index, score)
            status = {"rss_mb": passed.peak.sample(), "batch_size": sizer.size, **scorer.memory_status()}
            progress.update(len(scores), status)
        progress.finish()
        passed.display_size = source.display_size
        for tap in taps:
            tap.finish(source.stats)
    passed.peak.sample()
    return passed
