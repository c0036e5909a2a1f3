"""Errors blurscan raises, each with a message that says what to do.

Every class also inherits the matching built-in (``FileNotFoundError``,
``ValueError``, ``ImportError`` ...) so callers can catch either.
"""

from __future__ import annotations


def path_text(path) -> str:
    """A path as text any UTF-8 writer accepts: bytes of a name that are not UTF-8 (which Python
    keeps as lone surrogates) are shown as ``\\xNN``, so JSON, CSV and standard output never fail."""
    text = str(path)
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # surrogates that did not come from a file name
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


class BlurscanError(Exception):
    """Base class: the message is one line a user can act on."""

    #: process exit code the command line uses for this error
    exit_code = 1


class UsageError(BlurscanError, ValueError):
    """A bad option or argument (exit code 2)."""

    exit_code = 2


class InputError(BlurscanError, ValueError):
    """A batch's source (a folder or a list file) is missing, unreadable or names no video."""


class VideoError(BlurscanError):
    """Something is wrong with one video file."""

    def __init__(self, path, message: str):
        self.path = path_text(path)
        super().__init__(f"{self.path}: {message}")


class VideoNotFoundError(VideoError, FileNotFoundError):
    """The path does not exist (or is a link to nothing)."""


class NotAVideoError(VideoError, ValueError):
    """The file cannot be opened as a video or has no video stream."""


class StreamNotFoundError(VideoError, LookupError):
    """The video has no video stream with the index asked for (``--stream``)."""


class EmptyVideoError(VideoError, ValueError):
    """The file opens but no frame can be decoded from it."""


class CorruptVideoError(VideoError, ValueError):
    """Too many frames in a row failed to decode."""


class PluginNotFoundError(UsageError, LookupError):
    """An unknown scorer or detector name."""


class MissingDependencyError(BlurscanError, ImportError):
    """An optional package is needed; the message gives the pip command."""

    def __init__(self, what: str, extra: str, missing: str):
        self.extra = extra
        super().__init__(
            f"{what} needs {missing} (not installed). "
            f"Install with: pip install 'blurscan[{extra}]'"
        )


class ModelError(BlurscanError):
    """The model could not be found or loaded."""


class ModelNotFoundError(ModelError, FileNotFoundError):
    pass


class DeviceError(BlurscanError, RuntimeError):
    """The requested compute device is not available."""


class OutputError(BlurscanError, OSError):
    """An output file or folder could not be written (disk full, read-only, a folder in the way ...)."""


class OutputFolderBusyError(BlurscanError, BlockingIOError):
    """Another batch holds the output folder's lock."""


class CutError(BlurscanError, RuntimeError):
    """The sharp stretches of a video could not be written as clips."""


class OutOfMemoryError(BlurscanError, MemoryError):
    """Even a batch of one does not fit in memory."""


def as_blurscan_error(path, error: BaseException) -> BlurscanError:
    """The one-line error to report for ``path`` when scanning it raised ``error``.

    blurscan's own errors pass through; anything else (a bug, host memory
    running out) is wrapped, so a batch or a multi-video run can carry on.
    """
    if isinstance(error, BlurscanError):
        return error
    path = path_text(path)
    if isinstance(error, MemoryError):
        return BlurscanError(f"{path}: ran out of host memory ({error}); try --workers 1 or a smaller --batch-size")
    reason = " ".join(str(error).split())  # third-party messages (OpenCV's) span lines
    return BlurscanError(
        f"{path}: internal error {type(error).__name__}: {reason}. "
        "Set BLURSCAN_DEBUG=1 for the traceback and please report it with this file."
    )
