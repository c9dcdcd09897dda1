"""A new member's first hour, in Chromium: with the mouse, with the keyboard alone, and without JavaScript.

No lock-out (previews, extra source rows and refused forms cost nothing; a refusal says when to try again in
place and keeps the text), every mistake at once, a flag answered beside the argument, and the composer
opened under the argument a reply answers.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from tests.browser.journeys import (
    BOB_SAYS,
    PASSWORD,
    argument_in_address,
    expect_focus_on,
    make_debate,
    tab_to,
)

NEW_MEMBER_POSTS = 2
# Chromium logs every answer of 4xx, the refusals this journey asks for among them; nothing else may be.
REFUSED = re.compile(r"^Failed to load resource: the server responded with a status of (422|429)")


@pytest.fixture
def live_config() -> dict:
    """A new member's first day allows two posts, and an hour one edit: low enough to reach here."""
    return {"FORUM_RATELIMIT_POST_NEW_MEMBER": f"{NEW_MEMBER_POSTS} per day", "FORUM_RATELIMIT_EDIT": "1 per hour"}


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """The sample article with bob's sourced counter (carol's reply under it) and carol's question."""
    return make_debate(database_url)


@pytest.fixture
def no_js(browser: Browser) -> Iterator[Page]:
    """A page in a browser with JavaScript off."""
    context = browser.new_context(java_script_enabled=False)
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def register(page: Page, base: str, name: str) -> None:
    """Register a new member through the form; they are signed in."""
    page.goto(base + "/register")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Register").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {name}")


def sign_in(page: Page, base: str, name: str) -> None:
    page.goto(base + "/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {name}")


def composer(page: Page, key: str = "new") -> Locator:
    return page.locator(f"#composer-{key}")


def write(form: Locator, stance: str, text: str) -> None:
    form.get_by_role("radio", name=re.compile(f"^{stance}")).check()
    form.get_by_label(re.compile("^Your (argument|reply)$")).fill(text)


def mark_document(page: Page) -> None:
    page.evaluate("window.sameDocument = true")


def same_document(page: Page) -> bool:
    return page.evaluate("window.sameDocument === true")


# ---------------------------------------------------------------- 1. no lock-out


