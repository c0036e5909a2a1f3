"""Writing the sharp stretches of a video as clips, in one pass over the file.

Re-encoding (the default) cuts exactly at the frames the scan kept: the
decoded frames are counted as the scan counted them, so no flagged frame
survives. ``copy=True`` copies the compressed packets instead (fast, no
quality loss), which can only start a clip at a keyframe: each clip starts at
the first keyframe inside its stretch, and the result says where. Audio is
kept where present (re-encoded to AAC, or copied). Each clip is written to a
temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

from blurscan.cut.ranges import KeepRange
from blurscan.errors import CutError, NotAVideoError
from blurscan.io.atomic import current_umask, output_error
from blurscan.source.open import open_container
from blurscan.timecode import clock

logger = logging.getLogger("blurscan")

#: container of the clips: re-encoded clips are H.264/AAC in MP4; copied ones keep any codec in Matroska
REENCODE_SUFFIX = ".mp4"
COPY_SUFFIX = ".mkv"


@dataclass
class WrittenClip:
    range: KeepRange
    path: str
    frames: int = 0
    #: where the clip really starts (copy mode snaps to a keyframe)
    start_s: float = 0.0
    audio: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {**self.range.to_dict(), "file": self.path, "frames_written": self.frames,
                "written_start_s": round(self.start_s, 4), "written_start_tc": clock(self.start_s),
                "audio": self.audio, "notes": list(self.notes)}


class _Output:
    """One clip being written: an output container at a temporary name, renamed on success."""

    def __init__(self, final: Path, container_format: str):
        import av

        self.final = final
        fd, self.tmp = tempfile.mkstemp(prefix=f".{final.name[:200]}.", suffix=".tmp", dir=final.parent)
        os.fchmod(fd, 0o666 & ~current_umask())
        os.close(fd)
        self.container = av.open(self.tmp, "w", format=container_format)
        self.video = None
        self.audio = None
        #: whether the streams are encoders to flush (re-encoding), not copies
        self.encoding = False

    def mux(self, packets) -> None:
        for packet in packets:
            self.container.mux(packet)

    def close(self, ok: bool) -> None:
        try:
            if ok and self.encoding:
                for stream in (self.video, self.audio):
                    if stream is not None:
                        self.mux(stream.encode())
            self.container.close()
            if ok:
                os.replace(self.tmp, self.final)
        finally:
            with contextlib.suppress(OSError):
                os.unlink(self.tmp)


@contextlib.contextmanager
def open_source(path: str | os.PathLike):
    """The video as a container, opened as the literal file it names (see :func:`blurscan.source.open.open_container`)."""
    import av


    try:
        container, handle = open_container(Path(path))
    except (av.error.FFmpegError, OSError) as ex:
        raise NotAVideoError(path, f"cannot be read as a video ({ex}).") from ex
    try:
        yield container
    finally:
        container.close()
        if handle is not None:
            handle.close()


def split_video(path: str | os.PathLike, ranges: Sequence[KeepRange], out_dir: str | os.PathLike, stem: str, *,
                copy: bool = False, stream_index: int | None = None) -> list[WrittenClip]:
    """Write each range of ``path`` as ``out_dir/<stem>.clipNNN<suffix>``; returns what was written."""
    out_dir = Path(out_dir)
    suffix = COPY_SUFFIX if copy else REENCODE_SUFFIX
    clips = [WrittenClip(r, str(out_dir / f"{stem}.clip{r.index:03d}{suffix}")) for r in ranges]
    if not clips:
        return []
    with open_source(path) as source:
        videos = [s for s in source.streams.video if stream_index is None or s.index == stream_index]
        if not videos:
            raise CutError(f"{path}: no video stream to cut")
        video = videos[0]
        audio = source.streams.audio[0] if source.streams.audio else None
        cutter = _StreamCopier(source, video, audio, clips) if copy else _ReEncoder(source, video, audio, clips)
        try:
            cutter.run()
        except OSError as ex:
            raise output_error(out_dir, ex) from None
        except Exception as ex:
            import av

            if isinstance(ex, av.error.FFmpegError):
                raise CutError(f"{path}: cutting failed ({ex}); try without --copy, or re-encode the video first") from ex
            raise
        finally:
            cutter.close_all()
    return clips


class _Cutter:
    """Routes each stream's frames or packets to the clip whose stretch holds them."""

    container_format = "mp4"

    def __init__(self, source, video, audio, clips: Sequence[WrittenClip]):
        self.source, self.video, self.audio, self.clips = source, video, audio, clips
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
                out.close(True)
                del self.open[clip.range.index]

    def close_all(self, ok: bool = True) -> None:
        for index in list(self.open):
            self.open.pop(index).close(ok)

    def clip_at_time(self, t: float) -> WrittenClip | None:
        for clip in self.clips:
            if clip.start_s - 1e-6 <= t < clip.range.end_s - 1e-6 and clip.frames:
                return clip
        return None


class _ReEncoder(_Cutter):
    def run(self) -> None:
        import av

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
                    resampler = resampler or av.AudioResampler(
                        format="fltp", layout=self.audio.codec_context.layout.name, rate=self.audio.codec_context.sample_rate
                    )
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
        if self.audio is not None:
            context = self.audio.codec_context
            out.audio = out.container.add_stream("aac", rate=context.sample_rate, layout=context.layout.name)
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


class _StreamCopier(_Cutter):
    container_format = "matroska"

    def run(self) -> None:
        streams = [self.video] + ([self.audio] if self.audio is not None else [])
        pending = list(self.clips)
        for packet in self.source.demux(*streams):
            if packet.dts is None or packet.pts is None:
                continue
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
                clip.notes.append("no keyframe inside this stretch: nothing could be copied (cut without --copy)")

    def _video_packet(self, packet, t: float, pending: list[WrittenClip]) -> None:
        for clip in list(pending):  # a clip starts at the first keyframe inside its stretch
            if packet.is_keyframe and clip.range.start_s - 1e-6 <= t < clip.range.end_s - 1e-6:
                clip.start_s = t
                if t > clip.range.start_s + 1e-3:
                    clip.notes.append(f"stream copy: starts at the keyframe at {clock(t)}, not {clock(clip.range.start_s)}")
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


def _copy_packet(out: _Output, packet, stream, offset: int) -> None:
    """Mux a copied packet into ``stream`` of a clip, its times moved back by the clip's start."""
    packet.pts -= offset
    packet.dts -= offset
    packet.stream = stream
    out.container.mux(packet)
