"""Cutting one scanned video: its clips and ``<stem>.cuts.json``, for ``split`` and ``batch --split``.

Cutting reads the video a second time (the clips are the video's own
pictures, re-encoded or copied); in a batch it runs after the video's result
is written, so a failed cut never costs the findings: it becomes a warning line.

``cuts.json`` says what is complete: it is written before the first clip
(``"complete": false``, no clip), again as each clip is renamed into place,
and a last time when the cut is done (``"complete": true``). A video with no
blur is not cut: its one clip would be a copy of the video (``"whole": true``;
``keep_whole`` writes it all the same).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from blurscan.cut.ranges import KeepRange, keep_ranges
from blurscan.cut.split import WrittenClip, split_video
from blurscan.io.atomic import atomic_write
from blurscan.report.outputs import json_text
from blurscan.result.model import VideoResult

logger = logging.getLogger("blurscan")

CUTS_SUFFIX = ".cuts.json"


@dataclass(frozen=True)
class SplitOptions:
    """How a video is cut: clips of at least ``min_clip_s`` seconds and ``min_clip_frames`` frames,
    re-encoded or stream-copied (``copy``), named by ``name_template`` (see
    :func:`blurscan.cut.split.validate_name_template`); a video with no blur is written whole only
    with ``keep_whole``."""

    min_clip_s: float = 0.0
    copy: bool = False
    min_clip_frames: int = 0
    keep_whole: bool = False
    name_template: str | None = None

    @property
    def mode(self) -> str:
        return "copy" if self.copy else "re-encode"


@dataclass
class Cut:
    """What cutting one video did: the stretches kept, the clips written, and whether the video was
    left whole (no blur, so no clip)."""

    ranges: list[KeepRange]
    clips: list[WrittenClip] = field(default_factory=list)
    whole: bool = False
    cuts_file: str = ""

    @property
    def written(self) -> list[WrittenClip]:
        return [c for c in self.clips if c.frames]


def cut_plan(result: VideoResult, mode: str, min_clip_s: float, clips: list[dict[str, Any]], *,
             complete: bool = True, whole: bool = False, min_clip_frames: int = 0) -> dict[str, Any]:
    """``<stem>.cuts.json``: the video, the segments cut out, and each stretch kept (so far, until ``complete``)."""
    data = result.to_dict(include_scores=False)
    plan = {"video": data["video"], "segments": data["segments"], "min_clip_s": min_clip_s, "mode": mode,
            "complete": complete, "whole": whole, "clips": clips}
    if min_clip_frames:
        plan["min_clip_frames"] = min_clip_frames
    return plan


def is_whole(result: VideoResult, ranges: list[KeepRange]) -> bool:
    """Whether the one stretch kept is the whole video (nothing blurry to cut out)."""
    frames = result.video.frames
    return not result.segments and len(ranges) == 1 and ranges[0].start_frame == 0 and ranges[0].end_frame >= frames - 1


def cut_result(path: str, result: VideoResult, out_dir: Path, stem: str, options: SplitOptions) -> Cut:
    """Write the sharp stretches of one scanned video as clips, and ``<stem>.cuts.json`` as they complete."""
    video = result.video
    ranges = keep_ranges(result.segments, video.frames, video.duration_s, min_clip_s=options.min_clip_s,
                         min_clip_frames=options.min_clip_frames)
    cuts_file = Path(out_dir) / f"{stem}{CUTS_SUFFIX}"
    cut = Cut(ranges, cuts_file=str(cuts_file))

    def write(clips: list[WrittenClip], complete: bool) -> None:
        plan = cut_plan(result, options.mode, options.min_clip_s, [c.to_dict() for c in clips], complete=complete,
                        whole=cut.whole, min_clip_frames=options.min_clip_frames)
        with atomic_write(cuts_file, "w", encoding="utf-8") as handle:
            handle.write(json_text(plan))

    if is_whole(result, ranges) and not options.keep_whole:
        cut.whole = True
        write([], True)
        return cut
    done: list[WrittenClip] = []
    write(done, False)

    def on_clip(clip: WrittenClip) -> None:
        done.append(clip)
        write(done, False)

    cut.clips = split_video(path, ranges, out_dir, stem, copy=options.copy, stream_index=video.stream,
                            name_template=options.name_template, on_clip=on_clip)
    write(cut.clips, True)
    return cut


def split_result(path: str, result: VideoResult, out_dir: Path, stem: str, options: SplitOptions) -> int:
    """``batch --split``: cut one scanned video beside its results; returns the clips written. Each
    clip's notes become warnings naming the clip; a video left whole is said at the info level."""
    cut = cut_result(path, result, out_dir, stem, options)
    if cut.whole:
        logger.info("%s: no blur: not cut (its one clip would be a copy of the video; --keep-whole writes it)",
                    result.video.name)
    for clip in cut.clips:
        for note in clip.notes:
            logger.warning("%s: %s: %s", result.video.name, clip.name, note)
    return len(cut.written)
