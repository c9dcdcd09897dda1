"""Every payload of the XSS corpus, posted as an argument, fires nothing when the thread is opened in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from forum.db import get_session
from forum.models import Block
from forum.services.arguments import edit_argument, post_argument
from forum.services.members import ensure_member
from tests.articles import make_article
from tests.test_rendering import PAYLOADS
from wsgi import create_app


@pytest.fixture
def poisoned_thread(live_server: str, database_url: str) -> tuple[int, list[int]]:
    """A thread holding one argument per payload, posted and edited through the service as members do."""
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    ids = make_article(app)
    argument_ids = []
    with app.app_context():
        session = get_session()
        author = ensure_member(session, "mallory", "<img src=x onerror=alert('name')>")
        block = session.get(Block, ids["block1"])
        # A payload with NUL never reaches a service: the forum refuses such text with 400 first.
        for n, payload in enumerate(p for p in PAYLOADS if "\x00" not in p):
            argument = post_argument(session, block, author, stance="counter", body=f"{n}: {payload}")
            argument_ids.append(argument.id)
        edit_argument(session, argument, author, body=f"edited: {PAYLOADS[0]}")
        session.commit()
    app.extensions["forum"].dispose()
    return ids["block1"], argument_ids


@pytest.mark.browser
def test_no_payload_fires(page: Page, live_server: str, poisoned_thread, console_errors: list[str]):
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    block_id, argument_ids = poisoned_thread
    for path in (f"/blocks/{block_id}", f"/arguments/{argument_ids[-1]}/versions", "/articles/1"):
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        for link in page.locator("main a[href]").all()[:80]:
            link.hover(timeout=2_000, trial=True)  # onmouseover payloads would fire on hover
    assert dialogs == []
    page.goto(live_server + f"/blocks/{block_id}")
    assert page.get_by_text("<script>alert(1)</script>", exact=False).count() >= 1  # shown as text
    assert console_errors == []
