"""A reader's journey: home, article, a paragraph's thread, an argument's permalink and back; by mouse, by
keyboard alone, and with JavaScript off."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.articles import SAMPLE
from tests.browser.journeys import (
    BOB_SAYS,
    CAROL_ASKS,
    CAROL_SAYS,
    CHAIN,
    PASSWORD,
    argument_in_address,
    expect_focus_goes_on_inside,
    expect_focus_on,
    make_debate,
    press_enter,
    tab_to,
)
from tests.helpers import TIMEOUT_MS


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """A discussed article with a verdict on its first paragraph and a deep chain on another."""
    return make_debate(database_url, verdict=True, chain=True)


def expect_permalink_shows(page: Page, base: str, ids: dict[str, int]) -> None:
    """The address names carol's reply, and that reply is the highlighted argument in view."""
    expect(page).to_have_url(f"{base}/blocks/{ids['block1']}#argument-{ids['reply']}")
    target = page.locator("article.argument:target")
    expect(target).to_have_count(1)
    expect(target.locator(".argument-body").first).to_have_text(CAROL_SAYS)
    expect(target).to_be_in_viewport()


def expect_the_arguments_own_page(page: Page, base: str, ids: dict[str, int]) -> None:
    """carol's reply on a page of its own, under bob's argument that it answers."""
    expect(page).to_have_url(f"{base}/arguments/{ids['reply']}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Reply by carol")
    expect(page.locator(".argument-focus .argument-body").first).to_have_text(CAROL_SAYS)
    expect(page.locator(".argument-chain")).to_contain_text("bob")


