"""Writing the sharp stretches of a video as clips, in one pass over the file.

Re-encoding (the default) cuts exactly at the frames the scan kept: the
decoded frames are counted as the scan counted them, so no flagged frame
survives. ``copy=True`` copies the compressed packets instead (fast, no
quality loss), which can only start a clip at a keyframe: each clip starts at
the first keyframe inside its stretch, and the result says where. Audio is
kept where present (re-encoded to AAC, or copied). Each clip is written to a
temporary name and renamed only when complete: a clip under its final name is
always whole, whatever stops the cut (an error, Ctrl-C, SIGTERM; a SIGKILL
leaves a temporary file, which the next run into the folder removes).

Re-encoded clips keep the source's display rotation (the display matrix of
the first frame, set on the clip's stream): they play as the source does.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from blurscan.cut.ranges import KeepRange
from blurscan.errors import CutError, NotAVideoError, UsageError
from blurscan.io.atomic import TEMP_PATTERN, current_umask, output_error
from blurscan.io.names import unsafe_characters
from blurscan.messages import Message
from blurscan.source.open import open_container
from blurscan.source.remote import is_url, open_stream
from blurscan.source.tar import is_member, open_member
from blurscan.timecode import clock

logger = logging.getLogger("blurscan")

#: container of the clips: re-encoded clips are H.264/AAC in MP4; copied ones keep any codec in Matroska
REENCODE_SUFFIX = ".mp4"
COPY_SUFFIX = ".mkv"
#: how clips are named unless a template is given: ``<stem>.clip001.mp4``
DEFAULT_NAME_TEMPLATE = "{stem}.clip{n:03d}"
#: the fields a clip-name template may use
_TEMPLATE_FIELDS = frozenset({"stem", "n"})
#: the highest sample rate a re-encoded clip's AAC track gets (AAC holds up to 96 kHz; players expect 48)
_AAC_MAX_RATE = 48000
#: the usual layout for a count of channels, for PCM that names none (AVI, Matroska)
_DEFAULT_LAYOUTS = {1: "mono", 2: "stereo", 3: "3.0", 4: "4.0", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


def validate_name_template(template: str, *, several: bool = False) -> str:
    """``template`` if it makes one safe file name per clip (``{stem}`` and ``{n}``, the clip's number,
    as in ``{stem}.clip{n:03d}``); otherwise a one-line :class:`UsageError`.

    The name is made inside the output folder only: no path separator, no
    control character, not hidden (a leading dot is how temporary files look),
    different for each clip (``{n}`` is required) and, with ``several`` videos,
    for each video (``{stem}`` is required).
    """
    import string

    try:
        fields = {name.split(".")[0].split("[")[0] for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as ex:
        raise UsageError(f"--name-template {template!r}: {ex}; write e.g. '{DEFAULT_NAME_TEMPLATE}'") from None
    unknown = sorted(fields - _TEMPLATE_FIELDS)
    if unknown:
        raise UsageError(f"--name-template {template!r}: unknown field {{{unknown[0]}}}; the fields are {{stem}} and {{n}}")
    if "n" not in fields:
        raise UsageError(f"--name-template {template!r} has no {{n}}: every clip would get the same name")
    if several and "stem" not in fields:
        raise UsageError(f"--name-template {template!r} has no {{stem}}: the clips of different videos would get the same names")
    for n in (1, 12, 1234):
        try:
            name = clip_name(template, "stem", n, "")
        except (ValueError, KeyError, IndexError, AttributeError, TypeError) as ex:
            raise UsageError(f"--name-template {template!r}: {ex}; write e.g. '{DEFAULT_NAME_TEMPLATE}'") from None
        bad = unsafe_characters(name)
        if bad:
            raise UsageError(f"--name-template {template!r} makes names with {bad[0]!r}: a clip's name is a file name "
                             "inside the output folder, with no path separator or control character")
        if name.startswith(".") or not name.strip():
            raise UsageError(f"--name-template {template!r} makes hidden or empty names; start it with {{stem}} or a letter")
    return template


def clip_name(template: str | None, stem: str, n: int, suffix: str) -> str:
    """The file name of clip ``n`` of the video whose output stem is ``stem``."""
    return (template or DEFAULT_NAME_TEMPLATE).format(stem=stem, n=n) + suffix


def clip_paths(ranges: Sequence[KeepRange], out_dir: str | os.PathLike, stem: str, *, copy: bool = False,
               name_template: str | None = None) -> list[str]:
    """Where each range's clip goes (the names the cut writes and the ffmpeg script names)."""
    suffix = COPY_SUFFIX if copy else REENCODE_SUFFIX
    return [str(Path(out_dir) / clip_name(name_template, stem, r.index, suffix)) for r in ranges]


