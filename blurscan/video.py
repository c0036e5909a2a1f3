"""Source stage: open a video with PyAV and stream its frames, each decoded once.

Decoding runs in a background thread that feeds a small queue, so memory is
bounded for any length. Each decoded frame is converted straight to the small
formats its consumers ask for (grey at a working width, RGB at 448 px ...);
the full-size picture is dropped as soon as those copies exist.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from blurscan.errors import (
    CorruptVideoError,
    EmptyVideoError,
    NotAVideoError,
    VideoError,
    VideoNotFoundError,
)

logger = logging.getLogger("blurscan")

#: frames buffered between the decode thread and the scorer
QUEUE_FRAMES = 8
#: give up after this many packets in a row fail to decode
MAX_CORRUPT_RUN = 100

_INTERPOLATIONS = {"area": "AREA", "bicubic": "BICUBIC", "bilinear": "BILINEAR", "fast": "FAST_BILINEAR"}


class VideoIsDirectoryError(VideoError, IsADirectoryError):
    exit_code = 2


@dataclass(frozen=True)
class FrameFormat:
    """The picture a consumer wants from each frame, made by the decoder's scaler.

    ``size`` is the target length of the ``fit`` side (``"width"`` or
    ``"longest"``), in display orientation; the other side keeps the aspect
    ratio. ``None`` keeps the native size. Smaller videos are not upscaled
    unless ``upscale`` is set.
    """

    pixel_format: str = "gray"
    size: int | None = 640
    fit: str = "width"
    upscale: bool = False
    interpolation: str = "area"

    def __post_init__(self):
        if self.pixel_format not in ("gray", "rgb24"):
            raise ValueError(f"pixel_format must be 'gray' or 'rgb24', not {self.pixel_format!r}")
        if self.fit not in ("width", "longest"):
            raise ValueError(f"fit must be 'width' or 'longest', not {self.fit!r}")
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {sorted(_INTERPOLATIONS)}")
        if self.size is not None and self.size < 1:
            raise ValueError("size must be at least 1")

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the converted picture for a display-oriented input."""
        if self.size is None:
            return width, height
        side = width if self.fit == "width" else max(width, height)
        scale = self.size / side
        if scale > 1 and not self.upscale:
            return width, height
        return max(1, round(width * scale)), max(1, round(height * scale))


@dataclass(frozen=True)
class VideoInfo:
    """What the container says about the video stream (sizes in display orientation)."""

    path: str
    name: str
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
    warnings: list[str] = field(default_factory=list)


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()


def _check_path(path: Path) -> None:
    if not path.exists():
        raise VideoNotFoundError(path, "no such file. Check the path and try again.")
    if path.is_dir():
        raise VideoIsDirectoryError(
            path, "is a directory, not a video file. To scan every video in a folder, use `blurscan batch`."
        )
    if not os.access(path, os.R_OK):
        raise VideoError(path, "permission denied. Check the file's permissions.")
    if path.stat().st_size == 0:
        raise EmptyVideoError(path, "is an empty file (0 bytes). Re-encode or re-download it.")


