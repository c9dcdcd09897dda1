"""Moderation in a real browser: a member flags, a moderator hides from the queue, marks and locks the paragraph."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from forum.db import get_session
from forum.models import Role
from forum.services import accounts, arguments, lookup
from forum.services.members import find_member
from tests.articles import SAMPLE, make_article
from tests.browser.journeys import PASSWORD, sign_in
from wsgi import create_app

BODY = "Buy cheap watches at example.test!"


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """The sample article, a member, a moderator, and bob's spam on the first paragraph."""
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    ids = make_article(app, SAMPLE)
    with app.app_context():
        session = get_session()
        for name, role in (("hypatia", Role.MEMBER), ("moe", Role.MODERATOR), ("bob", Role.MEMBER)):
            accounts.register(session, name, PASSWORD, role=role)
        session.flush()
        spam = arguments.post_argument(
            session, lookup.get_thread(session, ids["block1"]), find_member(session, "bob"),
            stance="question", body=BODY,
        )
        session.commit()
        ids["argument"] = spam.id
    app.extensions["forum"].dispose()
    return ids


def sign_out(page: Page) -> None:
    page.get_by_role("button", name="Sign out").click()


@pytest.mark.browser
def test_a_flag_is_hidden_from_the_queue_and_the_paragraph_marked_and_locked(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "hypatia")
    page.goto(live_server + f"/blocks/{debate['block1']}")
    argument = page.locator(f"#argument-{debate['argument']}")
    argument.get_by_role("link", name=re.compile("^Flag the argument by")).click()
    argument.get_by_label("Reason").select_option("spam")
    argument.get_by_label(re.compile("^Note")).fill("An advert.")
    argument.get_by_role("button", name="Send flag").click()
    expect(argument.locator(".argument-notice")).to_contain_text("the moderators will look")
    expect(page.get_by_role("link", name="Moderation")).to_have_count(0)
    sign_out(page)

    sign_in(page, live_server, "moe")
    page.get_by_role("link", name="Moderation").click()
    expect(page.get_by_role("heading", name="Open flags (1)")).to_be_visible()
    item = page.locator(".flag-item").first
    expect(item).to_contain_text("flagged by hypatia")
    expect(item).to_contain_text("An advert.")
    item.get_by_role("button", name=re.compile("^Hide argument")).click()
    expect(page.locator(".flashes")).to_contain_text("The argument is hidden.")
    expect(page.get_by_text("No open flags.")).to_be_visible()

    page.goto(live_server + f"/blocks/{debate['block1']}")
    expect(page.locator(f"#argument-{debate['argument']}")).to_contain_text("Hidden by a moderator: Flagged as spam.")
    desk = page.locator(".moderator-desk")
    desk.get_by_label("Status").select_option("contested")
    desk.get_by_label("Note (Markdown)").fill("The toll figures are **disputed**.")
    desk.get_by_role("button", name="Save verdict").click()
    expect(page.locator(".flashes")).to_contain_text("Contested")
    panel = page.locator(".consensus-panel")
    expect(panel.locator(".badge.consensus")).to_have_text("Contested")
    expect(panel.locator(".consensus-note strong", has_text="disputed")).to_be_visible()
    expect(panel).to_contain_text("Open → Contested")

    page.get_by_label("Reason to lock this thread").fill("Cooling off.")
    page.get_by_role("button", name="Lock thread").click()
    expect(page.locator(".flashes")).to_contain_text("The thread is locked.")
    expect(panel).to_contain_text("Locked: Cooling off.")
    expect(page.locator("form.argument-form")).to_have_count(0)

    page.get_by_role("link", name="Back to the article").click()
    expect(page.locator(".verdict-line")).to_contain_text("1 contested")
    cell = page.get_by_role("link", name="Paragraph 2: Contested")
    expect(cell).to_have_text("C")
    cell.click()
    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}$"))
    assert console_errors == []


@pytest.mark.browser
def test_moderation_pages_fit_a_phone(page: Page, live_server: str, debate: dict[str, int]):
    sign_in(page, live_server, "moe")
    page.goto(live_server + f"/blocks/{debate['block1']}")
    page.get_by_label("Reason to lock this thread").fill("Cooling off while the council answers.")
    page.get_by_role("button", name="Lock thread").click()
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/moderation", "/moderation/audit", f"/blocks/{debate['block1']}", f"/articles/{debate['article']}"):
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