def expect_back_at_the_paragraph(page: Page, base: str, ids: dict[str, int]) -> None:
    """The article page, scrolled to the paragraph the reader came from."""
    expect(page).to_have_url(re.compile(rf"^{base}/articles/{ids['article']}(/[\w-]+)?#block-{ids['block1']}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(SAMPLE.title)
    expect(page.locator(f"#block-{ids['block1']}")).to_be_in_viewport()


@pytest.mark.browser
def test_a_reader_follows_an_argument_permalink_and_comes_back(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    """A permalink shows its argument, opened in place or afresh, and the thread leads back to its paragraph."""
    page.goto(live_server + "/")
    page.get_by_role("link", name=SAMPLE.title).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(SAMPLE.title)
    paragraph = page.locator(f"#block-{debate['block1']}")
    expect(paragraph).to_contain_text("Contested")
    paragraph.get_by_role("link", name=re.compile("^Discuss")).click()

    expect(page.locator(".thread-text")).to_contain_text("The council raised the toll")
    reply = page.locator(f"#argument-{debate['reply']}")
    expect(reply).to_contain_text(CAROL_SAYS)
    reply.locator(".permalink").first.click()
    expect_the_arguments_own_page(page, live_server, debate)
    page.get_by_role("link", name="See it in the whole thread").click()
    expect_permalink_shows(page, live_server, debate)

    # The address copied from the bar opens the thread at that argument for anyone.
    permalink = page.url
    page.goto(live_server + "/")
    page.goto(permalink)
    expect_permalink_shows(page, live_server, debate)

    page.get_by_role("link", name="Back to the article").click()
    expect_back_at_the_paragraph(page, live_server, debate)
    assert console_errors == []


@pytest.mark.browser
def test_a_reader_makes_the_same_journey_with_the_keyboard_alone(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    """The reader's journey with Tab, Shift+Tab and Enter, focus visible at every stop."""
    page.goto(live_server + "/")
    tab_to(page, page.get_by_role("link", name="Skip to content"), limit=1)  # the first stop, shown on focus
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server + "/#main")
    # Past the header: the next stop is the first link of the page's content.
    page.keyboard.press("Tab")
    expect_focus_on(page, page.get_by_role("link", name=SAMPLE.title))
    press_enter(page)
    expect(page.get_by_role("heading", level=1)).to_have_text(SAMPLE.title)

    discuss = page.locator(f"#block-{debate['block1']}").get_by_role("link", name=re.compile("^Discuss"))
    tab_to(page, discuss)
    press_enter(page)
    expect(page.locator(".thread-text")).to_contain_text("The council raised the toll")

    permalink = page.locator(f"#argument-{debate['reply']} .permalink").first
    tab_to(page, permalink)
    press_enter(page)
    expect_the_arguments_own_page(page, live_server, debate)
    tab_to(page, page.get_by_role("link", name="See it in the whole thread"))
    press_enter(page)
    expect_permalink_shows(page, live_server, debate)
    expect_focus_goes_on_inside(page, "article.argument:target")

    tab_to(page, page.get_by_role("link", name="Back to the article"), backwards=True)
    press_enter(page)
    expect_back_at_the_paragraph(page, live_server, debate)
    assert console_errors == []


@pytest.mark.browser
def test_the_thread_reads_fully_and_takes_an_argument_without_javascript(
    browser, live_server: str, debate: dict[str, int]
):
    """Without script a thread shows everything it holds, and its form previews and posts."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    try:
        page.goto(f"{live_server}/blocks/{debate['block1']}")
        expect(page.locator(".thread-text")).to_contain_text("The council raised the toll for the third time")
        panel = page.locator(".consensus-panel")
        expect(panel.locator(".badge.consensus")).to_have_text("Contested")
        expect(panel.locator(".consensus-note strong", has_text="disputed")).to_be_visible()
        for text in (BOB_SAYS, CAROL_SAYS, CAROL_ASKS):
            expect(page.locator(".argument-body", has_text=text)).to_be_visible()
        expect(page.locator(f"#argument-{debate['counter']} #argument-{debate['reply']}")).to_be_visible()
        counter = page.locator(f"#argument-{debate['counter']}")
        minutes = counter.get_by_role("link", name="Council minutes, March 2023").first
        expect(minutes).to_have_attribute("href", "https://council.example/minutes-2023")
        expect(counter.first).to_contain_text("proposed for footnote [2]")
        # The proposal is listed under its footnote, which stays open until a moderator accepts it.
        expect(page.locator("#footnote-2")).to_contain_text("Source missing")
        expect(page.locator("#footnote-2").get_by_role("link", name="Council minutes, March 2023")).to_be_visible()
        expect(page.get_by_role("link", name="Vote of 2021")).to_be_visible()
        expect(page.get_by_text("Carried 7 to 4.")).to_be_visible()

        # The deepest reply folds away; the native disclosure opens it without script.
        page.goto(f"{live_server}/blocks/{debate['block3']}")
        *shown, folded = (body for _, _, body in CHAIN)
        for text in shown:
            expect(page.locator(".argument-body", has_text=text)).to_be_visible()
        expect(page.locator(".argument-body", has_text=folded)).to_be_hidden()
        page.get_by_text("Show 1 more reply").click()
        expect(page.locator(".argument-body", has_text=folded)).to_be_visible()

        page.goto(live_server + "/login")
        page.get_by_label("User name").fill("bob")
        page.get_by_label("Password", exact=True).fill(PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page.get_by_role("navigation", name="Account")).to_contain_text("Signed in as bob")
        page.goto(f"{live_server}/blocks/{debate['block1']}")
        form = page.locator("form.argument-form")
        form.get_by_role("radio", name=re.compile("^Support")).check()
        form.get_by_label("Your argument").fill("Shift workers make *most* crossings, says the survey.")
        source = form.get_by_role("group", name="Source 1")
        source.get_by_label("URL").fill("https://transport.example/survey-2022")
        source.get_by_text("Title, quote, footnote").click()  # a <details>: it opens without JavaScript
        source.get_by_label("Title").fill("Transport survey 2022")
        form.get_by_role("button", name="Preview").click()
        expect(page.locator("#preview em", has_text="most")).to_be_visible()
        page.locator("form.argument-form").get_by_role("button", name="Post argument").click()

        expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#argument-\d+$"))
        posted = argument_in_address(page)
        expect(posted).to_contain_text("Support")
        expect(posted.locator("em", has_text="most")).to_be_visible()
        expect(posted.get_by_role("link", name="Transport survey 2022")).to_have_attribute(
            "href", "https://transport.example/survey-2022"
        )
        expect(page.get_by_role("heading", name="Arguments (4)")).to_be_visible()
    finally:
        context.close()
