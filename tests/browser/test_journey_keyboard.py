"""The debater's and the moderator's journeys with the keyboard alone: Tab, Shift+Tab, Enter, Space, arrows and
typing; at every stop focus must be visible, and after every action it must be where the user can go on from."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from forum.db import get_session
from forum.services import moderation
from forum.services.members import find_member
from tests.articles import SAMPLE
from tests.browser.journeys import (
    BOB_SAYS,
    CAROL_ASKS,
    PASSWORD,
    argument_in_address,
    expect_focus_goes_on_inside,
    expect_focus_on,
    make_debate,
    press_enter,
    sign_in_by_keyboard,
    tab_to,
    type_into,
)
from tests.helpers import TIMEOUT_MS
from wsgi import create_app

NAME = "ada"
MINE = "The minutes record **two** rises, not three."
EDITED = " The March minutes say so twice."
LOCK_REASON = "Cooling off while the council answers."


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """A discussed article, with carol's flag on bob's counterargument waiting for the moderators."""
    ids = make_debate(database_url)
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    with app.app_context():
        session = get_session()
        flag = moderation.flag(session, ids["counter"], find_member(session, "carol"), "spam")
        session.commit()
        ids["flag"] = flag.id
    app.extensions["forum"].dispose()
    return ids


@pytest.mark.browser
def test_a_debater_registers_argues_replies_votes_edits_and_flags_by_keyboard(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    """A newcomer does everything a member does on a thread without touching the mouse."""
    page.goto(live_server + "/")
    account = page.get_by_role("navigation", name="Account")
    tab_to(page, account.get_by_role("link", name="Register"))
    press_enter(page)
    type_into(page, page.get_by_label("User name"), NAME)
    type_into(page, page.get_by_label("Password", exact=True), PASSWORD)
    type_into(page, page.get_by_label("Repeat the password"), PASSWORD)
    tab_to(page, page.get_by_role("button", name="Register"))
    press_enter(page)
    expect(page.get_by_role("status").filter(has_text=f"Welcome, {NAME}.")).to_be_visible()
    expect(account).to_contain_text(f"Signed in as {NAME}")

    tab_to(page, page.get_by_role("link", name=SAMPLE.title))
    press_enter(page)
    tab_to(page, page.locator(f"#block-{debate['block1']}").get_by_role("link", name=re.compile("^Discuss")))
    press_enter(page)

    # A counterargument with a source proposed for footnote [2].
    form = page.locator("#composer-new form.argument-form")
    counter = form.get_by_role("radio", name=re.compile("^Counter"))
    tab_to(page, counter)
    page.keyboard.press("Space")
    expect(counter).to_be_checked()
    type_into(page, form.get_by_label("Your argument"), MINE)
    source = form.get_by_role("group", name="Source 1")
    type_into(page, source.get_by_label("URL"), "https://council.example/minutes-2023")
    tab_to(page, source.locator("summary", has_text="Title, quote, footnote"))
    page.keyboard.press("Enter")  # the source's details unfold
    type_into(page, source.get_by_label("Title"), "Council minutes, March 2023")
    footnote = source.get_by_label("Proposed for footnote")
    tab_to(page, footnote)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(footnote).to_have_value("2")
    tab_to(page, form.get_by_role("button", name="Post argument"))
    press_enter(page)

    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#argument-\d+$"))
    mine = argument_in_address(page)
    expect(mine).to_contain_text("Counter")
    expect(mine).to_contain_text(NAME)
    expect(mine.locator("strong", has_text="two")).to_be_visible()
    expect(mine.get_by_role("link", name="Council minutes, March 2023")).to_be_visible()
    expect(mine).to_contain_text("proposed for footnote [2]")
    mine_id = mine.get_attribute("id")
    expect_focus_goes_on_inside(page, f"#{mine_id}")

    # A reply to bob: the composer opens under his argument with focus on its stances; the arrow keys
    # move through them and choose one.
    tab_to(page, page.get_by_role("link", name="Reply to bob", exact=True), backwards=True)
    page.keyboard.press("Enter")
    form = page.locator(f"#argument-{debate['counter']} #composer-reply-{debate['counter']}")
    expect_focus_on(page, form.get_by_role("radio", name=re.compile("^Counter")))
    page.keyboard.press("ArrowDown")
    support = form.get_by_role("radio", name=re.compile("^Support"))
    expect(support).to_be_checked()
    expect_focus_on(page, support)
    type_into(page, form.get_by_label("Your reply"), "Agreed: two rises, and the survey says the same.")
    tab_to(page, form.get_by_role("button", name="Post reply"))
    press_enter(page)
    reply = argument_in_address(page)
    expect(reply).to_contain_text("Agreed: two rises")
    expect(page.locator(f"#argument-{debate['counter']} .replies")).to_contain_text("Agreed: two rises")

    # A vote on bob's argument, in place: the button stays focused and pressed, the live region says so.
    bob = page.locator(f"#vote-{debate['counter']}")
    tab_to(page, bob.get_by_role("button", name="Vote up: this argument is convincing"), backwards=True)
    page.keyboard.press("Space")
    taken_back = bob.get_by_role("button", name="Take back your up-vote")
    expect(taken_back).to_have_attribute("aria-pressed", "true")
    expect(bob.locator(".vote-score")).to_have_text("Score 1")
    expect(page.locator("#vote-news")).to_have_text("Your up-vote is counted. Score 1.")
    expect_focus_on(page, taken_back)

    # An edit of the counterargument: the new words show, marked as edited.
    tab_to(page, page.locator(f"#{mine_id}").get_by_role("link", name="Edit"))
    press_enter(page)
    expect(page.get_by_role("heading", name="Edit your argument")).to_be_visible()
    tab_to(page, page.get_by_label("Your argument"))
    page.keyboard.press("Control+End")
    page.keyboard.type(EDITED)
    tab_to(page, page.get_by_role("button", name="Save changes"))
    press_enter(page)
    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#{mine_id}$"))
    mine = page.locator(f"#{mine_id}")
    expect(mine.locator(".argument-body").first).to_contain_text(EDITED.strip())
    expect(mine.get_by_role("link", name="edited")).to_be_visible()

    # A flag on carol's question: "Flag" brings the flag form beside it with Enter, focus on the reason, which
    # is chosen with the arrows.
    question = page.locator(f"#argument-{debate['question']}")
    tab_to(page, question.get_by_role("link", name=re.compile("^Flag the argument by")))
    page.keyboard.press("Enter")
    reason = question.get_by_label("Reason")
    expect(reason).to_be_visible()
    expect_focus_on(page, reason)
    expect(reason).to_have_value("")  # no reason is chosen for the member
    for _ in range(3):
        page.keyboard.press("ArrowDown")
    expect(reason).to_have_value("off_topic")
    type_into(page, question.get_by_label(re.compile("^Note")), "Not about the toll.")
    tab_to(page, question.get_by_role("button", name="Send flag"))
    page.keyboard.press("Enter")
    # Answered in place, beside the argument, where focus goes.
    question = page.locator(f"#argument-{debate['question']}")
    expect_focus_on(page, question.locator(".argument-notice"))
    expect(question.locator(".argument-notice")).to_contain_text("the moderators will look")
    expect(question.locator(".badge.flagged")).to_have_text("Flagged")
    expect(question).to_contain_text(CAROL_ASKS)
    assert console_errors == []


@pytest.mark.browser
def test_a_moderator_hides_marks_and_locks_by_keyboard(
    page: Page, browser, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    """Moe works a flag, marks the paragraph and locks its thread without touching the mouse."""
    sign_in_by_keyboard(page, live_server, "moe")
    tab_to(page, page.get_by_role("link", name="Moderation"))
    press_enter(page)
    expect(page.get_by_role("heading", name="Open flags (1)")).to_be_visible()
    item = page.locator(".flag-item").first
    expect(item).to_contain_text("flagged by carol")
    type_into(page, item.get_by_label("Reason (optional)"), "An advert for watches.")
    tab_to(page, item.get_by_role("button", name=re.compile("^Hide argument")))
    press_enter(page)
    expect(page.locator(".flashes")).to_contain_text("The argument is hidden.")
    expect(page.get_by_text("No open flags.")).to_be_visible()

    hidden = page.locator(".hidden-list").get_by_role("link", name="Counter by bob")
    tab_to(page, hidden)
    press_enter(page)
    argument = page.locator(f"#argument-{debate['counter']}")
    expect(argument).to_contain_text("Hidden by a moderator: An advert for watches.")
    expect(argument.locator(".argument-body").first).to_have_text(BOB_SAYS)  # still readable to moderators

    reader = browser.new_context()
    reader.set_default_timeout(TIMEOUT_MS)
    try:
        seen = reader.new_page()
        seen.goto(f"{live_server}/blocks/{debate['block1']}")
        expect(seen.locator(f"#argument-{debate['counter']}")).to_contain_text("Hidden by a moderator")
        expect(seen.get_by_text(BOB_SAYS)).to_have_count(0)
    finally:
        reader.close()

    desk = page.locator(".moderator-desk")
    status = desk.get_by_label("Status")
    tab_to(page, status)
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    expect(status).to_have_value("contested")
    type_into(page, desk.get_by_label("Note (Markdown)"), "The count of rises is **disputed**.")
    key = desk.get_by_role("checkbox", name=re.compile(r"^Support by carol"))
    tab_to(page, key)
    page.keyboard.press("Space")
    expect(key).to_be_checked()
    tab_to(page, desk.get_by_role("button", name="Save verdict"))
    press_enter(page)
    expect(page.locator(".flashes")).to_contain_text("Contested")
    panel = page.locator(".consensus-panel")
    expect(panel.locator(".badge.consensus")).to_have_text("Contested")
    expect(panel.locator(".consensus-note strong", has_text="disputed")).to_be_visible()
    expect(panel.locator(".key-arguments")).to_contain_text("Support by carol")

    tab_to(page, page.get_by_role("link", name="Back to the article"), backwards=True)
    press_enter(page)
    expect(page.locator(".verdict-line")).to_contain_text("1 contested")
    paragraph = page.locator(f"#block-{debate['block1']}")
    expect(paragraph.locator(".badge.consensus")).to_have_text("Contested")
    tab_to(page, paragraph.get_by_role("link", name=re.compile("^Discuss")))
    press_enter(page)

    type_into(page, page.get_by_label("Reason to lock this thread"), LOCK_REASON)
    tab_to(page, page.get_by_role("button", name="Lock thread"))
    press_enter(page)
    expect(page.locator(".flashes")).to_contain_text("The thread is locked.")
    expect(panel).to_contain_text(f"Locked: {LOCK_REASON}")
    expect(page.locator(".post-argument")).to_contain_text("This thread is locked: it takes no new arguments.")
    expect(page.locator("form.argument-form")).to_have_count(0)
    expect(page.get_by_role("link", name=re.compile("^Reply"))).to_have_count(0)
    assert console_errors == []