@pytest.mark.browser
def test_a_new_member_previews_and_corrects_freely_and_a_refusal_keeps_the_text_in_place(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    register(page, live_server, "newbie")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    mark_document(page)
    form = composer(page)
    form.get_by_label("Your argument").fill("The survey counted **night** crossings.")
    for _ in range(4):  # previews, by mouse and by keyboard, cost nothing
        composer(page).get_by_role("button", name="Preview").click()
        expect(page.get_by_role("region", name="Preview")).to_be_focused()
    tab_to(page, composer(page).get_by_role("button", name="Add another source"), backwards=True)
    page.keyboard.press("Enter")
    expect(composer(page).get_by_role("group", name="Source 2").get_by_label("URL")).to_be_focused()
    composer(page).get_by_role("button", name="Post argument").click()  # no stance: refused, costs nothing
    expect(composer(page).locator(".error-summary")).to_be_focused()

    for n in range(NEW_MEMBER_POSTS):
        write(composer(page), "Counter", f"Point {n + 1}: the minutes say two rises.")
        composer(page).get_by_role("button", name="Post argument").click()
        expect(page.locator("#forum-announcer")).to_have_text("Your argument was posted.")
        expect(page.locator("article.argument", has_text=f"Point {n + 1}:")).to_be_focused()

    typed = "A third point, typed with care: the 2021 vote was in March."
    write(composer(page), "Question", typed)
    composer(page).get_by_role("group", name="Source 1").get_by_label("URL").fill("https://council.example/2021")
    composer(page).get_by_role("button", name="Post argument").click()
    summary = composer(page).locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text(
        re.compile(r"You are posting faster than the forum allows\. Try again in \d+ minutes\."))
    expect(composer(page).get_by_label("Your argument")).to_have_value(typed)
    expect(composer(page).get_by_role("group", name="Source 1").get_by_label("URL")).to_have_value(
        "https://council.example/2021")
    expect(composer(page).get_by_role("radio", name=re.compile("^Question"))).to_be_checked()
    # Still not locked out of writing: a preview works while the limit holds.
    composer(page).get_by_role("button", name="Preview").click()
    expect(page.get_by_role("region", name="Preview")).to_contain_text("the 2021 vote was in March")
    assert same_document(page), "every answer came in place"
    assert [e for e in console_errors if not REFUSED.match(e)] == []


@pytest.mark.browser
def test_without_javascript_a_refused_post_and_edit_come_back_with_the_text(
    no_js: Page, live_server: str, debate: dict[str, int]
):
    page = no_js
    register(page, live_server, "newbie")
    thread = f"{live_server}/blocks/{debate['block1']}"
    page.goto(thread)
    for _ in range(3):
        composer(page).get_by_role("button", name="Preview").click()
        composer(page).get_by_role("button", name="Add another source").click()
    expect(composer(page).get_by_role("group", name="Source 4")).to_be_visible()
    posted = []
    for n in range(NEW_MEMBER_POSTS):
        page.goto(thread)
        write(composer(page), "Support", f"Point {n + 1} stands.")
        composer(page).get_by_role("button", name="Post argument").click()
        posted.append(argument_in_address(page).get_attribute("id"))
    typed = "Kept although refused."
    write(composer(page), "Counter", typed)
    composer(page).get_by_role("button", name="Post argument").click()
    expect(composer(page).locator(".error-summary")).to_contain_text(re.compile(r"Try again in \d+ minutes\."))
    expect(composer(page).get_by_label("Your argument")).to_have_value(typed)
    expect(composer(page)).to_be_in_viewport()  # the page comes back at the composer

    # An edit saved counts; a second one in the hour is refused with the new text kept.
    page.goto(f"{live_server}/arguments/{posted[0].removeprefix('argument-')}/edit")
    composer(page, "edit").get_by_label("Your argument").fill("Point 1 stands, edited.")
    composer(page, "edit").get_by_role("button", name="Save changes").click()
    expect(page.locator(f"#{posted[0]}")).to_contain_text("Point 1 stands, edited.")
    page.goto(f"{live_server}/arguments/{posted[0].removeprefix('argument-')}/edit")
    composer(page, "edit").get_by_label("Your argument").fill("Edited twice, kept.")
    composer(page, "edit").get_by_role("button", name="Save changes").click()
    expect(page.locator(".error-summary")).to_contain_text("You are editing faster than the forum allows. Try again in")
    expect(composer(page, "edit").get_by_label("Your argument")).to_have_value("Edited twice, kept.")


# ---------------------------------------------------------------- 2. every mistake at once


@pytest.mark.browser
def test_every_mistake_is_said_at_once_beside_its_field_by_mouse_and_keyboard(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block3']}")
    mark_document(page)
    form = composer(page)
    form.get_by_role("group", name="Source 1").get_by_label("URL").fill("council minutes")
    form.get_by_role("button", name="Add another source").click()
    second = composer(page).get_by_role("group", name="Source 2")
    second.get_by_label("URL").fill("ftp://files.example/survey")
    second.get_by_text("Title, quote, footnote").click()
    second.get_by_label("Quote from it").fill("q" * 2_001)
    composer(page).get_by_role("button", name="Post argument").click()

    summary = composer(page).locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("There are 5 problems")
    links = summary.get_by_role("link")
    expect(links).to_have_text([
        re.compile("^Your stance: Choose a stance"), re.compile("^Your argument: Write the argument"),
        re.compile("^Source 1 URL: "), re.compile("^Source 2 URL: "), re.compile("^Source 2 quote: "),
    ])
    fields = [
        composer(page).get_by_role("radio", name=re.compile("^Counter")),
        composer(page).get_by_label("Your argument"),
        composer(page).get_by_role("group", name="Source 1").get_by_label("URL"),
        composer(page).get_by_role("group", name="Source 2").get_by_label("URL"),
        composer(page).get_by_role("group", name="Source 2").get_by_label("Quote from it"),
    ]
    for field in fields:
        expect(field).to_have_attribute("aria-invalid", "true")
        described = field.get_attribute("aria-describedby").split()
        assert any(page.locator(f"#{i}").get_attribute("class") == "error" for i in described)
    # Each link leads to its field: by mouse, then by keyboard.
    links.nth(1).click()
    expect(fields[1]).to_be_focused()
    tab_to(page, links.nth(4), backwards=True)
    page.keyboard.press("Enter")
    expect_focus_on(page, fields[4])
    assert same_document(page)
    assert [e for e in console_errors if not REFUSED.match(e)] == []


@pytest.mark.browser
def test_without_javascript_every_mistake_comes_back_at_once(no_js: Page, live_server: str, debate: dict[str, int]):
    page = no_js
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block3']}")
    composer(page).get_by_role("group", name="Source 1").get_by_label("URL").fill("council minutes")
    composer(page).get_by_role("button", name="Post argument").click()
    summary = composer(page).locator(".error-summary")
    expect(summary.get_by_role("link")).to_have_count(3)
    expect(composer(page).get_by_role("group", name="Source 1").get_by_label("URL")).to_have_value("council minutes")
    summary.get_by_role("link", name=re.compile("^Source 1 URL")).click()
    expect(page).to_have_url(re.compile("#sources-0-url$"))


# ---------------------------------------------------------------- 3. a flag answered where the member looks


@pytest.mark.browser
def test_a_flag_is_answered_beside_the_argument_and_shows_flagged(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    mark_document(page)
    argument = page.locator(f"#argument-{debate['counter']}")
    # The page's one flag form comes beside the argument, focused on its reason, nothing chosen for the member.
    argument.get_by_role("link", name=re.compile("^Flag the argument by")).click()
    reason = argument.get_by_label("Reason")
    expect(reason).to_be_focused()
    expect(reason).to_have_value("")
    argument.get_by_role("button", name="Send flag").click()
    reason = page.locator(f"#argument-{debate['counter']}").get_by_label("Reason")
    expect(reason).to_be_focused()
    expect(reason).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#flag-reason-{debate['counter']}-error")).to_have_text("Choose a reason for the flag.")

    # By keyboard: the reason with the arrows, then the button.
    page.keyboard.press("ArrowDown")
    expect(reason).to_have_value("spam")
    tab_to(page, page.locator(f"#argument-{debate['counter']}").get_by_role("button", name="Send flag"))
    page.keyboard.press("Enter")
    argument = page.locator(f"#argument-{debate['counter']}")
    notice = argument.locator(".argument-notice")
    expect(notice).to_have_text("Thank you: the moderators will look at this argument.")
    expect(notice).to_be_focused()
    expect(page.locator("#forum-announcer")).to_have_text("Thank you: the moderators will look at this argument.")
    expect(argument.locator(".argument-head .badge.flagged")).to_have_text("Flagged")
    expect(argument.get_by_text("Flag", exact=True)).to_have_count(0)
    expect(page.locator(".flashes")).to_have_count(0)
    assert same_document(page)
    assert [e for e in console_errors if not REFUSED.match(e)] == []
    page.reload()
    expect(page.locator(f"#argument-{debate['counter']} .badge.flagged")).to_have_text("Flagged")


@pytest.mark.browser
def test_without_javascript_a_flag_is_answered_on_the_arguments_anchor(
    no_js: Page, live_server: str, debate: dict[str, int]
):
    page = no_js
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    # "Flag" leads to the argument's own page, which opens its flag form at the reason.
    page.locator(f"#argument-{debate['counter']}").get_by_role("link", name=re.compile("^Flag the argument by")).click()
    expect(page).to_have_url(re.compile(rf"/arguments/{debate['counter']}#flag-reason-{debate['counter']}$"))
    argument = page.locator(f"#argument-{debate['counter']}")
    expect(argument.locator("details.flag-tool")).to_have_attribute("open", "")
    argument.get_by_label("Reason").select_option("abuse")
    argument.get_by_role("button", name="Send flag").click()
    expect(page).to_have_url(re.compile(rf"/blocks/{debate['block1']}#argument-{debate['counter']}$"))
    argument = page.locator(f"#argument-{debate['counter']}")
    expect(argument.locator(".argument-notice")).to_be_in_viewport()
    expect(argument.locator(".argument-notice")).to_have_text("Thank you: the moderators will look at this argument.")
    expect(argument.locator(".badge.flagged")).to_be_visible()
    expect(page.locator(".flashes")).to_have_count(0)


# ---------------------------------------------------------------- 4. the composer under the argument answered


@pytest.mark.browser
def test_reply_opens_the_composer_under_the_argument_and_posts_in_place(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    mark_document(page)
    counter = page.locator(f"#argument-{debate['counter']}")
    reply_link = counter.get_by_role("link", name="Reply to bob", exact=True)
    reply_link.click()
    opened = counter.locator(f"#composer-reply-{debate['counter']}")
    expect(opened.get_by_role("heading", name="Reply to bob")).to_be_visible()
    stance = opened.get_by_role("group", name="Your stance on bob’s argument")
    expect(stance.get_by_role("radio")).to_have_count(3)
    expect(stance).to_contain_text("Counter: disagrees with this argument")
    expect(stance).to_contain_text("Support: agrees with this argument")
    expect(stance).to_contain_text("Question: asks about this argument")
    expect(stance.get_by_role("radio").first).to_be_focused()
    reply_link.click()  # asked again, the one open is kept
    expect(page.locator(".reply-composer")).to_have_count(1)
    opened.get_by_role("link", name=re.compile("^Cancel")).click()
    expect(page.locator(".reply-composer")).to_have_count(0)
    expect(reply_link).to_be_focused()

    reply_link.click()
    opened = counter.locator(f"#composer-reply-{debate['counter']}")
    opened.get_by_role("button", name="Post reply").click()  # nothing written: refused in place
    expect(opened.locator(".error-summary")).to_be_focused()
    write(opened, "Counter", "The minutes of March list three rises, not two.")
    opened.get_by_role("button", name="Post reply").click()
    expect(page.locator("#forum-announcer")).to_have_text("Your reply was posted.")
    reply = argument_in_address(page)
    expect(reply).to_be_focused()
    replies = page.locator(f"#argument-{debate['counter']} .replies")
    expect(replies.locator(f"#{reply.get_attribute('id')}")).to_be_visible()
    expect(reply.locator(".argument-head .badge.stance")).to_have_text("Disagrees")
    expect(reply.locator(".argument-head")).to_contain_text("in reply to bob")
    assert same_document(page)
    assert [e for e in console_errors if not REFUSED.match(e)] == []


@pytest.mark.browser
def test_by_keyboard_a_reply_takes_four_tab_stops_from_the_text_to_post(
    page: Page, live_server: str, debate: dict[str, int]
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    tab_to(page, page.get_by_role("link", name="Reply to bob", exact=True))
    page.keyboard.press("Enter")
    opened = page.locator(f"#composer-reply-{debate['counter']}")
    expect(opened.get_by_role("radio").first).to_be_focused()
    page.keyboard.press("ArrowDown")  # Support: agrees with this argument
    expect(opened.get_by_role("radio", name=re.compile("^Support"))).to_be_checked()
    page.keyboard.press("Tab")
    expect_focus_on(page, opened.get_by_label("Your reply"))
    page.keyboard.type("Agreed: the 2023 minutes say so on page 4.")
    stops = 0
    post = opened.get_by_role("button", name="Post reply")
    while not post.evaluate("el => el === document.activeElement"):
        page.keyboard.press("Tab")
        stops += 1
        assert stops < 20
    assert stops == 4, f"{stops} Tab stops from the text to Post (URL, more of the source, another source, Post)"
    page.keyboard.press("Enter")
    reply = argument_in_address(page)
    expect(reply).to_be_focused()
    expect(reply.locator(".badge.stance")).to_have_text("Agrees")

    # The form for a new argument is as light: four stops from its text to "Post argument".
    field = composer(page).get_by_label("Your argument")
    field.focus()
    for _ in range(4):
        page.keyboard.press("Tab")
    expect_focus_on(page, composer(page).get_by_role("button", name="Post argument"))


@pytest.mark.browser
def test_without_javascript_reply_is_a_page_with_the_argument_and_the_form(
    no_js: Page, live_server: str, debate: dict[str, int]
):
    page = no_js
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    page.locator(f"#argument-{debate['counter']}").get_by_role("link", name="Reply to bob", exact=True).click()
    expect(page).to_have_url(re.compile(rf"\?reply_to={debate['counter']}#composer-reply-{debate['counter']}$"))
    opened = page.locator(f"#argument-{debate['counter']} #composer-reply-{debate['counter']}")
    expect(opened).to_be_in_viewport()
    expect(page.locator(f"#argument-{debate['counter']} > .argument-body")).to_contain_text(BOB_SAYS)
    write(opened, "Question", "Which page of the minutes?")
    opened.get_by_role("button", name="Post reply").click()
    reply = argument_in_address(page)
    expect(reply.locator(".badge.stance")).to_have_text("Asks")
    expect(page.get_by_role("status").filter(has_text="Your reply was posted.")).to_be_visible()


@pytest.mark.browser
def test_a_reader_is_asked_to_sign_in_and_comes_back_to_the_composer(
    page: Page, live_server: str, debate: dict[str, int]
):
    page.goto(f"{live_server}/blocks/{debate['block1']}")
    page.locator(f"#argument-{debate['counter']}").get_by_role("link", name="Reply to bob", exact=True).click()
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(f"#argument-{debate['counter']} #composer-reply-{debate['counter']}")).to_be_visible()
