"""Timelines that are odd though nothing is lost (issue 21, items 6-8): transport streams joined
byte for byte, a video track that starts after its audio, a clip followed by a long run of zeros."""

from __future__ import annotations

import time

from blurscan import scan
from blurscan.messages import Message
from blurscan.testing.synthetic import Blur
from tests.timeline_media import write_concatenated_ts, write_late_video, write_zero_padded_mkv


def codes(result: dict) -> list[str]:
    return [w["code"] for w in result["warnings"]]


def test_joined_transport_streams_keep_one_timeline_and_say_where_the_clock_restarts(tmp_path):
    """`cat a.ts b.ts`: the second part's clock starts again; its blur (frames 60-74 at 25 fps)
    is reported at 2.4-3.0 s, not at 0.4-1.0 s, and the 100 frames last 4 s."""
    joined = write_concatenated_ts(tmp_path / "joined.ts", blur=Blur(10, 24, "gaussian", 4.0))
    result = scan(joined).to_dict()
    assert result["video"]["frames"] == 100
    assert abs(result["video"]["duration_s"] - 4.0) < 0.05
    spans = [(s["start_s"], s["end_s"]) for s in result["segments"]]
    assert len(spans) == 1 and abs(spans[0][0] - 2.4) < 0.05 and abs(spans[0][1] - 3.0) < 0.05, spans
    (warning,) = [w for w in result["warnings"] if w["code"] == "warning.discontinuity"]
    assert warning["count"] == 1 and warning["at"] == [[50, 2.04, 0.08]]
    assert "restarts or jumps 1 time(s) (joined recordings, as `cat a.ts b.ts` makes): frame 50: 2.04 s -> 0.08 s;" in (
        Message.from_dict(warning).text())
    assert "1 次重新开始或跳变" in Message.from_dict(warning).text("zh") and "第 50 帧" in Message.from_dict(warning).text("zh")
    assert "warning.gaps" not in codes(result) and "warning.truncated" not in codes(result)


def test_a_second_part_recorded_an_hour_later_follows_the_first_without_an_hour_gap(tmp_path):
    joined = write_concatenated_ts(tmp_path / "later.ts", blur=Blur(10, 24, "gaussian", 4.0), second_start_s=3600.0)
    result = scan(joined).to_dict()
    assert abs(result["video"]["duration_s"] - 4.0) < 0.05 and result["video"]["missing_frames"] == 0
    spans = [(s["start_s"], s["end_s"]) for s in result["segments"]]
    assert len(spans) == 1 and abs(spans[0][0] - 2.4) < 0.05, spans
    (warning,) = [w for w in result["warnings"] if w["code"] == "warning.discontinuity"]
    assert warning["at"][0][0] == 50


def test_one_transport_stream_has_no_discontinuity(tmp_path):
    from blurscan.testing.synthetic import scene_frames, write_video

    write_video(tmp_path / "one.ts", scene_frames(50, 96, 64, seed=1), fps=25)
    result = scan(tmp_path / "one.ts").to_dict()
    assert result["warnings"] == [] and abs(result["video"]["duration_s"] - 2.0) < 0.05


def test_a_video_track_that_starts_after_its_audio_is_not_truncated(tmp_path):
    """Matroska, audio from 0 s, video from 10 s: 50 frames, none of them missing."""
    result = scan(write_late_video(tmp_path / "late.mkv")).to_dict()
    assert result["video"]["frames"] == 50
    assert result["video"]["missing_frames"] == 0 and result["video"]["gaps"] == []
    assert "warning.truncated" not in codes(result) and "warning.gaps" not in codes(result), result["warnings"]


def test_a_clip_followed_by_a_gigabyte_of_zeros_stops_reading_soon_after_its_last_frame(tmp_path):
    """A sparse file: 20 frames of Matroska, then 1 GiB of zeros that FFmpeg would search to the end."""
    padded = write_zero_padded_mkv(tmp_path / "padded.mkv", zeros=2**30)
    started = time.perf_counter()
    result = scan(padded).to_dict()
    elapsed = time.perf_counter() - started
    assert result["video"]["frames"] == 20
    (warning,) = [w for w in result["warnings"] if w["code"] == "warning.unreadable_tail"]
    assert warning["at"] < 256 * 2**20  # stopped a bounded run past the clip, not at the end of the gigabyte
    assert "the rest of the file was not read" in Message.from_dict(warning).text()
    assert "文件其余部分未读取" in Message.from_dict(warning).text("zh")
    assert elapsed < 20, elapsed  # only a hang fails here: `at` above is what bounds the reading


def test_b_frames_in_avi_step_back_without_restarting_the_clock(tmp_path):
    """AVI has no presentation times: a B-frame stream's frame times step back by a frame or two
    (the decoder's reordering). That is not a restart: no warning, and 90 frames at 30 fps last 3 s
    (counting each step back as a restart stretched them to 6.6 s)."""
    from blurscan.testing.synthetic import scene_frames, write_video

    write_video(tmp_path / "bframes.avi", scene_frames(90, 96, 64, seed=3), fps=30)
    result = scan(tmp_path / "bframes.avi").to_dict()
    assert "warning.discontinuity" not in codes(result), result["warnings"]
    assert abs(result["video"]["duration_s"] - 3.0) < 0.1, result["video"]
