"""Does the grid fit tell an enlargement from a blur, whichever tool enlarged it? (issue 19's side check)

Usage::

    python benchmarks/enlargers.py              # about 3 min on 2 cores
    python benchmarks/enlargers.py --frames 3   # quicker

Frames of four sources at their own size (the rendered 1280x720 and 1920x1080 scenes, the 640x272 bikes clip
and Big Buck Bunny's 1280x720 one) are shrunk by ``k`` (area) and enlarged back by each of OpenCV's bicubic, bilinear and
Lanczos, Pillow's bicubic and Lanczos, FFmpeg's swscale bicubic, bilinear and Lanczos (through PyAV) and
PyTorch's bicubic (centre- and corner-aligned, when torch is installed), for ``k`` = 2 to 4; the same frames
blurred by a disk of radius ``0.6 k`` and a Gaussian of sigma ``0.45 k`` are the controls. Every picture gets
sensor noise (sigma 1.5) and goes through x264 at CRF 23; the figure is the median over the frames of
:func:`blurscan.taps.resampling.enlargement` (with each frame's own detail share, as the scan calls it), NaN
(not asked: too sharp) counted as 1. Under ``blurscan.detect.cause.ENLARGED`` (0.65) a soft shot reads
``upscale``. Nothing here was used to set a threshold.
"""

from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path

import av
import cv2
import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import _accuracy_cases as cases_module  # noqa: E402

from blurscan.detect.cause import ENLARGED  # noqa: E402
from blurscan.taps.detail import _content_box, measure_detail  # noqa: E402
from blurscan.taps.resampling import enlargement  # noqa: E402
from blurscan.testing.synthetic import Blur, apply_blur  # noqa: E402

FACTORS = (2.0, 2.5, 3.0, 4.0)
SOURCES = ("scene720", "scene1080", "bikes", "bunny")


def _pillow(image: np.ndarray, size: tuple[int, int], method: str) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.fromarray(image).resize(size, getattr(Image.Resampling, method)))


def _torch(image: np.ndarray, size: tuple[int, int], corners: bool) -> np.ndarray:
    import torch

    tensor = torch.from_numpy(np.ascontiguousarray(image)).permute(2, 0, 1)[None].float()
    out = torch.nn.functional.interpolate(tensor, size=(size[1], size[0]), mode="bicubic", align_corners=corners)
    return out[0].permute(1, 2, 0).clamp(0, 255).round().byte().numpy()


def enlargers() -> dict:
    tools = {
        "opencv bicubic": lambda im, s: cv2.resize(im, s, interpolation=cv2.INTER_CUBIC),
        "opencv bilinear": lambda im, s: cv2.resize(im, s, interpolation=cv2.INTER_LINEAR),
        "opencv lanczos": lambda im, s: cv2.resize(im, s, interpolation=cv2.INTER_LANCZOS4),
        "pillow bicubic": lambda im, s: _pillow(im, s, "BICUBIC"),
        "pillow lanczos": lambda im, s: _pillow(im, s, "LANCZOS"),
        "swscale bicubic": lambda im, s: cases_module.swscale_resize(im, s, "BICUBIC"),
        "swscale bilinear": lambda im, s: cases_module.swscale_resize(im, s, "BILINEAR"),
        "swscale lanczos": lambda im, s: cases_module.swscale_resize(im, s, "LANCZOS"),
    }
    try:
        import torch  # noqa: F401

        tools["torch bicubic"] = lambda im, s: _torch(im, s, False)
        tools["torch bicubic, corners"] = lambda im, s: _torch(im, s, True)
    except ImportError:
        pass
    return tools


def round_trip(pictures: list[np.ndarray]) -> list[np.ndarray]:
    """The pictures through x264 at CRF 23, back as grey."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=30, options={"crf": "23"})
        stream.height, stream.width = pictures[0].shape[:2]
        stream.pix_fmt = "yuv420p"
        for picture in pictures:
            container.mux(stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")))
        container.mux(stream.encode())
    buffer.seek(0)
    with av.open(buffer) as container:
        return [frame.to_ndarray(format="gray") for frame in container.decode(video=0)]


def fit_of(pictures: list[np.ndarray], rng: np.random.Generator) -> float:
    noisy = [np.clip(p + rng.normal(0, 1.5, p.shape), 0, 255).astype(np.uint8) for p in pictures]
    fits = []
    for grey in round_trip(noisy):
        held = measure_detail(grey)
        fit = enlargement(grey[_content_box(grey)], None if held is None else held.share).fit
        fits.append(1.0 if np.isnan(fit) else fit)
    return float(np.median(fits))


def source_frames(source: str, count: int, cache: Path) -> list[np.ndarray]:
    sources = cases_module.source_clips(cache)
    frames = list(cases_module.source_pictures(source, sources, cache))
    return [frames[i] for i in np.linspace(0, len(frames) - 1, count + 2).round().astype(int)[1:-1]]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=5)
    parser.add_argument("--cache", type=Path, default=HERE.parent / ".bench")
    args = parser.parse_args()
    rng = np.random.default_rng(19)
    tools = enlargers()
    caught, enlarged_total, clean, blurred_total = 0, 0, 0, 0
    misses = []
    for source in SOURCES:
        frames = source_frames(source, args.frames, args.cache)
        h, w = frames[0].shape[:2]
        print(f"\n{source} ({w}x{h}): median fit (under {ENLARGED} reads enlarged)")
        print(f"{'':24s}" + "".join(f"{k:>7g}x" for k in FACTORS))
        rows: dict[str, list[float]] = {name: [] for name in tools}
        rows.update({"control: disk 0.6k": [], "control: gaussian 0.45k": []})
        for k in FACTORS:
            small = [cv2.resize(f, (round(w / k), round(h / k)), interpolation=cv2.INTER_AREA) for f in frames]
            for name, tool in tools.items():
                rows[name].append(fit_of([tool(s, (w, h)) for s in small], rng))
            rows["control: disk 0.6k"].append(fit_of([apply_blur(f, Blur(0, 0, "disk", 0.6 * k)) for f in frames], rng))
            rows["control: gaussian 0.45k"].append(
                fit_of([apply_blur(f, Blur(0, 0, "gaussian", 0.45 * k)) for f in frames], rng))
        for name, values in rows.items():
            print(f"{name:24s}" + "".join(f"{v:8.2f}" for v in values), flush=True)
            control = name.startswith("control")
            for k, v in zip(FACTORS, values):
                if control:
                    blurred_total += 1
                    clean += v >= ENLARGED
                else:
                    enlarged_total += 1
                    caught += v < ENLARGED
                if (v < ENLARGED) == control:
                    misses.append(f"{source} {name} {k:g}x: {v:.2f}")
    print(f"\nenlargements read as enlarged: {caught}/{enlarged_total}; blurs read as not enlarged: {clean}/{blurred_total}")
    print("misses: " + ("; ".join(misses) if misses else "none"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
