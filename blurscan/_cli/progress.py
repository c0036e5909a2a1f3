"""Progress bars on standard error: frames done / total, frames/s, host and GPU memory."""

from __future__ import annotations

import time
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from blurscan.report.escape import terminal_markup

stderr = Console(stderr=True, highlight=False)


def _status_text(done: int, elapsed: float, status: dict[str, Any]) -> str:
    rate = done / elapsed if elapsed > 0 else 0.0
    parts = [f"{rate:,.0f} frames/s", f"RSS {status.get('rss_mb', 0):,.0f} MiB"]
    if "gpu_allocated_mb" in status:
        parts.append(
            f"GPU {status['gpu_allocated_mb'] / 1024:.1f}/{status.get('gpu_reserved_mb', 0) / 1024:.1f}"
            f"/{status.get('gpu_total_mb', 0) / 1024:.0f} GiB"
        )
    if status.get("batch_size"):
        parts.append(f"batch {status['batch_size']}")
    return " · ".join(parts)


def _bar_columns():
    return (
        TextColumn("{task.description}", style="bold"),
        BarColumn(bar_width=30),
        MofNCompleteColumn(),
        TextColumn("{task.fields[unit]}"),
        TimeElapsedColumn(),
        TextColumn("{task.fields[status]}"),
    )


class VideoBar:
    """One video's bar, as the engine's ``Progress``."""

    def __init__(self, progress: Progress, remove_when_done: bool = False, on_start=None):
        self._progress = progress
        self._on_start = on_start
        self._remove = remove_when_done
        self._task = None
        self._total: int | None = None
        self._done = 0
        self._started = 0.0

    def start(self, name: str, total: int | None) -> None:
        if self._on_start is not None:
            self._on_start()
        self._started = time.perf_counter()
        self._total = total
        self._task = self._progress.add_task(terminal_markup(name), total=total, status="", unit="frames")

    def update(self, done: int, status: dict[str, Any]) -> None:
        elapsed = time.perf_counter() - self._started
        self._done = done
        if self._total is not None and done > self._total:
            # the container under-declared its frame count
            self._total = None
            self._progress.update(self._task, total=None)
        self._progress.update(self._task, completed=done, status=_status_text(done, elapsed, status))

    def finish(self) -> None:
        if self._task is None:
            return
        self._progress.update(self._task, total=self._done, completed=self._done)
        if self._remove:
            self._progress.remove_task(self._task)


class DetectProgress:
    """A context that hands out one bar per video; the display starts with the first bar, so a
    video that fails to open leaves only its error line."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = Progress(*_bar_columns(), console=stderr, transient=False, disable=not enabled)
        self._live = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self._live:
            self._progress.stop()

    def _start(self) -> None:
        if not self._live:
            self._live = True
            self._progress.start()

    def video(self) -> VideoBar | None:
        return VideoBar(self._progress, on_start=self._start) if self.enabled else None


class BatchBars:
    """The batch's bar (videos done) plus, when scanning in this process, the current video's bar."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self._progress = Progress(*_bar_columns(), console=stderr, disable=not enabled)
        self._videos = None
        self._errors = 0
        self._blurry = 0

    def start(self, total: int, skipped: int) -> None:
        self._progress.start()
        self._videos = self._progress.add_task("batch", total=total, completed=skipped, status="", unit="videos")
        if skipped and self.enabled:
            self._progress.console.print(f"resuming: {skipped} of {total} videos already done")

    def video(self, name: str) -> VideoBar | None:
        return VideoBar(self._progress, remove_when_done=True) if self.enabled else None

    def done(self, row: dict[str, Any]) -> None:
        if row.get("status") == "error":
            self._errors += 1
            if self.enabled:
                self._progress.console.print(f"[red]error[/red] {terminal_markup(row.get('error'))}", soft_wrap=True)
        elif row.get("blur_detected"):
            self._blurry += 1
        self._progress.update(
            self._videos, advance=1, status=f"{self._blurry} blurry · {self._errors} error(s)"
        )

    def finish(self) -> None:
        self._progress.stop()
