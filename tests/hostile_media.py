"""A corpus of broken, odd and hostile inputs, built on the spot (no network), each with the
outcome blurscan must give: a result, or a one-line error with a known exit code.

``build_corpus(folder)`` writes every case into one flat folder and returns the cases; tests
scan each with ``blurscan detect`` and the whole folder with ``blurscan batch``, and other
checks (report.html, summary.csv, statistics.md injection) can reuse the same folder.
Clips are tiny (64-160 px, 10-30 frames) so the whole corpus scans in seconds.
"""

from __future__ import annotations

import os
import random
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path

import numpy as np

from blurscan.testing.synthetic import Blur, scene_frames, write_video
from tests.media import destroy_packets, write_audio_only, write_keyframed_clip, write_two_video_streams

#: what an in-batch error entry and a detect error share: exit code 1 (see blurscan._cli)
INPUT_ERROR = 1


@dataclass(frozen=True)
class Case:
    """One input and what blurscan must make of it.

    ``outcome`` is ``"result"`` (a result JSON, exit 0), ``"error"`` (one error line holding
    ``message``, exit ``exit_code``) or ``"either"`` (randomly damaged bytes: whichever, but
    cleanly). ``batch`` says whether ``blurscan batch`` on the folder must list it (a regular
    file, link or FIFO with a video extension); ``video`` holds fields the result's ``video`` must have.
    """

    id: str
    name: str
    outcome: str
    message: str = ""
    exit_code: int = 0
    batch: bool = True
    video: dict = field(default_factory=dict)
    #: writes the input: ``make(path, sources)``
    make: Callable = field(default=None, repr=False, compare=False)

    def path(self, folder: Path) -> Path:
        return folder / self.name


#: names that are hostile to a report, a spreadsheet, a terminal or FFmpeg, each a good clip
HOSTILE_NAMES = {
    "html-js": "<img src=x onerror=alert(1)>.mp4",
    "javascript-scheme": "javascript:alert(document.domain).mp4",
    "formula-hyperlink": '=HYPERLINK("x").mp4',
    "formula-plus": "+1.mp4",
    "formula-minus": "-2.mp4",
    "formula-at": "@x.mp4",
    "markdown": "`a|b` *x*.mp4",
    "escape-sequence": "\x1b[31mred.mp4",
    "carriage-return": "over\rwrite.mp4",
    "newline": "new\nline.mp4",
    "tab": "tab\tname.mp4",
    "dollars-mathtext": "cost_$5_$10.mp4",
    "line-separator": "line\u2028sep.mp4",
    "paragraph-separator": "para\u2029sep.mp4",
    "next-line": "next\u0085line.mp4",
    "results-name": "results.mp4",
    "summary-name": "summary.mp4",
    "manifest-name": "manifest.mp4",
    "report-name": "report.mp4",
    "statistics-name": "statistics.mp4",
    "hash": "a#b.mp4",
    "question-mark": "what?.mp4",
    "percent": "100%25 %41.mp4",
    "quotes-and-ampersand": "it's \"quoted\" & <b>.mp4",
    "brackets-markup": "[bold]clip[blink] [qalign].mp4",
    "spaces": "  leading and trailing  .mp4",
    "unicode": "видео 视频 🎬.mp4",
    "long-name": "n" * 200 + ".mp4",
}

#: names FFmpeg reads as protocols: each is an 80x48 clip, unlike a.mp4 (112x64) and b.mp4 (128x72)
PROTOCOL_NAMES = {
    "file-protocol": "file:b.mp4",
    "concat-protocol": "concat:a.mp4|b.mp4",
    "pipe-protocol": "pipe:",
    "pipe-protocol-mp4": "pipe:0.mp4",
    "http-protocol": "http:x.mp4",
    "subfile-protocol": "subfile:,,start,0,end,0,,:b.mp4",
}



def _clip(path: Path, width: int = 96, height: int = 64, frames: int = 12, seed: int = 0, **kwargs) -> Path:
    write_video(path, scene_frames(frames, width, height, pan=1.0, seed=seed), fps=25, **kwargs)
    return path


