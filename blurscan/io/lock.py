"""One batch at a time per output folder: an exclusive lock held for the whole run.

Two batches writing into one folder would interleave their journals and
mix results made with different settings. The lock is an ``flock`` on a
small file in the output folder, so the system releases it when its holder
dies, even by SIGKILL; the file holds the holder's PID for the error message.
"""

from __future__ import annotations

import contextlib
import errno
import os
from pathlib import Path

from blurscan.errors import OutputFolderBusyError
from blurscan.io.atomic import output_error

LOCK_NAME = ".blurscan-batch.lock"
#: held (briefly, waited for) while one video's files are written, so two runs never mix two videos' files
WRITE_LOCK_NAME = ".blurscan-write.lock"


class OutputLock:
    """``with OutputLock(folder):`` holds the folder's lock or raises :class:`OutputFolderBusyError` at once.

    ``OutputLock(folder, WRITE_LOCK_NAME, wait=True)`` is the short lock one video's set of files
    is written under: it waits for the other holder instead of failing.
    """

    def __init__(self, folder: str | os.PathLike, name: str = LOCK_NAME, *, wait: bool = False):
        self.path = Path(folder) / name
        self.wait = wait
        self._fd: int | None = None

    def acquire(self) -> None:
        try:
            import fcntl
        except ImportError:  # pragma: no cover - not POSIX: no lock, as before
            return
        flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        while True:
            try:
                fd = os.open(self.path, flags, 0o644)
            except OSError as ex:
                raise output_error(self.path, ex) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX if self.wait else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as ex:
                holder = _read_pid(fd)
                os.close(fd)
                if ex.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise output_error(self.path, ex) from None
                raise OutputFolderBusyError(
                    f"{self.path.parent}: another blurscan run (a batch or a split) is writing to this folder"
                    f"{f' (PID {holder})' if holder else ''}; wait for it to finish or choose another output folder"
                ) from None
            # The previous holder may have removed the file between our open and our lock.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is None:
            return
        with contextlib.suppress(OSError):
            os.unlink(self.path)
        os.close(self._fd)
        self._fd = None

    def __enter__(self) -> OutputLock:
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def _read_pid(fd: int) -> int | None:
    with contextlib.suppress(OSError, ValueError):
        return int(os.pread(fd, 32, 0).split()[0])
    return None
