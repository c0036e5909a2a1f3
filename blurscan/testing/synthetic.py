"""Synthetic clips with known blurry frames, for the demo, the tests and the benchmarks.

A clip is a textured scene (shapes, lines, text and multi-scale noise) seen
through a window that can pan, encoded with H.264 by PyAV. Blur is injected
at chosen frames: Gaussian blur (``sigma`` in pixels), defocus (a disk, or
pillbox, of ``radius`` pixels), linear motion blur (``length`` in pixels at an
``angle``) or camera shake (a random-walk trajectory ``length`` pixels long, a
new one every frame), all given at the clip's resolution.
Frames are rendered and encoded one at a time, so clips of any length cost no
memory.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

BLUR_KINDS = ("gaussian", "disk", "motion", "shake")


@dataclass(frozen=True)
class Blur:
    """Blur to inject into frames ``start..end`` (inclusive)."""

    start: int
    end: int
    kind: str = "gaussian"  # or "disk", "motion", "shake"
    strength: float = 3.0  # sigma (gaussian), radius (disk) or length in px (motion, shake)
    angle: float = 0.0  # degrees, motion blur only
    seed: int = 0  # camera shake only: draws its trajectories (one per frame)

    def __post_init__(self):
        if self.kind not in BLUR_KINDS:
            raise ValueError(f"blur kind must be one of {', '.join(BLUR_KINDS)}, not {self.kind!r}")
        if self.end < self.start:
            raise ValueError("blur end must not be before its start")


def gaussian_blur(image: np.ndarray, sigma: float) -> np.ndarray:
    if sigma <= 0:
        return image
    return cv2.GaussianBlur(image, (0, 0), sigmaX=sigma, sigmaY=sigma, borderType=cv2.BORDER_REFLECT)


def _splat(points_x: np.ndarray, points_y: np.ndarray, size: int) -> np.ndarray:
    """Points drawn into a ``size`` x ``size`` kernel with bilinear weights, normalised."""
    kernel = np.zeros((size, size), np.float32)
    x0, y0 = np.floor(points_x).astype(int), np.floor(points_y).astype(int)
    fx, fy = (points_x - x0).astype(np.float32), (points_y - y0).astype(np.float32)
    for dx, dy, w in ((0, 0, (1 - fx) * (1 - fy)), (1, 0, fx * (1 - fy)), (0, 1, (1 - fx) * fy), (1, 1, fx * fy)):
        xx, yy = x0 + dx, y0 + dy
        inside = (xx >= 0) & (xx < size) & (yy >= 0) & (yy < size)
        np.add.at(kernel, (yy[inside], xx[inside]), w[inside])
    return kernel / kernel.sum()


def motion_kernel(length: float, angle: float) -> np.ndarray:
    """A normalised line kernel of ``length`` pixels at ``angle`` degrees."""
    size = max(3, int(np.ceil(length)) | 1)
    dx, dy = np.cos(np.deg2rad(angle)), -np.sin(np.deg2rad(angle))
    half = (length - 1) / 2
    t = np.linspace(-half, half, max(2, int(np.ceil(length)) * 4))
    return _splat(size // 2 + t * dx, size // 2 + t * dy, size)


def motion_blur(image: np.ndarray, length: float, angle: float = 0.0) -> np.ndarray:
    if length <= 1:
        return image
    return cv2.filter2D(image, -1, motion_kernel(length, angle), borderType=cv2.BORDER_REFLECT)


def disk_kernel(radius: float) -> np.ndarray:
    """A normalised pillbox of ``radius`` pixels (a lens out of focus), its rim anti-aliased."""
    size = 2 * int(np.ceil(radius)) + 3
    centre = size // 2
    yy, xx = np.mgrid[:size, :size] - centre
    offsets = (np.arange(8) + 0.5) / 8 - 0.5  # 8 x 8 samples per pixel give its coverage
    cover = np.zeros((size, size), np.float32)
    for dy in offsets:
        for dx in offsets:
            cover += (xx + dx) ** 2 + (yy + dy) ** 2 <= radius * radius
    return cover / cover.sum()


def disk_blur(image: np.ndarray, radius: float) -> np.ndarray:
    if radius <= 0.5:
        return image
    return cv2.filter2D(image, -1, disk_kernel(radius), borderType=cv2.BORDER_REFLECT)


def shake_kernel(length: float, seed: int | tuple[int, ...]) -> np.ndarray:
    """Camera shake: a smooth random walk of ``length`` pixels (its path, not its extent), drawn as a kernel.

    The heading turns by a random amount at every step, so the path curls as a
    hand-held camera's does during one exposure; ``seed`` picks the path.
    """
    rng = np.random.default_rng(seed)
    steps = max(8, int(np.ceil(length)) * 4)
    heading = rng.uniform(0, 2 * np.pi) + np.cumsum(rng.normal(0.0, 0.35, steps))
    x = np.concatenate([[0.0], np.cumsum(np.cos(heading))]) * length / steps
    y = np.concatenate([[0.0], np.cumsum(np.sin(heading))]) * length / steps
    x -= (x.max() + x.min()) / 2
    y -= (y.max() + y.min()) / 2
    size = (int(np.ceil(max(np.ptp(x), np.ptp(y)))) + 3) | 1
    return _splat(x + size // 2, y + size // 2, size)


def shake_blur(image: np.ndarray, length: float, seed: int | tuple[int, ...]) -> np.ndarray:
    if length <= 1:
        return image
    return cv2.filter2D(image, -1, shake_kernel(length, seed), borderType=cv2.BORDER_REFLECT)


def apply_blur(image: np.ndarray, blur: Blur, index: int = 0) -> np.ndarray:
    """``blur`` applied to one picture, frame ``index`` of the clip (camera shake draws a new path per frame)."""
    if blur.kind == "gaussian":
        return gaussian_blur(image, blur.strength)
    if blur.kind == "disk":
        return disk_blur(image, blur.strength)
    if blur.kind == "shake":
        return shake_blur(image, blur.strength, (blur.seed, index))
    return motion_blur(image, blur.strength, blur.angle)


def render_canvas(width: int, height: int, seed: int = 0) -> np.ndarray:
    """A detailed RGB scene of the given size: smooth colour fields plus edges, text and fine texture."""
    rng = np.random.default_rng(seed)
    canvas = np.zeros((height, width, 3), np.float32)
    for scale in (64, 16, 4):
        small = rng.random((max(2, height // scale), max(2, width // scale), 3)).astype(np.float32)
        canvas += cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC) * (60 if scale > 4 else 25)
    canvas = np.clip(canvas + 40, 0, 255).astype(np.uint8)
    area = width * height
    for _ in range(max(20, area // 6000)):
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        kind = rng.integers(0, 4)
        x, y = int(rng.integers(0, width)), int(rng.integers(0, height))
        r = int(rng.integers(4, max(8, min(width, height) // 8)))
        if kind == 0:
            cv2.rectangle(canvas, (x, y), (x + r, y + int(r * rng.uniform(0.3, 2))), colour, -1)
        elif kind == 1:
            cv2.circle(canvas, (x, y), r // 2, colour, int(rng.integers(1, 4)))
        elif kind == 2:
            x2, y2 = int(rng.integers(0, width)), int(rng.integers(0, height))
            cv2.line(canvas, (x, y), (x2, y2), colour, int(rng.integers(1, 3)), cv2.LINE_AA)
        else:
            text = "".join(chr(int(c)) for c in rng.integers(65, 91, int(rng.integers(3, 9))))
            cv2.putText(canvas, text, (x, y), cv2.FONT_HERSHEY_SIMPLEX, rng.uniform(0.4, 1.5), colour,
                        int(rng.integers(1, 3)), cv2.LINE_AA)
    return canvas


@dataclass
class Clip:
    """What was written: the path, its size and the frames that were blurred."""

    path: str
    frames: int
    fps: float
    width: int
    height: int
    blurs: list[Blur] = field(default_factory=list)

    @property
    def blurry_frames(self) -> list[int]:
        return sorted({i for b in self.blurs for i in range(b.start, min(b.end, self.frames - 1) + 1)})


def scene_frames(frames: int, width: int, height: int, *, pan: float = 0.0, seed: int = 0) -> Iterator[np.ndarray]:
    """Frames of a scene seen through a ``width`` x ``height`` window panning ``pan`` px a frame."""
    travel = int(np.ceil(abs(pan) * max(frames - 1, 0)))
    canvas = render_canvas(width + travel + 2, height, seed)
    x = 0.0 if pan >= 0 else float(travel)
    for _ in range(frames):
        x0 = int(x)
        frac = x - x0
        view = canvas[:, x0 : x0 + width + 1].astype(np.float32)
        frame = view[:, :width] * (1 - frac) + view[:, 1 : width + 1] * frac
        yield frame.astype(np.uint8)
        x += pan


def write_video(path: str | os.PathLike, frames: Iterable[np.ndarray], fps: float = 30.0, *,
                crf: int = 18, codec: str = "libx264", rotation: int = 0, faststart: bool = False,
                options: dict[str, str] | None = None) -> int:
    """Encode RGB frames to ``path`` one at a time; returns the number written.

    ``faststart`` puts the mp4 index before the media data (as streaming sites do); ``options`` are the
    encoder's own (``{"x264-params": "zones=30,59,q=51"}`` crushes frames 30-59, a bitrate drop).
    """
    from fractions import Fraction

    import av

    count = 0
    muxer = {"movflags": "faststart"} if faststart else {}
    with av.open(str(path), "w", options=muxer) as container:
        stream = None
        for image in frames:
            if stream is None:
                h, w = image.shape[:2]
                stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1001))
                stream.width, stream.height = w - w % 2, h - h % 2
                stream.pix_fmt = "yuv420p"
                if codec == "libx264":
                    stream.options = {"crf": str(crf), "preset": "veryfast", **(options or {})}
                elif options:
                    stream.options = dict(options)
                if rotation:
                    stream.set_display_rotation(rotation)
            image = np.ascontiguousarray(image[: stream.height, : stream.width])
            for packet in stream.encode(av.VideoFrame.from_ndarray(image, format="rgb24")):
                container.mux(packet)
            count += 1
        if stream is not None:
            for packet in stream.encode():
                container.mux(packet)
    return count


def blurred(frames: Iterable[np.ndarray], blurs: Iterable[Blur]) -> Iterator[np.ndarray]:
    """Apply each :class:`Blur` to the frames it covers."""
    blurs = list(blurs)
    for i, frame in enumerate(frames):
        for b in blurs:
            if b.start <= i <= b.end:
                frame = apply_blur(frame, b, i)
        yield frame


def make_clip(path: str | os.PathLike, *, frames: int = 90, fps: float = 30.0, width: int = 640,
              height: int = 360, blurs: Iterable[Blur] = (), pan: float = 0.0, seed: int = 0,
              crf: int = 18, rotation: int = 0) -> Clip:
    """Write a synthetic clip with the given blur injected; returns its labels."""
    blurs = list(blurs)
    written = write_video(path, blurred(scene_frames(frames, width, height, pan=pan, seed=seed), blurs), fps,
                          crf=crf, rotation=rotation)
    return Clip(str(path), written, fps, width, height, blurs)
