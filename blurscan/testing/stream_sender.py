"""A live-stream sender for tests and benchmarks: a synthetic scene as MPEG-TS, to a pipe or a UDP address.

There is no ffmpeg binary to play a camera's part, so this does: a panning
textured scene (:mod:`blurscan.testing.synthetic`) with Gaussian blur over
chosen stretches, encoded with H.264 (a key frame every second, so a
receiver that joins late or reconnects decodes within a second), written to
standard output or ``udp://127.0.0.1:PORT``. ``--realtime`` paces frames by
the wall clock as a camera does; ``--pause AT:FOR`` goes silent for a while
(the picture's clock stops with it, as when a camera's link drops).
Frames are rendered from one pre-drawn canvas and one blurred copy, so hours
of stream cost no memory and little CPU.

    python -m blurscan.testing.stream_sender --seconds 600 --fps 10 --blur 100:103 --blur 400:404 | blurscan watch -
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from blurscan.testing.synthetic import gaussian_blur, render_canvas

#: how many pixels the view pans a frame, and over how wide a canvas it goes back and forth
PAN_PX = 1
TRAVEL_PX = 64


@dataclass
class Plan:
    """What to send: ``seconds`` of ``width`` x ``height`` at ``fps``, blurred over ``blurs`` ((start_s, end_s)
    pairs), silent over ``pauses`` ((at_s, for_s) pairs, wall-clock)."""

    seconds: float
    fps: float = 10.0
    width: int = 320
    height: int = 240
    blurs: Sequence[tuple[float, float]] = field(default_factory=list)
    pauses: Sequence[tuple[float, float]] = field(default_factory=list)
    sigma: float = 4.0
    seed: int = 0

    def blurry(self, t: float) -> bool:
        return any(start <= t < end for start, end in self.blurs)


def frames(plan: Plan) -> Iterator[tuple[float, np.ndarray]]:
    """(stream time, RGB picture) of every frame of the plan."""
    canvas = render_canvas(plan.width + TRAVEL_PX, plan.height, plan.seed)
    soft = gaussian_blur(canvas, plan.sigma)
    total = int(round(plan.seconds * plan.fps))
    for i in range(total):
        t = i / plan.fps
        step = i * PAN_PX % (2 * TRAVEL_PX)
        x = step if step < TRAVEL_PX else 2 * TRAVEL_PX - step  # back and forth: no cut, never frozen
        source = soft if plan.blurry(t) else canvas
        yield t, np.ascontiguousarray(source[:, x : x + plan.width])


def send(plan: Plan, target: str = "-", *, realtime: bool = False, codec: str = "libx264") -> int:
    """Encode the plan to ``target`` (``-``: standard output, else a URL such as ``udp://127.0.0.1:PORT``)."""
    import av

    if target.startswith("udp:") and "?" not in target:
        target += "?pkt_size=1316"  # whole TS packets per datagram
    options = {"flush_packets": "1"}
    output = sys.stdout.buffer if target == "-" else target
    sent = 0
    with av.open(output, "w", format="mpegts", options=options) as container:
        stream = container.add_stream(codec, rate=Fraction(plan.fps).limit_denominator(1001))
        stream.width, stream.height, stream.pix_fmt = plan.width, plan.height, "yuv420p"
        rate_base = 1 / Fraction(plan.fps).limit_denominator(1001)
        gop = max(1, int(round(plan.fps)))
        if codec == "libx264":
            stream.options = {"preset": "ultrafast", "tune": "zerolatency", "crf": "23", "g": str(gop),
                              "keyint_min": str(gop)}
        else:
            stream.gop_size = gop
        started = time.monotonic()
        paused = 0.0
        pauses = sorted(plan.pauses)
        for t, picture in frames(plan):
            while pauses and t >= pauses[0][0]:
                time.sleep(pauses[0][1])
                paused += pauses.pop(0)[1]
            if realtime:
                delay = started + paused + t - time.monotonic()
                if delay > 0:
                    time.sleep(delay)
            frame = av.VideoFrame.from_ndarray(picture, format="rgb24")
            frame.pts = sent
            frame.time_base = rate_base
            for packet in stream.encode(frame):
                container.mux(packet)
            if target == "-":
                sys.stdout.buffer.flush()
            sent += 1
        for packet in stream.encode():
            container.mux(packet)
    return sent


def _pair(text: str) -> tuple[float, float]:
    a, b = text.split(":")
    return float(a), float(b)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--to", default="-", help="'-' (standard output) or udp://127.0.0.1:PORT")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--fps", type=float, default=10.0)
    parser.add_argument("--size", default="320x240")
    parser.add_argument("--blur", type=_pair, action="append", default=[], metavar="START:END",
                        help="seconds of stream time to blur (repeatable)")
    parser.add_argument("--pause", type=_pair, action="append", default=[], metavar="AT:FOR",
                        help="go silent at AT s of stream time for FOR s (repeatable)")
    parser.add_argument("--sigma", type=float, default=4.0)
    parser.add_argument("--realtime", action="store_true", help="pace frames by the wall clock")
    parser.add_argument("--codec", default="libx264")
    args = parser.parse_args(argv)
    width, height = (int(v) for v in args.size.split("x"))
    plan = Plan(args.seconds, args.fps, width, height, args.blur, args.pause, args.sigma)
    try:
        send(plan, args.to, realtime=args.realtime, codec=args.codec)
    except (BrokenPipeError, KeyboardInterrupt):
        return 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