@dataclass
class WrittenClip:
    range: KeepRange
    path: str
    frames: int = 0
    #: where the clip really starts (copy mode snaps to a keyframe)
    start_s: float = 0.0
    audio: bool = False
    notes: list[str] = field(default_factory=list)
    #: renamed to its final name, whole
    complete: bool = False

    @property
    def name(self) -> str:
        return os.path.basename(self.path)

    @property
    def written_s(self) -> float:
        """How much of its stretch the clip holds: from where it really starts to the stretch's end."""
        return max(0.0, self.range.end_s - self.start_s) if self.frames else 0.0

    def note(self, message: Message) -> None:
        self.notes.append(str(message))

    def to_dict(self) -> dict[str, Any]:
        return {**self.range.to_dict(), "file": self.path, "complete": self.complete, "frames_written": self.frames,
                "written_start_s": round(self.start_s, 4), "written_start_tc": clock(self.start_s),
                "written_s": round(self.written_s, 4), "audio": self.audio, "notes": list(self.notes)}


def temp_prefix(final: Path) -> str:
    """How the temporary file of a clip being written begins (as :func:`blurscan.io.atomic.atomic_write`'s do)."""
    return f".{final.name[:200]}."


def _remove_temp_files(clips: Sequence[WrittenClip]) -> None:
    """Delete what a stopped cut may have left of its clips' temporary files (one created at the very
    moment the stop came is not yet known to its output)."""
    for clip in clips:
        final = Path(clip.path)
        prefix = temp_prefix(final)
        with contextlib.suppress(OSError), os.scandir(final.parent) as entries:
            for entry in entries:
                if entry.name.startswith(prefix) and TEMP_PATTERN.match(entry.name) and entry.is_file(follow_symlinks=False):
                    with contextlib.suppress(OSError):
                        os.unlink(entry.path)


class _Output:
    """One clip being written: an output container at a temporary name, renamed on success."""

    def __init__(self, final: Path, container_format: str):
        import av

        self.final = final
        fd, self.tmp = tempfile.mkstemp(prefix=temp_prefix(final), suffix=".tmp", dir=final.parent)
        try:
            os.fchmod(fd, 0o666 & ~current_umask())
            os.close(fd)
            self.container = av.open(self.tmp, "w", format=container_format)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)
            raise
        self.video = None
        self.audio = None
        #: whether the streams are encoders to flush (re-encoding), not copies
        self.encoding = False

    def mux(self, packets) -> None:
        for packet in packets:
            self.container.mux(packet)

    def close(self, ok: bool) -> None:
        """Finish the clip and rename it into place (``ok``), or close and delete the partial file."""
        try:
            if ok and self.encoding:
                for stream in (self.video, self.audio):
                    if stream is not None:
                        self.mux(stream.encode())
            if ok:
                self.container.close()
                os.replace(self.tmp, self.final)
            else:
                with contextlib.suppress(Exception):
                    self.container.close()
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)


@contextlib.contextmanager
def open_source(path: str | os.PathLike):
    """The video as a container: a tar member read in place from its shard, a URL as a stream, a local
    name as the literal file it names (see :func:`blurscan.source.open.open_container`)."""
    import av

    text = os.fspath(path)
    try:
        if is_member(text) or is_url(text):
            handle = open_member(text) if is_member(text) else open_stream(text)
            try:
                container = av.open(handle, metadata_errors="ignore")
            except BaseException:
                handle.close()
                raise
        else:
            container, handle = open_container(Path(path))
    except (av.error.FFmpegError, OSError) as ex:
        raise NotAVideoError(path, f"cannot be read as a video ({ex}).") from ex
    try:
        yield container
    finally:
        container.close()
        if handle is not None:
            handle.close()


