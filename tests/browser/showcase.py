"""A forum with something of everything on its pages, for the accessibility and layout checks.

The debate of the journeys (a sourced counter, a reply, a question, a contested verdict, a chain of replies
deep enough to fold) plus an argument with a long unbroken URL, a hidden argument, an open flag and an admin,
so that every element a page can show is there to be checked.
"""

from __future__ import annotations

from forum.db import get_session
from forum.models import Role
from forum.services import accounts, arguments, articles, moderation
from forum.services.arguments import SourceInput
from forum.services.members import find_member
from tests.browser.journeys import PASSWORD, make_debate
from wsgi import create_app

LONG_URL = "https://archive.example/" + "tollrecords" * 30 + "?page=" + "7" * 60
HIDDEN_SAYS = "Everyone who drives at night deserves what they get."


def make_showcase(database_url: str) -> dict[str, int]:
    """The debate with a verdict and a deep chain, a long URL, a hidden argument, a flag, and ada the admin."""
    ids = make_debate(database_url, verdict=True, chain=True)
    app = create_app({"SECRET_KEY": "setup", "FORUM_DATABASE_URL": database_url})
    with app.app_context():
        session = get_session()
        accounts.register(session, "ada", PASSWORD, role=Role.ADMIN)
        session.flush()
        bob, carol, moe = (find_member(session, name) for name in ("bob", "carol", "moe"))
        thread = articles.get_thread(session, ids["block1"])
        long_one = arguments.post_argument(
            session, thread, bob, stance="support",
            body=f"The ledger is online: {LONG_URL}",
            sources=[SourceInput(LONG_URL, None, "Receipts " + "x" * 120, None)],
        )
        hidden = arguments.post_argument(session, thread, carol, stance="counter", body=HIDDEN_SAYS)
        moderation.hide(session, hidden.id, moe, "Insults a group of readers.")
        moderation.flag(session, ids["counter"], carol, "other", "The minutes say three, not two.")
        session.commit()
        ids.update(long=long_one.id, hidden=hidden.id)
    app.extensions["forum"].dispose()
    return ids
