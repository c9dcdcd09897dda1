"""How the pages sit on a screen and on paper: no sideways scrolling on a phone, nothing the policy refuses,
the thread summaries in the margin on wide screens and under their paragraphs on phones, print, and times.

These run against SQLite only: layout does not depend on the database.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import sign_in
from tests.browser.showcase import LONG_URL, make_showcase

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
EXACT = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d UTC$")
# Chromium reports each CSP refusal as a securitypolicyviolation event; the console message alone can be missed.
RECORD_CSP = """window.cspViolations = [];
document.addEventListener('securitypolicyviolation',
  e => window.cspViolations.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline')));"""

pytestmark = [pytest.mark.browser, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


@pytest.fixture
def site(live_server: str, database_url: str) -> dict[str, int]:
    return make_showcase(database_url)


def reader_pages(site: dict[str, int]) -> list[str]:
    return ["/", f"/articles/{site['article']}", f"/blocks/{site['block1']}", f"/blocks/{site['block3']}",
            "/login", "/register", "/password/reset"]


def admin_pages(site: dict[str, int]) -> list[str]:
    return [f"/blocks/{site['block1']}", f"/blocks/{site['block3']}", "/import", "/moderation",
            "/moderation/members", "/moderation/audit", f"/arguments/{site['long']}/edit",
            f"/arguments/{site['counter']}/versions", "/account/password", "/account/mail",
            f"/articles/{site['article']}",
            f"/articles/{site['article']}/unpublish", f"/articles/{site['unpublished']}",
            f"/arguments/{site['edited']}/edit", f"/arguments/{site['edited']}/versions"]


def sideways(page: Page) -> int:
    """How far the page scrolls sideways, with every folded part opened (deep replies, the tools)."""
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    return page.evaluate("document.scrollingElement.scrollWidth - document.scrollingElement.clientWidth")


def test_no_page_scrolls_sideways_on_a_phone(page: Page, live_server: str, site: dict[str, int]):
    page.set_viewport_size(PHONE)
    wide: dict[str, int] = {}
    for path in reader_pages(site):
        page.goto(live_server + path)
        if (overflow := sideways(page)) > 0:
            wide[path] = overflow
    # The long unbroken address is on the page, wrapped, not cut off.
    page.goto(f"{live_server}/blocks/{site['block1']}")
    expect(page.locator(f"#argument-{site['long']}")).to_contain_text(LONG_URL[:40])
    sign_in(page, live_server, "ada")
    for path in admin_pages(site):
        page.goto(live_server + path)
        if (overflow := sideways(page)) > 0:
            wide[f"{path} (admin)"] = overflow
    assert wide == {}, f"pages that scroll sideways at 390px, by how many pixels: {wide}"


def test_no_page_logs_an_error_or_breaks_the_content_security_policy(
    page: Page, live_server: str, site: dict[str, int], console_errors: list[str]
):
    page.add_init_script(RECORD_CSP)
    refused: dict[str, list[str]] = {}
    seen = 0

    def visit(path: str) -> None:
        nonlocal seen
        page.goto(live_server + path)
        page.wait_for_load_state("load")
        seen += 1
        if found := page.evaluate("window.cspViolations"):
            refused[path] = found

    for path in reader_pages(site):
        visit(path)
    sign_in(page, live_server, "ada")
    for path in admin_pages(site):
        visit(path)
    assert seen == len(reader_pages(site)) + len(admin_pages(site))
    assert refused == {}
    assert console_errors == []


def test_a_probe_of_inline_style_is_refused_and_seen(page: Page, live_server: str, site: dict[str, int]):
    """The CSP check above sees refusals: an inline style added to a page is refused and recorded."""
    page.add_init_script(RECORD_CSP)
    page.goto(live_server + "/")
    page.evaluate("document.head.insertAdjacentHTML('beforeend', '<style>body { color: red }</style>')")
    page.wait_for_function("window.cspViolations.length > 0")
    assert any(v.startswith("style-src") for v in page.evaluate("window.cspViolations"))


def boxes(page: Page, block_id: int) -> tuple[dict, dict]:
    text = page.locator(f"#block-{block_id} .block-text").bounding_box()
    summary = page.locator(f"#summary-{block_id}").bounding_box()
    assert text and summary
    return text, summary


def test_thread_summaries_sit_in_the_margin_on_wide_screens_and_under_on_phones(
    page: Page, live_server: str, site: dict[str, int]
):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/articles/{site['article']}")
    text, summary = boxes(page, site["block1"])
    assert summary["x"] >= text["x"] + text["width"], "the summary is beside its paragraph, to the right"
    assert summary["y"] < text["y"] + text["height"], "and level with it, not below"
    # A readable measure: the paragraph's line is 60 to 75 characters of its own font wide.
    measure = page.evaluate("""el => {
        const probe = document.createElement('span');
        probe.textContent = '0'.repeat(10);
        el.appendChild(probe);
        const ch = probe.getBoundingClientRect().width / 10;
        probe.remove();
        return el.getBoundingClientRect().width / ch;
    }""", page.locator(f"#block-{site['block1']} .block-text").element_handle())
    assert 60 <= measure <= 75, f"the paragraph is {measure:.0f} characters wide"

    page.set_viewport_size(PHONE)
    text, summary = boxes(page, site["block1"])
    assert summary["y"] >= text["y"] + text["height"], "on a phone the summary is under its paragraph"
    assert summary["x"] < text["x"] + text["width"]


def test_print_shows_the_article_and_its_verdicts_without_forms_or_navigation(
    page: Page, live_server: str, site: dict[str, int]
):
    sign_in(page, live_server, "moe")
    page.emulate_media(media="print")
    page.goto(f"{live_server}/articles/{site['article']}")
    paragraph = page.locator(f"#block-{site['block1']}")
    expect(paragraph.locator(".badge.consensus")).to_have_text("Contested")
    expect(paragraph.locator(".badge.consensus")).to_be_visible()
    expect(page.get_by_role("navigation", name="Account")).to_be_hidden()
    expect(paragraph.get_by_role("link", name=re.compile("^Discuss"))).to_be_hidden()
    # A footnote's link prints its address after it.
    after = page.locator("#cite-1 a").evaluate("a => getComputedStyle(a, '::after').content")
    assert "https://council.example/minutes" in after

    page.goto(f"{live_server}/blocks/{site['block1']}")
    assert page.locator("form").count() > 0
    for form in page.locator("form").all():
        expect(form).to_be_hidden()
    for button in page.locator("button").all():
        expect(button).to_be_hidden()
    expect(page.get_by_role("navigation", name="Other paragraphs")).to_be_hidden()
    panel = page.locator(".consensus-panel")
    expect(panel.locator(".badge.consensus")).to_have_text("Contested")
    expect(panel.locator(".badge.consensus")).to_be_visible()
    expect(panel.locator(".consensus-note")).to_contain_text("is disputed in the minutes")
    expect(page.locator(f"#argument-{site['counter']}")).to_be_visible()
    # A chain folded on screen is printed whole.
    page.goto(f"{live_server}/blocks/{site['block3']}")
    expect(page.locator(f"#argument-{site['chain4']}")).to_be_visible()

    page.emulate_media(media="screen")
    expect(page.locator("form.argument-form")).to_be_visible()


def test_times_read_relative_with_the_exact_time_on_hover(page: Page, live_server: str, site: dict[str, int]):
    page.goto(f"{live_server}/blocks/{site['block1']}")
    posted = page.locator(f"#argument-{site['counter']} > .argument-head time")
    expect(posted).to_have_text("just now")
    assert EXACT.match(posted.get_attribute("title") or "")
    stamp = datetime.fromisoformat(posted.get_attribute("datetime") or "")
    assert abs(datetime.now(UTC) - stamp) < timedelta(minutes=5)
    assert posted.get_attribute("title") == stamp.strftime("%Y-%m-%d %H:%M UTC")


def test_a_page_read_later_than_it_was_written_says_how_long_ago_as_of_now(
    page: Page, live_server: str, site: dict[str, int]
):
    """A cached page still says "just now"; the script works the words out again against the reader's clock."""
    page.clock.install(time=datetime.now(UTC) + timedelta(hours=3, minutes=5))
    page.goto(f"{live_server}/blocks/{site['block1']}")
    posted = page.locator(f"#argument-{site['counter']} > .argument-head time")
    expect(posted).to_have_text("3 hours ago")
    assert EXACT.match(posted.get_attribute("title") or "")


def test_without_javascript_the_server_wrote_the_relative_time(
    browser, live_server: str, site: dict[str, int]
):
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{live_server}/blocks/{site['block1']}")
        posted = page.locator(f"#argument-{site['counter']} > .argument-head time")
        expect(posted).to_have_text("just now")
        assert EXACT.match(posted.get_attribute("title") or "")
    finally:
        context.close()


def measure_of(page: Page, selector: str) -> float:
    """How many characters of its own font wide an element's lines are."""
    return page.evaluate("""el => {
        const probe = document.createElement('span');
        probe.textContent = '0'.repeat(10);
        el.appendChild(probe);
        const ch = probe.getBoundingClientRect().width / 10;
        probe.remove();
        return el.getBoundingClientRect().width / ch;
    }""", page.locator(selector).element_handle())


def test_the_thread_shows_its_case_side_by_side_on_wide_screens_and_in_one_column_on_phones(
    page: Page, live_server: str, site: dict[str, int]
):
    page.set_viewport_size(DESKTOP)
    page.goto(f"{live_server}/blocks/{site['block1']}")
    counter, support, question = (
        page.locator(f".column-{stance}").bounding_box() for stance in ("counter", "support", "question")
    )
    assert support["x"] >= counter["x"] + counter["width"], "support sits beside the counterarguments"
    assert abs(support["y"] - counter["y"]) < 2, "and level with them"
    assert question["y"] >= max(counter["y"] + counter["height"], support["y"] + support["height"])
    main = page.locator("#main").bounding_box()
    assert support["x"] + support["width"] > main["x"] + main["width"] * .85, "the columns use the width"
    # Each column is ranked by the sort: the column holds its own stance only.
    expect(page.locator(".column-counter .argument-tree > article.argument.stance-support")).to_have_count(0)
    expect(page.locator(f".column-support #argument-{site['long']}")).to_be_visible()
    # The paragraph keeps its reading measure, its verdict beside it.
    assert 60 <= measure_of(page, ".thread-text .block-text") <= 75
    text, panel = page.locator(".thread-text").bounding_box(), page.locator(".consensus-panel").bounding_box()
    assert panel["x"] >= text["x"] + text["width"] and panel["y"] < text["y"] + text["height"]

    page.set_viewport_size(PHONE)
    counter, support, question = (
        page.locator(f".column-{stance}").bounding_box() for stance in ("counter", "support", "question")
    )
    assert counter["x"] == support["x"] == question["x"], "one column on a phone"
    assert counter["y"] + counter["height"] <= support["y"] and support["y"] + support["height"] <= question["y"]


def test_threads_are_named_by_their_place_and_first_words(page: Page, live_server: str, site: dict[str, int]):
    page.goto(f"{live_server}/blocks/{site['block1']}")
    expect(page).to_have_title(re.compile(
        r"^Paragraph 2: The council raised the toll for the third time in… · The Harbour Bridge"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Paragraph 2: The council raised the toll for the third time in…")
    page.goto(f"{live_server}/blocks/{site['block3']}")
    expect(page).to_have_title(re.compile(r"^Paragraph 3: Most crossings are made by shift workers"))


def test_small_things_look_as_they_should(page: Page, live_server: str, site: dict[str, int]):
    """A quote in an argument has its bar; moderation reasons look like the other fields; the edit page's
    footnote markers are superscript; the audit table says, on a phone, that it scrolls."""
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server}/blocks/{site['block3']}")
    form = page.locator("#composer-new")
    form.get_by_label("Your argument").fill("> Twice, in the table.\n\nSo the count holds.")
    form.get_by_role("button", name="Preview").click()
    quote = page.get_by_role("region", name="Preview").locator("blockquote")
    expect(quote).to_have_text("Twice, in the table.")
    assert quote.evaluate("el => parseFloat(getComputedStyle(el).borderLeftWidth)") >= 3

    page.goto(f"{live_server}/blocks/{site['block1']}")
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    styled = """el => { const s = getComputedStyle(el);
        return [s.paddingTop, s.paddingLeft, s.borderTopWidth, s.borderTopStyle, s.borderRadius]; }"""
    field = page.locator("#composer-new input[type=url]").first.evaluate(styled)
    for selector in (f"#hide-reason-{site['question']}", "#lock-reason"):
        assert page.locator(selector).evaluate(styled) == field, selector
    page.goto(f"{live_server}/moderation")
    assert page.locator(".flag-actions input[name=reason]").first.evaluate(styled) == field, "the queue's reason"

    page.goto(f"{live_server}/arguments/{site['counter']}/edit")
    marker = page.locator(".edit-argument .thread-text sup.cite").first
    expect(marker).to_have_text("[1]")
    assert marker.evaluate("el => getComputedStyle(el).verticalAlign") == "super"

    page.goto(f"{live_server}/moderation/audit")
    hint = page.get_by_text("scroll it sideways")
    expect(hint).to_be_hidden()
    page.set_viewport_size(PHONE)
    expect(hint).to_be_visible()
    table = page.get_by_role("region", name=re.compile("Moderator and admin actions"))
    table.focus()
    expect(table).to_be_focused()
