"""axe-core in Chromium finds nothing to fix on any page: WCAG 2.0, 2.1 and 2.2 A and AA, and best practice.

Every page is checked at a desktop and a phone width, in the light and the dark colour scheme, with every
<details> opened so that the forms folded inside (flag, hide, withdraw, deeper replies) are checked too.
The pages run against SQLite only: what they render does not depend on the database.
"""

from __future__ import annotations

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page, expect

from tests.browser.journeys import sign_in
from tests.browser.showcase import make_showcase

# Every rule of these tags runs; none is turned off.
AXE_OPTIONS = {
    "runOnly": {
        "type": "tag",
        "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa", "best-practice"],
    },
    "resultTypes": ["violations"],
}
WIDTHS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
axe = Axe()


def violations(page: Page) -> list[str]:
    """What axe finds wrong on the page as it is now, one readable line per element."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    found = axe.run(page, options=AXE_OPTIONS).response["violations"]
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {node['target']}: {node['failureSummary']}"
        for v in found
        for node in v["nodes"]
    ]


def check(page: Page, url: str, problems: dict[str, list[str]]) -> None:
    """Load `url` and keep what axe finds on it."""
    page.goto(url)
    found = violations(page)
    if found:
        problems[url] = found


@pytest.fixture
def site(live_server: str, database_url: str) -> dict[str, int]:
    return make_showcase(database_url)


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", list(WIDTHS))
def test_axe_finds_no_violations_on_any_page(
    page: Page, live_server: str, site: dict[str, int], width: str, scheme: str, console_errors: list[str]
):
    page.set_viewport_size(WIDTHS[width])
    page.emulate_media(color_scheme=scheme)
    base = live_server
    problems: dict[str, list[str]] = {}

    # A reader who is not signed in.
    for path in ("/", f"/articles/{site['article']}", f"/blocks/{site['block1']}", f"/blocks/{site['block3']}",
                 f"/arguments/{site['edited']}/versions", f"/articles/{site['unpublished']}", "/login", "/register",
                 f"/arguments/{site['reply']}", f"/members/{site['carol']}", "/search", "/search?q=night",
                 "/search?q=-night", "/password/reset"):
        check(page, base + path, problems)
    # Forms that came back with errors.
    page.goto(base + "/register")
    page.get_by_label("User name").fill("x")
    page.get_by_role("button", name="Register").click()
    expect(page.locator(".error-summary")).to_be_visible()
    if found := violations(page):
        problems["/register with errors"] = found

    # An admin, who is a moderator too: hidden arguments, the moderators' desk, and the admin's pages.
    sign_in(page, base, "ada")
    for path in (f"/blocks/{site['block1']}", f"/blocks/{site['block3']}", "/import", "/moderation",
                 "/moderation/members", "/moderation/audit", f"/arguments/{site['counter']}/edit",
                 f"/arguments/{site['counter']}/versions", "/account/password", "/account/mail",
                 # Proposals with their Accept buttons, the unpublish button and its page, an unpublished
                 # article and thread as moderators read them, a moderator's edit with its reason field.
                 f"/articles/{site['article']}", f"/articles/{site['article']}/unpublish",
                 f"/articles/{site['unpublished']}", f"/blocks/{site['unpublished_block']}",
                 f"/arguments/{site['edited']}/edit", f"/arguments/{site['edited']}/versions",
                 # An argument's own page with a hidden reply; a member's page with flags and the removal form.
                 f"/arguments/{site['hidden']}", f"/members/{site['bob']}", f"/members/{site['carol']}",
                 # Search results with a hidden argument among them, as moderators find them.
                 "/search?q=night+OR+drives"):
        check(page, base + path, problems)
    page.goto(f"{base}/blocks/{site['block1']}")
    expect(page.get_by_text("Hidden by a moderator")).to_be_visible()
    page.locator("form.argument-form").get_by_role("button", name="Post argument").click()
    expect(page.locator(".argument-form .error-summary")).to_be_visible()
    if found := violations(page):
        problems["thread with errors"] = found
    # The composer opened under an argument, sent empty; a flag answered beside its argument.
    counter = page.locator(f"#argument-{site['counter']}")
    counter.get_by_role("link", name="Reply to bob", exact=True).click()
    counter.locator(".reply-composer").get_by_role("button", name="Post reply").click()
    expect(counter.locator(".reply-composer .error-summary")).to_be_visible()
    question = page.locator(f"#argument-{site['question']}")
    # "Flag" brings the page's one flag form beside the argument, to be checked with it.
    question.get_by_role("link", name=re.compile("^Flag the argument by")).click()
    question.get_by_role("button", name="Send flag").click()
    expect(page.locator(f"#flag-reason-{site['question']}-error")).to_be_visible()
    if found := violations(page):
        problems["thread with a reply and a flag refused"] = found
    page.locator(f"#flag-reason-{site['question']}").select_option("off_topic")
    page.locator(f"#argument-{site['question']}").get_by_role("button", name="Send flag").click()
    expect(page.locator(f"#argument-{site['question']} .badge.flagged")).to_be_visible()
    if found := violations(page):
        problems["thread with a flag sent"] = found
    page.goto(base + "/import")
    page.get_by_role("button", name="Review").click()
    expect(page.locator(".error-summary")).to_be_visible()
    if found := violations(page):
        problems["import with errors"] = found
    page.goto(f"{base}/arguments/{site['edited']}/edit")
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".error-summary")).to_contain_text("Reason for the edit")
    if found := violations(page):
        problems["a moderator's edit without its reason"] = found

    report = "\n".join(f"{url}:\n  " + "\n  ".join(lines) for url, lines in problems.items())
    assert not problems, f"axe found violations ({width}, {scheme}):\n{report}"
    # The forms sent with errors answer 422, and the unpublished article 410 to a reader, which Chromium logs
    # for the document itself; nothing else may be.
    refused = ("Failed to load resource: the server responded with a status of 422",
               "Failed to load resource: the server responded with a status of 410")
    assert [e for e in console_errors if not e.startswith(refused)] == []


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_the_check_reports_a_violation_when_there_is_one(page: Page, live_server: str):
    """The check above is only worth its silence if it speaks up: an input without a label is caught."""
    page.goto(live_server + "/login")
    assert violations(page) == []
    page.evaluate("document.querySelector('main').insertAdjacentHTML('beforeend', '<input type=text>')")
    assert any(line.startswith("label (critical)") for line in violations(page))


# ---------------------------------------------------------------- what happened is read out, and focus follows


def post_form(page: Page):
    """The composer for a new argument, at the foot of the thread."""
    return page.locator("#composer-new form.argument-form")


def send_post(page: Page, stance: str, text: str, button: str = "Post argument") -> None:
    """Fill the thread's argument form with a stance and a text, and send it."""
    form = post_form(page)
    form.get_by_role("radio", name=re.compile(f"^{stance}")).check()
    form.get_by_label("Your argument").fill(text)
    form.get_by_role("button", name=button).click()


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_argument_posted_in_place_is_announced_and_takes_focus(
    page: Page, live_server: str, site: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{site['block3']}")
    page.evaluate("window.sameDocument = true")
    send_post(page, "Support", "Shift rosters show most crossings before six.")

    expect(page.locator("#forum-announcer")).to_have_text("Your argument was posted.")
    posted = page.locator("article.argument", has_text="Shift rosters show most crossings before six.")
    expect(posted).to_be_focused()
    expect(page).to_have_url(re.compile(rf"/blocks/{site['block3']}#argument-\d+$"))
    assert page.evaluate("window.sameDocument") is True, "the page was swapped in place, not reloaded"
    expect(post_form(page).get_by_label("Your argument")).to_have_value("")
    assert console_errors == []


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_refused_post_keeps_the_text_and_its_summary_leads_to_the_field(
    page: Page, live_server: str, site: dict[str, int]
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{site['block3']}")
    form = post_form(page)
    form.get_by_label("Your argument").fill("Typed with care, stance forgotten.")
    form.get_by_role("group", name="Source 1").get_by_label("URL").fill("https://survey.example/2022")
    form.get_by_role("button", name="Post argument").click()

    summary = page.locator(".argument-form .error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    form = post_form(page)
    expect(form.get_by_label("Your argument")).to_have_value("Typed with care, stance forgotten.")
    expect(form.get_by_role("group", name="Source 1").get_by_label("URL")).to_have_value("https://survey.example/2022")
    stance = form.get_by_role("radio", name=re.compile("^Counter"))
    expect(stance).to_have_attribute("aria-invalid", "true")
    summary.get_by_role("link", name=re.compile("^Your stance")).click()
    expect(stance).to_be_focused()


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_without_javascript_a_post_is_said_on_the_page_it_leads_to(
    browser, live_server: str, site: dict[str, int]
):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, "carol")
        page.goto(f"{live_server}/blocks/{site['block3']}")
        send_post(page, "Question", "Which survey counted the night crossings?")
        expect(page).to_have_url(re.compile(rf"/blocks/{site['block3']}#argument-\d+$"))
        expect(page.get_by_role("status").filter(has_text="Your argument was posted.")).to_be_visible()
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_after_a_moderators_form_post_the_result_is_read_out_and_focus_is_on_the_argument(
    page: Page, live_server: str, site: dict[str, int]
):
    sign_in(page, live_server, "moe")
    page.goto(f"{live_server}/blocks/{site['block1']}")
    argument = page.locator(f"#argument-{site['question']}")
    argument.locator("summary", has_text="Hide").click()
    argument.get_by_label("Reason (shown to members)").fill("Asked twice in this thread.")
    argument.get_by_role("button", name="Hide argument").click()
    expect(page.locator("#forum-announcer")).to_have_text("The argument is hidden.")
    expect(page.locator(f"#argument-{site['question']}")).to_be_focused()


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_preview_and_another_source_come_in_place_and_take_focus(
    page: Page, live_server: str, site: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{site['block3']}")
    page.evaluate("window.sameDocument = true")
    form = post_form(page)
    form.get_by_label("Your argument").fill("The survey counted **night** crossings.")
    form.get_by_role("button", name="Preview").click()
    preview = page.get_by_role("region", name="Preview")
    expect(preview).to_be_focused()
    expect(preview.locator("strong")).to_have_text("night")
    expect(post_form(page).get_by_label("Your argument")).to_have_value("The survey counted **night** crossings.")

    post_form(page).get_by_role("button", name="Add another source").click()
    expect(post_form(page).get_by_role("group", name="Source 2").get_by_label("URL")).to_be_focused()
    expect(post_form(page).get_by_label("Your argument")).to_have_value("The survey counted **night** crossings.")
    assert page.evaluate("window.sameDocument") is True
    assert console_errors == []


def luminance(css_color: str) -> float:
    """The relative luminance of an `rgb(...)` or `rgba(...)` colour, as WCAG defines it."""
    r, g, b = (int(float(part)) / 255 for part in re.findall(r"[\d.]+", css_color)[:3])
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(one: str, other: str) -> float:
    high, low = sorted((luminance(one), luminance(other)), reverse=True)
    return (high + 0.05) / (low + 0.05)


FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {what: el.outerHTML.slice(0, 80), style: style.outlineStyle, width: parseFloat(style.outlineWidth),
          color: style.outlineColor, page: getComputedStyle(document.body).backgroundColor};
}"""


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_focus_is_visible_with_three_to_one_contrast(page: Page, live_server: str, site: dict[str, int], scheme: str):
    page.emulate_media(color_scheme=scheme)
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{site['block1']}")
    weak: list[str] = []
    for _ in range(40):
        page.keyboard.press("Tab")
        ring = page.evaluate(FOCUS_RING)
        if ring["style"] == "none" or ring["width"] < 2 or contrast(ring["color"], ring["page"]) < 3:
            weak.append(f"{ring['what']}: {ring['style']} {ring['width']}px {ring['color']} on {ring['page']}")
    assert weak == [], "focus rings too faint:\n" + "\n".join(weak)


@pytest.mark.browser
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_a_reply_deep_in_a_chain_is_unfolded_and_takes_focus(page: Page, live_server: str, site: dict[str, int]):
    sign_in(page, live_server, "carol")
    page.goto(f"{live_server}/blocks/{site['block3']}?reply_to={site['chain4']}#composer-reply-{site['chain4']}")
    composer = page.locator(f"#composer-reply-{site['chain4']}")
    expect(composer).to_be_visible()  # inside the folded chain, which is opened for it
    composer.get_by_role("radio", name=re.compile("^Support")).check()
    composer.get_by_label("Your reply").fill("In the table, twice, and once in the notes.")
    composer.get_by_role("button", name="Post reply").click()
    expect(page.locator("#forum-announcer")).to_have_text("Your reply was posted.")
    reply = page.locator("article.argument.flat", has_text="In the table, twice, and once in the notes.")
    expect(reply).to_be_focused()
    expect(reply).to_be_visible()
    expect(reply).to_contain_text("in reply to")