def noise_clip(path: Path, width: int, height: int, frames: int = 4, pix_fmt: str = "yuv444p", codec: str = "libx264") -> Path:
    """Random pixels at any size: x264 in 4:4:4 takes odd and 1-pixel sides that 4:2:0 refuses."""
    import av

    rng = np.random.default_rng(width * 7919 + height)
    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=10)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        for _ in range(frames):
            image = rng.integers(0, 256, (height, width, 3), dtype=np.uint8)
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _encode(path: Path, codec: str, *, pix_fmt: str = "yuv420p", width: int = 96, height: int = 64,
            frames: int = 12, pts_ms: list[int] | None = None, options: dict | None = None) -> Path:
    """A clip in any codec; ``pts_ms`` gives every frame its own time (variable frame rate)."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream(codec, rate=25)
        stream.width, stream.height, stream.pix_fmt = width, height, pix_fmt
        if options:
            stream.options = options
        if pts_ms is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        for i, image in enumerate(scene_frames(frames, width, height, pan=1.0, seed=frames)):
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            if pts_ms is not None:
                frame.pts, frame.time_base = pts_ms[i], Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path


def _flip_bits(source: Path, target: Path, count: int, seed: int) -> Path:
    data = bytearray(source.read_bytes())
    rng = random.Random(seed)
    for _ in range(count):
        data[rng.randrange(len(data))] ^= 1 << rng.randrange(8)
    target.write_bytes(bytes(data))
    return target


def _atom(data: bytes, name: bytes) -> tuple[int, int]:
    """Offset and size of a top-level mp4 box."""
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        if data[offset + 4 : offset + 8] == name:
            return offset, size
        if size < 8:
            break
        offset += size
    raise ValueError(f"no {name!r} box")


class _Sources:
    """Clips the cases are copied or damaged from, each made once, on first use."""

    def __init__(self, folder: Path, work: Path):
        self.folder, self.work = folder, work
        self._made: dict[str, Path] = {}

    def get(self, key: str, make: Callable[[Path], object], suffix: str = ".mp4") -> Path:
        if key not in self._made:
            path = self.work / f"{key}{suffix}"
            make(path)
            self._made[key] = path
        return self._made[key]

    def small(self) -> Path:
        return self.get("small", lambda p: _clip(p, 80, 48, seed=4))

    def good(self) -> Path:
        return self.get("good", lambda p: _clip(p, 96, 64, seed=5))

    def late_index(self) -> Path:
        return self.get("late-index", lambda p: write_keyframed_clip(p, frames=30, width=128, height=72, gop=5))

    def early_index(self) -> Path:
        from tests.media import remux_faststart

        return self.get("early-index", lambda p: remux_faststart(self.late_index(), p))

    def keyframed(self, key: str, ext: str, codec: str) -> Path:
        return self.get(key, lambda p: write_keyframed_clip(p, frames=30, width=96, height=64, gop=5, codec=codec,
                                                            blurs=[Blur(8, 10, "gaussian", 3.0)]), f".{ext}")


def _cut_at(source: Callable[[_Sources], Path], where: Callable[[bytes], int]):
    def make(path: Path, sources: _Sources) -> None:
        data = source(sources).read_bytes()
        path.write_bytes(data[: where(data)])

    return make


def corpus_cases() -> list[Case]:
    """Every case, without writing anything (test ids are known before the corpus is built)."""
    cases: list[Case] = []

    def add(case: Case, make: Callable[[Path, _Sources], object]) -> None:
        cases.append(replace(case, make=make))

    # -- good clips, and the files the protocol names would read instead ------------------
    add(Case("plain", "plain.mp4", "result", video={"width": 96, "frames": 12}), lambda p, s: _clip(p, seed=1))
    add(Case("protocol-target-a", "a.mp4", "result", video={"width": 112}), lambda p, s: _clip(p, 112, 64, seed=2))
    add(Case("protocol-target-b", "b.mp4", "result", video={"width": 128}), lambda p, s: _clip(p, 128, 72, seed=3))
    for key, name in PROTOCOL_NAMES.items():
        add(Case(key, name, "result", video={"width": 80}, batch=Path(name).suffix == ".mp4"),
            lambda p, s: shutil.copyfile(s.small(), p))
    for key, name in HOSTILE_NAMES.items():
        add(Case(key, name, "result", video={"width": 96}),
            lambda p, s: shutil.copyfile(s.good(), p))
    add(Case("non-utf8-name", os.fsdecode(b"latin1-caf\xe9.mp4"), "result", video={"width": 96}),
        lambda p, s: shutil.copyfile(s.good(), p))

    # -- truncations: index at the end (nothing opens) and index first (the start decodes) --
    late, early = _Sources.late_index, _Sources.early_index
    cuts = [
        ("cut-late-index-header", late, lambda d: 64, "cannot be read as a video"),
        ("cut-late-index-mid-mdat", late, lambda d: len(d) // 2, "cannot be read as a video"),
        ("cut-late-index-mid-moov", late, lambda d: _atom(d, b"moov")[0] + 40, "has no video stream"),
        ("cut-early-index-header", early, lambda d: 32, "cannot be read as a video"),
        ("cut-early-index-mid-moov", early, lambda d: _atom(d, b"moov")[0] + _atom(d, b"moov")[1] // 2,
         "cannot be read as a video"),
        ("cut-early-index-before-media", early, lambda d: _atom(d, b"mdat")[0] + 8, "no decodable video frames"),
        ("cut-early-index-mdat-30", early, lambda d: _atom(d, b"mdat")[0] + _atom(d, b"mdat")[1] * 3 // 10, None),
        ("cut-early-index-mdat-70", early, lambda d: _atom(d, b"mdat")[0] + _atom(d, b"mdat")[1] * 7 // 10, None),
        ("cut-early-index-last-byte", early, lambda d: len(d) - 1, None),
    ]
    for key, source, where, message in cuts:
        if message is None:
            case = Case(key, f"{key}.mp4", "result")
        else:
            case = Case(key, f"{key}.mp4", "error", message, INPUT_ERROR)
        add(case, _cut_at(source, where))

    # -- damaged packets in several containers and codecs -----------------------------------
    containers = [
        ("mp4-h264", "mp4", "libx264"),
        ("mkv-h264", "mkv", "libx264"),
        ("webm-vp8", "webm", "libvpx"),
        ("webm-vp9", "webm", "libvpx-vp9"),
        ("avi-mpeg4", "avi", "mpeg4"),
        ("ts-mpeg2", "ts", "mpeg2video"),
        ("ts-h264", "ts", "libx264"),
        ("mov-mjpeg", "mov", "mjpeg"),
    ]
    for number, (key, ext, codec) in enumerate(containers):
        def source(s, key=key, ext=ext, codec=codec):
            return s.keyframed(key, ext, codec)

        add(Case(f"lost-packets-{key}", f"lost-packets-{key}.{ext}", "result"),
            lambda p, s, source=source: destroy_packets(source(s), p, 12, 16))
        add(Case(f"flipped-bits-{key}", f"flipped-bits-{key}.{ext}", "either", exit_code=INPUT_ERROR),
            lambda p, s, source=source, seed=number: _flip_bits(source(s), p, 300, seed))

    # -- odd and thin picture sizes ---------------------------------------------------------
    for width, height in [(1, 1), (1, 64), (64, 1), (4000, 10), (1920, 8), (16384, 64), (97, 55), (7, 3)]:
        add(Case(f"size-{width}x{height}", f"size-{width}x{height}.mp4", "result",
                 video={"width": width, "height": height}),
            lambda p, s, w=width, h=height: noise_clip(p, w, h))

    # -- pixel formats, rotation, timing ----------------------------------------------------
    add(Case("h264-10bit", "h264-10bit.mp4", "result"), lambda p, s: _encode(p, "libx264", pix_fmt="yuv420p10le"))
    add(Case("h264-444", "h264-444.mkv", "result"), lambda p, s: _encode(p, "libx264", pix_fmt="yuv444p"))
    for rotation in (90, 270):
        add(Case(f"rotated-{rotation}", f"rotated-{rotation}.mp4", "result",
                 video={"rotation": rotation, "width": 64, "height": 96}),
            lambda p, s, r=rotation: _clip(p, 96, 64, rotation=r))
    variable = [0, 40, 80, 200, 220, 240, 600, 640, 680, 700, 1400, 1440]
    add(Case("variable-frame-rate", "variable-frame-rate.mkv", "result", video={"frames": 12}),
        lambda p, s: _encode(p, "libx264", pts_ms=variable, options={"bf": "0"}))
    add(Case("single-frame", "single-frame.mp4", "result", video={"frames": 1}), lambda p, s: _clip(p, frames=1))
    add(Case("all-black", "all-black.mp4", "result"),
        lambda p, s: write_video(p, [np.zeros((64, 96, 3), np.uint8)] * 10, fps=25))

    # -- several streams --------------------------------------------------------------------
    add(Case("black-track-first", "black-track-first.mp4", "result", video={"stream": 1, "width": 160}),
        lambda p, s: write_two_video_streams(p, default=1))
    add(Case("black-track-first-no-default", "black-track-first.mkv", "result", video={"stream": 1, "width": 160}),
        lambda p, s: write_two_video_streams(p, default=None))
    add(Case("cover-art", "cover-art.mp4", "result", video={"stream": 0, "width": 160}),
        lambda p, s: write_two_video_streams(p, cover=True, default=None))
    add(Case("cover-picture-first", "cover-picture-first.mkv", "result", video={"stream": 1, "width": 160}),
        lambda p, s: write_two_video_streams(p, cover=True, default=None))

    # -- not videos at all --------------------------------------------------------------------
    add(Case("audio-only", "audio-only.mp4", "error", "no video stream", INPUT_ERROR),
        lambda p, s: write_audio_only(p))
    add(Case("text-file", "text-file.mp4", "error", "cannot be read as a video", INPUT_ERROR),
        lambda p, s: p.write_text("these are not the frames you are looking for\n" * 40))
    add(Case("html-file", "page.mp4", "error", "cannot be read as a video", INPUT_ERROR),
        lambda p, s: p.write_text("<!doctype html><script>alert(1)</script>\n" * 20))
    add(Case("zero-bytes", "zero-bytes.mp4", "error", "empty file", INPUT_ERROR), lambda p, s: p.write_bytes(b""))
    add(Case("random-bytes", "random-bytes.mp4", "error", "", INPUT_ERROR),
        lambda p, s: p.write_bytes(random.Random(7).randbytes(50_000)))
    add(Case("text-with-newline-name", "bad\nname.mp4", "error", "cannot be read as a video", INPUT_ERROR),
        lambda p, s: p.write_text("not a video\n" * 20))
    add(Case("text-with-escape-name", "bad\x1b[2Jname.mp4", "error", "cannot be read as a video", INPUT_ERROR),
        lambda p, s: p.write_text("not a video\n" * 20))

    # -- things that are not regular files (batch lists all but the folder, as errors) -------
    add(Case("directory", "x.mp4", "error", "is a directory", INPUT_ERROR, batch=False), lambda p, s: p.mkdir())
    add(Case("dangling-link", "dangling.mp4", "error", "broken symbolic link", INPUT_ERROR),
        lambda p, s: p.symlink_to(s.folder / "never-there.mp4"))
    add(Case("link-loop", "loop.mp4", "error", "symbolic link loop", INPUT_ERROR),
        lambda p, s: p.symlink_to(p))
    add(Case("link-to-good", "link-to-good.mp4", "result", video={"width": 96}),
        lambda p, s: p.symlink_to(s.folder / "plain.mp4"))
    if hasattr(os, "mkfifo"):
        add(Case("fifo", "fifo.mp4", "error", "is not a regular file", INPUT_ERROR),
            lambda p, s: os.mkfifo(p))
    return cases


def build_corpus(folder: str | os.PathLike, *, exclude=()) -> list[Case]:
    """Write every case (but those whose id is in ``exclude``) into ``folder`` (created; nothing
    else goes in it) and return them."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="blurscan-corpus-sources-"))  # originals of the damaged copies
    try:
        sources = _Sources(folder, work)
        cases = [case for case in corpus_cases() if case.id not in exclude]
        for case in cases:
            case.make(case.path(folder), sources)
        return cases
    finally:
        shutil.rmtree(work, ignore_errors=True)


