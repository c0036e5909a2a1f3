"""``blurscan watch`` end to end: real streams (MPEG-TS from the test sender) through a pipe and UDP on 127.0.0.1.

The sender (:mod:`blurscan.testing.stream_sender`) plays the camera: a panning scene at 320x240,
10 fps, with Gaussian blur over chosen seconds, faster than real time through a pipe or paced by
the wall clock over UDP. The watcher is the real command in its own process.
"""

from __future__ import annotations

import http.server
import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

WATCH = [sys.executable, "-m", "blurscan", "watch"]
SENDER = [sys.executable, "-m", "blurscan.testing.stream_sender"]


def _sender(*args: str, stdout=subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen([*SENDER, *args], stdout=stdout, stderr=subprocess.DEVNULL)


def _piped(seconds: float, blurs: list[tuple[float, float]], *watch_args: str, timeout: float = 120) -> tuple[list[dict], str]:
    """Events and standard error of ``sender | blurscan watch -``, faster than real time."""
    blur_args = [a for start, end in blurs for a in ("--blur", f"{start}:{end}")]
    sender = _sender("--seconds", str(seconds), *blur_args, stdout=subprocess.PIPE)
    watcher = subprocess.run([*WATCH, "-", *watch_args], stdin=sender.stdout, capture_output=True, text=True,
                             timeout=timeout)
    sender.stdout.close()
    sender.wait(10)
    assert watcher.returncode == 0, watcher.stderr
    return [json.loads(line) for line in watcher.stdout.splitlines()], watcher.stderr


def _peak_rss(stderr: str) -> float:
    return float(re.search(r"peak RSS (\d+) MiB", stderr).group(1))


def _free_port(kind=socket.SOCK_DGRAM) -> int:
    with socket.socket(socket.AF_INET, kind) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Lines:
    """A process's standard output read line by line in a thread, each line with the time it arrived."""

    def __init__(self, process: subprocess.Popen):
        self.items: list[tuple[float, dict]] = []
        self._thread = threading.Thread(target=self._read, args=(process,), daemon=True)
        self._thread.start()

    def _read(self, process):
        for line in process.stdout:
            self.items.append((time.time(), json.loads(line)))

    def join(self):
        self._thread.join(10)
        return self.items


def _iso(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


# -- through a pipe ---------------------------------------------------------


def test_pipe_gives_each_blur_once_and_a_lasting_one_as_soft_with_times_file_and_snapshots(tmp_path):
    events_file = tmp_path / "events.jsonl"
    snaps = tmp_path / "snaps"
    events, stderr = _piped(60, [(10, 13), (20, 35), (45, 47)], "--events", str(events_file), "--snapshots",
                            str(snaps), "--status-every", "0")
    assert [(e["type"], e.get("state")) for e in events] == [("blur", None), ("soft", "begun"), ("soft", "ended"),
                                                             ("blur", None)]
    for event, (start, end) in zip(events, [(10, 13), (20, None), (20, 35), (45, 47)]):
        assert abs(event["start_s"] - start) <= 0.2
        assert event["end_s"] is None if end is None else abs(event["end_s"] - end) <= 0.2
        assert event["severity"] in ("moderate", "severe") and 0 <= event["min_score"] < 0.5
        assert event["source"] == "-" and event["start_time"].endswith("Z")
        # a blur's cause as a scan reads it (the sender blurs with a Gaussian: defocus); a soft stretch has none
        assert event.get("cause") == ("defocus" if event["type"] == "blur" else None), event
        assert (event["type"] == "blur") == ("cause_confidence" in event and "blur_px" in event)
        snapshot = Path(event["snapshot"])
        assert snapshot.parent == snaps and snapshot.read_bytes()[:2] == b"\xff\xd8"  # a JPEG
    assert len({e["snapshot"] for e in events}) == 4
    assert [json.loads(line) for line in events_file.read_text().splitlines()] == events
    assert "stopped after 60 s of stream, 4 events" in stderr


@pytest.mark.slow
def test_ten_minutes_of_pipe_give_exactly_the_two_blurs_in_the_memory_of_one_minute():
    """10 min at 320x240, 10 fps (6,000 frames), two blur stretches; peak RSS against a 1-minute stream."""
    one_minute, stderr_short = _piped(60, [(20, 23), (40, 43)], "--status-every", "0")
    ten_minutes, stderr_long = _piped(600, [(200, 203), (400, 403)], "--status-every", "0")
    assert [(e["type"], round(e["start_s"]), round(e["end_s"])) for e in ten_minutes] == \
        [("blur", 200, 203), ("blur", 400, 403)]
    assert len(one_minute) == 2
    assert _peak_rss(stderr_long) <= 1.15 * _peak_rss(stderr_short), (stderr_short, stderr_long)


def test_webhook_receives_every_event(tmp_path):
    received: list[dict] = []

    class Hook(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        events, _ = _piped(40, [(10, 12), (25, 28)], "--webhook", f"http://127.0.0.1:{server.server_port}/hook",
                           "--status-every", "0")
    finally:
        server.shutdown()
    assert len(events) == 2 and received == events


def test_a_dead_webhook_is_logged_and_does_not_stop_the_watch():
    dead = f"http://127.0.0.1:{_free_port(socket.SOCK_STREAM)}/hook"  # nothing listens there
    started = time.monotonic()
    events, stderr = _piped(40, [(10, 12), (25, 28)], "--webhook", dead, "--status-every", "0")
    assert [e["type"] for e in events] == ["blur", "blur"]
    assert "webhook http://127.0.0.1" in stderr and "trying again" in stderr
    assert time.monotonic() - started < 30  # at the end it waits a few seconds for the webhook, not for ever


def test_refusals_are_one_line_and_a_password_is_never_shown(tmp_path):
    from typer.testing import CliRunner

    from blurscan._cli import app

    for argv, words in [
        ([str(tmp_path / "clip.mp4")], "not a live source"),
        (["file:///etc/passwd"], "not file://"),
        (["-", "-"], "watched once"),
        (["-", "--webhook", "ftp://x"], "--webhook must be"),
        (["rtsp://admin:hunter2@cam/live", "--webhook", "ftp://x"], "--webhook must be"),
    ]:
        result = CliRunner().invoke(app, ["watch", *argv], catch_exceptions=False)
        lines = [line for line in result.stderr.splitlines() if line.strip()]
        assert result.exit_code == 2 and len(lines) == 1 and words in lines[0], result.stderr
        assert "hunter2" not in result.stderr
    proc = subprocess.run([*WATCH, "-"], input=b"not a video at all" * 100, capture_output=True, timeout=60)
    assert proc.returncode == 1 and b"cannot be read as a video stream" in proc.stderr
    link = tmp_path / "events.jsonl"
    link.symlink_to(tmp_path / "elsewhere")
    proc = subprocess.run([*WATCH, "-", "--events", str(link)], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)
    assert proc.returncode == 1 and not (tmp_path / "elsewhere").exists()
    # a camera that does not answer: signal lost, reconnecting; its password appears nowhere
    url = f"rtsp://admin:hunter2@127.0.0.1:{_free_port(socket.SOCK_STREAM)}/live"
    proc = subprocess.run([*WATCH, url, "--timeout", "0.5", "--duration", "2", "--status-every", "1", "-v"],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "hunter2" not in proc.stdout + proc.stderr
    events = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [e["type"] for e in events] == ["signal_lost"]
    assert events[0]["source"] == url.replace("hunter2", "***")


def test_sigterm_stops_cleanly_with_a_last_status_line():
    sender = _sender("--seconds", "60", "--realtime", stdout=subprocess.PIPE)
    watcher = subprocess.Popen([*WATCH, "-", "--status-every", "0.5"], stdin=sender.stdout, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    sender.stdout.close()
    lines: list[str] = []
    try:
        for line in watcher.stderr:  # running, and a second of stream watched: then the signal
            lines.append(line)
            if re.search(r"[1-9]\d* s watched", line):
                break
        watcher.send_signal(signal.SIGTERM)
        _, rest = watcher.communicate(timeout=20)
    finally:
        sender.kill()
        sender.wait()
    stderr = "".join(lines) + rest
    assert watcher.returncode == 0, stderr
    assert re.search(r"-: \d+\.\d fps, lag \d+\.\d s, dropped \d+, RSS \d+ MiB", stderr)
    assert re.search(r"stopped after [1-9]\d* s of stream", stderr.strip().splitlines()[-1])


# -- over UDP, in real time ---------------------------------------------------------


@pytest.mark.slow
def test_udp_stream_events_come_within_3_s_and_the_watch_survives_a_silence():
    """Real time over UDP: a blur, the sender silent for 4 s, another blur; --timeout 2. About 20 s."""
    port = _free_port()
    url = f"udp://127.0.0.1:{port}"
    watcher = subprocess.Popen([*WATCH, url, "--timeout", "2", "--duration", "40", "--status-every", "0"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    lines = Lines(watcher)
    time.sleep(1.5)  # the watcher listens
    sender = _sender("--to", url, "--seconds", "11", "--realtime", "--blur", "2:4", "--pause", "5:4",
                     "--blur", "7:9")
    sender.wait(40)
    time.sleep(2.5)
    watcher.send_signal(signal.SIGTERM)
    _, stderr = watcher.communicate(timeout=30)
    events = lines.join()
    assert watcher.returncode == 0, stderr
    if [e["type"] for _, e in events[:2]] == ["signal_lost", "signal_back"] and events[0][1]["start_s"] == 0:
        events = events[2:]  # the sender started after the timeout: no signal yet is a lost signal too
    kinds = [e["type"] for _, e in events]
    assert kinds[:4] == ["blur", "signal_lost", "signal_back", "blur"], (kinds, stderr)
    for arrived, event in events:
        if event["type"] == "blur":
            assert 1.5 <= event["duration_s"] <= 2.5
            assert arrived - _iso(event["end_time"]) < 3.0, "reported under 3 s after the blur ended"
    lost, back = events[1][1], events[2][1]
    assert back["end_s"] - back["start_s"] >= 3.0  # the silence is on the watch's timeline
    assert lost["start_s"] == pytest.approx(back["start_s"])


@pytest.mark.slow
def test_several_sources_each_in_its_own_process_events_tagged(tmp_path):
    ports = [_free_port(), _free_port()]
    urls = [f"udp://127.0.0.1:{p}" for p in ports]
    events_file = tmp_path / "events.jsonl"
    listed = tmp_path / "cameras.txt"
    listed.write_text(f"# the second camera\n{urls[1]}\n")
    watcher = subprocess.Popen([*WATCH, urls[0], "--list", str(listed), "--events", str(events_file), "--status-every", "0",
                                "--duration", "11", "--timeout", "3"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(2.5)
    senders = [_sender("--to", urls[0], "--seconds", "6", "--realtime", "--blur", "2:4"),
               _sender("--to", urls[1], "--seconds", "6", "--realtime", "--blur", "3:5", "--size", "160x120")]
    for sender in senders:
        sender.wait(30)
    out, stderr = watcher.communicate(timeout=40)
    assert watcher.returncode == 0, stderr
    events = [json.loads(line) for line in out.splitlines()]
    blurs = sorted((e["source"], round(e["start_s"])) for e in events if e["type"] == "blur")
    assert [source for source, _ in blurs] == sorted(urls)
    assert [json.loads(line) for line in events_file.read_text().splitlines()] == events
    assert os.path.getsize(events_file) > 0


def test_webhook_retries_a_failing_endpoint_until_it_takes_each_event_in_order():
    """An endpoint that fails its first two requests (HTTP 503) still gets every event, once, in order."""
    from blurscan.watch.webhook import WebhookSender

    received: list[dict] = []
    calls = []

    class Flaky(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            calls.append(body)
            if len(calls) <= 2:
                self.send_response(503)
            else:
                received.append(body)
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        sender = WebhookSender(f"http://127.0.0.1:{server.server_port}/", backoff=(0.05, 0.2))
        started = time.monotonic()
        for n in range(3):
            sender.send({"type": "blur", "n": n})
        assert time.monotonic() - started < 0.1, "send never waits"
        sender.close(grace_s=10)
    finally:
        server.shutdown()
    assert [e["n"] for e in received] == [0, 1, 2] and len(calls) == 5
    assert sender.delivered == 3 and sender.failed == 0