def result_mismatch(path: str | os.PathLike, video) -> str | None:
    """Why a result's ``video`` (a :class:`~blurscan.result.model.Video`) is not of the file at ``path``,
    or None when it is: the file's name, the scanned stream, its picture size, the frames its container
    lists and its duration must agree (read from the container; nothing is decoded)."""
    import unicodedata

    given = unicodedata.normalize("NFC", os.path.basename(os.fspath(path)))
    named = unicodedata.normalize("NFC", os.path.basename(video.path.replace("\\", "/")))
    if given != named:
        return f"it was made from {named!r}"
    with open_source(path) as container:
        streams = list(container.streams.video)
        stream = (next((s for s in streams if s.index == video.stream), None) if video.stream is not None
                  else (streams[0] if streams else None))
        if stream is None:
            return f"it scanned video stream {video.stream}, which this file does not have"
        width, height = stream.codec_context.width, stream.codec_context.height
        if video.width and video.height and width and height and (video.width, video.height) not in ((width, height), (height, width)):
            return f"its video is {video.width}x{video.height}, this file's is {width}x{height}"
        declared = stream.frames or 0
        if declared and video.declared_frames and declared != video.declared_frames:
            return f"its video has {video.declared_frames} frames, this file's {declared}"
        if stream.duration is not None and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        else:
            duration = container.duration / 1_000_000 if container.duration else 0.0
        if duration and video.duration_s and abs(duration - video.duration_s) > max(0.5, 0.02 * duration):
            return f"its video lasts {video.duration_s:.2f} s, this file's {duration:.2f} s"
    return None


def split_video(path: str | os.PathLike, ranges: Sequence[KeepRange], out_dir: str | os.PathLike, stem: str, *,
                copy: bool = False, stream_index: int | None = None, name_template: str | None = None,
                on_clip: Callable[[WrittenClip], None] | None = None) -> list[WrittenClip]:
    """Write each range of ``path`` as ``out_dir/<stem>.clipNNN<suffix>`` (or as ``name_template`` names it);
    returns what was written. ``on_clip`` is called as each clip is complete under its final name.

    If anything stops the cut (an error, Ctrl-C, SIGTERM), the clip being
    written is deleted, never renamed: a clip under its final name is whole.
    """
    out_dir = Path(out_dir)
    paths = clip_paths(ranges, out_dir, stem, copy=copy, name_template=name_template)
    clips = [WrittenClip(r, target) for r, target in zip(ranges, paths)]
    if not clips:
        return []
    with open_source(path) as source:
        videos = [s for s in source.streams.video if stream_index is None or s.index == stream_index]
        if not videos:
            raise CutError(f"{path}: no video stream to cut")
        video = videos[0]
        audio = source.streams.audio[0] if source.streams.audio else None
        cutter = (_StreamCopier if copy else _ReEncoder)(source, video, audio, clips, on_clip)
        try:
            cutter.run()
            cutter.close_all(ok=True)
        except BaseException as ex:
            cutter.close_all(ok=False)
            _remove_temp_files(clips)
            if isinstance(ex, OSError):
                raise output_error(out_dir, ex) from None
            import av

            if isinstance(ex, av.error.FFmpegError):
                raise CutError(f"{path}: cutting failed ({ex}); try without --copy, or re-encode the video first") from ex
            raise
    return clips


