"""Choosing the video stream to scan: the one asked for, or the one FFmpeg would pick (never cover art)."""

from __future__ import annotations

from blurscan.errors import NotAVideoError, StreamNotFoundError
from blurscan.messages import Message

#: codecs of still pictures: a track of one such frame is cover art, not the video
_PICTURE_CODECS = frozenset({"mjpeg", "png", "bmp", "webp", "tiff", "gif", "jpegls", "jpeg2000"})


def _is_picture(stream) -> bool:
    """Cover art: an attached picture, or a track holding (as far as the container says) one still."""
    from av.stream import Disposition

    if stream.disposition & Disposition.attached_pic:
        return True
    return stream.codec_context.name in _PICTURE_CODECS and (stream.frames or 0) <= 1


def describe_stream(stream) -> str:
    ctx = stream.codec_context
    what = "cover picture, " if _is_picture(stream) else ""
    return f"{stream.index} ({what}{ctx.name or 'unknown codec'} {ctx.width}x{ctx.height})"


def choose_video_stream(path, container, wanted: int | None = None) -> tuple:
    """The video stream to scan: ``wanted`` (a stream index) or the one FFmpeg would pick.

    Like ``av_find_best_stream``: cover art is never chosen on its own, a stream marked
    default wins, then the largest picture, then the higher bit rate; the first stream wins a
    tie. Returns the stream and, when other video streams were passed over, a warning naming
    them (the choice is a guess the user may want to change with ``--stream``).
    """
    from av.stream import Disposition

    videos = list(container.streams.video)
    if wanted is not None:
        chosen = next((s for s in videos if s.index == wanted), None)
        if chosen is None:
            listed = ", ".join(describe_stream(s) for s in videos) or "none"
            raise StreamNotFoundError(
                path, f"has no video stream {wanted} (its video streams: {listed}). Choose one with --stream."
            )
        return chosen, None
    attached = {s.index for s in videos if s.disposition & Disposition.attached_pic}
    # a one-frame picture track is cover art, unless nothing else is there (MJPEG in Matroska
    # does not say how many frames it has)
    movies = [s for s in videos if not _is_picture(s)] or [s for s in videos if s.index not in attached]
    if not movies:
        if videos:
            kind = "only a cover picture"
        elif container.streams.audio:
            kind = "audio only"
        else:
            kind = "other kinds of streams only" if len(container.streams) else "no streams at all"
        raise NotAVideoError(path, f"has no video stream ({kind}). Nothing to scan.")

    def rank(stream):
        ctx = stream.codec_context
        return (
            bool(stream.disposition & Disposition.default),
            (ctx.width or 0) * (ctx.height or 0),
            stream.bit_rate or ctx.bit_rate or 0,
            -stream.index,
        )

    chosen = max(movies, key=rank)
    others = [s for s in movies if s is not chosen]
    note = None
    if others:
        note = Message("warning.streams", {"count": len(movies), "chosen": describe_stream(chosen),
                                           "others": ", ".join(describe_stream(s) for s in others)})
    return chosen, note
