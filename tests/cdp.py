"""A minimal headless-Chromium driver over the DevTools protocol (websocket-client), for testing
self-contained HTML pages: open a file, type into fields, click, read values, catch downloads."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def find_browser() -> str | None:
    """The first Chromium-like browser on PATH."""
    return next((shutil.which(name) for name in BROWSERS if shutil.which(name)), None)


def problem() -> str | None:
    """Why the browser tests cannot run here (``None`` when they can)."""
    if find_browser() is None:
        return "no Chromium on PATH (CI installs it: apt-get install chromium chromium-driver)"
    try:
        import websocket  # noqa: F401
    except ImportError:
        return "websocket-client is not installed"
    return None


def _wait(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise TimeoutError(f"gave up waiting for {what} after {timeout:g} s")


class Browser:
    """One headless Chromium with one page; use as a context manager."""

    def __init__(self, downloads: Path):
        self.profile = Path(tempfile.mkdtemp(prefix="labkit-chromium-"))
        self.downloads = downloads
        self.process = subprocess.Popen(
            [
                find_browser(),
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
                "--remote-debugging-port=0",
                f"--user-data-dir={self.profile}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = self.profile / "DevToolsActivePort"
        lines = _wait(lambda: port_file.exists() and port_file.read_text().split(), 30, "Chromium to start")
        self.port, browser_path = lines[0], lines[1]
        self._next = 0
        import websocket

        self.browser = websocket.create_connection(f"ws://127.0.0.1:{self.port}{browser_path}", timeout=30)
        targets = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{self.port}/json/list", timeout=10).read())
        page = next(t for t in targets if t["type"] == "page")
        self.page = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30)
        self.call("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(downloads)}, self.browser)

    def call(self, method: str, params: dict | None = None, socket=None) -> dict:
        """Send one DevTools command and return its result (events in between are skipped)."""
        socket = socket or self.page
        self._next += 1
        socket.send(json.dumps({"id": self._next, "method": method, "params": params or {}}))
        while True:
            message = json.loads(socket.recv())
            if message.get("id") == self._next:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def js(self, expression: str):
        """Evaluate ``expression`` in the page and return its (JSON) value."""
        result = self.call("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        self.call("Page.navigate", {"url": url})
        _wait(lambda: self.js("document.readyState") == "complete", 30, f"{url} to load")

    def reload(self) -> None:
        self.call("Page.reload")
        _wait(lambda: self.js("document.readyState") == "complete", 30, "the page to reload")

    def type_into(self, selector: str, text: str) -> None:
        """Focus the element and type ``text`` as keyboard input (fires real input events)."""
        self.js(f"document.querySelector({json.dumps(selector)}).focus()")
        self.call("Input.insertText", {"text": text})

    def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element."""
        box = self.js(
            f"(function(){{var r=document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            "return [r.left + r.width / 2, r.top + r.height / 2];})()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            self.call(
                "Input.dispatchMouseEvent", {"type": kind, "x": box[0], "y": box[1], "button": "left", "clickCount": 1}
            )

    def download(self, name: str, timeout: float = 20) -> Path:
        path = self.downloads / name
        return _wait(lambda: path if path.exists() and path.stat().st_size else None, timeout, f"download {name}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for socket in (getattr(self, "page", None), getattr(self, "browser", None)):
            if socket is not None:
                socket.close()
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
        shutil.rmtree(self.profile, ignore_errors=True)
