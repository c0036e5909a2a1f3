"""Detector plug-ins: from score series to blur events and a verdict; then every shot's verdict (``softness``),
whichever detector ran, and the two concluded together (``findings``)."""

from __future__ import annotations

from blurscan.detect.base import (
    Detection,
    Detector,
    ScoreSeries,
    Segment,
    recommendations,
    runs,
    segment_times,
    worst_severity,
)
from blurscan.registry import Registry

DETECTORS: Registry[Detector] = Registry("detector", "blurscan.detectors")

#: the detector used when none is named
DEFAULT_DETECTOR = "drop"


def create_detector(name: str = DEFAULT_DETECTOR, **options) -> Detector:
    """Build the detector registered as ``name`` with its own keyword options."""
    return DETECTORS.create(name, options)


from blurscan.detect import drop, mss  # noqa: E402,F401  (built-ins register on import)
from blurscan.detect.findings import Findings, find  # noqa: E402

__all__ = ["DETECTORS", "DEFAULT_DETECTOR", "Detection", "Detector", "Findings", "ScoreSeries", "Segment",
           "create_detector", "find", "recommendations", "runs", "segment_times", "worst_severity"]
