"""A removed member reads and does nothing else, on every path: pages, API, tokens old and new, cached copies."""

from __future__ import annotations

import secrets

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Forbidden
from forum.models import ApiToken, Block, Member, Role
from forum.services import arguments, members, moderation
from forum.services.tokens import digest
from tests.articles import make_article
from tests.helpers import PASSWORD, ForumClient

HIDDEN = "The toll rose twice, not thrice."  # the hidden argument's text: moderators see it, readers do not
REMOVED = "membership of this forum was removed"


def member_named(session, name: str) -> Member:
    return session.scalar(sa.select(Member).where(Member.name == name))


def remove(app, name: str) -> None:
    """Remove the member `name`, as an admin would."""
    with app.app_context():
        session = get_session()
        members.remove_member(session, member_named(session, name))
        session.commit()


def outlived_token(app, name: str) -> str:
    """A live token of a removed member, as `POST /api/v1/tokens` used to hand out after the removal."""
    secret = secrets.token_urlsafe(32)
    with app.app_context():
        session = get_session()
        session.add(ApiToken(member=member_named(session, name), digest=digest(secret), label="api"))
        session.commit()
    return secret


def tokens_of(app, name: str) -> list[ApiToken]:
    with app.app_context():
        session = get_session()
        member = member_named(session, name)
        return list(session.scalars(sa.select(ApiToken).where(ApiToken.member_id == member.id)))


@pytest.fixture
def hidden(app, make_user) -> dict[str, int]:
    """An article whose first thread holds mia's argument, hidden by the moderator moe."""
    ids = make_article(app)
    make_user("mia")
    make_user("moe", Role.MODERATOR)
    with app.app_context():
        session = get_session()
        argument = arguments.post_argument(
            session, session.get(Block, ids["block1"]), member_named(session, "mia"), stance="counter", body=HIDDEN
        )
        session.flush()
        moderation.hide(session, argument.id, member_named(session, "moe"), "Off topic")
        session.commit()
        return {**ids, "argument": argument.id}


def test_a_removed_account_gets_no_token(client, app, make_user):
    make_user("moe", Role.MODERATOR)
    remove(app, "moe")

    refused = client.post("/api/v1/tokens", json={"username": "moe", "password": PASSWORD})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "forbidden"
    assert "removed" in refused.json["error"]["message"]
    # Without the password nobody learns of the removal: the answer is the usual one.
    wrong = client.post("/api/v1/tokens", json={"username": "moe", "password": "not the password"})
    assert wrong.status_code == 401
    assert tokens_of(app, "moe") == []


def test_the_cli_gives_a_removed_member_no_token(app, runner, make_user):
    make_user("moe", Role.MODERATOR)
    remove(app, "moe")
    result = runner.invoke(args=["forum", "create-token", "moe"])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert "The membership of moe was removed" in result.stderr
    assert tokens_of(app, "moe") == []


def test_removal_revokes_the_tokens_it_finds(client, app, make_user):
    make_user("moe", Role.MODERATOR)
    token = client.post("/api/v1/tokens", json={"username": "moe", "password": PASSWORD}).json["token"]
    remove(app, "moe")
    assert client.api("DELETE", "/api/v1/tokens/current", token=token).status_code == 401


@pytest.mark.parametrize("how", ["session", "old-token"])
def test_a_removed_moderator_reads_only_and_their_cached_copy_goes_too(app, hidden, how):
    """Their pages, kept for them while they moderated, are not served to them once they are removed."""
    client = app.test_client()
    client.__class__ = ForumClient
    token = None
    if how == "session":
        assert client.submit("/login", {"username": "moe", "password": PASSWORD}).status_code == 302
    else:
        token = client.post("/api/v1/tokens", json={"username": "moe", "password": PASSWORD}).json["token"]
    url = f"/api/v1/blocks/{hidden['block1']}/arguments" if token else f"/blocks/{hidden['block1']}"
    for _ in range(2):  # rendered, then served from the moderator's own kept copy
        assert HIDDEN in client.api("GET", url, token=token).get_data(as_text=True)

    remove(app, "moe")
    if token:
        token = outlived_token(app, "moe")
    for _ in range(2):
        page = client.api("GET", url, token=token)
        assert page.status_code == 200
        assert HIDDEN not in page.get_data(as_text=True)

    restore = f"/api/v1/arguments/{hidden['argument']}/restore"
    refused = client.api("POST", restore, {"reason": "Back."}, token=token)
    assert refused.status_code == 403
    assert REMOVED in refused.json["error"]["message"]
    post = client.api("POST", f"/api/v1/blocks/{hidden['block1']}/arguments",
                      {"stance": "support", "body": "Still here."}, token=token)
    assert post.status_code == 403


def test_a_removed_admin_with_an_old_token_appoints_nobody(app, make_user):
    make_user("ada", Role.ADMIN)
    make_user("mia")
    remove(app, "ada")
    token = outlived_token(app, "ada")
    with app.app_context():
        mia = member_named(get_session(), "mia").id
    client = app.test_client()
    response = client.put(f"/api/v1/members/{mia}/role", json={"role": "admin"},
                          headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 403
    with app.app_context():
        assert member_named(get_session(), "mia").role == "member"


def test_the_services_ask_the_same_rule(app, make_user):
    """A service handed a removed member (not through a page or the API) refuses it too."""
    make_user("ada", Role.ADMIN)
    make_user("mia")
    remove(app, "ada")
    with app.app_context():
        session = get_session()
        ada, mia = member_named(session, "ada"), member_named(session, "mia")
        assert ada.acting_role is None and mia.acting_role is Role.MEMBER
        assert session.scalar(sa.select(Member.acting_role).where(Member.id == ada.id)) is None
        assert session.scalar(sa.select(Member.acting_role).where(Member.id == mia.id)) == "member"
        with pytest.raises(Forbidden, match="removed"):
            members.appoint(session, ada, mia.id, Role.MODERATOR)
