"""Opening a video safely: a local path is read as the literal file it names, and only a regular file is read.

FFmpeg reads ``concat:a.mp4|b.mp4``, ``pipe:`` or ``http:x`` as protocols, blocks on a FIFO or a
device, and reads ``/proc`` files as endless or empty streams; each is refused here in one line
that says what the path is and what to do. URLs are read by :mod:`blurscan.source.remote`.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from blurscan.errors import EmptyVideoError, NotAVideoError, VideoError, VideoNotFoundError


class VideoIsDirectoryError(VideoError, IsADirectoryError):
    """A directory was given where a video file was expected."""


#: what ``stat`` calls the kinds of file that are not regular files
_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
#: pseudo file systems whose files claim 0 bytes or never end
_PSEUDO_FILE_SYSTEMS = ("/proc", "/sys")


def check_path(path: Path) -> None:
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


#: stop reading after this many bytes in a row bring no packet of the scanned stream (a clip padded with
#: gigabytes of zeros would otherwise be searched to its end for the next frame)
MAX_BYTES_WITHOUT_PACKET = 128 * 1024 * 1024


class BoundedReader:
    """A file as FFmpeg reads it, that ends early once a long run of bytes brings no packet.

    The decoder calls :meth:`packet` for each packet of the scanned stream; once that has
    happened, ``MAX_BYTES_WITHOUT_PACKET`` bytes read without another read as the end of the
    file, and :attr:`cut_after` says how many bytes went unread. Reading costs one Python call
    per FFmpeg buffer (as fast as FFmpeg's own ``file:`` protocol); ``name`` is only a hint
    for guessing the format from the extension, never opened.
    """

    def __init__(self, raw, name: str, limit: int = MAX_BYTES_WITHOUT_PACKET):
        self._raw = raw
        self.name = name
        self.limit = limit
        self._since_packet = 0
        self._armed = False
        #: where reading stopped early (bytes from the file's start), or None
        self.cut_at: int | None = None

    @classmethod
    def local(cls, path: Path) -> BoundedReader:
        """``path`` opened as the literal file it names (no protocol, whatever its name)."""
        absolute = os.path.abspath(path)
        return cls(open(absolute, "rb", buffering=0), "file:" + absolute)  # noqa: SIM115 - closed by close()

    def packet(self) -> None:
        self._since_packet = 0
        self._armed = True

    def read(self, size: int = -1) -> bytes:
        if self._armed and self._since_packet >= self.limit:
            if self.cut_at is None:
                self.cut_at = self.tell()
            return b""
        data = self._raw.read(size)
        self._since_packet += len(data)
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        return self._raw.seek(offset, whence)

    def tell(self) -> int:
        return self._raw.tell()

    def seekable(self) -> bool:
        return getattr(self._raw, "seekable", lambda: True)()

    def close(self) -> None:
        self._raw.close()


def ffmpeg_reason(ex: BaseException) -> str:
    reason = getattr(ex, "strerror", None) or str(ex)
    return str(reason).rstrip(".")
