"""What a detector and the shot stage find on a score series, in the shape the detector tests read.

``analyse`` runs the whole analysis (:func:`blurscan.detect.find`: the detector, then every
shot's verdict, concluded together) and returns the concluded detection and the shot stage's
fields as the result JSON names them (``blurry_throughout``, ``shot_count``, ``shot_list`` with
each shot's reason in English, ``floor``).
"""

from __future__ import annotations

from blurscan.detect import find
from blurscan.detect.drop import DropDetector
from blurscan.messages import reason_text
from blurscan.timecode import span


def analyse(series, detector=None):
    found = find(series, detector or DropDetector())
    shots = []
    for shot in found.shots.verdicts:
        shots.append({"index": shot.index, **span(shot.start, shot.stop - 1, shot.start_s, shot.end_s),
                      "frames": shot.stop - shot.start, "soft": shot.soft, "severity": shot.severity,
                      "reason": reason_text(shot.reason_code, shot.reason_values) or None,
                      "reason_code": shot.reason_code, **shot.held})
    extra = {"blurry_throughout": found.shots.blurry_throughout, "shot_count": len(shots), "shot_list": shots,
             "floor": found.shots.floor}
    return found.detection, extra


def analyse_detection(detector, series):
    """The concluded detection alone."""
    return analyse(series, detector)[0]
