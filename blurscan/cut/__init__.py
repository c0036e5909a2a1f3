"""Acting on the findings: the sharp stretches of a video as clips, or as a cut list for an editor.

``ranges`` turns a result's blurry segments into the stretches to keep;
``split`` writes them as clips (re-encoded with exact cuts, or stream-copied
with cuts snapped to keyframes); ``export`` writes them as ffmpeg commands or
a CMX 3600 EDL.
"""

from blurscan.cut.ranges import KeepRange, keep_ranges

__all__ = ["KeepRange", "keep_ranges"]
