"""Source stage: open a video with PyAV and stream its frames, each decoded once.

Decoding runs in a background thread that feeds a small queue, so memory is
bounded for any length. Each decoded frame is converted straight to the small
formats its consumers ask for (grey at a working width, RGB at 448 px ...);
the full-size picture is dropped as soon as those copies exist.
"""

from __future__ import annotations

import errno
import logging
import math
import os
import queue
import stat
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from blurscan.messages import Message
from blurscan.errors import (
    CorruptVideoError,
    EmptyVideoError,
    NotAVideoError,
    StreamNotFoundError,
    VideoError,
    VideoNotFoundError,
    path_text,
)

logger = logging.getLogger("blurscan")

#: frames buffered between the decode thread and the scorer
QUEUE_FRAMES = 8
#: give up after this many packets in a row fail to decode
MAX_CORRUPT_RUN = 100

_INTERPOLATIONS = {"area": "AREA", "bicubic": "BICUBIC", "bilinear": "BILINEAR", "fast": "FAST_BILINEAR"}


class VideoIsDirectoryError(VideoError, IsADirectoryError):
    """A directory was given where a video file was expected."""


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
    #: made for one frame in ``every`` (frame index divisible by it); the others get None
    every: int = 1

    def __post_init__(self):
        if self.pixel_format not in ("gray", "rgb24", "chroma", "luma"):
            raise ValueError(f"pixel_format must be 'gray', 'rgb24', 'chroma' or 'luma', not {self.pixel_format!r}")
        if self.fit not in ("width", "longest"):
            raise ValueError(f"fit must be 'width' or 'longest', not {self.fit!r}")
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {sorted(_INTERPOLATIONS)}")
        if self.size is not None and self.size < 1:
            raise ValueError("size must be at least 1")
        if self.every < 1:
            raise ValueError("every must be at least 1")

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


#: what ``stat`` calls the kinds of file that are not regular files
_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
#: pseudo file systems whose files claim 0 bytes or never end
_PSEUDO_FILE_SYSTEMS = ("/proc", "/sys")


def _check_path(path: Path) -> None:
    """Refuse, in one line, anything that is not a readable regular file: FFmpeg would block on a
    FIFO or a device, and read ``/proc`` files as endless or empty streams."""
    try:
        info = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise VideoNotFoundError(
                path, f"is a broken symbolic link (its target {os.readlink(path)} does not exist). Fix or remove the link."
            ) from None
        raise VideoNotFoundError(path, "no such file. Check the path and try again.") from None
    except OSError as ex:
        if ex.errno == errno.ELOOP:
            raise VideoError(path, "is a symbolic link loop (following it leads back to itself). Fix or remove the link.") from None
        raise VideoError(path, f"cannot be read ({ex.strerror or ex}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise VideoIsDirectoryError(
            path, "is a directory, not a video file. To scan every video in a folder, use `blurscan batch`."
        )
    if not stat.S_ISREG(info.st_mode):
        kind = next((name for test, name in _FILE_KINDS if test(info.st_mode)), "a special file")
        raise NotAVideoError(path, f"is not a regular file: it is {kind}. Copy the video to a file and scan that.")
    real = os.path.realpath(path)
    if any(real == root or real.startswith(root + os.sep) for root in _PSEUDO_FILE_SYSTEMS):
        raise NotAVideoError(path, f"is not a regular file: it is an entry of /{real.split(os.sep)[1]}, not a video.")
    if not os.access(path, os.R_OK):
        raise VideoError(path, "permission denied. Check the file's permissions.")
    if info.st_size == 0:
        raise EmptyVideoError(path, "is an empty file (0 bytes). Re-encode or re-download it.")


def open_container(path: Path) -> tuple:
    """Open ``path`` as the literal local file it names.

    FFmpeg reads ``concat:a.mp4|b.mp4``, ``pipe:`` or ``http:x`` as protocols; an absolute path
    behind the ``file:`` protocol is always the file itself, and decodes exactly as fast (it is
    the protocol FFmpeg uses for plain paths). A name that is not valid UTF-8 cannot pass through
    FFmpeg's string API, so it is read through a Python file object instead.

    Returns the container and the file object to close after it (or None).
    """
    import av

    absolute = os.path.abspath(path)
    try:
        absolute.encode("utf-8")
    except UnicodeEncodeError:
        handle = open(absolute, "rb")  # noqa: SIM115 - closed by VideoSource.close()
        try:
            return av.open(handle, metadata_errors="ignore"), handle
        except BaseException:
            handle.close()
            raise
    return av.open("file:" + absolute, metadata_errors="ignore"), None


