"""Writing output files safely: atomically, never through a link, with the user's umask.

Output folders are often shared or hold files blurscan did not make. A file
is written to a temporary name in the same folder and renamed over the
target, so a reader sees the old file or the new one, never half of one;
the rename replaces a planted symbolic link instead of following it. The
journal, which grows by appends, is opened with ``O_NOFOLLOW``. Operating-
system errors become :class:`OutputError`, one line naming the path.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from blurscan.errors import OutputError

#: what the temporary files of :func:`atomic_write` look like (``.<name>.<random>.tmp``)
TEMP_PATTERN = re.compile(r"^\..+\.[A-Za-z0-9_]{8}\.tmp$")

#: errors after which no further output can be written: the batch stops (resumable)
FATAL_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO})


def current_umask() -> int:
    """The process's umask, read without changing it where the system allows."""
    with contextlib.suppress(OSError, ValueError):
        with open("/proc/self/status", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def output_error(path: str | os.PathLike, ex: OSError) -> OutputError:
    """The one-line error for an operating-system failure while writing ``path``."""
    if isinstance(ex, OutputError):
        return ex
    reason = ex.strerror or str(ex)
    code = errno.errorcode.get(ex.errno or 0)
    advice = {
        errno.ENOSPC: "free some space, then rerun (a batch: with --resume)",
        errno.EDQUOT: "free some space or raise the quota, then rerun (a batch: with --resume)",
        errno.EROFS: "the file system is read-only; choose another output folder",
        errno.EACCES: "check the output folder's permissions or choose another one",
        errno.EPERM: "check the output folder's permissions or choose another one",
        errno.EISDIR: "a folder has the output's name; move it away or choose another output folder",
        errno.ENOTDIR: "part of the output path is a file, not a folder; choose another output folder",
        errno.ENAMETOOLONG: "the name is too long for this file system; choose a shorter output folder",
        errno.ELOOP: "a symbolic link is in the way; remove it or choose another output folder",
    }.get(ex.errno or 0, "check the output folder")
    error = OutputError(f"cannot write {path}: {reason}{f' ({code})' if code else ''}; {advice}")
    error.errno = ex.errno
    return error


def make_output_dir(path: str | os.PathLike) -> Path:
    """Create the output folder (and parents) or raise a one-line :class:`OutputError`."""
    path = Path(path)
    try:
        path.mkdir(parents=True, exist_ok=True)
        if not path.is_dir():
            raise NotADirectoryError(errno.ENOTDIR, os.strerror(errno.ENOTDIR), str(path))
    except OSError as ex:
        raise output_error(path, ex) from None
    return path


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` (never following a link there).

    The file gets the permissions any program would give it under the current
    umask (``mkstemp`` alone would make it private).
    """
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name[:200]}.", suffix=".tmp", dir=path.parent)
    except OSError as ex:
        raise output_error(path, ex) from None
    try:
        os.fchmod(fd, 0o666 & ~current_umask())
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException as ex:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(ex, OSError):
            raise output_error(path, ex) from None
        raise


def append_line(path: str | os.PathLike, line: str) -> None:
    """Append one line (``\\n`` added) and flush it to disk, refusing to follow a link at ``path``.

    A torn last line (no newline, left by a kill during a write) is closed
    first, so the new line never joins it.
    """
    flags = os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags, 0o666)
        try:
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = "\n" + line
            data = (line + "\n").encode("utf-8")
            while data:
                data = data[os.write(fd, data):]
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as ex:
        raise output_error(path, ex) from None


def remove_stale_temp_files(folder: str | os.PathLike) -> int:
    """Delete temporary files left by a run that was killed mid-write; returns how many.

    Only call this while holding the folder's lock, so no other writer's
    temporary file is removed.
    """
    removed = 0
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            if TEMP_PATTERN.match(entry.name) and entry.is_file(follow_symlinks=False):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)
                    removed += 1
    return removed


def file_inside(folder: str | os.PathLike, name: Any) -> Path | None:
    """``folder/name`` when that is a file name (or a path below ``folder``) that resolves inside
    ``folder``, links followed; None for anything else (``../x``, an absolute path, a link out).

    A folder's own files are untrusted too: a tampered journal must not make blurscan read
    (and copy into its summaries) a file from elsewhere.
    """
    if not isinstance(name, str) or not name or "\0" in name or os.path.isabs(name):
        return None
    path = Path(folder) / name
    root = os.path.realpath(folder)
    try:
        real = os.path.realpath(path)
    except (OSError, ValueError):
        return None
    return path if real.startswith(root.rstrip(os.sep) + os.sep) else None
