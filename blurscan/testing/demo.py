"""The demo: a synthetic clip with known blurry bursts, scanned like any video.

It shows, on a fresh install and without any sample data, that the pipeline
finds blur where it was put and nowhere else.
"""

from __future__ import annotations

import os
from pathlib import Path

from blurscan.testing.synthetic import Blur, Clip, make_clip

DEMO_BLURS = (
    Blur(start=75, end=89, kind="gaussian", strength=3.0),
    Blur(start=140, end=142, kind="motion", strength=15.0, angle=20.0),
)
DEMO_FRAMES = 180


def make_demo_clip(path: str | os.PathLike) -> Clip:
    """Six seconds of a slowly panning textured scene at 640x360, 30 fps, with :data:`DEMO_BLURS`."""
    return make_clip(Path(path), frames=DEMO_FRAMES, fps=30.0, width=640, height=360, blurs=DEMO_BLURS,
                     pan=1.0, seed=7)


def found_bursts(clip: Clip, segments) -> list[bool]:
    """For each injected burst, whether a detected segment overlaps it."""
    return [
        any(seg.start_frame <= blur.end and seg.end_frame >= blur.start for seg in segments)
        for blur in clip.blurs
    ]