#: the blur of a write_cut_clip unless told otherwise
CUT_CLIP_BLURS = (Blur(30, 44, "gaussian", 3.0),)


def write_cut_clip(path: Path, *, frames: int = 90, width: int = 320, height: int = 180, audio: str | None = None,
                   audio_rate: int = 16000, channels: int = 1, b_frames: bool = True, rotation: int = 0,
                   gop: int = 10, blurs=CUT_CLIP_BLURS, seed: int = 1) -> Path:
    """A clip made for ``split``: 30 fps H.264 with a keyframe every ``gop`` frames (B-frames unless told
    otherwise), a blur on frames 30-44, and optionally an audio track in ``audio`` (e.g. ``pcm_s16le``:
    PCM in AVI or Matroska names no channel layout, which the AAC encoder refuses) at ``audio_rate``;
    ``rotation`` sets the display matrix (a phone held upright stores 90)."""
    import av

    from blurscan.testing.synthetic import blurred

    with av.open(str(path), "w") as container:
        video = container.add_stream("libx264", rate=30)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        video.options = {"crf": "20", "preset": "veryfast", "g": str(gop), "keyint_min": str(gop), "sc_threshold": "0",
                         **({} if b_frames else {"bf": "0"})}
        if rotation:
            video.set_display_rotation(rotation)
        sound = None
        if audio:
            sound = container.add_stream(audio, rate=audio_rate, layout="mono" if channels == 1 else "stereo")
            t = np.arange(int(audio_rate * frames / 30)) / audio_rate
            wave = np.tile((0.2 * np.sin(2 * np.pi * 440 * t) * 32767).astype(np.int16), (channels, 1))
        done = 0
        for i, image in enumerate(blurred(scene_frames(frames, width, height, seed=seed), blurs)):
            for packet in video.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
            while sound is not None and done + 1024 <= audio_rate * (i + 1) // 30:
                chunk = np.ascontiguousarray(wave[:, done : done + 1024].T.reshape(1, -1))
                piece = av.AudioFrame.from_ndarray(chunk, format="s16", layout=sound.layout.name)
                piece.sample_rate, piece.pts = audio_rate, done
                for packet in sound.encode(piece):
                    container.mux(packet)
                done += 1024
        for stream in (video, sound):
            if stream is not None:
                for packet in stream.encode():
                    container.mux(packet)
    return path


__all__ = ["HOSTILE_NAMES", "PROTOCOL_NAMES", "Case", "build_corpus", "corpus_cases", "write_cut_clip"]