class _Cutter:
    """Routes each stream's frames or packets to the clip whose stretch holds them."""

    container_format = "mp4"

    def __init__(self, source, video, audio, clips: Sequence[WrittenClip],
                 on_clip: Callable[[WrittenClip], None] | None = None):
        self.source, self.video, self.audio, self.clips = source, video, audio, clips
        self.on_clip = on_clip
        self.open: dict[int, _Output] = {}
        self.origin: float | None = None  # time of the first video frame: the scan's time zero
        self.video_s = 0.0
        self.audio_s = 0.0 if audio is not None else float("inf")

    def output(self, clip: WrittenClip, first) -> _Output:
        """The clip's output, created with all its streams at its first video frame or packet
        (a container takes no new stream once writing has begun)."""
        out = self.open.get(clip.range.index)
        if out is None:
            out = self.open[clip.range.index] = _Output(Path(clip.path), self.container_format)
            self.add_streams(out, first)
            clip.audio = out.audio is not None
        return out

    def add_streams(self, out: _Output, first) -> None:
        raise NotImplementedError

    def retire(self) -> None:
        """Close the clips both streams have moved past."""
        done_s = min(self.video_s, self.audio_s)
        for clip in self.clips:
            out = self.open.get(clip.range.index)
            if out is not None and clip.range.end_s <= done_s:
                del self.open[clip.range.index]
                self.finish(clip, out)

    def finish(self, clip: WrittenClip, out: _Output) -> None:
        out.close(True)
        clip.complete = True
        if self.on_clip is not None:
            self.on_clip(clip)

    def close_all(self, ok: bool) -> None:
        """Finish the clips still open (``ok``: the source has ended), or delete them (the cut was stopped)."""
        for clip in self.clips:
            out = self.open.pop(clip.range.index, None)
            if out is None:
                continue
            if ok:
                self.finish(clip, out)
            else:
                out.close(False)
        for out in self.open.values():
            out.close(False)
        self.open.clear()

    def clip_at_time(self, t: float) -> WrittenClip | None:
        for clip in self.clips:
            if clip.start_s - 1e-6 <= t < clip.range.end_s - 1e-6 and clip.frames:
                return clip
        return None


def aac_target(audio) -> tuple[str, int] | Message:
    """The layout and sample rate a clip's AAC track gets for the source's ``audio`` stream, or
    why it cannot have one.

    PCM in AVI or Matroska often names no channel layout ("1 channels"), which
    the AAC encoder refuses, and may run at 192 kHz, which AAC cannot hold:
    such audio gets the usual layout for its channel count and the nearest
    rate AAC takes (at most 48 kHz). What the encoder still refuses (more
    than 8 channels) is dropped, with the reason.
    """
    import av

    context = audio.codec_context
    channels = context.layout.nb_channels or context.channels or 0
    rates = sorted(av.codec.Codec("aac", "w").audio_rates or (_AAC_MAX_RATE,))
    source_rate = context.sample_rate or _AAC_MAX_RATE
    rate = next((r for r in rates if r >= min(source_rate, _AAC_MAX_RATE)), _AAC_MAX_RATE)
    named = context.layout.name if not re.fullmatch(r"\d+ channels", context.layout.name or "") else None
    candidates = [layout for layout in (named, _DEFAULT_LAYOUTS.get(channels)) if layout]
    for layout in dict.fromkeys(candidates):
        trial = av.CodecContext.create("aac", "w")
        try:
            trial.layout, trial.sample_rate, trial.format = layout, rate, "fltp"
            trial.open()
        except (av.error.FFmpegError, ValueError):
            continue
        return layout, rate
    return Message("cut.audio_dropped", {"channels": channels, "codec": context.name or "unknown"})


