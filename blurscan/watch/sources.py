"""Live sources: standard input, stream URLs and capture devices, decoded in a thread that reconnects.

Only ``watch`` opens protocols: ``detect`` and ``batch`` read every name as a
file (:mod:`blurscan.source.open`). Here a source must be named explicitly:
``-`` (a stream on standard input), a URL whose scheme is one of
:data:`LIVE_SCHEMES`, or ``/dev/videoN``; anything else is refused in one line.

A decode thread reads the source and hands converted frames to the watcher
through a small queue. A network source that fails or goes silent is closed
and opened again with back-off (standard input cannot be reopened: the thread
just goes on reading it). The watcher reads frames in *runs*: a run ends
when no frame has come for ``timeout`` seconds (the signal is lost), at the
end of the input, or when the watch stops. When the watcher falls behind a
real-time source the thread keeps only one frame in ``n`` (``n`` grows while
the queue is full and shrinks when it drains), so the frames it drops are
spread evenly and the lag cannot grow; a pipe is read at the watcher's pace
instead (its writer waits).

Each frame's time is on the watch's own timeline: the stream's timestamps
from its first frame, continued across a reconnect or a timestamp jump by the
wall-clock time that passed.
"""

from __future__ import annotations

import logging
import math
import os
import queue
import re
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import numpy as np

from blurscan.errors import NotAVideoError, UsageError, VideoError
from blurscan.messages import Message
from blurscan.source.convert import Converter, FrameFormat, rotation_of
from blurscan.source.open import ffmpeg_reason
from blurscan.source.streams import choose_video_stream

logger = logging.getLogger("blurscan")

#: the URL schemes ``watch`` opens (live protocols FFmpeg reads)
LIVE_SCHEMES = ("udp", "rtp", "rtsp", "rtsps", "srt", "rtmp", "rtmps", "http", "https")
#: the FFmpeg protocols each scheme may use underneath
_PROTOCOLS = {"udp": "udp", "rtp": "rtp,udp", "rtsp": "rtsp,rtp,udp,tcp", "rtsps": "rtsps,rtsp,rtp,udp,tcp,tls",
              "srt": "srt", "rtmp": "rtmp,tcp", "rtmps": "rtmps,rtmp,tcp,tls", "http": "http,tcp",
              "https": "https,http,tcp,tls,crypto"}
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_DEVICE = re.compile(r"^/dev/video[0-9]+$")
#: frames buffered between the decode thread and the watcher
QUEUE_FRAMES = 32
#: reconnect back-off: first wait, longest wait (seconds)
BACKOFF = (0.5, 5.0)
#: the most frames in a row the thread skips to keep up (1 kept in this many)
MAX_SKIP = 16
#: a timestamp step larger than this (seconds, or this many frame durations) is a jump, not the stream's clock
MAX_STEP_S = 2.0


@dataclass(frozen=True)
class SourceSpec:
    """A source as given: its kind (``stdin``, ``url``, ``device``), what to open, and how to show it."""

    kind: str
    target: str
    #: the source as shown in events and on the terminal (a URL's password replaced by ``***``)
    label: str

    @property
    def live(self) -> bool:
        """Whether it runs on its own clock (frames are dropped when behind) rather than at the reader's pace."""
        return self.kind != "stdin"


def redact(url: str) -> str:
    """``url`` without its password (``rtsp://user:***@host/...``): events and logs never show it."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unreadable URL>"
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or ""
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def parse_source(text: str) -> SourceSpec:
    """Read a SOURCE argument, or raise a one-line :class:`UsageError` that says what is accepted."""
    if text == "-":
        return SourceSpec("stdin", "-", "-")
    match = _SCHEME.match(text)
    if match:
        scheme = match.group(1).lower()
        if scheme not in LIVE_SCHEMES:
            raise UsageError(f"{redact(text)}: watch opens {', '.join(s + '://' for s in LIVE_SCHEMES)} URLs, "
                             f"'-' (standard input) and /dev/videoN, not {scheme}://")
        return SourceSpec("url", text, redact(text))
    if _DEVICE.match(text):
        return SourceSpec("device", text, text)
    raise UsageError(f"{text}: not a live source. watch reads '-' (a stream on standard input), a stream URL "
                     f"({', '.join(s + '://' for s in LIVE_SCHEMES)}) or /dev/videoN; to scan a file, use "
                     "`blurscan detect`, or pipe it: `cat FILE | blurscan watch -`")


@dataclass(slots=True)
class LiveFrame:
    """A decoded frame: its number in the watch, its time on the watch's timeline, when it arrived, its pictures."""

    index: int
    time_s: float
    wall: float
    images: tuple[np.ndarray | None, ...]


