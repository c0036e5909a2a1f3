"""Per-video outputs: ``<stem>.json``, ``<stem>.frames.csv``, the thumbnails and, with ``--plot``, ``<stem>.png``.

A worker process (or a cluster node) scans a video and hands back its
:class:`VideoOutputs`: the result's arrays, a few bytes a frame, and the plot.
One writer then streams the JSON and the CSV to disk, so even a day-long
video never has its per-frame table or score list built in memory. Every
file is written atomically (see :mod:`blurscan.io.atomic`); the JSON
comes last, so its presence means the video's outputs are complete. A
video's files are one set: written under the folder's write lock (two runs
writing a video of the same name never mix their files), and a rerun removes
the files of the earlier set it does not write again (the thumbnails of a
segment that is gone, a plot not asked for now).
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from blurscan.io.atomic import atomic_write
from blurscan.io.lock import WRITE_LOCK_NAME, OutputLock
from blurscan.report.plots import plot_or_warning
from blurscan.result.model import Result, VideoResult

#: file suffixes of the per-video outputs
JSON_SUFFIX = ".json"
FRAMES_SUFFIX = ".frames.csv"
PLOT_SUFFIX = ".png"
#: thumbnails are ``<stem>.segNNN.worst.jpg`` and ``<stem>.segNNN.sharp.jpg``
THUMBNAIL_SUFFIX = ".jpg"
THUMBNAIL_ROLES = ("worst", "sharp")
VIDEO_SUFFIXES = (JSON_SUFFIX, FRAMES_SUFFIX, PLOT_SUFFIX)

#: scores written per chunk when streaming a result's JSON
_CHUNK = 65536


@dataclass
class VideoOutputs:
    """What one video's scan hands to the writer: the result (or its error entry) and the plot, if any."""

    result: Result
    plot: bytes | None = None

    @property
    def ok(self) -> bool:
        return self.result.ok


def render_outputs(result: Result, *, plot: bool = False) -> VideoOutputs:
    """Prepare a video's outputs; a plot that cannot be drawn becomes a warning, never a lost result."""
    return VideoOutputs(result, plot_or_warning(result) if plot and result.ok else None)


def json_text(data: Any) -> str:
    return json.dumps(data, indent=1, ensure_ascii=False, allow_nan=False) + "\n"


def write_json(path: str | os.PathLike, data: Any) -> None:
    with atomic_write(path, "w", encoding="utf-8") as handle:
        handle.write(json_text(data))


def dump_result_json(result: Result, handle: IO[str], stem: str | None = None) -> None:
    """Write a result's JSON to ``handle``, the score list streamed in chunks (``stem``: of its thumbnail files)."""
    if not isinstance(result, VideoResult):
        handle.write(json_text(result.to_dict()))
        return
    marker = f"@scores-{uuid.uuid4().hex}@"
    data = result.to_dict(scores_placeholder=marker, thumbnail_stem=stem)
    head, tail = json_text(data).split(json.dumps(marker), 1)
    handle.write(head)
    handle.write("[")
    scores = result.scores
    for start in range(0, len(scores), _CHUNK):
        values = result.rounded_scores(start, start + _CHUNK)
        handle.write(("," if start else "") + ",".join("null" if v is None else repr(v) for v in values))
    handle.write("]")
    handle.write(tail)


def frames_csv(result: VideoResult, handle: IO[str], video_column: str | None = None, header: bool = True) -> None:
    """The per-frame table: frame, time_s, score, blurry (1/0) and the per-frame signals, row by row."""
    names, rows = result.frame_rows()
    # With a video column (any name, a bare CR included) the rows end in CRLF, so the writer quotes a CR too.
    writer = csv.writer(handle, lineterminator="\n" if video_column is None else "\r\n")
    prefix = [video_column] if video_column is not None else []
    if header:
        writer.writerow((["video"] if video_column is not None else []) + names)
    for row in rows:
        writer.writerow(prefix + row)


def _earlier_set(out_dir: Path, stem: str) -> set[str]:
    """The file names an earlier run may have written for ``stem`` (its thumbnails found through
    its JSON's segment count, so the folder is never listed: a batch folder may hold millions)."""
    names = {f"{stem}{FRAMES_SUFFIX}", f"{stem}{PLOT_SUFFIX}"}
    try:
        with open(out_dir / f"{stem}{JSON_SUFFIX}", "rb") as handle:
            segments = json.loads(handle.read().decode("utf-8")).get("segments")
        count = len(segments) if isinstance(segments, list) else 0
    except (OSError, ValueError, AttributeError):
        count = 0
    number = 1
    while number <= count or any(os.path.lexists(out_dir / f"{stem}.seg{number:03d}.{role}{THUMBNAIL_SUFFIX}")
                                 for role in THUMBNAIL_ROLES):
        names.update(f"{stem}.seg{number:03d}.{role}{THUMBNAIL_SUFFIX}" for role in THUMBNAIL_ROLES)
        number += 1
    return names


def write_outputs(out_dir: str | os.PathLike, stem: str, outputs: VideoOutputs) -> dict[str, str]:
    """Write ``<stem><suffix>`` for each output as one set; the JSON last. Returns the paths written by suffix.

    The earlier set's JSON goes first (until the new one is written the set is absent, never
    half old and half new), and its files that this run does not write are removed.
    """
    out_dir = Path(out_dir)
    with OutputLock(out_dir, WRITE_LOCK_NAME, wait=True):
        earlier = _earlier_set(out_dir, stem)
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            os.unlink(out_dir / f"{stem}{JSON_SUFFIX}")  # a folder in the way fails below, as before
        return _write_set(out_dir, stem, outputs, earlier)


def _write_set(out_dir: Path, stem: str, outputs: VideoOutputs, earlier: set[str]) -> dict[str, str]:
    written = {}
    if outputs.ok:
        path = out_dir / f"{stem}{FRAMES_SUFFIX}"
        with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
            frames_csv(outputs.result, handle)
        written[FRAMES_SUFFIX] = str(path)
    if outputs.plot is not None:
        path = out_dir / f"{stem}{PLOT_SUFFIX}"
        with atomic_write(path, "wb") as handle:
            handle.write(outputs.plot)
        written[PLOT_SUFFIX] = str(path)
    thumbnails = outputs.result.thumbnail_images(stem) if outputs.ok else {}
    for name, jpeg in thumbnails.items():
        with atomic_write(out_dir / name, "wb") as handle:
            handle.write(jpeg)
    if thumbnails:
        written[THUMBNAIL_SUFFIX] = ", ".join(str(out_dir / name) for name in thumbnails)
    now = {os.path.basename(p) for key, p in written.items() if key != THUMBNAIL_SUFFIX} | set(thumbnails)
    for name in earlier - now:
        with contextlib.suppress(FileNotFoundError, IsADirectoryError, PermissionError):
            os.unlink(out_dir / name)  # a link is removed, never followed
    path = out_dir / f"{stem}{JSON_SUFFIX}"
    with atomic_write(path, "w", encoding="utf-8") as handle:
        dump_result_json(outputs.result, handle, stem if thumbnails else None)
    written[JSON_SUFFIX] = str(path)
    return written


def write_video_outputs(result: Result, out_dir: str | os.PathLike, stem: str, *, plot: bool = False) -> dict[str, str]:
    """Write ``<stem>.json`` and ``<stem>.frames.csv`` (and ``<stem>.png``); returns the paths written."""
    return write_outputs(out_dir, stem, render_outputs(result, plot=plot))