class _ReEncoder(_Cutter):
    def run(self) -> None:
        import av

        self.audio_target = None
        if self.audio is not None:
            target = aac_target(self.audio)
            if isinstance(target, Message):  # said in each clip's notes
                for clip in self.clips:
                    clip.note(target)
                self.audio, self.audio_s = None, float("inf")
            else:
                self.audio_target = target
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        index = 0
        resampler = None
        for packet in self.source.demux(*streams):
            try:
                frames = packet.decode()
            except av.error.FFmpegError:
                continue  # a corrupt packet: the scan skipped it too
            for frame in frames:
                if packet.stream.type == "video":
                    if frame.is_corrupt:
                        continue
                    self._video_frame(frame, index)
                    index += 1
                else:
                    layout, rate = self.audio_target
                    resampler = resampler or av.AudioResampler(format="fltp", layout=layout, rate=rate)
                    self._audio_frame(frame, resampler)
                self.retire()
        # Frames still inside the decoder when a broken file ends before its flush packet.
        with contextlib.suppress(av.error.FFmpegError):
            for frame in self.video.codec_context.decode(None):
                if not frame.is_corrupt:
                    self._video_frame(frame, index)
                    index += 1
        self.video_s = self.audio_s = float("inf")
        self.retire()

    def _video_frame(self, frame, index: int) -> None:
        t = frame.time if frame.time is not None else 0.0
        if self.origin is None:
            self.origin = t
        self.video_s = t - self.origin
        clip = next((c for c in self.clips if c.range.start_frame <= index <= c.range.end_frame), None)
        if clip is None:
            return
        if clip.frames == 0:
            clip.start_s = self.video_s
        out = self.output(clip, frame)
        picture = frame.reformat(width=out.video.width, height=out.video.height, format="yuv420p")
        picture.pts = clip.frames
        picture.time_base = Fraction(1) / out.video.codec_context.framerate
        out.mux(out.video.encode(picture))
        clip.frames += 1

    def add_streams(self, out: _Output, frame) -> None:
        out.encoding = True
        rate = self.video.average_rate or self.video.guessed_rate or Fraction(30)
        out.video = out.container.add_stream("libx264", rate=rate)
        out.video.width = max(2, frame.width - frame.width % 2)
        out.video.height = max(2, frame.height - frame.height % 2)
        out.video.pix_fmt = "yuv420p"
        out.video.options = {"crf": "18", "preset": "veryfast"}
        rotation = _display_rotation(frame)
        if rotation:  # the pictures stay as stored; the clip's display matrix turns them, as the source's did
            out.video.set_display_rotation(rotation)
        if self.audio is not None:
            layout, sample_rate = self.audio_target
            out.audio = out.container.add_stream("aac", rate=sample_rate, layout=layout)
            out.audio_samples = 0

    def _audio_frame(self, frame, resampler) -> None:
        if self.origin is None or frame.time is None:
            return  # audio before the first picture belongs to no clip
        t = frame.time - self.origin
        self.audio_s = t
        clip = self.clip_at_time(t)
        if clip is None:
            return
        out = self.open.get(clip.range.index)
        if out is None or out.audio is None:
            return
        for piece in resampler.resample(frame):
            piece.pts = out.audio_samples
            piece.time_base = Fraction(1, piece.sample_rate)
            out.audio_samples += piece.samples
            out.mux(out.audio.encode(piece))


def _display_rotation(frame) -> float:
    """The counter-clockwise turn, in degrees, the frame's display matrix asks for (0: none)."""
    import math

    try:
        angle = frame.rotation
    except (AttributeError, ValueError):
        return 0.0
    return float(angle) if angle and math.isfinite(angle) else 0.0


class _StreamCopier(_Cutter):
    container_format = "matroska"

    def run(self) -> None:
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        pending = list(self.clips)
        for packet in with_decode_times(self.source.demux(*streams)):
            t = float(packet.pts * packet.time_base)
            if packet.stream.type == "video":
                if self.origin is None:
                    self.origin = t
                t -= self.origin
                self.video_s = t
                self._video_packet(packet, t, pending)
            elif self.origin is not None:
                t -= self.origin
                self.audio_s = t
                self._audio_packet(packet, t)
            self.retire()
        self.video_s = self.audio_s = float("inf")
        self.retire()
        for clip in self.clips:
            if clip.frames == 0:
                clip.note(Message("cut.no_keyframe"))

    def _video_packet(self, packet, t: float, pending: list[WrittenClip]) -> None:
        for clip in list(pending):  # a clip starts at the first keyframe inside its stretch
            if packet.is_keyframe and clip.range.start_s - 1e-6 <= t < clip.range.end_s - 1e-6:
                clip.start_s = t
                if t > clip.range.start_s + 1e-3:
                    clip.note(Message("cut.keyframe_start", {"start": clock(t), "wanted": clock(clip.range.start_s),
                                                             "lost": t - clip.range.start_s}))
                pending.remove(clip)
                self.output(clip, packet)
        clip = next((c for c in self.clips if c.range.index in self.open and c.start_s - 1e-6 <= t < c.range.end_s - 1e-6), None)
        if clip is None:
            return
        out = self.open[clip.range.index]
        _copy_packet(out, packet, out.video, out.video_offset)
        clip.frames += 1

    def add_streams(self, out: _Output, packet) -> None:
        out.video = out.container.add_stream_from_template(self.video)
        out.video_offset = packet.pts
        if self.audio is not None:
            out.audio = out.container.add_stream_from_template(self.audio)
            out.audio_offset = int(round(float(packet.pts * packet.time_base) / self.audio.time_base))

    def _audio_packet(self, packet, t: float) -> None:
        clip = self.clip_at_time(t)
        if clip is None or clip.range.index not in self.open:
            return
        out = self.open[clip.range.index]
        _copy_packet(out, packet, out.audio, out.audio_offset)


