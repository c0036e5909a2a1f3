"""The workloads ``decoder_pace.py`` runs, one per fresh process (pinned to cores by ``taskset``).

``python benchmarks/_pace_workloads.py decode|scan|stages PATH`` prints one JSON line:

* ``decode`` - plain PyAV decoding, frame threads on (as blurscan decodes), no conversion: the pace to keep.
* ``scan`` - ``Scanner().scan(path)``, the default scan (what ``blurscan detect`` runs).
* ``stages`` - the same scan (with thumbnails) with each stage's CPU time counted on the thread that
  runs it (``time.thread_time``): conversion, scorer, motion, detail, thumbnails; ``overhead`` is the
  consuming thread's time outside them (windows, queues, the pass's bookkeeping); ``decode`` is FFmpeg's
  frame threads (read from ``/proc`` before the container closes), ``other threads`` the rest of the
  process's CPU: the Python decode thread that feeds the decoder, and the scaler's and OpenCV's workers.

The blurscan imported is the one on ``PYTHONPATH`` (this checkout, or an older one beside it).
"""

from __future__ import annotations

import functools
import json
import os
import sys
import threading
import time


def cpu_s() -> float:
    usage = os.times()
    return usage.user + usage.system


def peak_rss_mib() -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def decode(path: str) -> dict:
    import av

    started, cpu_started = time.perf_counter(), cpu_s()
    frames = 0
    with av.open(path) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        stream.codec_context.thread_count = 0
        for _ in container.decode(stream):
            frames += 1
    return _figures("decode", frames, started, cpu_started)


def _figures(name: str, frames: int, started: float, cpu_started: float, **extra) -> dict:
    seconds, cpu = time.perf_counter() - started, cpu_s() - cpu_started
    return {"workload": name, "frames": frames, "seconds": seconds, "frames_per_s": frames / seconds,
            "cpu_ms_per_frame": cpu / frames * 1000, "peak_rss_mib": peak_rss_mib(), **extra}


def scan(path: str) -> dict:
    import blurscan

    started, cpu_started = time.perf_counter(), cpu_s()
    with blurscan.Scanner() as scanner:
        result = scanner.scan(path)
    return _figures("scan", result.video.frames, started, cpu_started, scores=[round(s, 9) for s in result.scores],
                    segments=[(s.start_frame, s.end_frame) for s in result.segments])


class _Clock:
    """CPU seconds per stage, each counted on the thread that runs it."""

    def __init__(self):
        self.seconds: dict[str, float] = {}
        #: of which on the main (consuming) thread
        self.on_main = 0.0
        self.lock = threading.Lock()

    def wrap(self, owner, name: str, stage: str) -> None:
        original = getattr(owner, name)

        @functools.wraps(original)
        def timed(*args, **kwargs):
            start = time.thread_time()
            try:
                return original(*args, **kwargs)
            finally:
                spent = time.thread_time() - start
                with self.lock:
                    self.seconds[stage] = self.seconds.get(stage, 0.0) + spent
                    if threading.current_thread() is threading.main_thread():
                        self.on_main += spent

        setattr(owner, name, timed)


def thread_cpu_s() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by kind: ``ffmpeg`` (libavcodec's own threads, named
    ``av:...``), ``main`` and ``other`` (the decode thread, the scaler's and OpenCV's workers)."""
    main = threading.main_thread().native_id
    tick = os.sysconf("SC_CLK_TCK")
    out = {"ffmpeg": 0.0, "main": 0.0, "other": 0.0}
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/stat") as handle:
                stat = handle.read()
        except OSError:
            continue
        name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat[stat.rindex(")") + 2 :].split()
        kind = "main" if int(tid) == main else "ffmpeg" if name.startswith("av:") else "other"
        out[kind] += (int(fields[11]) + int(fields[12])) / tick
    return out


def stages(path: str) -> dict:
    import blurscan
    import blurscan.source.decode as decode_module
    from blurscan.scorers.sharpness import SharpnessScorer
    from blurscan.taps.detail import DetailTap
    from blurscan.taps.motion import MotionTap
    from blurscan.taps.thumbnails import ThumbnailTap

    clock = _Clock()
    try:  # every picture of a frame, the small grey ones shrunk from the scorer's (since issue 20)
        from blurscan.source.convert import Converter

        clock.wrap(Converter, "images", "conversion")
    except ImportError:  # an older blurscan: each picture from the full-size frame
        clock.wrap(decode_module, "convert", "conversion")
    for method in ("encode_frames", "score_windows"):
        clock.wrap(SharpnessScorer, method, "scorer")
    clock.wrap(MotionTap, "take", "motion")
    clock.wrap(DetailTap, "take", "detail")
    for method in ("take", "scored"):
        clock.wrap(ThumbnailTap, method, "thumbnails")
    # the threads' CPU read just before the container closes: FFmpeg's decoder threads end with it
    threads: dict[str, float] = {}
    close = decode_module.VideoSource.close

    def closing(self):
        if not threads and getattr(self, "_container", None) is not None:
            threads.update(thread_cpu_s())
        return close(self)

    decode_module.VideoSource.close = closing
    with blurscan.Scanner() as scanner:
        before = thread_cpu_s()
        started, cpu_started, main_started = time.perf_counter(), cpu_s(), time.thread_time()
        result = scanner.scan(path, thumbnails=True)
        main = time.thread_time() - main_started
    figures = _figures("stages", result.video.frames, started, cpu_started)
    frames = result.video.frames
    per_frame = {stage: seconds / frames * 1000 for stage, seconds in clock.seconds.items()}
    per_frame["overhead"] = (main - clock.on_main) / frames * 1000
    rest = figures["cpu_ms_per_frame"] - sum(per_frame.values())
    if threads:  # FFmpeg's own threads apart from the decode thread and the scaler's and OpenCV's workers
        per_frame["decode"] = (threads["ffmpeg"] - before["ffmpeg"]) / frames * 1000
        per_frame["other threads"] = rest - per_frame["decode"]
    else:
        per_frame["decode"] = rest
    figures["stage_ms_per_frame"] = per_frame
    return figures


if __name__ == "__main__":
    workload, path = sys.argv[1], sys.argv[2]
    print(json.dumps({"decode": decode, "scan": scan, "stages": stages}[workload](path)))
