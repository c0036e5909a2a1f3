"""``-q`` for libraries that write to the process's standard error themselves.

Ray's core worker (C++) and the loggers Ray set up at import time write to file descriptor 2
directly, whatever blurscan's logging says. :func:`native_stderr_silenced` points descriptor 2
at ``/dev/null`` for the duration and gives Python's ``sys.stderr`` (which blurscan's own
error lines use) a copy of the real one, so only what blurscan prints gets through.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError, AttributeError):
        yield  # no descriptor 2 to redirect
        return
    original = sys.stderr
    try:
        ours = original.fileno() == 2
    except (OSError, ValueError, AttributeError):
        ours = False  # sys.stderr is not descriptor 2 (a test's capture): leave it alone
    if ours:
        sys.stderr = os.fdopen(os.dup(saved), "w", buffering=1, encoding=original.encoding,
                               errors=getattr(original, "errors", None) or "backslashreplace")
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    try:
        yield
    finally:
        with contextlib.suppress(OSError, ValueError):
            sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        if ours:
            replaced, sys.stderr = sys.stderr, original
            with contextlib.suppress(OSError, ValueError):
                replaced.close()
