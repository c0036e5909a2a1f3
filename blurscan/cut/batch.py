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

from blurscan.cut.ranges import keep_ranges
from blurscan.cut.split import split_video
from blurscan.io.atomic import atomic_write
from blurscan.report.outputs import json_text
from blurscan.result.model import VideoResult

logger = logging.getLogger("blurscan")

CUTS_SUFFIX = ".cuts.json"


@dataclass(frozen=True)
class SplitOptions:
    """How ``batch --split`` cuts: clips of at least ``min_clip_s`` seconds, re-encoded or stream-copied."""

    min_clip_s: float = 0.0
    copy: bool = False


def cut_plan(result: VideoResult, mode: str, min_clip_s: float, clips: list[dict[str, Any]]) -> dict[str, Any]:
    """``<stem>.cuts.json``: the video, the segments cut out, and each stretch kept."""
    data = result.to_dict(include_scores=False)
    return {"video": data["video"], "segments": data["segments"], "min_clip_s": min_clip_s, "mode": mode, "clips": clips}


def split_result(path: str, result: VideoResult, out_dir: Path, stem: str, options: SplitOptions) -> int:
    """Write the sharp stretches of one scanned video and ``<stem>.cuts.json``; returns the clips written."""
    video = result.video
    ranges = keep_ranges(result.segments, video.frames, video.duration_s, min_clip_s=options.min_clip_s)
    clips = split_video(path, ranges, out_dir, stem, copy=options.copy, stream_index=video.stream)
    cuts = cut_plan(result, "copy" if options.copy else "re-encode", options.min_clip_s, [c.to_dict() for c in clips])
    for clip in clips:
        for note in clip.notes:
            logger.warning("%s: clip %d: %s", video.name, clip.range.index, note)
    with atomic_write(out_dir / f"{stem}{CUTS_SUFFIX}", "w", encoding="utf-8") as handle:
        handle.write(json_text(cuts))
    return sum(1 for c in clips if c.frames)
