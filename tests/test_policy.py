"""One policy per state: what a locked thread, a hidden argument and a withdrawn one allow is the same on the
pages (what they offer, what their forms do) and in the API, for every action."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, AuditEntry, Block, Flag, Role, Vote
from forum.services import arguments, members, moderation
from tests.articles import make_article

STATES = ["open", "locked", "hidden", "withdrawn"]
# Who acts: bob wrote the argument, mia is another member, moe moderates.
ACTORS = {
    "post": "mia", "reply": "mia", "vote": "mia", "edit": "bob", "moderator edit": "moe",
    "withdraw": "bob", "flag": "mia", "hide": "moe", "restore": "moe",
}
# The status of a refusal, by state and action; an action not named is allowed.
REFUSED = {
    "open": {"restore": 409},
    "locked": {"post": 403, "reply": 403, "vote": 403, "edit": 403, "withdraw": 403, "restore": 409},
    "hidden": {"reply": 403, "vote": 403, "flag": 403, "hide": 409},
    "withdrawn": {action: 409 for action in ACTORS if action != "post"},
}
CASES = [(state, action) for state in STATES for action in ACTORS]


@pytest.fixture
def world(app, make_user):
    """A thread with bob's argument in it, put in `state` by the services."""
    ids = make_article(app)
    users = {"bob": make_user("bob"), "mia": make_user("mia"), "moe": make_user("moe", Role.MODERATOR)}
    with app.app_context():
        session = get_session()
        people = {name: members.ensure_member(session, str(u.id), name) for name, u in users.items()}
        block = ids["block1"]
        argument = arguments.post_argument(
            session, session.get(Block, block), people["bob"], stance="counter",
            body="The toll rose twice, not thrice.",
        )
        session.commit()
    return {"app": app, "users": users, "block": block, "argument": argument.id}


def put_in_state(world, state: str) -> None:
    with world["app"].app_context():
        session = get_session()
        moe = members.ensure_member(session, str(world["users"]["moe"].id), "moe")
        bob = members.ensure_member(session, str(world["users"]["bob"].id), "bob")
        if state == "locked":
            moderation.lock(session, world["block"], moe, True, "Cooling off")
        elif state == "hidden":
            moderation.hide(session, world["argument"], moe, "Off topic")
        elif state == "withdrawn":
            arguments.withdraw_argument(session, session.get(Argument, world["argument"]), bob)
        session.commit()


def fingerprint(world) -> tuple:
    """Everything an action could change."""
    with world["app"].app_context():
        session = get_session()
        argument = session.get(Argument, world["argument"])
        counts = [session.scalar(sa.select(sa.func.count()).select_from(m)) for m in (Argument, Vote, Flag, AuditEntry)]
        return (
            *counts,
            argument.body, argument.hidden, argument.withdrawn_at,
        )


def sign_in(client, world, name: str) -> None:
    user = world["users"][name]
    response = client.submit("/login", {"username": user.username, "password": user.password})
    assert response.status_code == 302


# What each action's offer looks like on the thread page, and its form.
def offers(world, action: str) -> str:
    a, b = world["argument"], world["block"]
    return {
        "post": f'action="/blocks/{b}/arguments#composer-new"',
        "reply": f"reply_to={a}",
        "vote": f'id="vote-up-{a}"',
        "edit": f'href="/arguments/{a}/edit"',
        "moderator edit": f'href="/arguments/{a}/edit"',
        "withdraw": f'action="/arguments/{a}/withdraw"',
        "flag": f'data-flag="{a}"',  # a link to the argument's own form, which a script moves in place
        "hide": f'action="/arguments/{a}/hide#argument-{a}"',
        "restore": f'action="/arguments/{a}/restore#argument-{a}"',
    }[action]


def page_form(world, action: str) -> tuple[str, dict]:
    a, b = world["argument"], world["block"]
    return {
        "post": (f"/blocks/{b}/arguments", {"stance": "support", "body": "A new point."}),
        "reply": (f"/blocks/{b}/arguments", {"stance": "question", "body": "Which year?", "parent_id": str(a)}),
        "vote": (f"/arguments/{a}/vote", {"value": "1"}),
        "edit": (f"/arguments/{a}/edit", {"body": "The toll rose twice."}),
        "moderator edit": (f"/arguments/{a}/edit", {"body": "[Redacted by a moderator.]", "reason": "Abuse."}),
        "withdraw": (f"/arguments/{a}/withdraw", {}),
        "flag": (f"/arguments/{a}/flag", {"reason": "spam"}),
        "hide": (f"/arguments/{a}/hide", {"reason": "Off topic"}),
        "restore": (f"/arguments/{a}/restore", {"reason": "On topic after all"}),
    }[action]


