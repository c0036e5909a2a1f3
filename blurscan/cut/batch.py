"""``batch --split``: cut each scanned video's blurry segments out, next to its results.

Cutting reads the video a second time (the clips are the video's own
pictures, re-encoded or copied); it runs after the video's result is written,
so a failed cut never costs the findings: it becomes a warning line.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from blurscan.io.atomic import atomic_write

logger = logging.getLogger("blurscan")

CUTS_SUFFIX = ".cuts.json"


@dataclass(frozen=True)
class SplitOptions:
    """How ``batch --split`` cuts: clips of at least ``min_clip_s`` seconds, re-encoded or stream-copied."""

    min_clip_s: float = 0.0
    copy: bool = False


def split_result(path: str, result: dict[str, Any], out_dir: Path, stem: str, options: SplitOptions) -> int:
    """Write the sharp stretches of one scanned video and ``<stem>.cuts.json``; returns the clips written."""
    from blurscan.cut.ranges import keep_ranges
    from blurscan.cut.split import split_video
    from blurscan.report.files import json_text

    video = result["video"]
    ranges = keep_ranges(result["segments"], video["frames"], video["duration_s"], min_clip_s=options.min_clip_s)
    clips = split_video(path, ranges, out_dir, stem, copy=options.copy, stream_index=video.get("stream"))
    cuts = {"video": video, "segments": result["segments"], "min_clip_s": options.min_clip_s,
            "mode": "copy" if options.copy else "re-encode", "clips": [c.to_dict() for c in clips]}
    for clip in clips:
        for note in clip.notes:
            logger.warning("%s: clip %d: %s", video.get("name"), clip.range.index, note)
    with atomic_write(out_dir / f"{stem}{CUTS_SUFFIX}", "w", encoding="utf-8") as handle:
        handle.write(json_text(cuts))
    return sum(1 for c in clips if c.frames)
