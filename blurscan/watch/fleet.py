"""Several cameras: each source watched by its own process, their events gathered into one stream.

A camera whose decoder hangs or whose scorer falls behind must not hold up
the others, and one process per source uses the machine's cores. Each child
is ``blurscan watch SOURCE`` with the same options (and a tag for its
snapshots' names); it posts its own webhooks and prints its own status
lines. This process reads each child's event lines (already tagged with
their ``source``), writes them to standard output and appends them to the
events file: one writer, so lines never interleave. SIGTERM or Ctrl-C stops
every child cleanly.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import IO

from blurscan.io.atomic import append_line

#: seconds each child has to stop after SIGTERM before it is killed
STOP_GRACE_S = 15.0


def watch_fleet(sources: Sequence[str], child_args: Sequence[str], *, events_file: str | Path | None,
                stop: threading.Event, stdout: IO[str] | None = None) -> int:
    """Watch each of ``sources`` in a child process until all end or ``stop`` is set; the worst exit code."""
    stdout = stdout if stdout is not None else sys.stdout
    lock = threading.Lock()
    children = []
    for number, source in enumerate(sources, 1):
        argv = [sys.executable, "-m", "blurscan", "watch", source, "--tag", f"cam{number}", *child_args]
        children.append(subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, text=True,
                                         encoding="utf-8", errors="replace", env={**os.environ, "PYTHONUNBUFFERED": "1"},
                                         start_new_session=True))  # Ctrl-C reaches this process, which stops each

    def pump(child: subprocess.Popen) -> None:
        for line in child.stdout:
            line = line.rstrip("\n")
            try:
                json.loads(line)
            except ValueError:
                continue  # only event lines are passed on
            with lock:
                stdout.write(line + "\n")
                stdout.flush()
                if events_file is not None:
                    append_line(events_file, line)

    pumps = [threading.Thread(target=pump, args=(child,), daemon=True) for child in children]
    for thread in pumps:
        thread.start()
    while not stop.is_set() and any(child.poll() is None for child in children):
        stop.wait(0.2)
    for child in children:
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    for child in children:
        try:
            child.wait(STOP_GRACE_S)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
    for thread in pumps:
        thread.join(5.0)
    return max((child.returncode for child in children if child.returncode and child.returncode > 0), default=0)