#: how many packets may wait for a decode time before the first one the demuxer gives
_DTS_LOOKAHEAD = 256


def with_decode_times(packets):
    """The packets with a decode time each, in their order (those with no presentation time dropped).

    Matroska stores presentation times only; FFmpeg derives decode times once
    its reorder buffer is full, so the first packets of a stream with B-frames
    come with none. Skipping them loses the first keyframe and everything up to
    the next one (and shifts the time line). Such packets are held back (with
    whatever other streams interleave, at most a few hundred packets) until
    their stream's first known decode time, then given times counted back from
    it, a frame apiece: rising, and never after a packet's own presentation
    time. A packet missing one later on gets the previous plus one.
    """
    waiting: list = []
    unknown: set[int] = set()
    last: dict[int, int] = {}
    for packet in packets:
        if packet.pts is None:
            continue
        index = packet.stream.index
        if packet.dts is None and index not in last:
            unknown.add(index)
        if not unknown:
            if packet.dts is None:
                packet.dts = min(packet.pts, last[index] + 1)
            last[index] = packet.dts
            yield packet
            continue
        if packet.dts is not None and index in unknown:
            _count_back(waiting, index, packet.dts)
            unknown.discard(index)
        waiting.append(packet)
        if not unknown or len(waiting) >= _DTS_LOOKAHEAD:
            yield from _release(waiting, unknown, last)
            unknown.clear()
            waiting = []
    yield from _release(waiting, unknown, last)


def _count_back(waiting: list, index: int, anchor: int | None) -> None:
    """Give stream ``index``'s waiting packets decode times before ``anchor`` (its first known one; None:
    after the last of them), a frame apart."""
    group = [p for p in waiting if p.stream.index == index and p.dts is None]
    if not group:
        return
    step = max([1, *(p.duration or 0 for p in group)])
    if step == 1:
        with contextlib.suppress(TypeError, ZeroDivisionError, AttributeError):
            step = max(1, round(1 / (group[0].stream.average_rate * group[0].time_base)))
    if anchor is None:
        anchor = min(p.pts for p in group) + step * len(group)
    for back, packet in enumerate(reversed(group), start=1):
        packet.dts = min(anchor - step * back, packet.pts)


def _release(waiting: list, unknown: set[int], last: dict[int, int]):
    """The held-back packets, in order, every decode time set and rising within its stream."""
    for index in unknown:
        _count_back(waiting, index, None)
    for packet in waiting:
        index = packet.stream.index
        if packet.dts is None:
            packet.dts = packet.pts if index not in last else min(packet.pts, last[index] + 1)
        if index in last and packet.dts <= last[index]:
            packet.dts = last[index] + 1
        last[index] = packet.dts
        yield packet


def _copy_packet(out: _Output, packet, stream, offset: int) -> None:
    """Mux a copied packet into ``stream`` of a clip, its times moved back by the clip's start."""
    packet.pts -= offset
    packet.dts -= offset
    packet.stream = stream
    out.container.mux(packet)
