"""Screenshots of the site for the README: the search page, a profile and its print view, on a desktop
(1366 px) and a phone (390 px), written to docs/screenshots/. `make screenshots` runs it.

It serves the configured database (DATABASE_URL, as `make run`: run `make db` first) with runserver on a
free port, drives Debian's chromium through Playwright (CHROMIUM_PATH, default /usr/bin/chromium) and
stops the server at the end.
"""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
PAGES = [
    ("search", "/en/"),
    ("profile", "/en/organisations/aimf/"),
    ("profile-print", "/fr/organisations/aimf/print/"),
]
SIZES = [("desktop", 1366, 900), ("phone", 390, 844)]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds=30):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    sys.exit(f"the server at {url} did not answer within {seconds} s")


def main():
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "PUBLIC_PAGE_CACHE": "0"}
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(base + "/healthz")
        OUT.mkdir(parents=True, exist_ok=True)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM)
            for size, width, height in SIZES:
                page = browser.new_page(viewport={"width": width, "height": height})
                for name, path in PAGES:
                    page.goto(base + path)
                    target = OUT / f"{name}-{size}.png"
                    page.screenshot(path=target)
                    print(target.relative_to(ROOT))
                page.close()
            browser.close()
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
