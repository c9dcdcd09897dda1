"""Browser tests: the standalone site served for real on 127.0.0.1, driven by Chromium through Playwright.

The browser is the system's Chromium (Playwright's own download is not used). Without it the browser
tests are skipped, or fail under CI=true, where a missing browser must not pass unnoticed.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask, got_request_exception
from playwright.sync_api import ConsoleMessage, sync_playwright
from werkzeug.serving import make_server

from tests.helpers import TIMEOUT_MS
from wsgi import create_app

CHROMIUM = Path(os.environ.get("FORUM_TEST_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


class LiveServer:
    """The site served over HTTP in a background thread; `url` is its base URL."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.errors: list[BaseException] = []
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        got_request_exception.connect(self.record_error, app)

    def record_error(self, sender: Flask, exception: BaseException, **extra) -> None:
        """Keep an exception the app raised while serving, so the test fails on it."""
        self.errors.append(exception)

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        got_request_exception.disconnect(self.record_error, self.app)


@pytest.fixture
def live_config() -> dict:
    """Settings of the live site beyond the defaults; a test module overrides this fixture to change them."""
    return {}


@pytest.fixture
def live_server(database_url: str, live_config: dict) -> Iterator[str]:
    """The standalone site on a fresh database, served on a free port of 127.0.0.1; yields its base URL."""
    app = create_app(
        {
            "TESTING": False,
            "SECRET_KEY": "browser test secret",
            "FORUM_DATABASE_URL": database_url,
            "FORUM_SITE_NAME": "Test Forum",
            **live_config,
        }
    )
    server = LiveServer(app)
    server.start()
    try:
        yield server.url
    finally:
        server.stop()
        app.extensions["forum"].dispose()
    if server.errors:
        pytest.fail(f"the site raised while serving: {server.errors[0]!r}")


@pytest.fixture(scope="session")
def browser():
    """One headless Chromium for the whole session."""
    if not CHROMIUM.exists():
        message = f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def console_errors() -> list[str]:
    """Errors the page logged to the console or threw, in order; the `page` fixture fills it."""
    return []


@pytest.fixture
def page(browser, console_errors: list[str]):
    """A fresh page in a fresh context (no cookies, no storage) for each test."""

    def on_console(message: ConsoleMessage) -> None:
        # Nothing is forgiven: a missing icon (Chromium asks for one on every page) is an error too.
        if message.type == "error":
            console_errors.append(f"{message.text} ({message.location.get('url')})")

    context = browser.new_context()
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    page.on("console", on_console)
    page.on("pageerror", lambda error: console_errors.append(str(error)))
    yield page
    context.close()
