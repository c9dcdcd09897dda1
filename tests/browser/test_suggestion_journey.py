"""A moderator takes a computed suggestion into the verdict form, checks it, and saves it as the verdict."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from forum.db import get_session
from forum.models import Role
from forum.scoring import ArgumentScore
from forum.services import accounts, arguments, lookup, scoring_runs, votes
from forum.services.members import find_member
from tests.articles import SAMPLE, make_article
from tests.browser.journeys import PASSWORD, sign_in
from wsgi import create_app

SUPPORT = "The minutes of March record the third rise."
COUNTER = "Only two rises were ever voted."


@pytest.fixture
def scored(live_server: str, database_url: str, monkeypatch) -> dict[str, int]:
    """The sample article's first paragraph with a support every camp found helpful and a partisan counter,
    scored by a stand-in for the scorer (its own tests measure it)."""
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    ids = make_article(app, SAMPLE)
    with app.app_context():
        session = get_session()
        for name, role in (("moe", Role.MODERATOR), ("bob", Role.MEMBER), ("carol", Role.MEMBER)):
            accounts.register(session, name, PASSWORD, role=role)
        session.flush()
        thread = lookup.get_thread(session, ids["block1"])
        support = arguments.post_argument(session, thread, find_member(session, "bob"), stance="support", body=SUPPORT)
        counter = arguments.post_argument(session, thread, find_member(session, "carol"), stance="counter",
                                          body=COUNTER)
        session.commit()
        ids["support"], ids["counter"] = support.id, counter.id
        for n in range(6):
            accounts.register(session, f"voter{n}", PASSWORD)
            session.flush()
            voter = find_member(session, f"voter{n}")
            votes.cast_vote(session, support.id, voter, 1)
            votes.cast_vote(session, counter.id, voter, 1 if n < 3 else -1)
        session.commit()
        chosen = {support.id: ArgumentScore(0.62, True, 6, 0.05, (4, 2)),
                  counter.id: ArgumentScore(0.02, False, 6, 0.9, (3, 3))}
        monkeypatch.setattr(scoring_runs, "score_votes", lambda v, a, x, *, seed=0: {i: chosen[i] for i in set(a)})
        scoring_runs.score(session)
        session.commit()
    app.extensions["forum"].dispose()
    return ids


@pytest.mark.browser
def test_a_moderator_accepts_a_suggestion_into_the_form_and_saves_it(
    page: Page, live_server: str, scored: dict[str, int], console_errors: list[str]
):
    thread = live_server + f"/blocks/{scored['block1']}"
    page.goto(thread)
    panel = page.locator(".consensus-panel")
    expect(panel.locator(".badge.consensus")).to_have_text("Open")
    expect(panel.locator(".suggestion-line")).to_contain_text("Computed from members’ votes, not a moderator’s verdict")
    expect(page.get_by_role("link", name=re.compile("^Accept"))).to_have_count(0)

    sign_in(page, live_server, "moe")
    page.goto(thread)
    desk = page.locator(".suggestion-panel")
    expect(desk.locator(".badge.suggestion")).to_have_text("Supported")
    expect(desk).to_contain_text("6 on the support side")
    expect(desk.get_by_role("link", name="Support by bob")).to_be_visible()
    expect(desk).to_contain_text("helpfulness 0.62, rated by 4 and 2 members of the two sides")
    desk.get_by_role("link", name=re.compile("^Accept")).click()
    expect(page).to_have_url(re.compile(r"accept=suggestion#verdict-form$"))
    expect(page.locator(".suggestion-accepted")).to_contain_text("save to make it the verdict")
    form = page.locator("form.verdict-form")
    expect(form.get_by_label("Status")).to_have_value("supported")
    expect(form.locator(f'input[name="key_arguments"][value="{scored["support"]}"]')).to_be_checked()
    expect(form.locator(f'input[name="key_arguments"][value="{scored["counter"]}"]')).not_to_be_checked()
    # Nothing is decided until the moderator saves.
    expect(page.locator(".consensus-panel .badge.consensus")).to_have_text("Open")
    form.get_by_label("Note (Markdown)").fill("The minutes settle it.")
    form.get_by_role("button", name="Save verdict").click()
    expect(page.locator(".flashes")).to_contain_text("Supported")
    expect(page.locator(".consensus-panel .badge.consensus")).to_have_text("Supported")
    expect(page.locator(".key-arguments")).to_contain_text("Support by bob")
    assert console_errors == []
