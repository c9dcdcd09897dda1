"""Who may do what: every mutating route of the app, HTML and API, against one permission policy.

The matrix is built from the app's URL map, so a new route without a line in `POLICY` fails the suite.
"""

from __future__ import annotations

import dataclasses
import itertools
import re
import secrets
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import ApiToken, Block, Member, Role
from forum.services import moderation, tokens
from forum.services.arguments import SourceInput, post_argument
from forum.services.members import ensure_member, remove_member
from tests.articles import SAMPLE, make_article
from tests.helpers import PASSWORD

# "removed" is an admin whose membership was removed: signed in (or holding a token that outlived the
# removal), they may read and look after their own account, and nothing else.
PERSONAS = ("anonymous", "member", "author", "moderator", "admin", "removed")
ANYONE = frozenset(PERSONAS)
MEMBERS = frozenset({"member", "author", "moderator", "admin"})
SIGNED_IN = MEMBERS | {"removed"}
NOT_THE_AUTHOR = frozenset({"member", "moderator", "admin"})
AUTHOR_OR_MODERATOR = frozenset({"author", "moderator", "admin"})
AUTHOR = frozenset({"author"})
MODERATORS = frozenset({"moderator", "admin"})
ADMINS = frozenset({"admin"})

# The one permission policy: endpoint -> who may use it. Everyone else is refused (401 or 403).
POLICY = {
    # The API
    "forum.api.create_token": ANYONE,
    "forum.api.revoke_current_token": SIGNED_IN,
    "forum.api.no_such_route": ANYONE,
    "forum.api.create_article": ADMINS,
    "forum.api.unpublish_article": ADMINS,
    "forum.api.revise_article": ADMINS,
    "forum.api.accept_citation": MODERATORS,
    "forum.api.post_argument": MEMBERS,
    "forum.api.preview": MEMBERS,
    "forum.api.edit_argument": AUTHOR_OR_MODERATOR,
    "forum.api.withdraw_argument": AUTHOR,
    "forum.api.vote": NOT_THE_AUTHOR,
    "forum.api.flag_argument": NOT_THE_AUTHOR,
    "forum.api.set_consensus": MODERATORS,
    "forum.api.resolve_flag": MODERATORS,
    "forum.api.hide_argument": MODERATORS,
    "forum.api.restore_argument": MODERATORS,
    "forum.api.lock_thread": MODERATORS,
    "forum.api.set_member_role": ADMINS,
    "forum.api.remove_member": MODERATORS,
    "forum.api.mark_read": MEMBERS,
    "forum.api.watch_thread": MEMBERS,
    "forum.api.watch_article": MEMBERS,
    # The pages
    "forum_accounts.login": ANYONE,
    "forum_accounts.register": ANYONE,
    "forum_accounts.logout": ANYONE,
    "forum_accounts.change_password": SIGNED_IN,
    "forum_accounts.request_password_reset": ANYONE,
    "forum_accounts.reset_password": ANYONE,  # the mailed link is the authority (a bad one: 400)
    "forum_accounts.mail_settings": SIGNED_IN,
    "forum.unsubscribe": ANYONE,  # likewise
    "forum.import_article": ADMINS,
    "forum.unpublish_article": ADMINS,
    "forum.accept_citation": MODERATORS,
    "forum.post_argument": MEMBERS,
    "forum.save_argument": AUTHOR_OR_MODERATOR,
    "forum.withdraw_argument": AUTHOR,
    "forum.vote": NOT_THE_AUTHOR,
    "forum.flag_argument": NOT_THE_AUTHOR,
    "forum.set_consensus": MODERATORS,
    "forum.resolve_flag": MODERATORS,
    "forum.hide_argument": MODERATORS,
    "forum.restore_argument": MODERATORS,
    "forum.lock_thread": MODERATORS,
    "forum.attach_thread": MODERATORS,
    "forum.change_role": ADMINS,
    "forum.remove_member": MODERATORS,
    "forum.mark_notifications_read": MEMBERS,
    "forum.watch_thread": MEMBERS,
    "forum.watch_article": MEMBERS,
}