class VideoSource:
    """One open video: its metadata, and a single streaming pass over its frames.

    Use as a context manager; ``frames()`` may be iterated once.
    """

    def __init__(self, path: str | os.PathLike, *, threads: int = 0, stream: int | None = None):
        import av

        from blurscan.source import remote as sources

        self.path = sources.as_video_path(path)  # a URL is read as a stream, never handed to FFmpeg as a name
        self._handle = None
        self._worker: threading.Thread | None = None
        if sources.is_url(self.path):
            self._handle = sources.open_stream(self.path)
        else:
            _check_path(self.path)
        try:
            if self._handle is not None:
                self._container = av.open(self._handle, metadata_errors="ignore")
            else:
                self._container, self._handle = open_container(self.path)
        except av.error.FFmpegError as ex:
            raise NotAVideoError(
                self.path,
                f"cannot be read as a video ({_ffmpeg_reason(ex)}). "
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
                    self.stats.matrix = _matrix_of(av_frame)
                time = av_frame.time
                if time is None or not math.isfinite(time):
                    time_s = index / fps if fps else float(index)
                else:
                    if first_time is None:
                        first_time = time
                        self.stats.first_frame_s = self._lead_time(time)
                    time_s = time - first_time
                images = tuple(
                    _convert(av_frame, f, self.stats.rotation, c) if index % f.every == 0 else None
                    for f, c in zip(formats, scalers)
                )
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
                self.stats.warnings.append(Message("warning.container_error", {"reason": _ffmpeg_reason(ex)}))
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


#: codecs of still pictures: a track of one such frame is cover art, not the video
_PICTURE_CODECS = frozenset({"mjpeg", "png", "bmp", "webp", "tiff", "gif", "jpegls", "jpeg2000"})


def _is_picture(stream) -> bool:
    """Cover art: an attached picture, or a track holding (as far as the container says) one still."""
    from av.stream import Disposition

    if stream.disposition & Disposition.attached_pic:
        return True
    return stream.codec_context.name in _PICTURE_CODECS and (stream.frames or 0) <= 1


def _describe_stream(stream) -> str:
    ctx = stream.codec_context
    what = "cover picture, " if _is_picture(stream) else ""
    return f"{stream.index} ({what}{ctx.name or 'unknown codec'} {ctx.width}x{ctx.height})"


def choose_video_stream(path, container, wanted: int | None = None) -> tuple:
    """The video stream to scan: ``wanted`` (a stream index) or the one FFmpeg would pick.

    Like ``av_find_best_stream``: cover art is never chosen on its own, a stream marked
    default wins, then the largest picture, then the higher bit rate; the first stream wins a
    tie. Returns the stream and, when other video streams were passed over, a warning naming
    them (the choice is a guess the user may want to change with ``--stream``).
    """
    from av.stream import Disposition

    videos = list(container.streams.video)
    if wanted is not None:
        chosen = next((s for s in videos if s.index == wanted), None)
        if chosen is None:
            listed = ", ".join(_describe_stream(s) for s in videos) or "none"
            raise StreamNotFoundError(
                path, f"has no video stream {wanted} (its video streams: {listed}). Choose one with --stream."
            )
        return chosen, None
    attached = {s.index for s in videos if s.disposition & Disposition.attached_pic}
    # a one-frame picture track is cover art, unless nothing else is there (MJPEG in Matroska
    # does not say how many frames it has)
    movies = [s for s in videos if not _is_picture(s)] or [s for s in videos if s.index not in attached]
    if not movies:
        if videos:
            kind = "only a cover picture"
        elif container.streams.audio:
            kind = "audio only"
        else:
            kind = "other kinds of streams only" if len(container.streams) else "no streams at all"
        raise NotAVideoError(path, f"has no video stream ({kind}). Nothing to scan.")

    def rank(stream):
        ctx = stream.codec_context
        return (
            bool(stream.disposition & Disposition.default),
            (ctx.width or 0) * (ctx.height or 0),
            stream.bit_rate or ctx.bit_rate or 0,
            -stream.index,
        )

    chosen = max(movies, key=rank)
    others = [s for s in movies if s is not chosen]
    note = None
    if others:
        note = Message("warning.streams", {"count": len(movies), "chosen": _describe_stream(chosen),
                                           "others": ", ".join(_describe_stream(s) for s in others)})
    return chosen, note


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


def _rotation_of(av_frame) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) that bring the frame upright."""
    try:
        angle = av_frame.rotation
    except (AttributeError, ValueError):
        return 0
    if not angle or not math.isfinite(angle):
        return 0
    return int(round(angle / 90.0)) % 4 * 90


#: FFmpeg's colour space numbers (AVColorSpace) of the matrices thumbnails know; others read as BT.601
_MATRICES = {1: "bt709", 9: "bt2020", 10: "bt2020"}


def _matrix_of(av_frame) -> str:
    """The matrix of the frame's "chroma" pictures: its own for YUV video, BT.601 (the scaler's) for RGB."""
    if av_frame.format.is_rgb:
        return "bt601"
    try:
        return _MATRICES.get(int(av_frame.colorspace), "bt601")
    except (TypeError, ValueError):
        return "bt601"


#: 8-bit planar YUV: the Cb and Cr planes are read as they are
_PLANAR_YUV = frozenset(
    f"yuv{j}{s}p" for j in ("", "j") for s in ("420", "422", "444", "440", "411", "410")
)
#: limited-range chroma (16..240) to full range, as the scaler does for the grey picture's luma
_CHROMA_FULL_RANGE = np.clip(np.round((np.arange(256) - 128) * 255 / 224 + 128), 0, 255).astype(np.uint8)


def _plane(av_frame, index: int, columns: int = 1) -> np.ndarray:
    plane = av_frame.planes[index]
    rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width * columns]


def _chroma(av_frame, out_w: int, out_h: int, scaler) -> np.ndarray:
    """(Cb, Cr) at about out_w x out_h, full range: read straight from 8-bit YUV planes (a few
    microseconds, where a scaler pass over a 1080p frame costs 0.15 ms), else through the scaler."""
    name = av_frame.format.name
    full = name.startswith("yuvj") or int(av_frame.color_range or 0) == 2
    try:
        if name in _PLANAR_YUV:
            cb, cr = _plane(av_frame, 1), _plane(av_frame, 2)
        elif name in ("nv12", "nv21"):
            pairs = _plane(av_frame, 1, 2)
            pairs = pairs.reshape(pairs.shape[0], -1, 2)
            cb, cr = (pairs[..., 0], pairs[..., 1]) if name == "nv12" else (pairs[..., 1], pairs[..., 0])
        else:
            raise ValueError(name)
    except ValueError:  # 10-bit, RGB, palettes, odd layouts: the scaler makes full-range 4:4:4 at the small size
        small = scaler.reformat(av_frame, width=out_w, height=out_h, format="yuv444p", dst_color_range="JPEG")
        cb, cr, full = _plane(small, 1), _plane(small, 2), True
    step_y, step_x = max(1, -(-cb.shape[0] // out_h)), max(1, -(-cb.shape[1] // out_w))
    image = np.stack((cb[::step_y, ::step_x], cr[::step_y, ::step_x]), axis=-1)
    return image if full else _CHROMA_FULL_RANGE[image]


def _convert(av_frame, fmt: FrameFormat, rotation: int, scaler) -> np.ndarray:
    quarter_turn = rotation % 180 == 90
    width, height = av_frame.width, av_frame.height
    display = (height, width) if quarter_turn else (width, height)
    out_w, out_h = fmt.output_size(*display)
    if quarter_turn:
        out_w, out_h = out_h, out_w
    image = None
    if fmt.pixel_format == "chroma":
        image = _chroma(av_frame, out_w, out_h, scaler)
    elif fmt.pixel_format == "luma" and (out_w, out_h) == (width, height) and av_frame.format.name in _PLANAR_YUV:
        try:
            image = _plane(av_frame, 0).copy()
        except ValueError:  # a plane laid out otherwise (padding, a negative stride): the scaler reads it
            image = None
    if image is None:
        image = scaler.reformat(
            av_frame, width=out_w, height=out_h, format="gray" if fmt.pixel_format == "luma" else fmt.pixel_format,
            interpolation=_INTERPOLATIONS[fmt.interpolation],
        ).to_ndarray()
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=rotation // 90))
    return image


def _ffmpeg_reason(ex: BaseException) -> str:
    reason = getattr(ex, "strerror", None) or str(ex)
    return str(reason).rstrip(".")
