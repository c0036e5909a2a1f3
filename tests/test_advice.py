"""Advice fits the blur found: a short burst is cut out with split, a long stretch may need re-recording."""

from __future__ import annotations

from blurscan import Scanner


def codes(result) -> list[str]:
    return [m.code for m in result.verdict.recommendations]


def test_a_short_burst_is_cut_not_re_recorded(burst_clip, long_blur_clip):
    with Scanner() as scanner:
        burst = scanner.scan(burst_clip.path)  # 5 frames of 90
        long = scanner.scan(long_blur_clip.path)  # 40 frames (1.3 s) of 150
    assert burst.events and "advice.short_bursts" in codes(burst)  # after the advice for its cause, if any
    assert "advice.severe.rerecord" not in codes(burst)
    (advice,) = [m for m in burst.verdict.recommendations if m.code == "advice.short_bursts"]
    assert "blurscan split" in advice.text("en") and "split" in advice.text("zh")
    assert long.events and "advice.short_bursts" not in codes(long)
