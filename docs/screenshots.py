"""Screenshots of the demo for the README: the article page and a busy thread, on a desktop and on a phone.

    .venv/bin/python docs/screenshots.py                 # the demo `make serve` runs at http://127.0.0.1:5000
    .venv/bin/python docs/screenshots.py --url URL       # another running site
    .venv/bin/python docs/screenshots.py --start-demo    # start the demo itself on a temporary SQLite database

The PNGs go to docs/screenshots/. The browser is Debian's Chromium, as in the browser tests.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
DEMO_ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
DEMO_DISCUSSION = ROOT / "demo" / "discussion.toml"
CHROMIUM = os.environ.get("FORUM_TEST_CHROMIUM", "/usr/bin/chromium")
# The phone is an iPhone-sized 390px; the desktop a common laptop width.
WIDTHS = {"desktop": 1280, "phone": 390}
# The article runs to many screens: the first of them show its header, verdict map and opening paragraphs.
ARTICLE_HEIGHT = {"desktop": 1500, "phone": 2400}
# A full thread page past this height would make a PNG too heavy for a README; it is cut there.
MAX_THREAD_HEIGHT = 6000


def flask(*args: str, env: dict[str, str], stdin: str | None = None) -> str:
    """Run `flask --app wsgi ARGS` in the project, as the Makefile does, and return its output."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", *args]
    return subprocess.run(
        command, cwd=ROOT, env=env, input=stdin, check=True, capture_output=True, text=True
    ).stdout


def free_port() -> int:
    """A port of 127.0.0.1 that nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(url: str, server: subprocess.Popen, timeout: float = 30) -> None:
    """Wait until the site answers, or fail if its process dies or it never does."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit(f"the demo server stopped with status {server.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise SystemExit(f"the demo server did not answer at {url} within {timeout:.0f}s")


@contextmanager
def demo_server() -> Iterator[str]:
    """The Makefile's demo (schema, imported article, its discussion) on a temporary SQLite file; yields its URL."""
    with tempfile.TemporaryDirectory(prefix="forum-demo-") as folder:
        env = {
            **os.environ,
            "DATABASE_URL": f"sqlite:///{Path(folder) / 'demo.sqlite3'}",
            # The secret key made for the run stays in the temporary folder, not in the project's instance/.
            "FORUM_INSTANCE_PATH": folder,
        }
        flask("forum", "db", "upgrade", env=env)
        imported = json.loads(flask("forum", "import", str(DEMO_ARTICLE), "--json", env=env))
        flask(
            "forum", "load-discussion", str(imported["id"]), str(DEMO_DISCUSSION),
            env=env, stdin="demo password\n",
        )
        port = free_port()
        server = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "run", "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            wait_until_up(url + "/", server)
            yield url
        finally:
            server.terminate()
            server.wait(timeout=10)


def get_json(url: str) -> dict:
    """A JSON answer of the site's API."""
    with urllib.request.urlopen(url, timeout=10) as answer:
        return json.load(answer)


def pick_pages(base: str) -> tuple[int, int]:
    """The demo article (else the first article) and its busiest thread: a verdict, then arguments and sources."""
    listed = get_json(f"{base}/api/v1/articles")["articles"]
    if not listed:
        raise SystemExit(f"{base} has no article: import one first (make serve does)")
    title = DEMO_ARTICLE.read_text(encoding="utf-8").splitlines()[0].strip()
    article = next((a for a in listed if a["title"] == title), listed[0])
    blocks = get_json(f"{base}/api/v1/articles/{article['id']}")["blocks"]

    def busy(block: dict) -> tuple[bool, int]:
        """How much a thread shows: a verdict first, then its arguments and sources."""
        thread = block["thread"]
        return thread["consensus"]["status"] != "open", thread["arguments"] + thread["sources"]

    threads = [b for b in blocks if b["kind"] == "paragraph" and b.get("thread")]
    return article["id"], max(threads, key=busy)["id"]


def shoot(page: Page, url: str, path: Path, width: int, height: int | None) -> None:
    """Save `url` at `width` pixels: the first `height` pixels, or the whole page (up to a limit) when None."""
    page.set_viewport_size({"width": width, "height": height or 900})
    page.goto(url)
    page.wait_for_load_state("networkidle")
    if height is None:
        full = page.evaluate("document.documentElement.scrollHeight")
        page.screenshot(path=path, full_page=True, clip={
            "x": 0, "y": 0, "width": width, "height": min(full, MAX_THREAD_HEIGHT),
        })
    else:
        page.screenshot(path=path)
    print(f"{os.path.relpath(path)}: {path.stat().st_size // 1024} KB")


def take_screenshots(base: str, out: Path) -> None:
    """The article page and its busiest thread, at each width, into `out`."""
    article_id, block_id = pick_pages(base)
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        try:
            page = browser.new_page()
            for name, width in WIDTHS.items():
                shoot(page, f"{base}/articles/{article_id}", out / f"article-{name}.png", width, ARTICLE_HEIGHT[name])
                shoot(page, f"{base}/blocks/{block_id}", out / f"thread-{name}.png", width, None)
        finally:
            browser.close()


def main() -> None:
    """Read the command line, start the demo if asked, and take the screenshots."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5000", help="a running site (default: %(default)s)")
    parser.add_argument("--start-demo", action="store_true", help="start the demo on a temporary database instead")
    parser.add_argument("--out", type=Path, default=OUT, help="where the PNGs go (default: docs/screenshots)")
    options = parser.parse_args()
    if options.start_demo:
        with demo_server() as url:
            take_screenshots(url, options.out.resolve())
    else:
        take_screenshots(options.url.rstrip("/"), options.out.resolve())


if __name__ == "__main__":
    main()
