"""Soak: a day of live stream through ``blurscan watch -``; memory flat, events exactly the injected ones.

Usage::

    nice -n 10 python benchmarks/watch_soak.py              # 24 h of stream time, about 15 min on 2 cores
    python benchmarks/watch_soak.py --hours 1               # a quick look

The test sender (:mod:`blurscan.testing.stream_sender`) plays a camera at 64x48, 2 fps, as fast as
it can encode (faster than real time), through a pipe into the real command. Injected: a 3 s blur
at half past every hour, and a 90 s soft stretch (the same blur, lasting) at 06:00 and 18:00. The
watcher prints a status line five times a second; the first after each 10 minutes of stream time
gives that mark's RSS (read with psutil from the watcher's process). It prints the table, the
growth from the first hour to the last mark, and whether the events are exactly the injected ones
(blur: start within a second; soft: ``begun`` and ``ended`` each). Writes
``benchmarks/results/watch_soak.json`` and ``.log``.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
FPS = 2.0
SIZE = "64x48"
BLUR_S = 3.0
SOFT_S = 90.0
MARK_S = 600.0
_STATUS = re.compile(r" (\d+) s watched")


def injected(hours: float) -> tuple[list[tuple[float, float]], list[tuple[str, float]]]:
    """The blur stretches to send, and the events they must give (type, start)."""
    stretches, expected = [], []
    for hour in range(int(hours)):
        start = hour * 3600 + 1800
        stretches.append((start, start + BLUR_S))
        expected.append(("blur", start))
    for at_h in (6, 18):
        if at_h < hours:
            start = at_h * 3600.0
            stretches.append((start, start + SOFT_S))
            expected += [("soft", start), ("soft", start)]
    return sorted(stretches), sorted(expected, key=lambda e: e[1])


def main() -> int:
    import psutil

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hours", type=float, default=24.0)
    args = parser.parse_args()
    seconds = args.hours * 3600
    stretches, expected = injected(args.hours)
    blur_args = [a for start, end in stretches for a in ("--blur", f"{start}:{end}")]
    started = time.monotonic()
    sender = subprocess.Popen([sys.executable, "-m", "blurscan.testing.stream_sender", "--seconds", str(seconds),
                               "--fps", str(FPS), "--size", SIZE, *blur_args], stdout=subprocess.PIPE)
    watcher = subprocess.Popen([sys.executable, "-m", "blurscan", "watch", "-", "--status-every", "0.2"],
                               stdin=sender.stdout, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    sender.stdout.close()
    process = psutil.Process(watcher.pid)
    marks: list[dict] = []
    last_lines: list[str] = []

    def read_status() -> None:
        next_mark = MARK_S
        for line in watcher.stderr:
            last_lines[:] = [*last_lines[-4:], line.rstrip()]
            found = _STATUS.search(line)
            if found and float(found.group(1)) >= next_mark:
                try:
                    rss = process.memory_info().rss / 2**20
                except psutil.NoSuchProcess:
                    break
                marks.append({"stream_h": round(float(found.group(1)) / 3600, 3), "rss_mb": round(rss, 1),
                              "wall_s": round(time.monotonic() - started, 1)})
                next_mark = (float(found.group(1)) // MARK_S + 1) * MARK_S

    reader = threading.Thread(target=read_status, daemon=True)
    reader.start()
    events = [json.loads(line) for line in watcher.stdout]
    watcher.wait()
    sender.wait()
    reader.join(5)
    wall = time.monotonic() - started

    found = sorted(((e["type"], e["start_s"]) for e in events), key=lambda e: e[1])
    exact = len(found) == len(expected) and all(
        kind == want_kind and abs(start - want_start) <= 1.0 for (kind, start), (want_kind, want_start) in zip(found, expected))
    soft_states = [e.get("state") for e in events if e["type"] == "soft"]
    first_hour = [m["rss_mb"] for m in marks if m["stream_h"] <= 1.0] or [marks[0]["rss_mb"]]
    rss = [m["rss_mb"] for m in marks]
    report = {
        "stream_hours": args.hours, "fps": FPS, "size": SIZE, "frames": int(seconds * FPS), "wall_s": round(wall, 1),
        "stream_x_realtime": round(seconds / wall, 1),
        "rss_mb": {"first_hour_max": max(first_hour), "min": min(rss), "max": max(rss), "last": rss[-1],
                   "growth_after_first_hour_mb": round(max(rss) - max(first_hour), 1)},
        "events": {"expected": len(expected), "found": len(found), "exactly_the_injected": exact,
                   "soft_states": soft_states},
        "marks": marks,
        "watcher_exit": watcher.returncode, "last_status": last_lines[-2:],
    }
    lines = [f"{args.hours:g} h of stream ({report['frames']:,} frames at {SIZE}, {FPS:g} fps) in {wall:.0f} s "
             f"({report['stream_x_realtime']:g}x real time)",
             "stream h  RSS MiB"]
    lines += [f"{m['stream_h']:8.2f}  {m['rss_mb']:7.1f}" for m in marks[:: max(1, len(marks) // 24)]]
    lines += [f"RSS: first hour max {max(first_hour):.1f} MiB, all marks {min(rss):.1f}-{max(rss):.1f} MiB, "
              f"growth after the first hour {report['rss_mb']['growth_after_first_hour_mb']:+.1f} MiB",
              f"events: {len(found)} found, {len(expected)} injected, exactly the injected ones: {exact}"]
    text = "\n".join(lines)
    print(text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "watch_soak.json").write_text(json.dumps(report, indent=1) + "\n")
    (RESULTS / "watch_soak.log").write_text(text + "\n")
    return 0 if exact and watcher.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
