"""Pixel conversion: each decoded frame straight to the small pictures its consumers ask for.

A :class:`FrameFormat` names a picture (grey at a working width, RGB at 448 px, the decoder's own
chroma or luma planes ...); the decoder's scaler makes it in display orientation, so no full-size
RGB copy of a frame is ever kept. A :class:`Converter` makes all of a frame's pictures, a small grey
one from a larger grey one where it can (the scaler's pass over a full-size frame is the costly part).
"""

from __future__ import annotations

import functools
import math
import os
from dataclasses import dataclass

import numpy as np


def _usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


#: the scaler's own threads: none of its own on a few cores, where the decoder's frame threads already fill
#: them and a hand-off per frame only costs (2-3 % of the scan's pace on 2 cores); FFmpeg's choice on more,
#: where the consuming thread would otherwise be the one that waits
SCALER_THREADS = 1 if _usable_cores() <= 4 else 0

_INTERPOLATIONS = {"area": "AREA", "bicubic": "BICUBIC", "bilinear": "BILINEAR", "fast": "FAST_BILINEAR"}


@dataclass(frozen=True)
class FrameFormat:
    """The picture a consumer wants from each frame, made by the decoder's scaler.

    ``size`` is the target length of the ``fit`` side (``"width"`` or
    ``"longest"``), in display orientation; the other side keeps the aspect
    ratio. ``None`` keeps the native size. Smaller videos are not upscaled
    unless ``upscale`` is set.
    """

    pixel_format: str = "gray"
    size: int | None = 640
    fit: str = "width"
    upscale: bool = False
    interpolation: str = "area"
    #: made for one frame in ``every`` (frame index divisible by it); the others get None
    every: int = 1

    def __post_init__(self):
        if self.pixel_format not in ("gray", "rgb24", "chroma", "luma"):
            raise ValueError(f"pixel_format must be 'gray', 'rgb24', 'chroma' or 'luma', not {self.pixel_format!r}")
        if self.fit not in ("width", "longest"):
            raise ValueError(f"fit must be 'width' or 'longest', not {self.fit!r}")
        if self.interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {sorted(_INTERPOLATIONS)}")
        if self.size is not None and self.size < 1:
            raise ValueError("size must be at least 1")
        if self.every < 1:
            raise ValueError("every must be at least 1")

    def output_size(self, width: int, height: int) -> tuple[int, int]:
        """(width, height) of the converted picture for a display-oriented input."""
        if self.size is None:
            return width, height
        side = width if self.fit == "width" else max(width, height)
        scale = self.size / side
        if scale > 1 and not self.upscale:
            return width, height
        return max(1, round(width * scale)), max(1, round(height * scale))


def rotation_of(av_frame) -> int:
    """Counter-clockwise degrees (0, 90, 180, 270) that bring the frame upright."""
    try:
        angle = av_frame.rotation
    except (AttributeError, ValueError):
        return 0
    if not angle or not math.isfinite(angle):
        return 0
    return int(round(angle / 90.0)) % 4 * 90


#: FFmpeg's colour space numbers (AVColorSpace) of the matrices thumbnails know; others read as BT.601
_MATRICES = {1: "bt709", 9: "bt2020", 10: "bt2020"}


def matrix_of(av_frame) -> str:
    """The matrix of the frame's "chroma" pictures: its own for YUV video, BT.601 (the scaler's) for RGB."""
    if av_frame.format.is_rgb:
        return "bt601"
    try:
        return _MATRICES.get(int(av_frame.colorspace), "bt601")
    except (TypeError, ValueError):
        return "bt601"


#: 8-bit planar YUV: the Cb and Cr planes are read as they are
_PLANAR_YUV = frozenset(
    f"yuv{j}{s}p" for j in ("", "j") for s in ("420", "422", "444", "440", "411", "410")
)
#: limited-range chroma (16..240) to full range, as the scaler does for the grey picture's luma
_CHROMA_FULL_RANGE = np.clip(np.round((np.arange(256) - 128) * 255 / 224 + 128), 0, 255).astype(np.uint8)


def _plane(av_frame, index: int, columns: int = 1) -> np.ndarray:
    plane = av_frame.planes[index]
    rows = np.frombuffer(plane, np.uint8).reshape(plane.height, plane.line_size)
    return rows[:, : plane.width * columns]


