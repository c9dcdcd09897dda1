"""What the moderator's mouse journey adds to the moderation journey: hiding from the thread with a reason, as
readers then see it, and a locked thread as a member sees it."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import BOB_SAYS, CAROL_SAYS, make_debate, sign_in

REASON = "Personal remarks about another member."


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """A discussed article: bob's sourced counter, carol's reply and question, and moe the moderator."""
    return make_debate(database_url)


@pytest.mark.browser
def test_what_readers_and_members_see_after_a_hide_and_a_lock(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    """A hidden argument keeps its place and reason for readers; a locked thread offers no way to post or vote."""
    sign_in(page, live_server, "moe")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    counter = page.locator(f"#argument-{debate['counter']}")
    tools = counter.locator("> .argument-actions")  # not those of the replies inside it
    tools.locator("summary", has_text="Hide the argument by bob").click()
    tools.get_by_label("Reason (shown to members)").fill(REASON)
    tools.get_by_role("button", name="Hide argument").click()
    expect(page.locator(".flashes")).to_contain_text("hidden")
    counter = page.locator(f"#argument-{debate['counter']}")
    expect(counter).to_contain_text(f"Hidden by a moderator: {REASON}")
    expect(counter.locator(".argument-body").first).to_have_text(BOB_SAYS)
    page.get_by_label("Reason to lock this thread").fill("Cooling off.")
    page.get_by_role("button", name="Lock thread").click()
    expect(page.locator(".flashes")).to_contain_text("The thread is locked.")
    page.get_by_role("button", name="Sign out").click()

    # A reader: the placeholder with its reason instead of bob's words; carol's reply to it stays.
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    counter = page.locator(f"#argument-{debate['counter']}")
    expect(counter).to_contain_text(f"Hidden by a moderator: {REASON}")
    expect(page.get_by_text(BOB_SAYS)).to_have_count(0)
    expect(counter.locator(".replies")).to_contain_text(CAROL_SAYS)
    expect(page.locator(".consensus-panel")).to_contain_text("Locked: Cooling off.")

    # A member: no form, no reply links and no vote buttons, and the notice says why.
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    expect(page.locator(".post-argument")).to_contain_text(
        "This thread is locked: it takes no new arguments. Reason: Cooling off."
    )
    expect(page.locator("form.argument-form")).to_have_count(0)
    expect(page.get_by_role("link", name="Reply to bob")).to_have_count(0)
    expect(page.get_by_role("button", name="Vote up: this argument is convincing")).to_have_count(0)
    expect(page.locator(f"#argument-{debate['counter']} .vote-score").first).to_have_text("Score 0")
    assert console_errors == []
