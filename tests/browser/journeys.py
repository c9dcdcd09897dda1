"""What the journey tests share: a discussed article in the live site's database, and keyboard-only moves."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Locator, Page, expect

from forum.db import get_session
from forum.models import Role
from forum.services import accounts, arguments, consensus, lookup
from forum.services.arguments import SourceInput
from forum.services.members import find_member
from tests.articles import SAMPLE, make_article
from wsgi import create_app

PASSWORD = "tidal charts and lanterns"
BOB_SAYS = "The minutes record two rises, not three."
CAROL_SAYS = "The third rise was voted in 2021, so three in two years is wrong by a month."
CAROL_ASKS = "Which crossings count as made by shift workers?"
VERDICT_NOTE = "The count of rises is **disputed** in the minutes."
# Deep enough that the last replies fold into "Show more replies" (the thread page indents four levels).
CHAIN = [
    ("bob", "counter", "The toll pays for the new deck, not for the council's budget."),
    ("carol", "question", "Where does the budget say the toll goes to the deck?"),
    ("bob", "support", "Page 12 of the budget ties the toll to the deck."),
    ("carol", "counter", "Page 12 names the deck once and the general fund twice."),
    ("bob", "question", "Twice where: in the table or in the notes?"),
]

# The focused element, whether it is the target, and whether a sighted keyboard user can see where focus is.
FOCUS_STATE = """target => {
  const el = document.activeElement;
  if (!el || el === document.body) return {isTarget: false, onPage: false, visible: false, what: 'the page'};
  const style = getComputedStyle(el);
  const outline = style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0;
  const box = el.getBoundingClientRect();
  return {
    isTarget: el === target,
    onPage: true,
    visible: (outline || style.boxShadow !== 'none') && box.width > 0 && box.height > 0,
    what: el.outerHTML.slice(0, 160),
  };
}"""


def make_debate(
    database_url: str, *, verdict: bool = False, chain: bool = False, admin: bool = False
) -> dict[str, int]:
    """The sample article with bob's sourced counter, carol's reply and question, and a moderator, moe.

    With `verdict`, moe has marked the first paragraph contested with a note; with `chain`, a second
    paragraph holds a chain of replies deep enough to fold; with `admin`, ada is an admin.
    """
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    ids = make_article(app, SAMPLE)
    with app.app_context():
        session = get_session()
        people = [("bob", Role.MEMBER), ("carol", Role.MEMBER), ("moe", Role.MODERATOR)]
        for name, role in people + ([("ada", Role.ADMIN)] if admin else []):
            accounts.register(session, name, PASSWORD, role=role)
        session.flush()
        bob, carol, moe = (find_member(session, name) for name in ("bob", "carol", "moe"))
        thread = lookup.get_thread(session, ids["block1"])
        counter = arguments.post_argument(
            session, thread, bob, stance="counter", body=BOB_SAYS,
            sources=[SourceInput("https://council.example/minutes-2023", "Council minutes, March 2023", None, 2)],
        )
        reply = arguments.post_argument(
            session, thread, carol, stance="support", body=CAROL_SAYS, parent_id=counter.id,
            sources=[SourceInput("https://archive.example/vote-2021", "Vote of 2021", "Carried 7 to 4.")],
        )
        question = arguments.post_argument(session, thread, carol, stance="question", body=CAROL_ASKS)
        ids.update(counter=counter.id, reply=reply.id, question=question.id)
        if verdict:
            consensus.set_consensus(
                session, ids["block1"], moe, status="contested", note=VERDICT_NOTE, version=0,
                key_arguments=[counter.id],
            )
        if chain:
            parent = None
            for n, (name, stance, body) in enumerate(CHAIN):
                author = bob if name == "bob" else carol
                parent = arguments.post_argument(
                    session, lookup.get_thread(session, ids["block3"]), author,
                    stance=stance, body=body, parent_id=parent.id if parent else None,
                )
                ids[f"chain{n}"] = parent.id
        session.commit()
    app.extensions["forum"].dispose()
    return ids


def argument_in_address(page: Page) -> Locator:
    """The argument the address bar points at (`#argument-N`), as after posting, whether by redirect or in place."""
    expect(page).to_have_url(re.compile(r"#argument-\d+$"))
    return page.locator("#" + urlsplit(page.url).fragment)


def tab_to(page: Page, target: Locator, *, backwards: bool = False, limit: int = 120) -> None:
    """Press Tab (Shift+Tab) until `target` has focus; every stop on the way must show where focus is."""
    handle = target.element_handle()
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        page.keyboard.press(key)
        state = page.evaluate(FOCUS_STATE, handle)
        # Past the last control focus leaves the page for the browser's own UI; the next Tab comes back.
        if state["onPage"]:
            assert state["visible"], f"no visible focus indicator on {state['what']}"
        if state["isTarget"]:
            expect(target).to_be_in_viewport()
            return
    raise AssertionError(f"{limit} presses of {key} never reached {target}")


def expect_focus_on(page: Page, target: Locator) -> None:
    """Assert that `target` has focus and shows it."""
    expect(target).to_be_focused()
    state = page.evaluate(FOCUS_STATE, target.element_handle())
    assert state["visible"], f"no visible focus indicator on {state['what']}"


def expect_focus_goes_on_inside(page: Page, where: str) -> None:
    """After a jump to an argument, the next Tab lands inside it rather than back at the top of the page."""
    page.keyboard.press("Tab")
    expect_focus_on(page, page.locator(f"{where} :focus").first)


def press_enter(page: Page) -> None:
    """Press Enter on the focused control and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def type_into(page: Page, field: Locator, text: str) -> None:
    """Tab to `field` and type `text` into it, key by key."""
    tab_to(page, field)
    page.keyboard.type(text)


def sign_in(page: Page, base: str, name: str) -> None:
    """Sign in through the login form."""
    page.goto(base + "/login")
    page.get_by_label("User name").fill(name)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Account")).to_contain_text(f"Signed in as {name}")


def sign_in_by_keyboard(page: Page, base: str, name: str) -> None:
    """From the home page, sign in as `name` with the keyboard alone."""
    page.goto(base + "/")
    account = page.get_by_role("navigation", name="Account")
    tab_to(page, account.get_by_role("link", name="Sign in"))
    press_enter(page)
    type_into(page, page.get_by_label("User name"), name)
    type_into(page, page.get_by_label("Password", exact=True), PASSWORD)
    tab_to(page, page.get_by_role("button", name="Sign in"))
    press_enter(page)
    expect(account).to_contain_text(f"Signed in as {name}")