# What each route is sent: valid enough that an allowed persona gets past the permission check.
QUERIES = {"forum.api.search": "?q=toll"}
ARTICLE_TEXT = "A Bridge Too Dear\n\nThe toll went up again this spring, and drivers noticed."
BODIES = {
    "forum.api.create_token": lambda w: {"username": "author", "password": PASSWORD},
    "forum.api.create_article": lambda w: {"text": f"{ARTICLE_TEXT} ({w.serial})", "format": "text"},
    "forum.api.accept_citation": lambda w: {"source_id": w.source_id},
    "forum.api.revise_article": lambda w: {"text": f"{ARTICLE_TEXT} ({w.serial}) Revised.", "format": "text"},
    "forum.api.post_argument": lambda w: {"stance": "support", "body": "A point."},
    "forum.api.preview": lambda w: {"body": "*A point.*"},
    "forum.api.edit_argument": lambda w: {"body": "A better point."},
    "forum.api.vote": lambda w: {"value": 1},
    "forum.api.flag_argument": lambda w: {"reason": "spam"},
    "forum.api.set_consensus": lambda w: {"status": "contested", "note": "Close.", "version": 0},
    "forum.api.resolve_flag": lambda w: {"action": "dismiss"},
    "forum.api.hide_argument": lambda w: {"reason": "Spam."},
    "forum.api.restore_argument": lambda w: {"reason": "Not spam."},
    "forum.api.lock_thread": lambda w: {"locked": True, "reason": "Heated."},
    "forum.api.set_member_role": lambda w: {"role": "moderator"},
    "forum.api.remove_member": lambda w: {"reason": "Spam."},
    "forum.api.mark_read": lambda w: {"all": True},
    "forum.api.watch_thread": lambda w: {"level": "watching"},
    "forum.api.watch_article": lambda w: {"level": "muted"},
    "forum_accounts.login": lambda w: {"username": "author", "password": PASSWORD},
    "forum_accounts.register": lambda w: {"username": f"newcomer{w.serial}", "password": PASSWORD,
                                          "confirm": PASSWORD},
    "forum_accounts.change_password": lambda w: {"current_password": "not it at all",
                                                 "new_password": "another long password",
                                                 "confirm": "another long password"},
    "forum_accounts.request_password_reset": lambda w: {"name_or_email": "author"},
    "forum_accounts.reset_password": lambda w: {"new_password": "another long password",
                                                "confirm": "another long password"},
    "forum_accounts.mail_settings": lambda w: {"email": "", "digest": "daily"},
    "forum.unsubscribe": lambda w: {"List-Unsubscribe": "One-Click"},
    "forum.import_article": lambda w: {"text": f"{ARTICLE_TEXT} ({w.serial})", "format": "text"},
    "forum.unpublish_article": lambda w: {"reason": "A duplicate."},
    "forum.accept_citation": lambda w: {"source_id": str(w.source_id)},
    "forum.post_argument": lambda w: {"stance": "support", "body": "A point."},
    "forum.save_argument": lambda w: {"body": "A better point."},
    "forum.vote": lambda w: {"value": "1"},
    "forum.flag_argument": lambda w: {"reason": "spam"},
    "forum.set_consensus": lambda w: {"status": "contested", "note": "Close.", "version": "0"},
    "forum.resolve_flag": lambda w: {"action": "dismiss"},
    "forum.hide_argument": lambda w: {"reason": "Spam."},
    "forum.restore_argument": lambda w: {"reason": "Not spam."},
    "forum.lock_thread": lambda w: {"locked": "1", "reason": "Heated."},
    "forum.attach_thread": lambda w: {"target": str(w.block_id)},
    "forum.change_role": lambda w: {"role": "moderator"},
    "forum.remove_member": lambda w: {"reason": "Spam."},
    "forum.mark_notifications_read": lambda w: {"all": "1"},
    "forum.watch_thread": lambda w: {"level": "watching"},
    "forum.watch_article": lambda w: {"level": "muted"},
}
WRITES = {"POST", "PUT", "PATCH", "DELETE"}
SIGN_IN_PAGE = re.compile(r"/login(\?|$)")
serials = itertools.count()


@dataclass
class World:
    """Fresh things for one request to act on, so that no request sees another's effects."""

    serial: int
    article_id: int
    block_id: int
    argument_id: int
    flag_id: int
    member_id: int
    # A member's source proposed for footnote [2] of the article, and that number.
    source_id: int
    number: int = 2


def mutating_routes(app):
    """Every (endpoint, method, rule) of the app that writes."""
    return sorted(
        (rule.endpoint, method, rule.rule)
        for rule in app.url_map.iter_rules()
        for method in rule.methods & WRITES
        if not rule.endpoint.startswith("static") and rule.endpoint != "forum.static"
    )


