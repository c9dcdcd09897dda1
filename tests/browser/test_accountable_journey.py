"""Accountable moderation in a real browser: an edit of someone else's words with its reason and diff, a
proposed source accepted for a footnote, a duplicate import refused, and an article unpublished.

By keyboard and by mouse; the forms also without JavaScript, where they are plain posts.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.articles import SAMPLE
from tests.browser.journeys import BOB_SAYS, make_debate, press_enter, sign_in, tab_to

EDITED = "The minutes record two rises."
REASON = "A claim about a named official removed."
ARTICLE = "A Ferry Fare Too Far\n\nThe ferry fare doubled in a year.\n\nCommuters now pay more than drivers."


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """The journeys' debate (bob's counter proposes a source for footnote [2]) and ada, an admin."""
    return make_debate(database_url, admin=True)


def without_javascript(browser):
    """A page in a fresh context with JavaScript off, and its context to close."""
    context = browser.new_context(java_script_enabled=False)
    return context.new_page(), context


@pytest.mark.browser
def test_a_moderator_edits_someone_elses_words_by_keyboard_and_must_say_why(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "moe")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    counter = page.locator(f"#argument-{debate['counter']}")
    tab_to(page, counter.locator("> .argument-actions").get_by_role("link", name="Edit"))
    press_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit bob’s argument")
    reason = page.get_by_label("Reason for the edit (required)")
    expect(reason).to_have_attribute("aria-describedby", re.compile("reason-help"))

    tab_to(page, page.get_by_label("Your argument"))
    page.keyboard.press("Control+A")
    page.keyboard.type(EDITED)
    tab_to(page, page.get_by_role("button", name="Save changes"))
    press_enter(page)

    # Refused: the summary leads to the reason; the new text is still there.
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Reason for the edit: Give a reason")
    expect(page.get_by_label("Your argument")).to_have_value(EDITED)
    tab_to(page, summary.get_by_role("link", name=re.compile("^Reason for the edit")))
    page.keyboard.press("Enter")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    page.keyboard.type(REASON)
    tab_to(page, page.get_by_role("button", name="Save changes"))
    press_enter(page)

    counter = page.locator(f"#argument-{debate['counter']}")
    expect(counter.locator(".argument-body").first).to_have_text(EDITED)
    edited = counter.locator("> .argument-head").get_by_role("link", name="edited by a moderator")
    tab_to(page, edited)
    press_enter(page)

    current = page.locator("#version-2")
    expect(current).to_contain_text(f"by moe, a moderator. Reason: {REASON}")
    expect(current.locator("del")).to_have_text(["[removed: , not three]"])
    expect(page.locator("#version-1")).to_contain_text(BOB_SAYS)
    # The refused form answered 422, which Chromium logs for the document itself; nothing else may be.
    refused = "Failed to load resource: the server responded with a status of 422"
    assert [e for e in console_errors if not e.startswith(refused)] == []


@pytest.mark.browser
def test_a_moderator_accepts_a_proposed_source_without_javascript(
    browser, live_server: str, debate: dict[str, int]
):
    page, context = without_javascript(browser)
    try:
        article = f"{live_server}/articles/{debate['article']}"
        page.goto(article)
        footnote = page.locator("#cite-2")
        expect(footnote).to_contain_text("Source missing")
        expect(footnote).to_contain_text("Council minutes, March 2023")
        expect(footnote.get_by_role("button")).to_have_count(0)

        sign_in(page, live_server, "moe")
        page.goto(article)
        footnote = page.locator("#cite-2")
        footnote.get_by_role("button", name="Accept council.example for footnote [2]").click()
        expect(page).to_have_url(re.compile(r"#cite-2$"))
        expect(page.get_by_role("status").filter(has_text="Footnote [2] is filled")).to_be_visible()
        footnote = page.locator("#cite-2")
        expect(footnote).to_contain_text("Source accepted by the moderators: Council minutes, March 2023")
        expect(footnote.get_by_role("button", name=re.compile("^Take back"))).to_be_visible()
        page.get_by_role("button", name="Sign out").click()

        page.goto(article)
        expect(page.locator("#cite-2")).not_to_contain_text("Source missing")
        paragraph = page.locator(f"#block-{debate['block1']}")
        expect(paragraph.locator("sup.cite-filled", has_text="[2]")).to_have_count(1)
    finally:
        context.close()


@pytest.mark.browser
def test_a_moderator_accepts_with_the_mouse_on_the_thread_page(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "moe")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    footnote = page.get_by_role("region", name="Footnotes of this paragraph").locator("#footnote-2")
    footnote.get_by_role("button", name=re.compile("^Accept")).click()
    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#footnote-2$"))
    expect(page.locator("#footnote-2")).to_contain_text("Source accepted by the moderators")
    expect(page.locator(f"#argument-{debate['counter']}")).to_contain_text("accepted for footnote [2]")
    assert console_errors == []


@pytest.mark.browser
def test_an_admin_unpublishes_by_keyboard_and_readers_are_told_it_is_gone(
    page: Page, browser, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server}/articles/{debate['article']}")
    tab_to(page, page.get_by_role("link", name="Unpublish this article…"))
    press_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Unpublish “{SAMPLE.title}”?")
    tab_to(page, page.get_by_label(re.compile("^Why")))
    page.keyboard.type("Imported twice by mistake.")
    tab_to(page, page.get_by_role("button", name="Unpublish the article"))
    press_enter(page)
    expect(page.locator(".flashes")).to_contain_text("is unpublished: readers no longer see it")
    expect(page.locator(".unpublished-note")).to_contain_text("Unpublished")
    expect(page.get_by_role("link", name="Unpublish this article…")).to_have_count(0)

    reader, context = without_javascript(browser)
    try:
        answer = reader.goto(f"{live_server}/articles/{debate['article']}")
        assert answer is not None and answer.status == 410
        expect(reader.get_by_role("heading", level=1)).to_have_text("This article was unpublished")
        reader.goto(f"{live_server}/blocks/{debate['block1']}")
        expect(reader.get_by_role("heading", level=1)).to_have_text("This article was unpublished")
        reader.goto(f"{live_server}/")
        expect(reader.get_by_role("link", name=SAMPLE.title)).to_have_count(0)
    finally:
        context.close()
    refused = "Failed to load resource: the server responded with a status of 410"
    assert [e for e in console_errors if not e.startswith(refused)] == []


@pytest.mark.browser
def test_the_unpublish_form_works_without_javascript(browser, live_server: str, debate: dict[str, int]):
    page, context = without_javascript(browser)
    try:
        sign_in(page, live_server, "ada")
        page.goto(f"{live_server}/articles/{debate['article']}")
        page.get_by_role("link", name="Unpublish this article…").click()
        page.get_by_role("button", name="Unpublish the article").click()
        expect(page.get_by_role("status").filter(has_text="is unpublished")).to_be_visible()
        page.goto(f"{live_server}/")
        expect(page.get_by_role("link", name=SAMPLE.title)).to_have_count(0)
    finally:
        context.close()


@pytest.mark.browser
def test_importing_the_same_text_twice_names_the_article_already_published(
    browser, live_server: str, debate: dict[str, int]
):
    page, context = without_javascript(browser)
    try:
        sign_in(page, live_server, "ada")
        for attempt in ("first", "again"):
            page.goto(f"{live_server}/import")
            page.get_by_label("Paste its text").fill(ARTICLE)
            page.get_by_role("button", name="Review").click()
            page.get_by_role("button", name="Publish").click()
            if attempt == "first":
                expect(page.get_by_role("heading", level=1)).to_have_text("A Ferry Fare Too Far")
                first = page.url
        error = page.locator("#source-error")
        expect(error).to_contain_text("This text is published already, as “A Ferry Fare Too Far”")
        expect(page.get_by_label("Paste its text")).to_have_value(ARTICLE)
        error.get_by_role("link", name="Open “A Ferry Fare Too Far”").click()
        expect(page).to_have_url(first)
    finally:
        context.close()
