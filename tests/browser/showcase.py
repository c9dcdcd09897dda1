"""A forum with something of everything on its pages, for the accessibility and layout checks.

The debate of the journeys (a sourced counter, a reply, a question, a contested verdict, a chain of replies
deep enough to fold) plus an argument with a long unbroken URL, a hidden argument, an open flag and an admin,
an argument edited by its author and then by a moderator, a footnote filled by an accepted proposal and
another with a proposal waiting, and a second article, unpublished, so that every element a page can show
is there to be checked.
"""

from __future__ import annotations

import dataclasses

from forum.db import get_session
from forum.models import Argument, Role
from forum.services import accounts, arguments, citations, lookup, moderation, publication
from forum.services.arguments import SourceInput
from forum.services.members import find_member
from tests.articles import SAMPLE, make_article
from tests.browser.journeys import PASSWORD, make_debate
from wsgi import create_app

LONG_URL = "https://archive.example/" + "tollrecords" * 30 + "?page=" + "7" * 60
HIDDEN_SAYS = "Everyone who drives at night deserves what they get."
EDITED_FIRST = "Night crossings cost the same as day ones, you fools."
EDITED_THEN = "Night crossings cost the same as day ones, even after ten, you fools."
EDITED_NOW = "Night crossings cost the same as day ones, even after ten."
EDIT_REASON = "Name-calling removed."


def make_showcase(database_url: str) -> dict[str, int]:
    """The debate with a verdict and a deep chain, a long URL, a hidden argument, a flag, and ada the admin."""
    ids = make_debate(database_url, verdict=True, chain=True)
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    with app.app_context():
        session = get_session()
        accounts.register(session, "ada", PASSWORD, role=Role.ADMIN)
        session.flush()
        bob, carol, moe = (find_member(session, name) for name in ("bob", "carol", "moe"))
        thread = lookup.get_thread(session, ids["block1"])
        long_one = arguments.post_argument(
            session, thread, bob, stance="support",
            body=f"The ledger is online: {LONG_URL}",
            sources=[SourceInput(LONG_URL, None, "Receipts " + "x" * 120, None)],
        )
        hidden = arguments.post_argument(session, thread, carol, stance="counter", body=HIDDEN_SAYS)
        moderation.hide(session, hidden.id, moe, "Insults a group of readers.")
        moderation.flag(session, ids["counter"], carol, "other", "The minutes say three, not two.")
        edited = arguments.post_argument(
            session, lookup.get_thread(session, ids["block3"]), carol, stance="counter", body=EDITED_FIRST,
            sources=[SourceInput("https://survey.example/2022", "Survey 2022", None, 3)],
        )
        session.flush()
        arguments.edit_argument(session, edited, carol, body=EDITED_THEN)
        arguments.edit_argument(session, edited, moe, body=EDITED_NOW, reason=EDIT_REASON)
        counter = session.get(Argument, ids["counter"])
        citations.accept_citation(session, ids["article"], 2, moe, counter.sources[0].id)
        session.commit()
        ids.update(long=long_one.id, hidden=hidden.id, edited=edited.id, bob=bob.id, carol=carol.id)
    gone = make_article(app, dataclasses.replace(SAMPLE, title="An Unpublished Toll"))
    with app.app_context():
        session = get_session()
        publication.unpublish_article(session, gone["article"], find_member(session, "ada"), "Imported by mistake.")
        session.commit()
    ids.update(unpublished=gone["article"], unpublished_block=gone["block1"])
    app.extensions["forum"].dispose()
    return ids
