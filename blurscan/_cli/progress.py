"""Progress on standard error: frames done / total, frames/s, ETA, host and GPU memory.

On a terminal each video (and a batch) has one line that always fits the
width: the file name is shortened first, the counts, rate and ETA never.
When standard error is not a terminal (a log file, CI), plain lines are
written every few seconds instead of bar frames, and always before the
video's summary line. A batch shows an overall line (videos and frames done,
frames/s, ETA) and one line per worker, however many workers there are.
"""

from __future__ import annotations

import os
import time
from collections import deque
from typing import Any

from rich.console import Console
from rich.progress import Progress, ProgressColumn
from rich.text import Text

from blurscan.io.escape import terminal_markup, terminal_text

stderr = Console(stderr=True, highlight=False)

#: seconds between plain progress lines when standard error is not a terminal
PLAIN_INTERVAL_S = float(os.environ.get("BLURSCAN_PROGRESS_INTERVAL", "10"))


def clock(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "-:--:--"
    seconds = int(round(seconds))
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"


def shorten(name: str, width: int) -> str:
    """``name`` in at most ``width`` characters, its middle replaced by an ellipsis (the extension stays)."""
    if len(name) <= width:
        return name
    if width <= 1:
        return "…"[:width]
    tail = max(1, min(len(name) // 3, (width - 1) // 3))
    return name[: width - 1 - tail] + "…" + name[-tail:]


def _extras(status: dict[str, Any]) -> list[str]:
    parts = [f"RSS {status.get('rss_mb', 0):,.0f} MiB"] if "rss_mb" in status else []
    if "gpu_allocated_mb" in status:
        parts.append(
            f"GPU {status['gpu_allocated_mb'] / 1024:.1f}/{status.get('gpu_reserved_mb', 0) / 1024:.1f}"
            f"/{status.get('gpu_total_mb', 0) / 1024:.0f} GiB"
        )
    if status.get("batch_size"):
        parts.append(f"batch {status['batch_size']}")
    return parts


def progress_line(name: str, done: int, total: int | None, elapsed: float, status: dict[str, Any], width: int,
                  *, unit: str = "frames", bar: bool = True, eta: float | None = None) -> str:
    """One line of progress in at most ``width`` characters.

    Kept whole: counts, rate, ETA. Given up in this order when space is short:
    the extras (memory, batch size), the bar, then characters of the name.
    """
    rate = done / elapsed if elapsed > 0 else 0.0
    if eta is None and total and rate > 0:
        eta = max(0.0, (total - done) / rate)
    # on a terminal (bars) done and the rate are padded to the width they will reach, so the name never
    # shrinks as they grow; plain lines are not redrawn and need no padding
    def core_text(pad_done: int, pad_rate: int) -> str:
        counts = f"{done:>{pad_done},}/{total:,} {unit}" if total else f"{done:,} {unit}"
        return f"{counts} · {rate:>{pad_rate},.0f} {unit}/s · ETA {clock(eta) if (total or eta is not None) else '?'}"

    plain = core_text(0, 0)
    core = core_text(len(f"{total:,}") if total else 0, 5) if bar else plain
    extras = " · ".join(_extras(status))
    name = terminal_text(name)
    for use_extras, bar_width in ((True, 20), (True, 10), (False, 10), (False, 0)):
        if not bar:
            bar_width = 0
        tail = core + (f" · {extras}" if use_extras and extras else "")
        meter = ""
        if bar_width:
            filled = int(bar_width * min(1.0, done / total)) if total else 0
            meter = "━" * filled + "╺" + "─" * max(0, bar_width - filled - 1) if total else "─" * bar_width
            meter = meter[:bar_width] + " "
        room = width - len(tail) - len(meter) - 1
        if room >= min(12, len(name)):
            return f"{shorten(name, room)} {meter}{tail}"
    return f"{shorten(name, max(4, width - len(plain) - 1))} {plain}"[:max(width, len(plain))]


class _LineColumn(ProgressColumn):
    """The whole line of a task, fitted to the console's width."""

    def render(self, task) -> Text:
        fields = task.fields
        width = stderr.width - 1
        if fields.get("batch"):
            return Text(fields["batch"].line(width))
        line = progress_line(fields["name"], int(task.completed), int(task.total) if task.total else None,
                             task.elapsed or 0.0, fields.get("status", {}), width, unit=fields.get("unit", "frames"))
        return Text(line)


class _Display:
    """A live display on a terminal, or plain periodic lines elsewhere."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.live = enabled and stderr.is_terminal
        self._progress = Progress(_LineColumn(), console=stderr, transient=False, disable=not self.live,
                                  refresh_per_second=4)
        self._started = False
        self._last_plain = 0.0

    def start(self) -> None:
        if self.live and not self._started:
            self._started = True
            self._progress.start()

    def stop(self) -> None:
        if self._started:
            self._started = False
            self._progress.stop()

    def add(self, **fields) -> Any:
        return self._progress.add_task("", total=fields.pop("total", None), **fields) if self.live else None

    def update(self, task, **kwargs) -> None:
        if self.live and task is not None:
            self._progress.update(task, **kwargs)

    def remove(self, task) -> None:
        if self.live and task is not None:
            self._progress.remove_task(task)

    def print(self, markup: str) -> None:
        if self.enabled:
            self._progress.console.print(markup, soft_wrap=True, highlight=False)

    def plain(self, line: str, *, force: bool = False) -> None:
        """A plain progress line (not on a terminal), at most every PLAIN_INTERVAL_S."""
        if not self.enabled or self.live:
            return
        now = time.monotonic()
        if force or now - self._last_plain >= PLAIN_INTERVAL_S:
            self._last_plain = now
            stderr.print(line, markup=False, highlight=False, soft_wrap=True)


class VideoBar:
    """One video's progress, as the engine's ``Progress``."""

    def __init__(self, display: _Display, remove_when_done: bool = False, on_start=None, on_update=None):
        self._display = display
        self._on_start = on_start
        self._on_update = on_update
        self._remove = remove_when_done
        self._task = None
        self.name = ""
        self.total: int | None = None
        self.done = 0
        self._started = 0.0
        self._said = False

    def start(self, name: str, total: int | None) -> None:
        if self._on_start is not None:
            self._on_start()
        self._started = time.perf_counter()
        self.name, self.total = name, total
        self._task = self._display.add(name=name, total=total, status={}, unit="frames")

    def update(self, done: int, status: dict[str, Any]) -> None:
        self.done = done
        if self.total is not None and done > self.total:
            self.total = None  # the container under-declared its frame count
            self._display.update(self._task, total=None)
        self._display.update(self._task, completed=done, status=status)
        elapsed = time.perf_counter() - self._started
        # every video's first line is written, however soon after the last video's it comes
        self._display.plain(progress_line(self.name, done, self.total, elapsed, status, 200, bar=False),
                            force=not self._said)
        self._said = True
        if self._on_update is not None:
            self._on_update(self)

    def finish(self) -> None:
        if self._task is None:
            return
        self._display.update(self._task, total=self.done, completed=self.done)
        if self._remove:
            self._display.remove(self._task)


class DetectProgress:
    """A context that hands out one bar per video; the display starts with the first bar, so a
    video that fails to open leaves only its error line."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._display = _Display(enabled)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._display.stop()

    def video(self) -> VideoBar | None:
        return VideoBar(self._display, remove_when_done=True, on_start=self._display.start) if self.enabled else None


class _BatchState:
    """The batch's overall line: videos and frames done, frames/s, ETA from the bytes of the inputs."""

    def __init__(self, total: int, skipped: int, total_bytes: int, skipped_bytes: int):
        self.total, self.done = total, skipped
        #: the work left is measured in bytes of the inputs, or in videos where their sizes are unknown
        self.total_bytes, self.done_bytes = max(1, total_bytes), skipped_bytes
        self.frames = 0
        self.blurry = self.errors = 0
        self.started = time.perf_counter()
        self.skipped_bytes = skipped_bytes
        #: per video being scanned (by path): (name, frames done, frames total, bytes of its video)
        self.workers: dict[Any, tuple[str, int, int | None, int]] = {}
        #: the videos finished last (bounded: memory stays flat), to drop a worker's message that comes after
        self.finished_paths: deque[str] = deque(maxlen=1024)

    def finished(self, path: str) -> bool:
        return path in self.finished_paths

    def in_flight_bytes(self) -> float:
        return sum(size * (done / total) for _, done, total, size in self.workers.values() if total)

    def eta(self) -> float | None:
        elapsed = time.perf_counter() - self.started
        scanned = self.done_bytes - self.skipped_bytes + self.in_flight_bytes()
        if scanned <= 0 or elapsed <= 0:
            return None
        return max(0.0, (self.total_bytes - self.done_bytes - self.in_flight_bytes()) * elapsed / scanned)

    def frames_now(self) -> int:
        return self.frames + sum(done for _, done, _, _ in self.workers.values())

    def line(self, width: int) -> str:
        elapsed = time.perf_counter() - self.started
        frames = self.frames_now()
        rate = frames / elapsed if elapsed > 0 else 0.0
        text = (f"batch {self.done:,}/{self.total:,} videos · {frames:,} frames · {rate:,.0f} frames/s · "
                f"ETA {clock(self.eta())} · {self.blurry:,} blurry · {self.errors:,} {'error' if self.errors == 1 else 'errors'}")
        return text[:width]


class BatchBars:
    """The batch's overall line plus one line per video being scanned (by any number of workers)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._display = _Display(enabled)
        self._state: _BatchState | None = None
        self._overall = None
        #: one line per worker (by its id): the task, its number ([1], [2] ...) and the path it shows
        self._worker_tasks: dict[Any, Any] = {}
        self._worker_numbers: dict[Any, int] = {}
        self._worker_paths: dict[Any, str | None] = {}
        self._sizes: dict[str, int] = {}
        self._unit = 0

    def start(self, total: int, skipped: int, sizes: dict[str, int] | None = None, skipped_bytes: int = 0,
              note: str | None = None) -> None:
        """``note``: what resuming found (one line, said once), instead of the bare count."""
        self._sizes = dict(sizes or {})
        if not sum(self._sizes.values()):  # sizes unknown (URLs, a dataset): the ETA counts videos
            self._sizes, self._unit = {}, 1
            skipped_bytes = skipped
        self._state = _BatchState(total, skipped, sum(self._sizes.values()) or total, skipped_bytes)
        self._display.start()
        self._overall = self._display.add(batch=self._state, total=None)
        if self.enabled and (note or skipped):
            self._display.print(terminal_markup(note or f"resuming: {skipped:,} of {total:,} videos already done"))

    def _size(self, path: str | None) -> int:
        return self._sizes.get(path or "", 0) if self._sizes else self._unit

    def video(self, name: str, path: str | None = None) -> VideoBar | None:
        if not self.enabled:
            return None

        def update(bar: VideoBar) -> None:
            self.worker(0, bar.name, bar.done, bar.total, path)

        return VideoBar(self._display, remove_when_done=True, on_update=update)

    def worker(self, worker: Any, name: str, done: int, total: int | None, path: str | None = None) -> None:
        """Progress of the video a worker is scanning (from this process or a worker process)."""
        if self._state is None:
            return
        if path is not None and path not in self._state.workers and self._state.finished(path):
            return  # a late message about a video already done
        self._state.workers[path or worker] = (name, done, total, self._size(path))
        if self._display.live and worker != 0:
            task = self._worker_tasks.get(worker)
            if task is None:
                self._worker_numbers[worker] = len(self._worker_numbers) + 1
                task = self._worker_tasks[worker] = self._display.add(name=name, total=total, status={}, unit="frames")
            self._worker_paths[worker] = path
            self._display.update(task, completed=done, total=total, name=f"[{self._worker_numbers[worker]}] {name}")
        self._refresh()

    def done(self, row: dict[str, Any]) -> None:
        state = self._state
        if state is None:
            return
        path = str(row.get("path"))
        state.workers.pop(path, None)
        state.finished_paths.append(path)
        for worker, shown in self._worker_paths.items():
            if shown == path:  # its last progress message may say 1,440/1,500: show it done
                task = self._worker_tasks[worker]
                frames = int(row.get("frames") or 0) or None
                self._display.update(task, completed=frames or 1, total=frames or 1)
        state.done += 1
        state.done_bytes += self._size(path)
        state.frames += int(row.get("frames") or 0)
        if row.get("status") == "error":
            state.errors += 1
            self._display.print(f"[red]error[/red] {terminal_markup(row.get('error'))}")
        elif row.get("blur_detected"):
            state.blurry += 1
        if state.done == state.total:  # nothing left to scan: the workers' lines go, the overall line stays
            for task in self._worker_tasks.values():
                self._display.remove(task)
            self._worker_tasks.clear()
            self._worker_paths.clear()
        self._refresh(force=state.done == state.total)

    def kept(self) -> tuple[int, int] | None:
        """Videos done (this run and before it) and in the batch, for the line an interrupted batch ends with."""
        return None if self._state is None else (self._state.done, self._state.total)

    def _refresh(self, force: bool = False) -> None:
        if self._state is None:
            return
        self._display.update(self._overall)
        if not self._display.live:
            busy = "; ".join(f"{terminal_text(name)} {done}/{total or '?'}" for name, done, total, _ in self._state.workers.values())
            self._display.plain(self._state.line(400) + (f" · scanning: {busy}" if busy else ""), force=force)

    def finish(self) -> None:
        self._display.stop()
