"""Thumbnails of the blur, taken during the one pass over the video.

Which frames a report will want (the worst frame of each blurry segment, and a
sharp frame of the same shot to compare it with) is known only after the
detector has seen the whole video, and a second decode is what blurscan never
does. So while the video streams, two small reservoirs keep candidates: for
each block of consecutive frames, the lowest-quality frame and the
highest-quality frame, at thumbnail size. When a reservoir fills, its blocks
double in length and neighbouring blocks merge, keeping the better candidate:
memory stays within ``capacity`` small pictures per reservoir (about 10 MiB in
all) for a video of any length, and on a video of up to ``capacity`` blocks
every blurry stretch keeps its worst frame. Only the candidates a report
shows are encoded as JPEGs.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from blurscan.source.decode import DecodeStats, FrameFormat, VideoInfo
from blurscan.taps.base import Tap

#: thumbnails are this many pixels on their longest side
THUMBNAIL_SIZE = 192
#: the colour a grey-working scorer's frames lack, at low resolution (colour needs little detail):
#: the thumbnail's detail comes from the scorer's own grey picture, so no full-size
#: colour picture is made for every frame (that would cost a fifth of the scan on 1080p), and the
#: colour is read from the decoder's own chroma planes (a scaler pass would cost 2 % of it)
CHROMA_FORMAT = FrameFormat("chroma", 48, fit="longest")
#: (Kr, Kb) of the YCbCr matrices
_MATRICES = {"bt601": (0.299, 0.114), "bt709": (0.2126, 0.0722), "bt2020": (0.2627, 0.0593)}
#: candidates kept per reservoir
CAPACITY = 256
JPEG_QUALITY = 85


def shrink(picture: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """``picture`` at ``size`` (width, height): halved by pixel averaging while twice as big, then
    interpolated. OpenCV's area resampling by a fraction (640 -> 192) costs 15 times as much."""
    import cv2

    while picture.shape[1] >= 2 * size[0] and picture.shape[0] >= 2 * size[1]:
        even = picture[: picture.shape[0] // 2 * 2, : picture.shape[1] // 2 * 2]
        picture = cv2.resize(even, (even.shape[1] // 2, even.shape[0] // 2), interpolation=cv2.INTER_AREA)
    if (picture.shape[1], picture.shape[0]) == size:
        return picture
    return cv2.resize(picture, size, interpolation=cv2.INTER_LINEAR)


def small_picture(picture: np.ndarray, longest: int = THUMBNAIL_SIZE) -> np.ndarray:
    """The scorer's picture (grey or RGB) at thumbnail size, ``longest`` pixels on its longer side and never
    larger than the scorer's picture (a copy: the frame's own picture is let go)."""
    h, w = picture.shape[:2]
    scale = longest / max(h, w)
    size = (max(1, round(w * scale)), max(1, round(h * scale))) if scale < 1 else (w, h)
    small = shrink(picture, size)
    return np.array(small, copy=True) if small is picture else small


def colourize(small: np.ndarray, chroma: np.ndarray | None, matrix: str = "bt601") -> np.ndarray:
    """An RGB picture from a grey one at thumbnail size and its low-resolution colour (RGB passes as is)."""
    import cv2

    size = (small.shape[1], small.shape[0])
    if small.ndim == 3:
        return np.ascontiguousarray(small)
    if chroma is None:
        return cv2.cvtColor(small, cv2.COLOR_GRAY2RGB)
    ycbcr = cv2.merge((small, *cv2.split(cv2.resize(chroma, size, interpolation=cv2.INTER_LINEAR))))
    return cv2.transform(ycbcr, _to_rgb(matrix))  # saturating, in one pass


def _to_rgb(matrix: str) -> np.ndarray:
    """The 3x4 affine map from full-range (Y, Cb, Cr) to (R, G, B)."""
    kr, kb = _MATRICES[matrix]
    kg = 1 - kr - kb
    cr_r, cb_b = 2 * (1 - kr), 2 * (1 - kb)
    cb_g, cr_g = -kb * cb_b / kg, -kr * cr_r / kg
    rows = [(1, 0, cr_r), (1, cb_g, cr_g), (1, cb_b, 0)]
    return np.array([(y, cb, cr, -128 * (cb + cr)) for y, cb, cr in rows], np.float32)


def encode_jpeg(image: np.ndarray) -> bytes:
    import cv2

    ok, data = cv2.imencode(".jpg", cv2.cvtColor(image, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
    if not ok:  # pragma: no cover - OpenCV encodes any 8-bit RGB picture
        raise ValueError("JPEG encoding failed")
    return data.tobytes()


@dataclass
class Thumbnail:
    """A candidate frame at thumbnail size; its JPEG is made only if a report shows it."""

    frame: int
    value: float
    picture: np.ndarray = field(repr=False)
    chroma: np.ndarray | None = field(default=None, repr=False)
    matrix: str = "bt601"
    _jpeg: bytes | None = field(default=None, repr=False)

    @property
    def jpeg(self) -> bytes:
        if self._jpeg is None:
            self._jpeg = encode_jpeg(colourize(self.picture, self.chroma, self.matrix))
        return self._jpeg


class Reservoir:
    """Per block of consecutive frames, the frame with the lowest (or highest) value, kept small.

    Frames must be offered in order. The candidate of the block being filled
    is held as the frame's own picture and shrunk once its block is complete,
    so a thumbnail-sized copy (about 20 KiB) is made per block, not per frame;
    JPEGs are made only for the few candidates a report picks.
    """

    def __init__(self, *, lowest: bool, capacity: int = CAPACITY, block: int = 1, keeper=None):
        self.lowest = lowest
        self.capacity = capacity
        self.block = max(1, block)
        self.keeper = keeper or (lambda frame, value, image: Thumbnail(frame, value, small_picture(image[0]), image[1]))
        self.kept: dict[int, Thumbnail] = {}  # block number -> candidate
        self._open: tuple[int, int, float, tuple] | None = None  # block, frame, value, (picture, chroma)

    def _better(self, a: float, b: float) -> bool:
        return a < b if self.lowest else a > b

    def offer(self, frame: int, value: float, image: tuple) -> None:
        if not math.isfinite(value):
            return
        block = frame // self.block
        if self._open is not None and self._open[0] != block:
            self._close()
        if self._open is None or self._better(value, self._open[2]):
            self._open = (block, frame, value, image)

    def _close(self) -> None:
        _, frame, value, image = self._open
        self._open = None
        self._keep(frame // self.block, self.keeper(frame, value, image))
        while len(self.kept) > self.capacity:
            self.block *= 2
            merged: dict[int, Thumbnail] = {}
            for old in self.kept.values():
                self._merge_into(merged, old.frame // self.block, old)
            self.kept = merged

    def _keep(self, block: int, candidate: Thumbnail) -> None:
        self._merge_into(self.kept, block, candidate)

    def _merge_into(self, kept: dict[int, Thumbnail], block: int, candidate: Thumbnail) -> None:
        current = kept.get(block)
        if current is None or self._better(candidate.value, current.value):
            kept[block] = candidate

    def finish(self) -> list[Thumbnail]:
        """Every candidate kept, in frame order (the last open block included)."""
        if self._open is not None:
            self._close()
        return sorted(self.kept.values(), key=lambda t: t.frame)


class ThumbnailCollector:
    """The two reservoirs of a scan: offered each frame's picture and quality, in frame order.

    ``expected_frames`` (what the container declares) sets the first block
    length, so a long video does not start by encoding every frame.
    """

    def __init__(self, capacity: int = CAPACITY, expected_frames: int = 0, size: int = THUMBNAIL_SIZE):
        block = max(1, expected_frames // capacity)
        self.size = size
        self._last: Thumbnail | None = None  # a frame kept by both reservoirs is shrunk once
        self.low = Reservoir(lowest=True, capacity=capacity, block=block, keeper=self._keep)
        self.high = Reservoir(lowest=False, capacity=capacity, block=block, keeper=self._keep)

    def _keep(self, frame: int, value: float, image: tuple) -> Thumbnail:
        if self._last is None or self._last.frame != frame:
            picture, chroma = image
            self._last = Thumbnail(frame, value, small_picture(picture, self.size), chroma)
        return self._last

    def offer(self, frame: int, quality: float, picture: np.ndarray, chroma: np.ndarray | None = None) -> None:
        """``picture``: the scorer's picture of the frame (grey or RGB); ``chroma``: its colour, small."""
        self.low.offer(frame, quality, (picture, chroma))
        self.high.offer(frame, quality, (picture, chroma))

    def pick(self, segments: Sequence, shots: Sequence[tuple[int, int]],
             matrix: str = "bt601") -> list[dict[str, Thumbnail] | None]:
        """For each segment, its worst frame kept and a sharp frame of its shot (outside any segment);
        their colour is made in ``matrix`` (the video's, known once it is decoded) when their JPEGs are."""
        worst = self.low.finish()
        sharp = self.high.finish()
        blurred = [(s.start_frame, s.end_frame) for s in segments]

        def in_blur(frame: int) -> bool:
            return any(a <= frame <= b for a, b in blurred)

        picks: list[dict[str, Thumbnail] | None] = []
        for seg in segments:
            inside = [t for t in worst if seg.start_frame <= t.frame <= seg.end_frame]
            if not inside:
                picks.append(None)
                continue
            chosen = {"worst": min(inside, key=lambda t: t.value)}
            shot = next(((a, b) for a, b in shots if a <= seg.start_frame < b), (0, 1 << 62))
            clean = [t for t in sharp if not in_blur(t.frame) and t.value > chosen["worst"].value]
            same_shot = [t for t in clean if shot[0] <= t.frame < shot[1]]
            pool = same_shot or clean
            if pool:
                middle = (seg.start_frame + seg.end_frame) / 2
                best = max(t.value for t in pool)
                # among the sharpest (within 5 % of the best), the one nearest the segment
                near = [t for t in pool if t.value >= best - 0.05 * abs(best)]
                chosen["sharp"] = min(near, key=lambda t: abs(t.frame - middle))
            for thumbnail in chosen.values():
                thumbnail.matrix = matrix
            picks.append(chosen)
        return picks


class ThumbnailTap(Tap):
    """The thumbnail reservoirs as a tap: the scorer's own picture of each frame (and, for a grey scorer,
    its colour at low resolution) is held until the frame's quality is known, then offered."""

    def __init__(self, size: int = THUMBNAIL_SIZE):
        self.size = size
        self.collector: ThumbnailCollector | None = None
        self._chroma = False
        self._waiting: dict[int, tuple] = {}  # the pictures of frames whose quality is not known yet
        self.matrix = "bt601"

    def formats(self, info: VideoInfo, scorer_format: FrameFormat) -> list[FrameFormat]:
        self.collector = ThumbnailCollector(expected_frames=info.declared_frames, size=self.size)
        self._chroma = scorer_format.pixel_format == "gray"
        return [scorer_format, CHROMA_FORMAT] if self._chroma else [scorer_format]

    def take(self, index: int, time_s: float, images) -> None:
        self._waiting[index] = (images[0], images[1] if self._chroma else None)

    def scored(self, index: int, quality: float) -> None:
        held = self._waiting.pop(index, None)
        if held is not None:
            self.collector.offer(index, quality, *held)

    def finish(self, stats: DecodeStats) -> None:
        self.matrix = stats.matrix  # known once the video is decoded; JPEGs are made after

    def pick(self, segments, shots) -> list[dict[str, Thumbnail] | None]:
        return self.collector.pick(segments, shots, self.matrix)
