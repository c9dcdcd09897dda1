"""Voting in a real browser: in place through htmx with JavaScript, and through the form post without it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from forum.db import get_session
from forum.models import Block
from forum.services import accounts, arguments, lookup, members
from tests.articles import make_article
from tests.browser.journeys import PASSWORD, sign_in
from tests.helpers import TIMEOUT_MS
from wsgi import create_app

NAME = "hypatia"
UP = "Vote up: this argument is convincing"


@pytest.fixture
def thread(live_server: str, database_url: str) -> dict[str, int]:
    """A thread with an argument by another member, and an account to vote with, in the live site's database."""
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    ids = make_article(app)
    with app.app_context():
        session = get_session()
        accounts.register(session, NAME, PASSWORD)
        author = accounts.register(session, "bob", PASSWORD)
        session.flush()
        argument = arguments.post_argument(
            session,
            lookup.get_thread(session, ids["block1"]),
            members.ensure_member(session, author.user_key, author.username),
            stance="counter",
            body="The minutes record two rises, not three.",
        )
        session.commit()
        made = {"block": ids["block1"], "argument": argument.id}
    app.extensions["forum"].dispose()
    return made


@pytest.mark.browser
def test_a_vote_changes_the_score_in_place_and_is_kept(
    page: Page, live_server: str, thread: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, NAME)
    page.goto(f"{live_server}/blocks/{thread['block']}")
    argument = page.locator(f"#argument-{thread['argument']}")
    expect(argument.locator(".vote-score")).to_have_text("Score 0")
    # A page load would forget this marker and report a navigation; an update in place does neither.
    page.evaluate("window.sameDocument = true")
    navigations: list[str] = []
    page.on("framenavigated", lambda frame: navigations.append(frame.url) if frame == page.main_frame else None)

    argument.get_by_role("button", name=UP).click()
    taken_back = argument.get_by_role("button", name="Take back your up-vote")
    expect(taken_back).to_have_attribute("aria-pressed", "true")
    expect(argument.locator(".vote-score")).to_have_text("Score 1")
    expect(argument.locator(".vote-split")).to_have_text("(1 up, 0 down)")
    expect(page.locator("#vote-news")).to_have_text("Your up-vote is counted. Score 1.")
    expect(taken_back).to_be_focused()
    assert page.evaluate("window.sameDocument") is True
    assert navigations == []

    page.reload()
    argument = page.locator(f"#argument-{thread['argument']}")
    expect(argument.get_by_role("button", name="Take back your up-vote")).to_have_attribute("aria-pressed", "true")
    expect(argument.locator(".vote-score")).to_have_text("Score 1")

    argument.get_by_role("button", name="Take back your up-vote").click()
    expect(argument.get_by_role("button", name=UP)).to_have_attribute("aria-pressed", "false")
    expect(argument.locator(".vote-score")).to_have_text("Score 0")
    assert console_errors == []


@pytest.mark.browser
def test_a_refusal_shows_in_the_widget_without_a_reload(
    page: Page, live_server: str, database_url: str, thread: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, NAME)
    page.goto(f"{live_server}/blocks/{thread['block']}")
    # A moderator locks the thread while the page is open.
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    with app.app_context():
        session = get_session()
        session.get(Block, thread["block"]).locked = True
        session.commit()
    app.extensions["forum"].dispose()
    page.evaluate("window.sameDocument = true")

    argument = page.locator(f"#argument-{thread['argument']}")
    argument.get_by_role("button", name=UP).click()
    expect(argument.locator(".vote-error")).to_have_text("This thread is locked: it takes no votes.")
    expect(page.locator("#vote-news")).to_have_text("This thread is locked: it takes no votes.")
    expect(argument.get_by_role("button")).to_have_count(0)
    expect(argument.locator(".vote-score")).to_have_text("Score 0")
    assert page.evaluate("window.sameDocument") is True
    # Chromium logs every 4xx answer itself; the 403 is the refusal meant, and htmx adds no error of its own.
    assert [e for e in console_errors if "status of 403" not in e] == []
    assert len(console_errors) == 1


@pytest.mark.browser
def test_without_javascript_a_vote_posts_the_form_and_comes_back_to_the_argument(
    browser, live_server: str, thread: dict[str, int]
):
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", on_console)
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        sign_in(page, live_server, NAME)
        page.goto(f"{live_server}/blocks/{thread['block']}?sort=new")
        argument = page.locator(f"#argument-{thread['argument']}")
        argument.get_by_role("button", name=UP).click()

        expect(page).to_have_url(re.compile(rf"/blocks/{thread['block']}\?sort=new#argument-{thread['argument']}$"))
        expect(page.locator(f"#argument-{thread['argument']}:target")).to_have_count(1)
        argument = page.locator(f"#argument-{thread['argument']}")
        expect(argument.get_by_role("button", name="Take back your up-vote")).to_have_attribute("aria-pressed", "true")
        expect(argument.locator(".vote-score")).to_have_text("Score 1")
        expect(argument.locator(".vote-split")).to_have_text("(1 up, 0 down)")
        assert errors == []
    finally:
        context.close()
