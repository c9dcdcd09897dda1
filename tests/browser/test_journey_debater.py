"""What the debater's mouse journey adds to the debate and voting journeys: a reply to another member, and an
edit that shows on the thread with the earlier text kept on the versions page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import BOB_SAYS, PASSWORD, argument_in_address, make_debate

FIRST = "Two rises, says the survey too."
SECOND = "Two rises, says the *2022* survey too."


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """A discussed article: bob's sourced counter, carol's reply and question."""
    return make_debate(database_url)


@pytest.mark.browser
def test_a_debater_replies_to_another_member_and_edits_the_reply(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    """Carol answers bob, then rewrites her reply: the thread shows the new text, the versions page the old."""
    page.goto(live_server + "/login")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text("Signed in as carol")

    page.goto(f"{live_server}/blocks/{debate['block1']}")
    page.get_by_role("link", name="Reply to bob", exact=True).click()
    counter = page.locator(f"#argument-{debate['counter']}")
    expect(counter.locator(".argument-body").first).to_contain_text(BOB_SAYS)
    form = counter.locator(f"#composer-reply-{debate['counter']}")
    expect(form.get_by_role("heading", name="Reply to bob")).to_be_visible()
    form.get_by_role("radio", name=re.compile("^Support")).check()
    form.get_by_label("Your reply").fill(FIRST)
    form.get_by_role("button", name="Post reply").click()

    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#argument-\d+$"))
    reply = argument_in_address(page)
    reply_id = reply.get_attribute("id")
    expect(page.locator(f"#argument-{debate['counter']} .replies #{reply_id}")).to_contain_text(FIRST)
    expect(reply.get_by_role("link", name="edited")).to_have_count(0)

    reply.get_by_role("link", name="Edit").click()
    expect(page.get_by_role("heading", name="Edit your argument")).to_be_visible()
    expect(page.get_by_label("Your argument")).to_have_value(FIRST)
    page.get_by_label("Your argument").fill(SECOND)
    page.get_by_role("button", name="Save changes").click()

    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#{reply_id}$"))
    reply = page.locator(f"#{reply_id}")
    expect(reply.locator(".argument-body").first.locator("em", has_text="2022")).to_be_visible()
    reply.get_by_role("link", name="edited").click()
    expect(page.get_by_role("heading", name="Versions of carol’s argument")).to_be_visible()
    expect(page.locator(".version.current")).to_contain_text("Two rises, says the 2022 survey too.")
    expect(page.locator(".version:not(.current)")).to_contain_text(FIRST)
    page.get_by_role("link", name="Back to the argument").click()
    expect(page.locator(f"#{reply_id}:target")).to_be_in_viewport()
    assert console_errors == []
