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
from blurscan.source.convert import FrameFormat, convert, matrix_of, rotation_of
from blurscan.source.open import VideoIsDirectoryError, check_path, ffmpeg_reason, open_container
from blurscan.source.remote import as_video_path, is_url, open_stream
from blurscan.source.streams import choose_video_stream
from blurscan.source.tar import is_member, is_shard, open_member, shard_members

logger = logging.getLogger("blurscan")

#: decoded frames buffered between the decode thread and the per-frame work (full size: a few MB each)
QUEUE_FRAMES = 6
#: give up after this many packets in a row fail to decode
MAX_CORRUPT_RUN = 100







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
        if is_member(self.path):
            self._handle = open_member(self.path)
        elif is_shard(self.path):
            count = len(shard_members(str(self.path)))  # an unreadable shard says why here
            raise NotAVideoError(self.path, f"is a tar shard of {count} files, not a video. Scan it with "
                                            "`blurscan batch`, or one member as tar://MEMBER::SHARD.")
        elif is_url(self.path):
            self._handle = open_stream(self.path)
        else:
            check_path(self.path)
        try:
            if self._handle is not None:
                self._container = av.open(self._handle, metadata_errors="ignore")
            else:
                self._container, self._handle = open_container(self.path)
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
        self.stats = DecodeStats()
        if stream_note:
            self.stats.warnings.append(stream_note)
        self._used = False
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

    def frames(self, formats: Sequence[FrameFormat]) -> Iterator[Frame]:
        """Yield every decodable frame in order, converted to each of ``formats``."""
        if self._used:
            raise RuntimeError("VideoSource.frames() can be iterated only once; open the video again")
        self._used = True
        formats = tuple(formats)
        from av.video.reformatter import VideoReformatter

        # One scaler per format, set up once: a fresh one per call costs more than the scaling.
        scalers = [VideoReformatter() for _ in formats]
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
                rotation = self.stats.rotation
                yield Frame(index, time_s, tuple(
                    convert(av_frame, f, rotation, c) if index % f.every == 0 else None for f, c in zip(formats, scalers)
                ))
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

        try:
            first_time = None
            fps = self.info.fps
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
                    time_s = time - first_time
                self.stats.decoded += 1
                if not put((index, time_s, av_frame)):
                    return
            put(_END)
        except BaseException as ex:  # noqa: BLE001 - handed to the consuming thread
            put(_Failure(ex))

    def _decode(self):
        import av

        stream = self._stream
        run = 0
        demux = self._container.demux(stream)
        while True:
            try:
                packet = next(demux)
            except StopIteration:
                break
            except av.error.FFmpegError as ex:
                self.stats.warnings.append(Message("warning.container_error", {"reason": ffmpeg_reason(ex)}))
                break
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
        """Seconds from the stream's declared start to its first decoded frame (0 when unknown)."""
        stream = self._stream
        if stream.start_time is None or not stream.time_base:
            return 0.0
        lead = first_time - float(stream.start_time * stream.time_base)
        return lead if math.isfinite(lead) and lead > 0 else 0.0

    def _finish(self) -> None:
        stats, info = self.stats, self.info
        if stats.decoded == 0:
            raise EmptyVideoError(
                self.path,
                "contains no decodable video frames. The file is empty or damaged: re-encode or re-download it.",
            )
        if stats.corrupt:
            stats.warnings.append(Message("warning.corrupt", {"count": stats.corrupt}))
        short = bool(info.declared_frames) and stats.decoded + stats.corrupt < 0.98 * info.declared_frames - 1
        stats.frames_lost = bool(stats.corrupt) or short
        if short:
            stats.warnings.append(Message("warning.truncated", {"decoded": stats.decoded, "declared": info.declared_frames}))

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


def timeline_gaps(times_s: np.ndarray, fps: float) -> list[dict]:
    """Stretches of the video's timeline where no frame was decoded.

    ``times_s`` are the decoded frames' times on the video's own timeline (0 = the stream's
    start). A step of more than 1.5 frame durations is a gap; ``before_frame`` is the decoded
    frame that ends it (0 when the video's first frames are missing). Only meaningful for
    frames known to be lost: a variable-frame-rate video has long steps of its own.
    """
    if not fps or fps <= 0 or not len(times_s):
        return []
    step = 1.0 / fps
    previous_end = np.concatenate([[0.0], np.asarray(times_s[:-1]) + step])
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
