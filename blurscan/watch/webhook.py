"""Webhooks: each event POSTed as JSON by a background thread, retried with back-off, never blocking the watch.

The watch hands an event over and goes on at once. The sender posts events
in order; an endpoint that fails or is unreachable is retried after 1, 2, 4 ...
seconds (up to :data:`TRIES` tries an event), then the event is given up and
logged, and the next one is tried. A queue of :data:`QUEUE_EVENTS` bounds
memory while an endpoint is down: the oldest waiting event is let go first.
"""

from __future__ import annotations

import json
import logging
import queue
import threading
import time
import urllib.error
import urllib.request

from blurscan.errors import UsageError
from blurscan.messages import Message
from blurscan.watch.sources import redact

logger = logging.getLogger("blurscan")

TRIES = 5
#: first wait between tries and the longest one (seconds)
BACKOFF = (1.0, 30.0)
#: seconds one POST may take
POST_TIMEOUT_S = 5.0
QUEUE_EVENTS = 1000


def check_webhook(url: str) -> str:
    """``url`` if it is an http(s) URL, else a one-line :class:`UsageError`."""
    if not url.lower().startswith(("http://", "https://")):
        raise UsageError(f"--webhook must be an http:// or https:// URL, not {redact(url)}")
    return url


class WebhookSender:
    """POSTs events to ``url`` from a daemon thread; :meth:`send` never waits."""

    def __init__(self, url: str, *, tries: int = TRIES, backoff: tuple[float, float] = BACKOFF,
                 timeout: float = POST_TIMEOUT_S, lang: str = "en"):
        self.url = check_webhook(url)
        self.label = redact(url)
        self.tries, self.backoff, self.timeout, self.lang = tries, backoff, timeout, lang
        self.delivered = 0
        self.failed = 0
        self._queue: queue.Queue = queue.Queue(maxsize=QUEUE_EVENTS)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="blurscan-webhook", daemon=True)
        self._thread.start()

    def send(self, event: dict) -> None:
        body = json.dumps(event, ensure_ascii=False).encode("utf-8")
        while True:
            try:
                self._queue.put_nowait(body)
                return
            except queue.Full:
                try:
                    self._queue.get_nowait()  # the oldest waiting event makes room
                    self.failed += 1
                except queue.Empty:
                    pass

    def close(self, grace_s: float = 3.0) -> None:
        """Let the waiting events go out for up to ``grace_s`` seconds, then stop."""
        deadline = time.monotonic() + grace_s
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.05)
        self._stop.set()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                body = self._queue.get(timeout=0.2)
            except queue.Empty:
                continue
            try:
                self._deliver(body)
            finally:
                self._queue.task_done()

    def _deliver(self, body: bytes) -> None:
        wait = self.backoff[0]
        for attempt in range(1, self.tries + 1):
            reason = self._post(body)
            if reason is None:
                self.delivered += 1
                return
            if attempt == self.tries:
                break
            logger.warning(Message("watch.webhook_retry", {"url": self.label, "reason": reason, "attempt": attempt,
                                                           "wait_s": wait}).text(self.lang))
            if self._stop.wait(wait):
                break
            wait = min(self.backoff[1], wait * 2)
        self.failed += 1
        logger.warning(Message("watch.webhook_gave_up", {"url": self.label, "tries": self.tries}).text(self.lang))

    def _post(self, body: bytes) -> str | None:
        """None when the endpoint took the event, else why not."""
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json",
                                                  "User-Agent": "blurscan-watch"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310 - http(s) checked
                response.read(1024)
                return None
        except urllib.error.HTTPError as ex:
            return f"HTTP {ex.code}"
        except (urllib.error.URLError, OSError, ValueError) as ex:
            return str(getattr(ex, "reason", ex))
