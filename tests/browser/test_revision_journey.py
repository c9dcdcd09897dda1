"""A revised article in a real browser: an admin revises it from its page, reviews what becomes of each paragraph,
publishes it, and a reader opens a thread to see what changed since bob's counterargument was written."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.journeys import BOB_SAYS, make_debate, sign_in

# The sample article (tests/articles.py) as plain text, its first paragraph reworded.
REVISED = """The Harbour Bridge Toll Is a Tax on the Poor

Above: commuters queue at the toll gates before dawn.

The council raised the toll twice in two years.[1] Officials call it maintenance; drivers call it a tax.[2]

Who pays

Most crossings are made by shift workers from the eastern suburbs.[2][3]

A toll is a tax you pay for living far away.

A new paragraph asks what the ferry would cost instead, and nobody has an answer yet.
"""


@pytest.fixture
def debate(live_server: str, database_url: str) -> dict[str, int]:
    """The journeys' debate (bob's counter on the first paragraph) and ada, an admin."""
    return make_debate(database_url, admin=True)


@pytest.mark.browser
def test_an_admin_revises_reviews_and_publishes_and_a_reader_reads_the_diff(
    page: Page, live_server: str, debate: dict[str, int], console_errors: list[str]
):
    sign_in(page, live_server, "ada")
    page.goto(f"{live_server}/articles/{debate['article']}")
    expect(page.locator(".revision-note")).to_contain_text("Revision 1 of this article")
    page.get_by_role("link", name="Revise this article…").click()
    expect(page.get_by_label("Revises article number (optional)")).to_have_value(str(debate["article"]))
    page.get_by_label("Paste its text").fill(REVISED)
    page.get_by_role("button", name="Review").click()

    review = page.locator(".revision-review")
    expect(review.get_by_role("heading", level=2)).to_contain_text("Review revision 2")
    # The quote comes back as plain text, a paragraph: edited too.
    edited = review.locator("li.review-block.change-edited").filter(has_text="raised the toll")
    expect(edited).to_contain_text("keeps the thread of")
    expect(edited.locator("ins")).to_contain_text("twice")
    expect(review.locator("li.review-block.change-added")).to_contain_text("what the ferry would cost")
    expect(review.locator(".revision-removed")).to_contain_text("Night shifts")

    page.get_by_role("button", name="Publish revision 2").click()
    expect(page.locator(".revision-note")).to_contain_text("Revision 2 of this article. Since revision 1:")
    removed = page.get_by_role("region", name="Removed paragraphs")
    expect(removed).to_contain_text("Night shifts")

    page.goto(f"{live_server}/blocks/{debate['block1']}")
    changes = page.get_by_role("region", name="The paragraph changed since some arguments were written")
    expect(changes).to_contain_text("answered its wording of revision 1")
    expect(changes.locator("del")).to_contain_text("for the third time")
    expect(changes.locator("ins")).to_contain_text("twice")
    expect(page.locator(f"#argument-{debate['counter']}")).to_contain_text(BOB_SAYS)
    assert console_errors == []
