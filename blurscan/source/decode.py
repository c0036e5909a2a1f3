"""Decoding: one streaming pass over a video's frames, each decoded once, in a background thread.

The decode thread does nothing but feed the decoder and hand its frames on
through a small queue, so memory is bounded for any length and the decoder
never waits for the per-frame work: each frame is converted straight to the
small formats its consumers ask for (:mod:`blurscan.source.convert`) on the
consuming thread, beside the scorer and the taps, while the next frames
decode. (Converting on the decode thread put the conversion between the
decoder's calls on every frame.) The full-size picture is dropped as soon as
those copies exist. Corrupt packets are counted and skipped; a long run of
them ends the scan with a clear error.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from blurscan.errors import CorruptVideoError, EmptyVideoError, NotAVideoError, VideoError, path_text
from blurscan.messages import Message
from blurscan.source.convert import Converter, FrameFormat, matrix_of, rotation_of
from blurscan.source.open import BoundedReader, VideoIsDirectoryError, check_path, ffmpeg_reason
from blurscan.source.quantiser import DECODER_OPTIONS, frame_quantiser
from blurscan.source.remote import as_video_path, is_url, open_stream
from blurscan.source.streams import choose_video_stream
from blurscan.source.tar import is_member, is_shard, open_member, shard_members
from blurscan.timecode import clock

logger = logging.getLogger("blurscan")

#: decoded frames buffered between the decode thread and the per-frame work (full size: a few MB each)
QUEUE_FRAMES = 6
#: give up after this many packets in a row fail to decode
MAX_CORRUPT_RUN = 100
#: a forward step of the clock longer than this (seconds) is a discontinuity, in formats that have them
#: (MPEG-TS, MPEG-PS, FLV: FFmpeg's own threshold); elsewhere a forward step is footage that is missing
MAX_CLOCK_JUMP_S = 10.0
#: outside those formats a step back is a restart only when it is longer than this (seconds) and than
#: REORDER_FRAMES frames: AVI and other formats without presentation times give B-frame streams times
#: that step back by a frame or two, which are the decoder's reordering, not a restart
MAX_REORDER_S = 1.0
REORDER_FRAMES = 16
#: how many discontinuities a warning names one by one (all are counted)
DISCONTINUITIES_LISTED = 5
#: FFmpeg's AVFMT_TS_DISCONT: the format's timestamps may restart or jump
TS_DISCONT = 0x200







@dataclass(frozen=True)
class VideoInfo:
    """What the container says about the video stream (sizes in display orientation)."""

    path: str
    name: str
    #: index of the scanned stream among all the container's streams
    stream: int
    width: int
    height: int
    fps: float
    declared_frames: int
    duration_s: float | None
    codec: str


@dataclass(slots=True)
class Frame:
    """One decoded frame: its position, its time and one picture per requested format."""

    index: int
    time_s: float
    images: tuple[np.ndarray, ...]
    #: the frame's mean quantiser on the H.264 QP scale (:mod:`blurscan.source.quantiser`); NaN: none exported
    quantiser: float = math.nan


@dataclass
class DecodeStats:
    decoded: int = 0
    corrupt: int = 0
    rotation: int = 0
    warnings: list[Message] = field(default_factory=list)
    #: how long after the stream's start the first decoded frame comes (frame times start at 0 there)
    first_frame_s: float = 0.0
    #: whether frames were lost: corrupt ones skipped, or fewer decoded than the container lists
    frames_lost: bool = False
    #: the colour matrix of "chroma" pictures: "bt601", "bt709" or "bt2020"
    matrix: str = "bt601"
    #: where the clock restarted or jumped: (frame, file time before, file time after), the first few
    discontinuities: list[tuple[int, float, float]] = field(default_factory=list)
    discontinuity_count: int = 0
    #: seconds from the stream's declared start to its first packet (a video track that starts late)
    track_lead_s: float = 0.0
    #: with a time range: (start, end) asked for in seconds, the decoded index of its first frame, frames kept
    range_s: tuple[float, float] | None = None
    range_first_frame: int | None = None
    kept: int = 0


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()




class VideoSource:
    """One open video: its metadata, and a single streaming pass over its frames.

    Use as a context manager; ``frames()`` may be iterated once.
    """

    def __init__(self, path: str | os.PathLike, *, threads: int = 0, stream: int | None = None):
        import av

        self.path = as_video_path(path)  # a URL is read as a stream, never handed to FFmpeg as a name
        self._handle = None
        self._worker: threading.Thread | None = None
        # read through a BoundedReader: opened as the literal file (no FFmpeg protocol), and a
        # long run of bytes without a packet (a clip padded with zeros) ends the reading
        if is_member(self.path):
            self._handle = BoundedReader(open_member(self.path), str(self.path))
        elif is_shard(self.path):
            count = len(shard_members(str(self.path)))  # an unreadable shard says why here
            raise NotAVideoError(self.path, f"is a tar shard of {count} files, not a video. Scan it with "
                                            "`blurscan batch`, or one member as tar://MEMBER::SHARD.")
        elif is_url(self.path):
            stream_file = open_stream(self.path)
            self._handle = BoundedReader(stream_file, str(getattr(stream_file, "name", "") or self.path.name))
        else:
            check_path(self.path)
        try:
            if self._handle is None:
                self._handle = BoundedReader.local(self.path)
            self._container = av.open(self._handle, metadata_errors="ignore")
        except av.error.FFmpegError as ex:
            raise NotAVideoError(
                self.path,
                f"cannot be read as a video ({ffmpeg_reason(ex)}). "
                "Check that it is a video file; if it is, re-encode or re-download it.",
            ) from ex
        except (UnicodeError, OSError) as ex:
            raise NotAVideoError(self.path, f"cannot be opened ({ex}).") from ex
        try:
            self._stream, stream_note = choose_video_stream(self.path, self._container, stream)
        except VideoError:
            self.close()
            raise
        self._stream.thread_type = "AUTO"
        self._stream.codec_context.thread_count = threads
        self._stream.codec_context.options = {**self._stream.codec_context.options, **DECODER_OPTIONS}
        self.stats = DecodeStats()
        if stream_note:
            self.stats.warnings.append(stream_note)
        self._used = False
        self._first_packet_s: float | None = None
        self._last_time = 0.0
        self.info = self._read_info()

    # -- metadata ---------------------------------------------------------

    def _read_info(self) -> VideoInfo:
        stream = self._stream
        rate = stream.average_rate or stream.guessed_rate or stream.base_rate
        fps = float(rate) if rate else 0.0
        if not math.isfinite(fps) or fps <= 0 or fps > 1000:
            fps = 0.0
        duration = None
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        elif self._container.duration:
            duration = self._container.duration / 1_000_000
        declared = int(stream.frames or 0)
        if declared == 0 and duration and fps:
            declared = int(round(duration * fps))
        ctx = stream.codec_context
        return VideoInfo(
            path=path_text(self.path),
            name=path_text(self.path.name),
            stream=stream.index,
            width=int(ctx.width or 0),
            height=int(ctx.height or 0),
            fps=fps,
            declared_frames=declared,
            duration_s=duration,
            codec=ctx.name or "unknown",
        )

    # -- streaming --------------------------------------------------------

    def expected_frames(self, time_range=None) -> int:
        """About how many frames a pass yields: the container's count, or the part of it ``time_range`` spans."""
        info = self.info
        if time_range is None or not info.fps or (time_range.needs_fps and not info.fps):
            return info.declared_frames
        start, end = time_range.bounds(info.fps)
        end = min(end, info.declared_frames / info.fps) if info.declared_frames else end
        return max(0, round((end - start) * info.fps)) if math.isfinite(end) else 0

    def frames(self, formats: Sequence[FrameFormat], time_range=None) -> Iterator[Frame]:
        """Yield every decodable frame in order, converted to each of ``formats``; with ``time_range`` (a
        :class:`blurscan.timecode.TimeRange`) only its frames, numbered from 0, their times on the video's own
        timeline (decoding stops at its end)."""
        if self._used:
            raise RuntimeError("VideoSource.frames() can be iterated only once; open the video again")
        self._used = True
        if time_range is not None:
            if time_range.needs_fps and not self.info.fps:
                raise VideoError(self.path, "declares no frame rate, so a --start, --end or --duration in "
                                                   "frames cannot be placed: give them as seconds or timecodes.")
            self.stats.range_s = time_range.bounds(self.info.fps)
        converter = Converter(formats)
        self._buffer = queue.Queue(maxsize=QUEUE_FRAMES)
        self._stop = threading.Event()
        self._worker = threading.Thread(
            target=self._produce, args=(self._buffer, self._stop), name="blurscan-decode", daemon=True
        )
        self._worker.start()
        try:
            while True:
                item = self._buffer.get()
                if item is _END:
                    break
                if isinstance(item, _Failure):
                    raise item.error
                index, time_s, av_frame = item
                yield Frame(index, time_s, converter.images(av_frame, self.stats.rotation, index),
                            frame_quantiser(av_frame))
                del item, av_frame  # the full-size picture goes now, not when the next one comes
        finally:
            self._stop_worker()
        self._finish()

    def _stop_worker(self) -> None:
        """Stop the decode thread and wait for it: the container must not close under it."""
        worker = self._worker
        if worker is None:
            return
        self._stop.set()
        while worker.is_alive():
            try:
                self._buffer.get_nowait()  # frees a producer blocked on a full queue
            except queue.Empty:
                worker.join(0.005)  # returns as soon as it ends: a 50 ms poll here was most of a short clip's cost
        worker.join()
        self._worker = None

    def _produce(self, buffer: queue.Queue, stop: threading.Event) -> None:
        """The decode thread: (index, time, decoded frame) for every frame, then _END (or a _Failure)."""
        def put(item) -> bool:
            while not stop.is_set():
                try:
                    buffer.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        fps = self.info.fps
        low, high = self.stats.range_s or (-math.inf, math.inf)
        half = 0.5 / fps if fps else 1e-6  # a frame belongs to the range when its time rounds into it
        try:
            first_time = None
            step = 1.0 / fps if fps else 0.04
            jumps = bool(self._container.format.flags & TS_DISCONT)
            back = 0.5 * step if jumps else max(MAX_REORDER_S, REORDER_FRAMES * step)
            offset = 0.0  # added to the file's clock to keep one timeline across its restarts
            last = None
            for av_frame in self._decode():
                if stop.is_set():
                    return
                index = self.stats.decoded
                if index == 0:
                    self.stats.rotation = rotation_of(av_frame)
                    self.stats.matrix = matrix_of(av_frame)
                time = av_frame.time
                if time is None or not math.isfinite(time):
                    time_s = index / fps if fps else float(index)
                else:
                    if first_time is None:
                        first_time = time
                        self.stats.first_frame_s = self._lead_time(time)
                    time_s = time - first_time + offset
                    if last is not None and (time_s < last - back or (jumps and time_s > last + MAX_CLOCK_JUMP_S)):
                        self._discontinuity(index, last + first_time - offset, time)
                        offset += last + step - time_s
                        time_s = last + step
                    last = time_s if last is None else max(last, time_s)
                self.stats.decoded += 1
                self._last_time = time_s
                if time_s < low - half:
                    continue  # before the range: decoded (the codec needs it), never converted
                if time_s >= high - half:
                    break
                kept = self.stats.kept
                if kept == 0:
                    self.stats.range_first_frame = index
                self.stats.kept += 1
                if not put((kept, time_s, av_frame)):
                    return
            put(_END)
        except BaseException as ex:  # noqa: BLE001 - handed to the consuming thread
            put(_Failure(ex))

    def _discontinuity(self, index: int, before: float, after: float) -> None:
        """Note that the file's clock went from ``before`` to ``after`` (seconds) at frame ``index``."""
        self.stats.discontinuity_count += 1
        if len(self.stats.discontinuities) < DISCONTINUITIES_LISTED:
            self.stats.discontinuities.append((index, round(before, 3), round(after, 3)))

    def _decode(self):
        import av

        stream = self._stream
        reader = self._handle if isinstance(self._handle, BoundedReader) else None
        run = 0
        first_packet = None  # the earliest packet time before the first frame: where the track starts
        demux = self._container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except av.error.FFmpegError as ex:
                self.stats.warnings.append(Message("warning.container_error", {"reason": ffmpeg_reason(ex)}))
                break
            if reader is not None and packet.size:
                reader.packet()
            if self.stats.decoded == 0 and packet.pts is not None and packet.time_base:
                packet_time = float(packet.pts * packet.time_base)
                first_packet = packet_time if first_packet is None else min(first_packet, packet_time)
                self._first_packet_s = first_packet
            try:
                decoded = packet.decode()
            except av.error.EOFError:
                break
            except av.error.FFmpegError as ex:
                run += 1
                self.stats.corrupt += 1
                if run >= MAX_CORRUPT_RUN:
                    raise CorruptVideoError(
                        self.path,
                        f"{run} packets in a row failed to decode ({ffmpeg_reason(ex)}); giving up. "
                        "The file is damaged: re-encode or re-download it.",
                    ) from ex
                continue
            for av_frame in decoded:
                if av_frame.is_corrupt:
                    self.stats.corrupt += 1
                    continue
                run = 0
                yield av_frame
        # A broken container stops demuxing before the flush packet: drain the decoder.
        try:
            for av_frame in stream.codec_context.decode(None):
                if not av_frame.is_corrupt:
                    yield av_frame
        except av.error.FFmpegError:
            pass

    def _lead_time(self, first_time: float) -> float:
        """Seconds from the track's start to its first decoded frame (0 when unknown).

        The track starts at its first packet: a video track may start after the audio (Matroska
        then declares 0 for both), and frames before its first packet are not missing ones.
        """
        stream = self._stream
        if stream.start_time is None or not stream.time_base:
            return 0.0
        start = float(stream.start_time * stream.time_base)
        first_packet = self._first_packet_s
        if first_packet is not None and math.isfinite(first_packet) and first_packet > start:
            self.stats.track_lead_s = first_packet - start
            start = first_packet
        lead = first_time - start
        return lead if math.isfinite(lead) and lead > 0 else 0.0

    def _finish(self) -> None:
        stats, info = self.stats, self.info
        if stats.decoded == 0:
            raise EmptyVideoError(
                self.path,
                "contains no decodable video frames. The file is empty or damaged: re-encode or re-download it.",
            )
        if stats.kept == 0:
            start, end = stats.range_s or (0.0, math.inf)
            raise EmptyVideoError(
                self.path,
                f"has no frame from {clock(start)} to {'its end' if not math.isfinite(end) else clock(end)} "
                f"({stats.decoded:,} frames decoded, the last at {clock(self._last_time)}): choose a --start, --end "
                "or --duration inside the video.",
            )
        if stats.corrupt:
            stats.warnings.append(Message("warning.corrupt", {"count": stats.corrupt}))
        if stats.discontinuity_count:
            stats.warnings.append(Message("warning.discontinuity", {  # (frame, file time before, after), the first few
                "count": stats.discontinuity_count, "at": [list(d) for d in stats.discontinuities]}))
        reader = self._handle if isinstance(self._handle, BoundedReader) else None
        if reader is not None and reader.cut_at is not None:
            stats.warnings.append(Message("warning.unreadable_tail", {
                "mb": round(reader.limit / 2**20), "at": reader.cut_at}))
        declared = info.declared_frames
        if declared and not self._stream.frames and stats.track_lead_s and info.fps:
            declared = max(0, declared - int(round(stats.track_lead_s * info.fps)))  # counted from a late track's start
        ended_early = stats.range_s is not None and math.isfinite(stats.range_s[1])
        short = bool(declared) and not ended_early and stats.decoded + stats.corrupt < 0.98 * declared - 1
        stats.frames_lost = bool(stats.corrupt) or short
        if short:
            stats.warnings.append(Message("warning.truncated", {"decoded": stats.decoded, "declared": declared}))

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as the video is shown, after rotation metadata."""
        w, h = self.info.width, self.info.height
        return (h, w) if self.stats.rotation % 180 else (w, h)

    def close(self) -> None:
        self._stop_worker()
        if getattr(self, "_container", None) is not None:
            self._container.close()
        if self._handle is not None:
            self._handle.close()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()




def open_video(path: str | os.PathLike, **kwargs) -> VideoSource:
    """Open ``path`` for one streaming pass. Raises a :class:`VideoError` with advice on failure."""
    return VideoSource(path, **kwargs)


#: the most gaps a result lists one by one (all are counted)
MAX_GAPS_LISTED = 100


def timeline_gaps(times_s: np.ndarray, fps: float, start_s: float = 0.0) -> list[dict]:
    """Stretches of the video's timeline where no frame was decoded.

    ``times_s`` are the decoded frames' times on the video's own timeline (0 = the stream's
    start). A step of more than 1.5 frame durations is a gap; ``before_frame`` is the decoded
    frame that ends it (0 when the video's first frames are missing; ``start_s``: where the
    frames scanned begin, for a time range). Only meaningful for frames known to be lost: a
    variable-frame-rate video has long steps of its own.
    """
    if not fps or fps <= 0 or not len(times_s):
        return []
    step = 1.0 / fps
    previous_end = np.concatenate([[start_s], np.asarray(times_s[:-1]) + step])
    late = np.asarray(times_s) - previous_end
    return [
        {
            "before_frame": int(i),
            "start_s": round(float(previous_end[i]), 4),
            "end_s": round(float(times_s[i]), 4),
            "missing_frames": max(1, int(round(late[i] / step))),
        }
        for i in np.flatnonzero(late > 0.5 * step)
    ]






__all__ = ["DecodeStats", "Frame", "FrameFormat", "VideoInfo", "VideoIsDirectoryError", "VideoSource", "open_video",
           "timeline_gaps"]