def make_world(app, hidden: bool = False) -> World:
    """An article, an argument on its first thread by the author proposing a source for its footnote [2],
    a flag on it, and a member to promote."""
    serial = next(serials)
    ids = make_article(app, dataclasses.replace(SAMPLE, title=f"{SAMPLE.title} ({serial})"))
    with app.app_context():
        session = get_session()
        author = session.scalar(sa.select(Member).where(Member.name == "author"))
        flagger = ensure_member(session, f"flagger-{serial}", f"flagger {serial}")
        target = ensure_member(session, f"target-{serial}", f"target {serial}")
        argument = post_argument(session, session.get(Block, ids["block1"]), author,
                                 stance="counter", body="Twice, not three times.",
                                 sources=[SourceInput("https://toll.example/raises", citation=2)])
        flag = moderation.flag(session, argument.id, flagger, "spam")
        if hidden:
            # Restoring needs something hidden, so that an allowed moderator meets no conflict either.
            argument.hidden, argument.hidden_reason = True, "Spam."
        session.commit()
        return World(serial, ids["article"], ids["block1"], argument.id, flag.id, target.id,
                     argument.sources[0].id)


def url_for_rule(rule: str, world: World) -> str:
    """The rule with the world's ids filled in."""
    values = {"block_id": world.block_id, "argument_id": world.argument_id, "flag_id": world.flag_id,
              "member_id": world.member_id, "article_id": world.article_id, "number": world.number,
              "_rest": "nothing/here", "token": "not-a-token"}
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), rule)


@pytest.fixture
def people(app, make_user):
    """An account per signed-in persona; write limits raised so that the matrix measures permissions only."""
    for name in ("LOGIN", "REGISTER", "POST", "POST_NEW_MEMBER", "EDIT", "VOTE", "FLAG", "SEARCH", "WATCH", "READ",
                 "EXPORT", "PASSWORD_RESET"):
        app.config[f"FORUM_RATELIMIT_{name}"] = "100000 per minute"
    roles = {"member": Role.MEMBER, "author": Role.MEMBER, "moderator": Role.MODERATOR, "admin": Role.ADMIN,
             "removed": Role.ADMIN}
    made = {persona: make_user(persona, role) for persona, role in roles.items()}
    with app.app_context():
        session = get_session()
        remove_member(session, session.scalar(sa.select(Member).where(Member.name == "removed")))
        session.commit()
    return made


def send(app, people, persona, endpoint, method, rule):
    """Make one request of `persona` on a fresh world; the API with a bearer token, pages with a session."""
    world = make_world(app, hidden=endpoint.endswith("restore_argument"))
    client = app.test_client()
    url = url_for_rule(rule, world) + QUERIES.get(endpoint, "")
    body = BODIES.get(endpoint, lambda w: None)(world)
    if endpoint.startswith("forum.api."):
        headers = {}
        if persona != "anonymous":
            with app.app_context():
                session = get_session()
                member = session.scalar(sa.select(Member).where(Member.name == persona))
                if member.removed_at is None:
                    _, secret = tokens.issue_token(session, member)
                else:  # no token is issued to a removed member any more; one may have outlived the removal
                    secret = secrets.token_urlsafe(32)
                    session.add(ApiToken(member=member, digest=tokens.digest(secret)))
                session.commit()
            headers["Authorization"] = f"Bearer {secret}"
        return client.open(url, method=method, json=body, headers=headers)
    if persona != "anonymous":
        user = people[persona]
        signed_in = client.submit("/login", {"username": user.username, "password": user.password})
        assert signed_in.status_code == 302
    return client.submit(url, body or {}) if method == "POST" else client.open(url, method=method)


def test_every_mutating_route_has_a_policy(app):
    missing = sorted({endpoint for endpoint, _, _ in mutating_routes(app)} - POLICY.keys())
    assert not missing, f"every new route needs a policy in tests/test_authorization.py: {missing}"


def test_the_permission_matrix(app, client, people):
    app.test_client_class = type(client)
    failures, seen = [], []
    for endpoint, method, rule in mutating_routes(app):
        allowed = POLICY.get(endpoint)
        if allowed is None:
            continue  # reported by test_every_mutating_route_has_a_policy
        for persona in PERSONAS:
            response = send(app, people, persona, endpoint, method, rule)
            status = response.status_code
            seen.append((endpoint, persona, status))
            location = response.headers.get("Location", "")
            if persona in allowed:
                ok = status not in (401, 403) and not (300 <= status < 400 and SIGN_IN_PAGE.search(location))
                expected = "allowed"
            elif persona == "anonymous":
                ok = status == 401 or (status in (302, 303) and bool(SIGN_IN_PAGE.search(location)))
                expected = "401 or a redirect to sign in"
            else:
                ok = status == 403
                expected = "403"
            if not ok:
                failures.append(f"{method} {rule} ({endpoint}) as {persona}: {status} {location}, expected {expected}")
    assert not failures, "\n".join(failures)
    assert len(seen) >= len(PERSONAS) * len(POLICY.keys() & {e for e, _, _ in mutating_routes(app)})
