"""A tiny headless-Chromium driver over the DevTools protocol, standard library only.

The browser test and ``benchmarks/report_scale.py`` need to load report.html,
click, read the DOM and take screenshots; a WebSocket client of 60 lines
saves a dependency (selenium) and a driver binary. Chromium is started with
the flags of a locked-down CI machine and a throw-away profile.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.request
from urllib.parse import urlsplit

CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--no-first-run", "--disable-dev-shm-usage", "--hide-scrollbars")


def find_chromium() -> str | None:
    for name in CHROMIUM_NAMES:
        path = shutil.which(name)
        if path:
            return path
    return None


class _WebSocket:
    """Text frames over a plain TCP socket (RFC 6455, client side: frames masked)."""

    def __init__(self, url: str, timeout: float):
        parts = urlsplit(url)
        self.sock = socket.create_connection((parts.hostname, parts.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall(
            f"GET {parts.path} HTTP/1.1\r\nHost: {parts.hostname}:{parts.port}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n".encode()
        )
        head = b""
        while b"\r\n\r\n" not in head:
            chunk = self.sock.recv(4096)
            if not chunk:
                raise ConnectionError("DevTools closed the connection during the handshake")
            head += chunk
        if b" 101 " not in head.split(b"\r\n", 1)[0]:
            raise ConnectionError(f"DevTools refused the WebSocket: {head[:200]!r}")
        self._buffer = head.split(b"\r\n\r\n", 1)[1]

    def _exact(self, n: int) -> bytes:
        while len(self._buffer) < n:
            chunk = self.sock.recv(max(65536, n - len(self._buffer)))
            if not chunk:
                raise ConnectionError("DevTools closed the connection")
            self._buffer += chunk
        data, self._buffer = self._buffer[:n], self._buffer[n:]
        return data

    def send(self, text: str, opcode: int = 0x1) -> None:
        payload = text.encode()
        n = len(payload)
        head = bytes([0x80 | opcode])
        head += bytes([0x80 | n]) if n < 126 else bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536 else \
            bytes([0x80 | 127]) + struct.pack(">Q", n)
        mask = os.urandom(4)
        masked = (int.from_bytes(payload, "big") ^ int.from_bytes((mask * (n // 4 + 1))[:n], "big")).to_bytes(n, "big") if n else b""
        self.sock.sendall(head + mask + masked)

    def recv(self) -> str:
        message = b""
        while True:
            first, second = self._exact(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            payload = self._exact(n)
            opcode = first & 0x0F
            if opcode == 0x9:  # ping
                self.send(payload.decode(errors="replace"), 0xA)
                continue
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the WebSocket")
            message += payload
            if first & 0x80:
                return message.decode()

    def close(self) -> None:
        self.sock.close()


class Chromium:
    """``with Chromium() as browser: page = browser.page(); page.goto(url); page.js("...")``."""

    def __init__(self, executable: str | None = None, timeout: float = 60.0):
        self.executable = executable or find_chromium()
        if not self.executable:
            raise FileNotFoundError("no Chromium found (" + ", ".join(CHROMIUM_NAMES) + ")")
        self.timeout = timeout
        self._profile = tempfile.TemporaryDirectory(prefix="blurscan-chromium-")
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.proc = subprocess.Popen(
            [self.executable, *FLAGS, f"--remote-debugging-port={port}", f"--user-data-dir={self._profile.name}",
             "about:blank"],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        self._ws = None
        self._id = 0
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/version", timeout=2) as reply:
                        url = json.load(reply)["webSocketDebuggerUrl"]
                    break
                except OSError:
                    if self.proc.poll() is not None or time.monotonic() > deadline:
                        raise RuntimeError(f"Chromium did not start (exit code {self.proc.poll()})") from None
                    time.sleep(0.1)
            self._ws = _WebSocket(url, timeout)
        except BaseException:
            self.close()
            raise

    def call(self, method: str, session: str | None = None, **params):
        self._id += 1
        message = {"id": self._id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._ws.send(json.dumps(message))
        while True:
            reply = json.loads(self._ws.recv())
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise RuntimeError(f"{method}: {reply['error']}")
                return reply.get("result", {})

    def page(self, width: int = 1280, height: int = 900) -> Page:
        target = self.call("Target.createTarget", url="about:blank")["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        self.call("Emulation.setDeviceMetricsOverride", session, width=width, height=height, deviceScaleFactor=1, mobile=False)
        return page

    def close(self) -> None:
        if self._ws is not None:
            try:
                self.call("Browser.close")
            except (OSError, RuntimeError, ValueError):
                pass
            self._ws.close()
            self._ws = None
        if self.proc.poll() is None:
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._profile.cleanup()

    def __enter__(self) -> Chromium:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class Page:
    def __init__(self, browser: Chromium, session: str):
        self.browser, self.session = browser, session

    def js(self, expression: str):
        """The value of a JavaScript expression (promises awaited); a thrown error raises RuntimeError."""
        reply = self.browser.call("Runtime.evaluate", self.session, expression=expression, awaitPromise=True,
                                  returnByValue=True)
        if "exceptionDetails" in reply:
            raise RuntimeError(f"JavaScript error: {reply['exceptionDetails']}")
        return reply.get("result", {}).get("value")

    def goto(self, url: str, ready: str = "document.readyState === 'complete'", timeout: float = 60.0) -> float:
        """Load ``url`` and wait until ``ready`` is true; returns the seconds it took, as measured here."""
        start = time.perf_counter()
        self.browser.call("Page.navigate", self.session, url=url)
        deadline = time.monotonic() + timeout
        while not self.js(f"!!(location.href !== 'about:blank' && ({ready}))"):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} not ready after {timeout} s")
            time.sleep(0.01)
        return time.perf_counter() - start

    def screenshot(self, path: str | os.PathLike, full_page: bool = False) -> None:
        params = {"format": "png"}
        if full_page:
            params["captureBeyondViewport"] = True
        data = self.browser.call("Page.captureScreenshot", self.session, **params)["data"]
        with open(path, "wb") as handle:
            handle.write(base64.b64decode(data))


#: report.html sets this once its rows are drawn
READY = "document.body && document.body.dataset.ready === '1'"
#: the relative paths of the report's rows, in the order shown
PATHS = "[...document.querySelectorAll('#videos tbody tr:not(.detail) .path')].map(e => e.textContent)"


def set_value(page, selector: str, value: str, event: str) -> None:
    """Set a form field of the page and fire ``event`` on it, as a user's typing or choosing would."""
    page.js(f"(() => {{const e = document.querySelector({json.dumps(selector)}); e.value = {json.dumps(value)};"
            f" e.dispatchEvent(new Event({json.dumps(event)})); }})()")

