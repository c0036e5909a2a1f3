"""Camera movement, estimated in the same pass as scoring (no second decode).

Two estimators run side by side on small grey frames:

* ``flow`` (reported as ``camera_movement``): the global translation between
  consecutive frames by phase correlation, as a fraction of the frame width,
  averaged over the video (per-frame shifts clipped at 10 % of the width so
  shot cuts do not dominate) and mapped to [0, 1] by ``1 - exp(-s / 0.02)``.
  A still camera gives about 0, a slow pan (0.3 % of the width a frame) about
  0.15, a pan of 1 % a frame about 0.4 and fast pans approach 1.
* ``vmbench`` (reported as ``camera_movement_vmbench``): the original tool's
  estimate, the mean absolute grey difference of the first 10 frames / 255.
  It measures picture change, not camera motion, and is nearly always below
  0.1, so the adaptive threshold it feeds rarely adapts.

Per frame it also records the shift, the mean absolute difference to the
previous frame (``change``) and the same difference between tiny 16-pixel-wide
thumbnails (``scene_change``, 0 to 1). At that size blur and camera shake
vanish but a cut to another shot does not, so detectors use it to find shot
cuts without mistaking the start of a blurry stretch for one.
"""

from __future__ import annotations

import math
from array import array

import cv2
import numpy as np

from blurscan.source.decode import FrameFormat, VideoInfo
from blurscan.taps.base import Tap

MOTION_FORMAT = FrameFormat("gray", 160, fit="width", interpolation="area")
MOTION_ESTIMATORS = ("flow", "vmbench")
VMBENCH_FRAMES = 10
#: shift (fraction of the width per frame) that maps to 1 - 1/e
FLOW_SCALE = 0.02
_MAX_SHIFT = 0.1
#: width of the thumbnails compared for ``scene_change``
THUMBNAIL_WIDTH = 16
#: phase correlation needs at least this many pixels each way (a 1920x8 video is 160x1 here)
MIN_FLOW_SIZE = 2
#: a frame whose grey levels span no more than this is flat: one colour, nothing to measure
FLAT_RANGE = 8.0


class MotionTracker:
    """Feed small grey frames in order; read per-frame signals and the video's movement."""

    def __init__(self):
        self._previous: np.ndarray | None = None
        self._previous_thumbnail: np.ndarray | None = None
        self._window: np.ndarray | None = None
        # 8 bytes a frame each, like the score series
        self.shifts = array("d")
        self.changes = array("d")
        self.scene_changes = array("d")
        self._vmbench_diffs: list[float] = []
        #: frames with no detail at all (black, blank, one colour)
        self.flat_frames = 0

    def update(self, grey: np.ndarray) -> None:
        frame = grey.astype(np.float32)
        h, w = frame.shape
        low, high = cv2.minMaxLoc(frame)[:2]
        self.flat_frames += high - low <= FLAT_RANGE
        thumbnail = cv2.resize(frame, (THUMBNAIL_WIDTH, max(1, round(h * THUMBNAIL_WIDTH / w))),
                               interpolation=cv2.INTER_AREA)
        previous = self._previous_thumbnail
        if previous is None or previous.shape != thumbnail.shape:
            self.scene_changes.append(0.0)
        else:
            self.scene_changes.append(float(cv2.mean(cv2.absdiff(previous, thumbnail))[0]) / 255.0)
        self._previous_thumbnail = thumbnail
        if self._previous is None or self._previous.shape != frame.shape:
            self.shifts.append(0.0)
            self.changes.append(0.0)
        else:
            shift = 0.0
            # a sliver of a picture (1920x8 and the like) has no 2-D window to correlate over
            if min(h, w) >= MIN_FLOW_SIZE:
                if self._window is None or self._window.shape != frame.shape:
                    self._window = cv2.createHanningWindow(frame.shape[::-1], cv2.CV_32F)
                (dx, dy), _ = cv2.phaseCorrelate(self._previous, frame, self._window)
                shift = math.hypot(dx, dy) / frame.shape[1]
            change = float(cv2.mean(cv2.absdiff(self._previous, frame))[0]) / 255.0
            self.shifts.append(shift if math.isfinite(shift) else 0.0)
            self.changes.append(change)
            if len(self._vmbench_diffs) < VMBENCH_FRAMES - 1:
                self._vmbench_diffs.append(change)
        self._previous = frame

    def signals(self) -> dict[str, np.ndarray]:
        """The per-frame signals, one value per frame fed so far."""
        return {
            "shift": np.array(self.shifts, dtype=np.float64),
            "change": np.array(self.changes, dtype=np.float64),
            "scene_change": np.array(self.scene_changes, dtype=np.float64),
        }

    def camera_movement(self, estimator: str = "flow") -> float:
        if estimator == "vmbench":
            if not self._vmbench_diffs:
                return 0.0
            return min(1.0, max(0.0, float(np.mean(self._vmbench_diffs))))
        if estimator != "flow":
            raise ValueError(f"unknown camera-motion estimator {estimator!r}; choose {MOTION_ESTIMATORS}")
        if len(self.shifts) < 2:
            return 0.0
        mean_shift = float(np.mean(np.minimum(np.frombuffer(self.shifts, dtype=np.float64)[1:], _MAX_SHIFT)))
        return 1.0 - math.exp(-mean_shift / FLOW_SCALE)


class MotionTap(Tap):
    """The motion tracker as a tap: small grey frames in, per-frame signals and the camera's movement out."""

    def __init__(self):
        self.tracker = MotionTracker()

    def formats(self, info: VideoInfo, scorer_format: FrameFormat) -> list[FrameFormat]:
        return [MOTION_FORMAT]

    def take(self, index: int, time_s: float, images) -> None:
        self.tracker.update(images[0])