@dataclass
class LiveStats:
    """What the decode thread has seen (read by the status line)."""

    decoded: int = 0
    kept: int = 0
    dropped: int = 0
    corrupt: int = 0
    connections: int = 0
    #: one frame in this many is kept (1: all)
    keep_every: int = 1
    width: int = 0
    height: int = 0
    fps: float = 0.0
    last_error: str | None = None


class _Failure:
    def __init__(self, error: BaseException):
        self.error = error


_END = object()


class LiveSource:
    """One live source, decoded in a background thread; read it in runs with :meth:`frames`."""

    def __init__(self, spec: SourceSpec, formats: Sequence[FrameFormat], *, timeout: float = 5.0,
                 stop: threading.Event | None = None):
        self.spec = spec
        self.formats = tuple(formats)
        self.timeout = timeout
        self.stop = stop or threading.Event()
        self.stats = LiveStats()
        #: whether the input has ended for good (a pipe closed)
        self.ended = False
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_FRAMES)
        self._last_arrival: float | None = None
        self._thread = threading.Thread(target=self._run, name="blurscan-watch-decode", daemon=True)
        self._thread.start()

    # -- the watcher's side ----------------------------------------------

    def frames(self) -> Iterator[LiveFrame]:
        """Frames until the signal is lost (none for ``timeout`` s), the input ends, or the watch stops."""
        waiting_since = time.monotonic()
        while not self.stop.is_set():
            try:
                item = self._queue.get(timeout=0.1)
            except queue.Empty:
                if time.monotonic() - max(waiting_since, self._last_arrival or 0.0) >= self.timeout:
                    return
                continue
            if item is _END:
                self.ended = True
                return
            if isinstance(item, _Failure):
                raise item.error
            self._last_arrival = time.monotonic()
            yield item

    def close(self) -> None:
        self.stop.set()
        # a thread blocked on a pipe's read is a daemon: it ends with the process

    # -- the decode thread -------------------------------------------------

    def _run(self) -> None:
        import av

        backoff = BACKOFF[0]
        clock = _Timeline()
        thinning = Thinning()
        while not self.stop.is_set():
            container = None
            try:
                container = self._open(av)
                stream, _ = choose_video_stream(self.spec.label, container, None)
                stream.thread_type = "SLICE"  # frame threads would hold frames back: latency
                self.stats.connections += 1
                clock.reconnected()
                converter = Converter(self.formats)
                rotation = None
                for av_frame in _decoded(av, container, stream, self.stats):
                    if self.stop.is_set():
                        return
                    backoff = BACKOFF[0]
                    self.stats.decoded += 1
                    if rotation is None:
                        rotation = rotation_of(av_frame)
                        self.stats.width, self.stats.height = av_frame.width, av_frame.height
                        rate = stream.average_rate or stream.guessed_rate
                        self.stats.fps = float(rate) if rate else 0.0
                    time_s = clock.place(av_frame.time, self.stats.fps)
                    if self.spec.live and not thinning.keep():
                        self.stats.dropped += 1
                        continue
                    images = converter.images(av_frame, rotation, self.stats.kept)
                    frame = LiveFrame(self.stats.kept, time_s, time.time(), images)
                    if self.spec.live:
                        self._offer(frame, thinning)
                    elif not self._put(frame):
                        return
            except av.error.FFmpegError as ex:
                reason = ffmpeg_reason(ex)
                # PyAV's own timeout interrupts FFmpeg, which then calls it "Immediate exit requested"
                self.stats.last_error = (f"nothing received for {self.timeout:g} s" if "Immediate exit" in reason
                                         else reason)
            except VideoError as ex:
                self.stats.last_error = str(ex)
            except OSError as ex:
                self.stats.last_error = str(ex)
            except BaseException as ex:  # noqa: BLE001 - handed to the watcher
                self._put(_Failure(ex))
                return
            finally:
                if container is not None:
                    try:
                        container.close()
                    except Exception:  # noqa: BLE001 - closing a broken connection
                        pass
            if self.spec.kind == "stdin":
                if self.stats.decoded == 0 and self.stats.last_error:
                    self._put(_Failure(NotAVideoError(
                        "-", f"standard input cannot be read as a video stream ({self.stats.last_error}). "
                        "Pipe a stream such as MPEG-TS: ffmpeg -i SOURCE -f mpegts - | blurscan watch -")))
                else:
                    self._put(_END)
                return
            # the first failure of a streak is worth a line; the retries after it only in --verbose
            level = logging.WARNING if backoff == BACKOFF[0] else logging.INFO
            logger.log(level, Message("watch.reconnecting", {"source": self.spec.label, "wait_s": backoff,
                                                             "reason": self.stats.last_error or "end of stream"}).text())
            if self.stop.wait(backoff):
                return
            backoff = min(BACKOFF[1], backoff * 2)

    def _open(self, av):
        # probe a second of the stream, not FFmpeg's five: a live source's first event must not wait for it
        options = {"analyzeduration": "1000000", "probesize": "1000000"}
        if self.spec.kind == "stdin":
            return av.open(_stdin(), "r", options=options, metadata_errors="ignore")
        if self.spec.target.lower().startswith(("rtsp:", "rtsps:")):
            options["rtsp_transport"] = "tcp"
        if self.spec.target.lower().startswith("udp:"):
            options["overrun_nonfatal"] = "1"
            options["fifo_size"] = "50000"
        # a read that waits longer than the timeout fails, and the connection is opened again
        options["rw_timeout"] = str(int(self.timeout * 1e6))
        if self.spec.kind == "url":
            # the URL's own protocol family and nothing else: a playlist cannot lead FFmpeg to file: or concat:
            options["protocol_whitelist"] = _PROTOCOLS[self.spec.target.split(":", 1)[0].lower()]
        fmt = "v4l2" if self.spec.kind == "device" else None
        return av.open(self.spec.target, "r", format=fmt, options=options, timeout=(self.timeout, None),
                       metadata_errors="ignore")

    def _put(self, item) -> bool:
        """Hand ``item`` over, waiting while the watcher is busy (a pipe's writer waits with us)."""
        while not self.stop.is_set():
            try:
                self._queue.put(item, timeout=0.1)
                self.stats.kept += isinstance(item, LiveFrame)
                return True
            except queue.Full:
                continue
        return False

    def _offer(self, frame: LiveFrame, thinning: Thinning) -> None:
        """Hand ``frame`` over without waiting: a full queue means the watcher is behind, so keep fewer frames."""
        try:
            self._queue.put_nowait(frame)
            self.stats.kept += 1
            thinning.handed(self._queue.qsize() / QUEUE_FRAMES)
        except queue.Full:
            self.stats.dropped += 1
            thinning.refused()
        self.stats.keep_every = thinning.every


