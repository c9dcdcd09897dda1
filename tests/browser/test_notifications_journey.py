"""A member's bell in a real browser: a reply to their argument appears in it, and reading it clears it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from forum.db import get_session
from forum.services import arguments, lookup
from forum.services.members import find_member
from tests.browser.journeys import CAROL_SAYS, make_debate, sign_in
from wsgi import create_app

LATE_REPLY = "A second look at the minutes: the third rise was a correction, not a rise."


def reply_as_carol(database_url: str, block_id: int, parent_id: int) -> None:
    """carol answers bob's argument again, in the live site's database (as from her own browser)."""
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    with app.test_request_context():
        session = get_session()
        arguments.post_argument(
            session, lookup.get_thread(session, block_id), find_member(session, "carol"),
            stance="counter", body=LATE_REPLY, parent_id=parent_id,
        )
        session.commit()
    app.extensions["forum"].dispose()


@pytest.mark.browser
def test_a_reply_to_your_argument_appears_in_your_bell(
    page: Page, live_server: str, database_url: str, console_errors: list[str]
):
    ids = make_debate(database_url)
    sign_in(page, live_server, "bob")
    page.goto(f"{live_server}/blocks/{ids['block1']}")
    account = page.get_by_role("navigation", name="Account")
    bell = account.get_by_role("link", name="Notifications: 1 unread")
    expect(bell).to_be_visible()  # carol answered bob's counter while the debate was made

    bell.click()
    expect(page.get_by_role("heading", name="Notifications", level=1)).to_be_visible()
    line = page.locator(".notification.unread")
    expect(line).to_contain_text("carol")
    expect(line).to_contain_text(CAROL_SAYS[:40])
    line.get_by_role("button", name="Open and mark read").click()
    expect(page.locator(f"#argument-{ids['reply']}")).to_be_visible()
    expect(account.get_by_role("link", name="Notifications: 0 unread")).to_be_visible()

    # The thread page was kept for bob; another reply must show in his bell at once all the same.
    page.goto(f"{live_server}/blocks/{ids['block1']}")
    expect(account.get_by_role("link", name="Notifications: 0 unread")).to_be_visible()
    reply_as_carol(database_url, ids["block1"], ids["counter"])
    page.reload()
    expect(account.get_by_role("link", name="Notifications: 1 unread")).to_be_visible()
    page.goto(f"{live_server}/notifications")
    expect(page.locator(".notification.unread")).to_contain_text(LATE_REPLY[:40])
    assert console_errors == []
