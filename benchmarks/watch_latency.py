"""How soon after a blur ends its event comes out of ``blurscan watch`` on a real-time stream.

Usage::

    python benchmarks/watch_latency.py          # about 50 s

The test sender plays a camera over UDP on 127.0.0.1 (320x240, 10 fps, paced by the wall clock)
with a 2 s blur every 6 s; the real command watches it. For each event it takes the time the line
arrived on the watcher's standard output minus the event's ``end_time`` (when the first frame
after the blur arrived at the decoder), and prints each, the median and the largest. Writes
``benchmarks/results/watch_latency.json``.
"""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
BLURS = [(start, start + 2.0) for start in range(4, 40, 6)]


def main() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"udp://127.0.0.1:{port}"
    watcher = subprocess.Popen([sys.executable, "-m", "blurscan", "watch", url, "--status-every", "0",
                                "--timeout", "5", "--duration", "60"], stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    blur_args = [a for start, end in BLURS for a in ("--blur", f"{start}:{end}")]
    sender = subprocess.Popen([sys.executable, "-m", "blurscan.testing.stream_sender", "--to", url, "--seconds", "42",
                               "--realtime", *blur_args])
    latencies = []
    for line in watcher.stdout:
        arrived = time.time()
        event = json.loads(line)
        if event["type"] == "blur":
            ended = datetime.fromisoformat(event["end_time"].replace("Z", "+00:00")).timestamp()
            latencies.append(round(arrived - ended, 3))
            print(f"blur {event['start_s']:6.1f}-{event['end_s']:6.1f} s: out {arrived - ended:.2f} s after it ended")
        if len(latencies) == len(BLURS):
            break
    sender.wait()
    watcher.terminate()
    watcher.wait()
    report = {"blurs": len(BLURS), "events": len(latencies), "latency_s": latencies,
              "median_s": statistics.median(latencies) if latencies else None,
              "max_s": max(latencies) if latencies else None}
    print(f"{len(latencies)}/{len(BLURS)} events; latency median {report['median_s']} s, max {report['max_s']} s")
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "watch_latency.json").write_text(json.dumps(report, indent=1) + "\n")
    return 0 if len(latencies) == len(BLURS) else 1


if __name__ == "__main__":
    sys.exit(main())