class Thinning:
    """Which frames of a real-time source to keep when the watcher cannot keep up: one in ``every``, evenly.

    ``every`` grows by one each time the queue is found full and shrinks by one after a long calm
    (the queue a quarter full or less for four queues' worth of frames), so the frames dropped are
    spread through the stream rather than lost in bursts, and the lag stays bounded.
    """

    def __init__(self, most: int = MAX_SKIP, calm_after: int = 4 * QUEUE_FRAMES):
        self.every = 1
        self.most = most
        self.calm_after = calm_after
        self._count = 0
        self._calm = 0

    def keep(self) -> bool:
        """Whether to keep the next decoded frame."""
        self._count += 1
        return self._count % self.every == 0

    def refused(self) -> None:
        self.every = min(self.most, self.every + 1)
        self._calm = 0

    def handed(self, fill: float) -> None:
        if fill > 0.25:
            self._calm = 0
            return
        self._calm += 1
        if self._calm >= self.calm_after and self.every > 1:
            self.every -= 1
            self._calm = 0


class _Timeline:
    """Frame times on the watch's timeline: the stream's own clock, continued across jumps by the wall clock."""

    def __init__(self):
        self.offset: float | None = None
        self.last: float | None = None
        self.last_wall = 0.0

    def reconnected(self) -> None:
        """A new connection: its clock may start anywhere (a jump is then read as one)."""

    def place(self, stamp: float | None, fps: float) -> float:
        now = time.monotonic()
        step = 1.0 / fps if fps and fps > 0 else 0.04
        if stamp is None or not math.isfinite(stamp):
            stamp = (self.last + step - (self.offset or 0.0)) if self.last is not None else 0.0
        if self.last is None:
            self.offset = -stamp
        else:
            placed = stamp + self.offset
            away = now - self.last_wall
            # a jump of the stream's clock, or a silence its clock did not count (a sender paused)
            jump = placed <= self.last - 1e-6 or placed - self.last > max(MAX_STEP_S, 10 * step)
            silent = away > max(MAX_STEP_S, placed - self.last + 1.0)
            if jump or silent:
                self.offset = self.last + max(step, away) - stamp
        self.last = stamp + self.offset
        self.last_wall = now
        return self.last


def _decoded(av, container, stream, stats: LiveStats) -> Iterator:
    """The frames of ``stream``; a packet that fails to decode (a datagram lost) is skipped, not fatal."""
    for packet in container.demux(stream):
        try:
            frames = packet.decode()
        except av.error.EOFError:
            return
        except av.error.InvalidDataError:
            stats.corrupt += 1
            continue
        for frame in frames:
            if frame.is_corrupt:
                stats.corrupt += 1
                continue
            yield frame


def _stdin():
    """Standard input as an unbuffered binary file (a read returns what has arrived, not a full block)."""
    return os.fdopen(os.dup(sys.stdin.fileno()), "rb", buffering=0)
