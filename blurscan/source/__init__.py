"""Source stage: open a video file or URL safely, choose its stream, decode it once in a thread, convert pixels."""

from blurscan.source.decode import Frame, FrameFormat, VideoInfo, VideoSource, open_video

__all__ = ["Frame", "FrameFormat", "VideoInfo", "VideoSource", "open_video"]
