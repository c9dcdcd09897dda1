"""A reader's debate, in a real browser: from the home page to a paragraph's thread and back, with a counterargument."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from forum.db import get_session
from forum.services import accounts
from tests.articles import SAMPLE, make_article
from wsgi import create_app

NAME = "hypatia"
PASSWORD = "tidal charts and lanterns"


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """The sample article and a member's account, stored in the live site's database."""
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    ids = make_article(app, SAMPLE)
    with app.app_context():
        session = get_session()
        accounts.register(session, NAME, PASSWORD)
        session.commit()
    app.extensions["forum"].dispose()
    return ids


@pytest.mark.browser
def test_a_member_answers_a_paragraph_with_a_sourced_counterargument(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    page.goto(live_server + "/login")
    page.get_by_label("User name").fill(NAME)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {NAME}")

    page.get_by_role("link", name=SAMPLE.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SAMPLE.title)
    expect(page.get_by_role("heading", name="Who pays", level=2)).to_be_visible()
    paragraph = page.locator(f"#block-{debate['block1']}")
    expect(paragraph).to_contain_text("The council raised the toll")
    expect(paragraph.locator(".count-counter")).to_have_text("0 counter")

    paragraph.get_by_role("link", name=re.compile(r"^Discuss")).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Paragraph")
    expect(page.locator(".thread-text")).to_contain_text("The council raised the toll for the third time")
    expect(page.get_by_text("No arguments yet")).to_be_visible()

    form = page.locator("form.argument-form")
    form.get_by_role("group", name="Your stance").get_by_role("radio", name=re.compile("^Counter")).check()
    form.get_by_label("Your argument").fill("The minutes record **two** rises, not three.")
    source = form.get_by_role("group", name="Source 1")
    source.get_by_label("URL").fill("https://council.example/minutes-2023")
    source.get_by_text("Title, quote, footnote").click()  # folded until wanted
    source.get_by_label("Title").fill("Council minutes, March 2023")
    source.get_by_label("Proposed for footnote").select_option("2")
    form.get_by_role("button", name="Post argument").click()

    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#argument-\d+$"))
    argument = page.locator("article.argument").first
    expect(argument).to_contain_text("Counter")
    expect(argument).to_contain_text(NAME)
    expect(argument.locator("strong", has_text="two")).to_be_visible()
    link = argument.get_by_role("link", name="Council minutes, March 2023")
    expect(link).to_have_attribute("href", "https://council.example/minutes-2023")
    expect(argument).to_contain_text("proposed for footnote [2]")
    expect(page.get_by_role("heading", name="Arguments (1)")).to_be_visible()

    page.get_by_role("link", name="Back to the article").click()
    paragraph = page.locator(f"#block-{debate['block1']}")
    expect(paragraph.locator(".count-counter")).to_have_text("1 counter")
    # One counterargument makes no verdict: the margin shows the moderators' (none yet) and plain counts.
    expect(paragraph.locator(".badge.consensus")).to_have_text("Open")
    expect(paragraph).not_to_contain_text("Contested")
    # The source only proposes one for [2], listed under it until a moderator accepts it.
    expect(paragraph.locator("sup.cite-open", has_text="[2]")).to_have_count(1)
    expect(page.locator("#cite-2")).to_contain_text("Council minutes, March 2023")
    assert console_errors == []


@pytest.mark.browser
def test_pages_fit_a_phone_without_sideways_scrolling(page: Page, live_server: str, debate: dict[str, int]):
    page.set_viewport_size({"width": 390, "height": 844})
    for path in ("/", f"/articles/{debate['article']}", f"/blocks/{debate['block3']}"):
        page.goto(live_server + path)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px"
    summary = page.goto(live_server + f"/articles/{debate['article']}")
    text_box = page.locator(f"#block-{debate['block1']} .block-text").bounding_box()
    summary_box = page.locator(f"#summary-{debate['block1']}").bounding_box()
    assert summary is not None and summary_box["y"] >= text_box["y"] + text_box["height"]
    page.set_viewport_size({"width": 1280, "height": 900})
    text_box = page.locator(f"#block-{debate['block1']} .block-text").bounding_box()
    summary_box = page.locator(f"#summary-{debate['block1']}").bounding_box()
    assert summary_box["x"] >= text_box["x"] + text_box["width"]  # in the margin beside the paragraph