def _chroma(av_frame, out_w: int, out_h: int, scaler) -> np.ndarray:
    """(Cb, Cr) at about out_w x out_h, full range: read straight from 8-bit YUV planes (a few
    microseconds, where a scaler pass over a 1080p frame costs 0.15 ms), else through the scaler."""
    name = av_frame.format.name
    full = name.startswith("yuvj") or int(av_frame.color_range or 0) == 2
    try:
        if name in _PLANAR_YUV:
            cb, cr = _plane(av_frame, 1), _plane(av_frame, 2)
        elif name in ("nv12", "nv21"):
            pairs = _plane(av_frame, 1, 2)
            pairs = pairs.reshape(pairs.shape[0], -1, 2)
            cb, cr = (pairs[..., 0], pairs[..., 1]) if name == "nv12" else (pairs[..., 1], pairs[..., 0])
        else:
            raise ValueError(name)
    except ValueError:  # 10-bit, RGB, palettes, odd layouts: the scaler makes full-range 4:4:4 at the small size
        small = scaler.reformat(av_frame, width=out_w, height=out_h, format="yuv444p", dst_color_range="JPEG")
        cb, cr, full = _plane(small, 1), _plane(small, 2), True
    step_y, step_x = max(1, -(-cb.shape[0] // out_h)), max(1, -(-cb.shape[1] // out_w))
    image = np.stack((cb[::step_y, ::step_x], cr[::step_y, ::step_x]), axis=-1)
    return image if full else _CHROMA_FULL_RANGE[image]


def convert(av_frame, fmt: FrameFormat, rotation: int, scaler) -> np.ndarray:
    quarter_turn = rotation % 180 == 90
    width, height = av_frame.width, av_frame.height
    display = (height, width) if quarter_turn else (width, height)
    out_w, out_h = fmt.output_size(*display)
    if quarter_turn:
        out_w, out_h = out_h, out_w
    image = None
    if fmt.pixel_format == "chroma":
        image = _chroma(av_frame, out_w, out_h, scaler)
    elif fmt.pixel_format == "luma" and (out_w, out_h) == (width, height) and av_frame.format.name in _PLANAR_YUV:
        try:
            image = _plane(av_frame, 0).copy()
        except ValueError:  # a plane laid out otherwise (padding, a negative stride): the scaler reads it
            image = None
    if image is None:
        image = scaler.reformat(
            av_frame, width=out_w, height=out_h, format="gray" if fmt.pixel_format == "luma" else fmt.pixel_format,
            interpolation=_INTERPOLATIONS[fmt.interpolation], threads=SCALER_THREADS,
        ).to_ndarray()
    if rotation:
        image = np.ascontiguousarray(np.rot90(image, k=rotation // 90))
    return image


#: a grey picture at most this share of another one's width and height is made from that one (see Converter)
DERIVED_SHARE = 0.5


def _derived_from(fmt: FrameFormat, others: tuple[FrameFormat, ...], display: tuple[int, int]) -> int | None:
    """The index of a larger grey picture among ``others`` that ``fmt`` can be shrunk from, if any."""
    if fmt.pixel_format != "gray" or fmt.interpolation != "area":
        return None
    width, height = fmt.output_size(*display)
    best = None
    for i, other in enumerate(others):
        if other is fmt or other.pixel_format != "gray" or other.interpolation != "area" or fmt.every % other.every:
            continue
        w, h = other.output_size(*display)
        if width <= DERIVED_SHARE * w and height <= DERIVED_SHARE * h and (best is None or w < best[1]):
            best = (i, w)
    return None if best is None else best[0]


class Converter:
    """Each decoded frame to every format asked for, a scaler per format set up once (a fresh one per call
    costs more than the scaling).

    A small grey picture (the motion tap's 160 px) is shrunk from a larger grey one of the same frame (the
    scorer's 640 px) rather than from the full-size frame: an area average of an area average, within a grey
    level or two of the direct one (0.3 on average), for a fortieth of the cost (0.012 against 0.5 ms a 1080p
    frame).
    """

    def __init__(self, formats):
        import cv2
        from av.video.reformatter import VideoReformatter

        self._shrink = functools.partial(cv2.resize, interpolation=cv2.INTER_AREA)
        self.formats = tuple(formats)
        self._scalers = [VideoReformatter() for _ in self.formats]
        self._key: tuple | None = None
        #: per format in the order made (larger first): (its index, the index it is shrunk from or None, size)
        self._steps: list[tuple[int, int | None, tuple[int, int]]] = []

    def _plan(self, width: int, height: int, rotation: int) -> list[tuple[int, int | None, tuple[int, int]]]:
        key = (width, height, rotation)
        if key != self._key:
            display = (height, width) if rotation % 180 == 90 else (width, height)
            order = sorted(range(len(self.formats)), key=lambda i: -self.formats[i].output_size(*display)[0])
            steps, made = [], []
            for i in order:
                parent = _derived_from(self.formats[i], tuple(self.formats[j] for j in made), display)
                steps.append((i, None if parent is None else made[parent], self.formats[i].output_size(*display)))
                made.append(i)
            self._key, self._steps = key, steps
        return self._steps

    def images(self, av_frame, rotation: int, index: int) -> tuple[np.ndarray | None, ...]:
        """Frame ``index``'s pictures in the order of the formats (None where a format skips the frame)."""
        out: list[np.ndarray | None] = [None] * len(self.formats)
        for i, parent, size in self._plan(av_frame.width, av_frame.height, rotation):
            fmt = self.formats[i]
            if index % fmt.every:
                continue
            if parent is None:
                out[i] = convert(av_frame, fmt, rotation, self._scalers[i])
            else:
                out[i] = self._shrink_to(out[parent], size)
        return tuple(out)

    def _shrink_to(self, image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """``image`` area-averaged to ``size``: halved exactly while it is twice as large (OpenCV's fast path, a
        sixth of one 4x step's cost), then the rest of the way."""
        height, width = image.shape[:2]
        while width >= 2 * size[0] and height >= 2 * size[1] and width % 2 == 0 and height % 2 == 0:
            width, height = width // 2, height // 2
            image = self._shrink(image, (width, height))
        return image if (width, height) == size else self._shrink(image, size)
