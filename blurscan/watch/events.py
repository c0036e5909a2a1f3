"""Events out: one JSON object a line on standard output, appended to ``--events FILE``, a snapshot, the webhook.

Each event is written the moment it is known: the line is flushed to
standard output, appended to the events file and synced (opened with
``O_NOFOLLOW``, a torn last line closed first: :func:`blurscan.io.atomic.append_line`),
its snapshot (a JPEG of the worst frame) written by temp file and rename into
the snapshots folder under a name blurscan makes (never one from the
stream), and the event handed to the webhook thread.

Fields: ``type``; ``source`` (a URL without its password); ``state``
(``begun`` / ``ended``, for what lasts: ``soft``, ``flat``, ``frozen``);
``start_s`` / ``end_s`` on the watch's timeline; ``start_time`` /
``end_time`` (ISO 8601 UTC, when the frames arrived); ``duration_s``;
``severity`` and ``min_score`` (blur and soft); ``cause`` where the finding
carries one; ``snapshot``.
"""

from __future__ import annotations

import json
import re
import sys
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from blurscan.errors import path_text
from blurscan.io.atomic import append_line, atomic_write, make_output_dir
from blurscan.watch.monitor import Finding

#: what a snapshot name's tag may hold
_TAG = re.compile(r"[^A-Za-z0-9_-]+")
JPEG_QUALITY = 85


def iso_time(wall: float | None) -> str | None:
    if wall is None:
        return None
    return datetime.fromtimestamp(wall, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def event_dict(finding: Finding, source: str) -> dict[str, Any]:
    """The event's JSON object (the snapshot is added by the sink)."""
    event: dict[str, Any] = {"type": finding.type, "source": source}
    if finding.state:
        event["state"] = finding.state
    event.update(start_s=round(finding.start_s, 3),
                 end_s=None if finding.end_s is None else round(finding.end_s, 3),
                 start_time=iso_time(finding.start_wall), end_time=iso_time(finding.end_wall))
    if finding.end_s is not None:
        event["duration_s"] = round(finding.end_s - finding.start_s, 3)
    if finding.severity is not None:
        event["severity"] = finding.severity
    if finding.min_score is not None:
        event["min_score"] = round(float(finding.min_score), 6)
    if finding.cause is not None:  # cause, cause_confidence, motion_angle_deg, blur_px, as in a scan's segments
        event.update(finding.cause.to_dict() if hasattr(finding.cause, "to_dict") else {"cause": finding.cause})
    if finding.extra:
        event.update(finding.extra)
    return event


class EventSink:
    """Where the events of one source go; called with each :class:`Finding`."""

    def __init__(self, source: str, *, stdout: IO[str] | None = None, events_file: str | Path | None = None,
                 snapshots: str | Path | None = None, webhook=None, tag: str = ""):
        self.source = source
        self.stdout = stdout if stdout is not None else sys.stdout
        self.events_file = events_file
        self.snapshots = make_output_dir(snapshots) if snapshots is not None else None
        self.webhook = webhook
        self.tag = _TAG.sub("_", tag)[:40]
        self.count = 0
        self._lock = threading.Lock()

    def __call__(self, finding: Finding) -> dict[str, Any]:
        with self._lock:
            self.count += 1
            event = event_dict(finding, self.source)
            if self.snapshots is not None and finding.picture is not None:
                event["snapshot"] = self._snapshot(finding, event)
            line = json.dumps(event, ensure_ascii=False)
            self.stdout.write(line + "\n")
            self.stdout.flush()
            if self.events_file is not None:
                append_line(self.events_file, line)
            if self.webhook is not None:
                self.webhook.send(event)
            return event

    def _snapshot(self, finding: Finding, event: dict) -> str:
        import cv2

        stamp = (event.get("start_time") or "").replace(":", "").replace("-", "").split(".")[0]
        name = f"{self.tag + '-' if self.tag else ''}{self.count:06d}-{finding.type}-{stamp}.jpg"
        path = self.snapshots / name
        picture = finding.picture
        if picture.ndim == 3:
            picture = cv2.cvtColor(picture, cv2.COLOR_RGB2BGR)
        ok, data = cv2.imencode(".jpg", picture, [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
        if not ok:
            return ""
        with atomic_write(path, "wb") as handle:
            handle.write(data.tobytes())
        return path_text(path)
