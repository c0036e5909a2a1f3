"""Per-video outputs, written atomically (temporary file in the same folder, then rename).

A reader never sees a half-written file, and an interrupted run leaves either
the old file or the new one. Outputs are first rendered to text/bytes (in a
worker process or on a cluster node) and then written by one writer.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from blurscan.result import VideoResult

#: file suffixes of the per-video outputs
JSON_SUFFIX = ".json"
FRAMES_SUFFIX = ".frames.csv"
PLOT_SUFFIX = ".png"


def unique_stems(names: Iterable[str]) -> list[str]:
    """File-system-safe output stems, with ``-2``, ``-3`` ... added where a name repeats."""
    stems, seen = [], set()
    for name in names:
        stem = re.sub(r"[\x00-\x1f/\\]", "_", name) or "video"
        candidate, n = stem, 1
        while candidate in seen:
            n += 1
            candidate = f"{stem}-{n}"
        seen.add(candidate)
        stems.append(candidate)
    return stems


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike, mode: str = "w", **open_kwargs) -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success it replaces ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, mode, **open_kwargs) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def json_text(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, data: Any) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(json_text(data))


def frames_csv(result: VideoResult, handle: IO[str], video_column: str | None = None, header: bool = True) -> None:
    """The per-frame table: frame, time_s, score, blurry (1/0) and the per-frame signals."""
    names, rows = result.frame_rows()
    writer = csv.writer(handle, lineterminator="\n")
    prefix = [video_column] if video_column is not None else []
    if header:
        writer.writerow((["video"] if video_column is not None else []) + names)
    for row in rows:
        writer.writerow(prefix + row)


def render_outputs(result: VideoResult | dict, *, plot: bool = False) -> dict[str, Any]:
    """The contents of a video's output files, keyed by suffix. An error entry (a dict) has only JSON."""
    if isinstance(result, dict):
        return {JSON_SUFFIX: result}
    rendered: dict[str, Any] = {}
    if plot:  # first, so that a plot's failure is among the JSON's warnings
        from blurscan.report.plots import plot_or_warning

        png = plot_or_warning(result)
        if png is not None:
            rendered[PLOT_SUFFIX] = png
    buffer = io.StringIO()
    frames_csv(result, buffer)
    rendered.update({JSON_SUFFIX: result.to_dict(), FRAMES_SUFFIX: buffer.getvalue()})
    return rendered


def write_outputs(out_dir: str | os.PathLike, stem: str, rendered: dict[str, Any]) -> dict[str, str]:
    """Write rendered outputs as ``<stem><suffix>``; the JSON last, so its presence means all are done."""
    out_dir = Path(out_dir)
    written = {}
    for suffix, content in sorted(rendered.items(), key=lambda kv: kv[0] == JSON_SUFFIX):
        path = out_dir / f"{stem}{suffix}"
        if suffix == JSON_SUFFIX:
            write_json(path, content)
        elif isinstance(content, bytes):
            with atomic_write(path, "wb") as handle:
                handle.write(content)
        else:
            with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
                handle.write(content)
        written[suffix] = str(path)
    return written


def write_video_outputs(result: VideoResult | dict, out_dir: str | os.PathLike, stem: str, *, plot: bool = False) -> dict[str, str]:
    """Write ``<stem>.json`` and ``<stem>.frames.csv`` (and ``<stem>.png``); returns the paths written."""
    return write_outputs(out_dir, stem, render_outputs(result, plot=plot))
