"""Source stage: open a file or URL safely (``open``, ``remote``), choose the stream (``streams``), decode it once
in a thread (``decode``), convert each frame's pixels straight to what its consumers ask for (``convert``)."""

from blurscan.source.convert import FrameFormat
from blurscan.source.decode import DecodeStats, Frame, VideoInfo, VideoSource, open_video

__all__ = ["DecodeStats", "Frame", "FrameFormat", "VideoInfo", "VideoSource", "open_video"]