class VideoSource:
    """One open video: its metadata, and a single streaming pass over its frames.

    Use as a context manager; ``frames()`` may be iterated once.
    """

    def __init__(self, path: str | os.PathLike, *, threads: int = 0):
        import av

        from blurscan import sources

        self.path = sources.as_video_path(path)  # a URL is read as a stream, never handed to FFmpeg
        self._file = sources.open_stream(self.path) if sources.is_url(self.path) else None
        if self._file is None:
            _check_path(self.path)
        try:
            self._container = av.open(self._file or str(self.path), metadata_errors="ignore")
        except av.error.FFmpegError as ex:
            raise NotAVideoError(
                self.path,
                f"cannot be read as a video ({_ffmpeg_reason(ex)}). "
                "Check that it is a video file; if it is, re-encode or re-download it.",
            ) from ex
        except (UnicodeDecodeError, OSError) as ex:
            raise NotAVideoError(self.path, f"cannot be opened ({ex}).") from ex
        if not self._container.streams.video:
            self._container.close()
            kind = "audio only" if self._container.streams.audio else "no video stream"
            raise NotAVideoError(self.path, f"has no video stream ({kind}). Nothing to scan.")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self._stream.codec_context.thread_count = threads
        self.stats = DecodeStats()
        self._used = False
        self._worker: threading.Thread | None = None
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
            path=str(self.path),
            name=self.path.name,
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
        self._buffer = queue.Queue(maxsize=QUEUE_FRAMES)
        self._stop = threading.Event()
        self._worker = threading.Thread(
            target=self._produce, args=(tuple(formats), self._buffer, self._stop), name="blurscan-decode", daemon=True
        )
        self._worker.start()
        try:
            while True:
                item = self._buffer.get()
                if item is _END:
                    break
                if isinstance(item, _Failure):
                    raise item.error
                yield item
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

    def _produce(self, formats: tuple[FrameFormat, ...], buffer: queue.Queue, stop: threading.Event) -> None:
        def put(item) -> bool:
            while not stop.is_set():
                try:
                    buffer.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        from av.video.reformatter import VideoReformatter

        # One scaler per format, set up once: a fresh one per call costs more than the scaling.
        scalers = [VideoReformatter() for _ in formats]
        try:
            first_time = None
            fps = self.info.fps
            for av_frame in self._decode():
                if stop.is_set():
                    return
                index = self.stats.decoded
                if index == 0:
                    self.stats.rotation = _rotation_of(av_frame)
                time = av_frame.time
                if time is None or not math.isfinite(time):
                    time_s = index / fps if fps else float(index)
                else:
                    if first_time is None:
                        first_time = time
                    time_s = time - first_time
                images = tuple(_convert(av_frame, f, self.stats.rotation, c) for f, c in zip(formats, scalers))
                self.stats.decoded += 1
                if not put(Frame(index, time_s, images)):
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
                self.stats.warnings.append(f"stopped reading after a container error ({_ffmpeg_reason(ex)})")
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
                        f"{run} packets in a row failed to decode ({_ffmpeg_reason(ex)}); giving up. "
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

    def _finish(self) -> None:
        stats, info = self.stats, self.info
        if stats.decoded == 0:
            raise EmptyVideoError(
                self.path,
                "contains no decodable video frames. The file is empty or damaged: re-encode or re-download it.",
            )
        if stats.corrupt:
            stats.warnings.append(f"skipped {stats.corrupt} corrupt frame(s) or packet(s)")
        if info.declared_frames and stats.decoded + stats.corrupt < 0.98 * info.declared_frames - 1:
            stats.warnings.append(
                f"decoded {stats.decoded} of the {info.declared_frames} frames the container lists; "
                "the file may be truncated"
            )

    @property
    def display_size(self) -> tuple[int, int]:
        """(width, height) as the video is shown, after rotation metadata."""
        w, h = self.info.width, self.info.height
        return (h, w) if self.stats.rotation % 180 else (w, h)

    def close(self) -> None:
        self._stop_worker()
        self._container.close()
        if self._file is not None:
            self._file.close()

    def __enter__(self) -> VideoSource:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def open_video(path: str | os.PathLike, **kwargs) -> VideoSource:
    """Open ``path`` for one streaming pass. Raises a :class:`VideoError` with advice on failure."""
    return VideoSource(path, **kwargs)


def _rotation_of(av_frame) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) that bring the frame upright."""
    try:
        angle = av_frame.rotation
    except (AttributeError, ValueError):
        return 0
    if not angle or not math.isfinite(angle):
        return 0
    return int(round(angle / 90.0)) % 4 * 90


def _convert(av_frame, fmt: FrameFormat, rotation: int, scaler) -> np.ndarray:
    quarter_turn = rotation % 180 == 90
    width, height = av_frame.width, av_frame.height
    display = (height, width) if quarter_turn else (width, height)
    out_w, out_h = fmt.output_size(*display)
    if quarter_turn:
        out_w, out_h = out_h, out_w
    image = scaler.reformat(
        av_frame, width=out_w, height=out_h, format=fmt.pixel_format, interpolation=_INTERPOLATIONS[fmt.interpolation]
    ).to_ndarray()
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=rotation // 90))
    return image


def _ffmpeg_reason(ex: BaseException) -> str:
    reason = getattr(ex, "strerror", None) or str(ex)
    return str(reason).rstrip(".")
