"""Cut lists for other tools: ffmpeg commands (a shell script) and CMX 3600 EDLs for editors.

Both are plain text that other programs parse by lines and fields, so every
name in them is made safe first: shell-quoted (and given as ``file:`` so
ffmpeg never reads it as an option or a protocol) in the script, stripped of
control characters in the EDL's comment lines.
"""

from __future__ import annotations

import os
import re
import shlex
from collections.abc import Sequence

from blurscan.cut.ranges import KeepRange
from blurscan.timecode import edl_rate, smpte

EXPORT_SUFFIXES = {"ffmpeg": ".cuts.sh", "edl": ".edl"}

_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def ffmpeg_script(source: str, ranges: Sequence[KeepRange], fps: float, clip_paths: Sequence[str], *,
                  start_offset_s: float = 0.0, stream: int | None = None) -> str:
    """A POSIX shell script with one ffmpeg command per stretch (exact cuts, re-encoded).

    Times are shifted back half a frame so each cut falls between two frames
    and rounding can never take in a blurry frame or drop a sharp one.
    ``start_offset_s`` is where the first picture lies after the start of the
    file (ffmpeg seeks from the file's start, the scan counts from the first picture).
    ``stream`` is the index of the video stream the scan used (``-map 0:<index>``;
    None: the file's first video stream).
    """
    video_map = f"0:{int(stream)}" if stream is not None else "0:v:0"
    half = 0.5 / fps if fps else 0.0
    lines = [
        "#!/bin/sh",
        f"# blurscan cut list: the {len(ranges)} sharp stretch(es) of {_comment(os.path.basename(source))}"
        + (f", video stream {int(stream)}" if stream is not None else ""),
        "set -e",
    ]
    for r, target in zip(ranges, clip_paths):
        start = max(0.0, r.start_s + start_offset_s - half)
        lines.append(
            f"ffmpeg -hide_banner -nostdin -y -ss {start:.6f} -i {_ffmpeg_path(source)} -t {r.duration_s:.6f} "
            f"-map {video_map} -map '0:a:0?' -c:v libx264 -crf 18 -preset veryfast -pix_fmt yuv420p -c:a aac "
            f"{_ffmpeg_path(target)}"
        )
    return "\n".join(lines) + "\n"


def edl(title: str, source: str, ranges: Sequence[KeepRange], fps: float, *, audio: bool, stream: int | None = None) -> str:
    """A CMX 3600 EDL: one cut event per stretch, source in/out from the scan's frame numbers,
    laid end to end on the record side. Counted non-drop frame at the whole rate (29.97 as 30).
    ``stream``, the video stream the scan used, is named in a comment line after each event's clip name
    (CMX 3600 has no field for it)."""
    rate = edl_rate(fps)
    lines = [f"TITLE: {_comment(title)[:70]}", "FCM: NON-DROP FRAME", ""]
    record = 0
    for number, r in enumerate(ranges, start=1):
        frames = r.end_frame - r.start_frame + 1
        lines.append(
            f"{number:03d}  AX       {'AA/V' if audio else 'V':<5} C        "
            f"{smpte(r.start_frame, rate)} {smpte(r.end_frame + 1, rate)} {smpte(record, rate)} {smpte(record + frames, rate)}"
        )
        lines.append(f"* FROM CLIP NAME: {_comment(os.path.basename(source))}")
        if stream is not None:
            lines.append(f"* SOURCE VIDEO STREAM: {int(stream)}")
        lines.append("")
        record += frames
    return "\n".join(lines)


def _comment(text: str) -> str:
    """A name as one harmless line of text."""
    return _UNPRINTABLE.sub("?", text)


def _ffmpeg_path(path: str) -> str:
    return shlex.quote("file:" + os.path.abspath(path))