def api_call(world, action: str) -> tuple[str, str, dict | None]:
    a, b = world["argument"], world["block"]
    return {
        "post": ("POST", f"/api/v1/blocks/{b}/arguments", {"stance": "support", "body": "A new point."}),
        "reply": ("POST", f"/api/v1/blocks/{b}/arguments", {"stance": "question", "body": "Which year?", "parent_id": a}),
        "vote": ("PUT", f"/api/v1/arguments/{a}/vote", {"value": 1}),
        "edit": ("PATCH", f"/api/v1/arguments/{a}", {"body": "The toll rose twice."}),
        "moderator edit": ("PATCH", f"/api/v1/arguments/{a}", {"body": "[Redacted by a moderator.]",
                                                               "reason": "Abuse."}),
        "withdraw": ("DELETE", f"/api/v1/arguments/{a}", None),
        "flag": ("POST", f"/api/v1/arguments/{a}/flags", {"reason": "spam"}),
        "hide": ("POST", f"/api/v1/arguments/{a}/hide", {"reason": "Off topic"}),
        "restore": ("POST", f"/api/v1/arguments/{a}/restore", {"reason": "On topic after all"}),
    }[action]


@pytest.mark.parametrize(("state", "action"), CASES)
def test_the_thread_page_offers_exactly_what_the_policy_allows(client, world, state, action):
    put_in_state(world, state)
    sign_in(client, world, ACTORS[action])
    page = client.get(f"/blocks/{world['block']}").get_data(as_text=True)
    allowed = action not in REFUSED[state]
    assert (offers(world, action) in page) == allowed


@pytest.mark.parametrize(("state", "action"), CASES)
def test_the_pages_forms_do_exactly_what_the_policy_allows(client, world, state, action):
    put_in_state(world, state)
    sign_in(client, world, ACTORS[action])
    before = fingerprint(world)
    url, data = page_form(world, action)
    response = client.submit(url, data)
    if action in REFUSED[state]:
        assert response.status_code == REFUSED[state][action], response.get_data(as_text=True)[:500]
        assert fingerprint(world) == before
    else:
        assert response.status_code in (200, 302, 303), response.get_data(as_text=True)[:500]
        assert fingerprint(world) != before


@pytest.mark.parametrize(("state", "action"), CASES)
def test_the_api_does_exactly_what_the_policy_allows(client, world, state, action):
    put_in_state(world, state)
    user = world["users"][ACTORS[action]]
    token = client.post("/api/v1/tokens", json={"username": user.username, "password": user.password}).json["token"]
    before = fingerprint(world)
    method, url, body = api_call(world, action)
    response = client.api(method, url, body, token=token)
    if action in REFUSED[state]:
        assert response.status_code == REFUSED[state][action], response.get_data(as_text=True)
        assert response.json["error"]["code"]
        assert fingerprint(world) == before
    else:
        assert response.status_code in (200, 201), response.get_data(as_text=True)
        assert fingerprint(world) != before


def test_a_link_to_reply_to_a_withdrawn_argument_opens_a_new_argument_instead(client, world):
    put_in_state(world, "withdrawn")
    sign_in(client, world, "mia")
    page = client.get(f"/blocks/{world['block']}?reply_to={world['argument']}").get_data(as_text=True)
    assert "Reply to" not in page and 'id="composer-reply-' not in page
    assert '<h2 id="post-title">Post an argument</h2>' in page


def test_the_flags_queue_offers_only_dismissal_for_a_withdrawn_argument(client, world):
    with world["app"].app_context():
        session = get_session()
        mia = members.ensure_member(session, str(world["users"]["mia"].id), "mia")
        moderation.flag(session, world["argument"], mia, "spam")
        session.commit()
    put_in_state(world, "withdrawn")
    sign_in(client, world, "moe")
    page = client.get("/moderation").get_data(as_text=True)
    assert 'name="action" value="dismiss"' in page
    assert 'name="action" value="hide"' not in page
