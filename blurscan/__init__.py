"""blurscan: find blurry frames and blurry segments in videos of any length.

Library use::

    import blurscan
    result = blurscan.scan("clip.mp4")          # default scorer and detector
    print(result.segments)                      # blur events and soft shots, in time order

    with blurscan.Scanner(blurscan.Settings(scorer="sharpness")) as scanner:
        for path in paths:
            data = scanner.scan(path).to_dict()  # schema "blurscan/2"

The library logs to the ``blurscan`` logger and installs no handlers.
"""

from blurscan.batch import BatchSettings, run_batch
from blurscan.detect import DETECTORS, Detection, Detector, ScoreSeries, Segment, create_detector
from blurscan.errors import BlurscanError
from blurscan.messages import Message
from blurscan.registry import Range
from blurscan.result import SCHEMA, FailedResult, VideoResult, from_dict, read_result_file
from blurscan.scanner import Scanner, scan
from blurscan.scorers import SCORERS, Scorer, create_scorer
from blurscan.settings import Settings
from blurscan.source.decode import FrameFormat, VideoInfo, open_video
from blurscan.timecode import TimeRange

__version__ = "0.1.0"

__all__ = [
    "BatchSettings",
    "DETECTORS",
    "FailedResult",
    "Message",
    "Range",
    "from_dict",
    "read_result_file",
    "SCHEMA",
    "SCORERS",
    "BlurscanError",
    "Detection",
    "Detector",
    "FrameFormat",
    "ScoreSeries",
    "Scanner",
    "Scorer",
    "Segment",
    "Settings",
    "TimeRange",
    "VideoInfo",
    "VideoResult",
    "create_detector",
    "create_scorer",
    "open_video",
    "run_batch",
    "scan",
]
