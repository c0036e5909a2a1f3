"""The source stage: every frame once, in order, with its time, in the format asked for."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from blurscan.errors import EmptyVideoError, NotAVideoError, StreamNotFoundError, VideoError, VideoNotFoundError
from blurscan.source.decode import FrameFormat, VideoIsDirectoryError, open_video, timeline_gaps
from blurscan.testing.synthetic import scene_frames, write_video
from tests.media import write_audio_only, write_two_video_streams

GREY = FrameFormat("gray", 160)


def decode_all(path, formats=(GREY,)):
    with open_video(path) as source:
        frames = list(source.frames(formats))
        return source, frames


def test_every_frame_arrives_in_order_with_times(burst_clip):
    source, frames = decode_all(burst_clip.path)
    assert [f.index for f in frames] == list(range(burst_clip.frames))
    times = np.array([f.time_s for f in frames])
    assert times[0] == 0.0
    np.testing.assert_allclose(np.diff(times), 1 / 30, atol=1e-3)
    assert source.info.fps == pytest.approx(30.0)
    assert source.stats.decoded == burst_clip.frames and source.stats.warnings == []


@pytest.mark.parametrize("frames", [1, 2, 3, 7, 33])
@pytest.mark.parametrize("threads", [0, 1, 2, 8])
def test_last_frames_arrive_with_threaded_decoding(tmp_path, frames, threads):
    """Frame-threaded decoders hold frames back; they must be flushed out at the end."""
    path = tmp_path / "short.mp4"
    write_video(path, scene_frames(frames, 64, 48, pan=2.0, seed=frames), fps=25)
    with open_video(path, threads=threads) as source:
        got = [f.index for f in source.frames([GREY])]
    assert got == list(range(frames))


def test_frames_come_in_each_requested_format_without_upscaling(carphone):
    formats = [FrameFormat("gray", 640), FrameFormat("gray", 88), FrameFormat("rgb24", 448, fit="longest")]
    source, frames = decode_all(carphone, formats)
    grey_native, grey_small, rgb = frames[0].images
    assert grey_native.shape == (144, 176)  # 176 px wide: never upscaled to 640
    assert grey_small.shape == (72, 88) and grey_small.dtype == np.uint8
    assert rgb.shape == (144, 176, 3)
    assert len(frames) == 120


def test_upscale_and_longest_side():
    fmt = FrameFormat("rgb24", 448, fit="longest", upscale=True)
    assert fmt.output_size(176, 144) == (448, 367)
    assert FrameFormat("gray", 640).output_size(3840, 2160) == (640, 360)
    assert FrameFormat("gray", None).output_size(33, 17) == (33, 17)
    with pytest.raises(ValueError):
        FrameFormat("yuv", 10)


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_rotation_metadata_is_applied(tmp_path, rotation):
    """A bright block in the top-left corner of the coded picture moves where the display matrix says."""
    image = np.zeros((48, 64, 3), np.uint8)
    image[:16, :16] = 255
    path = tmp_path / f"rot{rotation}.mp4"
    write_video(path, [image] * 3, fps=10, rotation=rotation)
    source, frames = decode_all(path, [FrameFormat("gray", None)])
    grey = frames[0].images[0]
    assert source.stats.rotation == rotation
    expected = np.rot90(image[..., 0], k=rotation // 90)
    assert grey.shape == expected.shape
    assert source.display_size == (expected.shape[1], expected.shape[0])
    bright = np.argwhere(grey > 128).mean(axis=0)
    assert np.allclose(bright, np.argwhere(expected > 128).mean(axis=0), atol=2)


@pytest.mark.parametrize("rotation", [0, 90])
def test_a_small_grey_picture_is_shrunk_from_the_larger_one_within_a_grey_level_or_two(tmp_path, rotation):
    """The motion tap's 160 px grey is made from the scorer's 640 px (issue 20): the same size and orientation
    as the decoder's own, and the same picture to a grey level or two (on average)."""
    import blurscan.source.convert as converting

    path = tmp_path / f"scene{rotation}.mp4"
    write_video(path, scene_frames(4, 1280, 720, seed=3), fps=10, rotation=rotation)
    small, large = FrameFormat("gray", 160), FrameFormat("gray", 640)
    _, direct = decode_all(path, [small])
    calls = []
    convert = converting.convert

    def counting(av_frame, fmt, *args):
        calls.append(fmt)
        return convert(av_frame, fmt, *args)

    converting.convert = counting
    try:
        _, both = decode_all(path, [small, large])
    finally:
        converting.convert = convert
    assert small not in calls and len(calls) == 4  # only the large one comes from the full-size frame
    for one, two in zip(direct, both):
        assert two.images[0].shape == one.images[0].shape == (two.images[1].shape[0] // 4, two.images[1].shape[1] // 4)
        difference = np.abs(two.images[0].astype(int) - one.images[0].astype(int))
        if rotation == 0:  # 1280 -> 640 -> 160: whole steps, a rounding apart
            assert difference.max() <= 2 and difference.mean() < 0.6
        else:  # 720 -> 640 -> 160 against 720 -> 160 straight: the two scalers' own edges differ a little
            assert np.percentile(difference, 99) <= 8 and difference.mean() < 1.0


def test_a_picture_made_on_fewer_frames_is_never_shrunk_from_one_made_on_more_and_back():
    """``every``: a format made on every frame may come from one made on every frame, not the other way."""
    from blurscan.source.convert import _derived_from

    every_frame, some = FrameFormat("gray", 640), FrameFormat("gray", 640, every=3)
    small = FrameFormat("gray", 160)
    assert _derived_from(small, (every_frame,), (1920, 1080)) == 0
    assert _derived_from(small, (some,), (1920, 1080)) is None
    assert _derived_from(FrameFormat("gray", 160, every=6), (some,), (1920, 1080)) == 0
    assert _derived_from(FrameFormat("rgb24", 160), (every_frame,), (1920, 1080)) is None  # grey only
    assert _derived_from(FrameFormat("gray", 400), (every_frame,), (1920, 1080)) is None  # not half the size


def test_odd_sized_frames(tmp_path):
    path = tmp_path / "odd.mp4"
    write_video(path, scene_frames(5, 97, 55, seed=9), fps=24, codec="mpeg4")
    source, frames = decode_all(path, [FrameFormat("gray", 50)])
    assert len(frames) == 5
    assert frames[0].images[0].shape[1] == 50


def test_very_large_single_frame_is_scaled_by_the_decoder(tmp_path):
    """A single 7680x4320 frame: converted straight to the small working size."""
    path = tmp_path / "8k.mp4"
    frame = np.zeros((4320, 7680, 3), np.uint8)
    frame[::8] = 255
    write_video(path, [frame], fps=1, crf=30)
    source, frames = decode_all(path, [FrameFormat("gray", 640)])
    assert len(frames) == 1 and frames[0].images[0].shape == (360, 640)
    assert source.info.width == 7680


def test_frames_can_be_iterated_only_once(carphone):
    with open_video(carphone) as source:
        list(source.frames([GREY]))
        with pytest.raises(RuntimeError):
            list(source.frames([GREY]))


def test_stopping_early_stops_the_decoder(bikes):
    with open_video(bikes) as source:
        for frame in source.frames([GREY]):
            if frame.index == 5:
                break
    assert source.stats.decoded < 5 + 2 * 8 + 2  # the queue's worth, not the whole video


def test_the_decode_thread_only_decodes_and_frames_are_converted_where_they_are_used(bikes, monkeypatch):
    """Converting on the decode thread held the decoder back by the conversion's time on every frame:
    pictures are made on the consuming thread, while the next frames decode."""
    import threading

    import blurscan.source.convert as converting

    threads = set()
    convert = converting.convert

    def recording(*args):
        threads.add(threading.current_thread().name)
        return convert(*args)

    monkeypatch.setattr(converting, "convert", recording)
    with open_video(bikes) as source:
        frames = list(source.frames([GREY]))
    assert len(frames) == 250 and threads == {threading.current_thread().name}


def test_closing_mid_stream_stops_the_decode_thread_first(bikes):
    """The consumer fails while the generator is suspended: closing must not pull the container from
    under the decoding thread (that crashes the process)."""
    source = open_video(bikes)
    frames = source.frames([GREY])
    next(frames)
    source.close()
    assert source._worker is None
    del frames


# -- bad input --------------------------------------------------------------


def test_missing_file(tmp_path):
    with pytest.raises(VideoNotFoundError, match="no such file"):
        open_video(tmp_path / "nope.mp4")


def test_directory_named_like_a_video(tmp_path):
    (tmp_path / "x.mp4").mkdir()
    with pytest.raises(VideoIsDirectoryError, match="is a directory"):
        open_video(tmp_path / "x.mp4")


def test_empty_file(tmp_path):
    (tmp_path / "empty.mp4").write_bytes(b"")
    with pytest.raises(EmptyVideoError, match="empty file"):
        open_video(tmp_path / "empty.mp4")


def test_text_file_is_not_a_video(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("these are not the frames you are looking for\n" * 50)
    with pytest.raises(NotAVideoError, match="cannot be read as a video"):
        open_video(path)


def test_audio_only_file(tmp_path):
    path = write_audio_only(tmp_path / "sound.m4a")
    with pytest.raises(NotAVideoError, match="no video stream"):
        open_video(path)


def test_header_only_video_has_no_frames(tmp_path):
    """An mp4 with its index up front, cut right after the media header: it opens, but no frame decodes."""
    whole = tmp_path / "fast.mp4"
    write_video(whole, scene_frames(10, 64, 48), fps=10, faststart=True)
    head = whole.read_bytes()
    path = tmp_path / "head.mp4"
    path.write_bytes(head[: head.find(b"mdat") + 4])
    with pytest.raises(EmptyVideoError, match="no decodable video frames"):
        with open_video(path) as source:
            list(source.frames([GREY]))


def test_truncated_video_gives_the_frames_it_has_and_a_warning(tmp_path):
    """Cut the last 40 % of the bytes of an index-first mp4: the frames before the cut still decode."""
    whole = tmp_path / "whole.mp4"
    write_video(whole, scene_frames(60, 128, 96, pan=1.0), fps=30, faststart=True)
    path = tmp_path / "cut.mp4"
    path.write_bytes(whole.read_bytes()[: int(whole.stat().st_size * 0.6)])
    with open_video(path) as source:
        frames = list(source.frames([GREY]))
    assert 10 < len(frames) < 60
    assert any("truncated" in str(w) for w in source.stats.warnings)


# -- a path is always a local file -------------------------------------------


@pytest.mark.parametrize("name", ["file:b.mp4", "concat:a.mp4|b.mp4", "pipe:", "http:x.mp4", "subfile:,,start,0,end,0,,:b.mp4"])
def test_names_that_look_like_ffmpeg_protocols_are_plain_files(tmp_path, monkeypatch, name):
    """FFmpeg reads these names as protocols (another file, standard input, the network); blurscan
    opens the file of that name, here a 64 px clip next to a 160 px ``b.mp4``."""
    write_video(tmp_path / "b.mp4", scene_frames(4, 160, 96), fps=10)
    write_video(tmp_path / "a.mp4", scene_frames(4, 160, 96), fps=10)
    write_video(tmp_path / "small.mp4", scene_frames(3, 64, 48), fps=10)
    (tmp_path / "small.mp4").rename(tmp_path / name)  # FFmpeg would write to the protocol too
    monkeypatch.chdir(tmp_path)
    source, frames = decode_all(name, [FrameFormat("gray", None)])
    assert (source.info.width, len(frames)) == (64, 3)


def test_a_name_that_is_not_utf8_opens(tmp_path):
    path = tmp_path / os.fsdecode(b"caf\xe9.mp4")
    write_video(path, scene_frames(3, 64, 48), fps=10)
    source, frames = decode_all(path)
    assert len(frames) == 3 and source.info.name.endswith(".mp4")


# -- files that are not regular files fail at once, in one line ---------------


@pytest.mark.timeout(20)
@pytest.mark.parametrize("kind", ["fifo", "/dev/zero", "/proc/self/status", "dangling link", "link loop"])
def test_special_files_are_refused_without_reading(tmp_path, kind):
    path = tmp_path / "video.mp4"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would block until a writer comes
        expected = "is not a regular file: it is a FIFO"
    elif kind == "dangling link":
        path.symlink_to(tmp_path / "gone.mp4")
        expected = "broken symbolic link"
    elif kind == "link loop":
        path.symlink_to(path)
        expected = "symbolic link loop"
    else:
        if not os.path.exists(kind):
            pytest.skip(f"{kind} does not exist here")
        path = Path(kind)
        expected = "is not a regular file"
    with pytest.raises(VideoError, match=expected) as caught:
        open_video(path)
    assert "\n" not in str(caught.value)


# -- which video stream -------------------------------------------------------


@pytest.mark.parametrize(
    "name, options, stream, width, warned",
    [
        ("default-second.mp4", dict(default=1), 1, 160, True),
        ("default-first.mp4", dict(default=0), 0, 64, True),  # as FFmpeg: the default wins, with a warning
        ("no-default.mkv", dict(default=None), 1, 160, True),  # then the largest picture
        ("cover.mp4", dict(cover=True, default=None), 0, 160, False),  # an attached picture
        ("cover.mkv", dict(cover=True, default=None), 1, 160, False),  # a one-frame JPEG track, larger
    ],
)
def test_the_video_stream_ffmpeg_would_choose(tmp_path, name, options, stream, width, warned):
    path = write_two_video_streams(tmp_path / name, **options)
    source, frames = decode_all(path, [FrameFormat("gray", None)])
    assert (source.info.stream, source.info.width, len(frames)) == (stream, width, 12)
    assert any("--stream" in str(w) for w in source.stats.warnings) == warned


def test_a_chosen_stream_and_a_missing_one(tmp_path):
    path = write_two_video_streams(tmp_path / "two.mp4", default=1)
    with open_video(path, stream=0) as source:
        assert source.info.width == 64 and not source.stats.warnings
    with pytest.raises(StreamNotFoundError, match=r"no video stream 2 \(its video streams: 0 \(h264 64x64\), 1 "):
        open_video(path, stream=2)


def test_timeline_gaps_lists_the_stretches_without_frames():
    fps = 10.0
    times = np.array([0.3, 0.4, 0.5, 0.9, 1.0, 1.3])  # 3 missing at the start, 3 after 0.5 s, 2 after 1.0 s
    assert timeline_gaps(times, fps) == [
        {"before_frame": 0, "start_s": 0.0, "end_s": 0.3, "missing_frames": 3},
        {"before_frame": 3, "start_s": 0.6, "end_s": 0.9, "missing_frames": 3},
        {"before_frame": 5, "start_s": 1.1, "end_s": 1.3, "missing_frames": 2},
    ]
    assert timeline_gaps(np.arange(10) / fps, fps) == [] and timeline_gaps(times, 0.0) == []


def test_a_motion_jpeg_video_is_not_mistaken_for_cover_art(tmp_path):
    """Matroska does not count MJPEG frames, so a lone MJPEG track looks like a still picture."""
    from tests.media import write_keyframed_clip

    path = write_keyframed_clip(tmp_path / "camera.mkv", frames=6, codec="mjpeg")
    source, frames = decode_all(path)
    assert (source.info.stream, len(frames)) == (0, 6)
