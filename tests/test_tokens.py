"""API tokens: traded for a password, stored only as a digest, revocable; and made by the CLI."""

from __future__ import annotations

import hashlib

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import NotAuthenticated
from forum.models import ApiToken, Member
from forum.services import members, tokens

TOKENS = "/api/v1/tokens"
CURRENT = "/api/v1/tokens/current"


def stored_tokens(app) -> list[ApiToken]:
    with app.app_context():
        return list(get_session().scalars(sa.select(ApiToken)))


def assert_error(response, status: int, code: str | None = None) -> str:
    """The response is the API's one error shape with `status`; returns its message."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert {"code", "message"} <= set(error)
    assert isinstance(error["code"], str) and error["code"]
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code
    return error["message"]


# ---------------------------------------------------------------- the service, without HTTP


def test_service_issues_a_random_secret_and_stores_its_digest(app, make_user):
    make_user("mia")
    with app.app_context():
        session = get_session()
        member = members.find_member(session, "mia")
        first, secret = tokens.issue_token(session, member, label="laptop")
        _, other = tokens.issue_token(session, member)
        session.commit()
        assert len(secret) >= 43 and secret != other
        assert first.digest == hashlib.sha256(secret.encode()).hexdigest()
        assert secret not in (first.digest, first.label)
        assert tokens.member_for_token(session, secret).id == member.id


def test_service_revoked_and_unknown_tokens_are_refused(app, make_user):
    make_user("mia")
    with app.app_context():
        session = get_session()
        member = members.find_member(session, "mia")
        _, secret = tokens.issue_token(session, member)
        _, kept = tokens.issue_token(session, member)
        tokens.revoke(session, secret)
        session.commit()
        for refused in (secret, "not a token", ""):
            with pytest.raises(NotAuthenticated):
                tokens.member_for_token(session, refused)
        # Revoking one token leaves the member's others alone.
        assert tokens.member_for_token(session, kept).id == member.id


# ---------------------------------------------------------------- POST /api/v1/tokens


@pytest.mark.parametrize("username", ["mia", "MIA", " mia "])
def test_password_buys_a_token(client, app, make_user, username):
    user = make_user("mia")
    response = client.api("POST", TOKENS, json={"username": username, "password": user.password})
    assert response.status_code == 201
    body = response.get_json()
    assert set(body) == {"token"}
    token = body["token"]
    assert isinstance(token, str) and len(token) >= 43

    [row] = stored_tokens(app)
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert token not in (row.digest, row.label)
    assert row.revoked_at is None
    assert row.member.name == "mia"


def test_each_request_gets_a_new_token(client, app, make_user):
    user = make_user("mia")
    credentials = {"username": "mia", "password": user.password}
    first = client.api("POST", TOKENS, json=credentials).get_json()["token"]
    second = client.api("POST", TOKENS, json=credentials).get_json()["token"]
    assert first != second
    assert len(stored_tokens(app)) == 2


@pytest.mark.parametrize(
    "credentials",
    [
        {"username": "mia", "password": "not her password"},
        {"username": "nobody", "password": "a long test password"},
    ],
    ids=["wrong-password", "unknown-user"],
)
def test_wrong_credentials_get_401_and_no_token(client, app, make_user, credentials):
    make_user("mia")
    response = client.api("POST", TOKENS, json=credentials)
    message = assert_error(response, 401, "not_authenticated")
    assert message == "Wrong user name or password."
    assert stored_tokens(app) == []


@pytest.mark.parametrize(
    ("data", "content_type", "status", "says"),
    [
        ("{not json", "application/json", 400, "JSON object"),
        ("", "application/json", 400, "JSON object"),
        ("[1, 2]", "application/json", 400, "JSON object"),
        ('"mia"', "application/json", 400, "JSON object"),
        ("null", "application/json", 400, "JSON object"),
        (
            '{"username": "mia", "password": "a long test password"}',
            "text/plain",
            400,
            "Content-Type",
        ),
        ("{}", "application/json", 422, "username"),
        ('{"username": "mia"}', "application/json", 422, "password"),
        ('{"password": "a long test password"}', "application/json", 422, "username"),
        (
            '{"username": 5, "password": "a long test password"}',
            "application/json",
            422,
            "username",
        ),
        ('{"username": "mia", "password": ["a"]}', "application/json", 422, "password"),
        (
            '{"username": "", "password": "a long test password"}',
            "application/json",
            422,
            "username",
        ),
        ('{"username": "mia", "password": null}', "application/json", 422, "password"),
    ],
)
def test_bad_bodies_are_refused_with_a_clear_message(
    client, app, make_user, data, content_type, status, says
):
    make_user("mia")
    response = client.post(TOKENS, data=data, content_type=content_type)
    message = assert_error(response, status)
    assert says in message
    assert stored_tokens(app) == []


# ---------------------------------------------------------------- using and revoking a token


def test_bearer_token_authenticates_and_revoking_stops_it(client, app, make_user):
    user = make_user("mia")
    token = client.api(
        "POST", TOKENS, json={"username": "mia", "password": user.password}
    ).get_json()["token"]

    response = client.api("DELETE", CURRENT, token=token)
    assert response.status_code == 200
    assert response.get_json() == {"revoked": True}
    [row] = stored_tokens(app)
    assert row.revoked_at is not None

    again = client.api("DELETE", CURRENT, token=token)
    assert_error(again, 401, "not_authenticated")


def test_revoking_one_token_keeps_the_others(client, app, make_user):
    user = make_user("mia")
    credentials = {"username": "mia", "password": user.password}
    first = client.api("POST", TOKENS, json=credentials).get_json()["token"]
    second = client.api("POST", TOKENS, json=credentials).get_json()["token"]
    assert client.api("DELETE", CURRENT, token=first).status_code == 200
    assert client.api("DELETE", CURRENT, token=second).status_code == 200


@pytest.mark.parametrize(
    "authorization",
    ["Bearer not-a-real-token", "Bearer ", "bearer " + "A" * 43],
    ids=["unknown", "empty", "lower-case-scheme"],
)
def test_unknown_token_gets_401(client, make_user, authorization):
    make_user("mia")
    response = client.delete(CURRENT, headers={"Authorization": authorization})
    assert_error(response, 401, "not_authenticated")


def test_revoking_needs_a_bearer_token(client, as_member):
    """A browser session has no token to revoke; the answer says what to send."""
    response = client.api("DELETE", CURRENT)
    message = assert_error(response, 401, "not_authenticated")
    assert "Bearer" in message


# ---------------------------------------------------------------- flask forum create-token


@pytest.mark.parametrize("by", ["name", "upper-case name", "user id"])
def test_cli_create_token_prints_a_token_that_works(client, app, runner, make_user, by):
    user = make_user("mia")
    make_user("moe")
    name_or_id = {"name": "mia", "upper-case name": "MIA", "user id": str(user.id)}[by]
    result = runner.invoke(args=["forum", "create-token", name_or_id])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip()
    assert len(token) >= 43 and "\n" not in token
    assert result.stderr == ""

    [row] = stored_tokens(app)
    assert row.member.name == "mia"
    assert row.label == "cli"
    assert row.digest == hashlib.sha256(token.encode()).hexdigest()
    assert client.api("DELETE", CURRENT, token=token).status_code == 200


def test_cli_create_token_keeps_a_label(app, runner, make_user):
    make_user("mia")
    result = runner.invoke(args=["forum", "create-token", "mia", "--label", "nightly import"])
    assert result.exit_code == 0, result.output
    assert [row.label for row in stored_tokens(app)] == ["nightly import"]


@pytest.mark.parametrize("who", ["nobody", "42"])
def test_cli_create_token_for_an_unknown_member_fails(app, runner, make_user, who):
    make_user("mia")
    result = runner.invoke(args=["forum", "create-token", who])
    assert result.exit_code != 0
    assert result.stdout == ""
    assert f"No member or account is called {who!r}." in result.stderr
    assert stored_tokens(app) == []


def test_cli_token_belongs_to_a_host_member_by_user_id(app, runner):
    """A member known to the forum only by user id (as a host's user is) can get a token too."""
    with app.app_context():
        session = get_session()
        members.ensure_member(session, "host-7", "Grace")
        session.commit()
    result = runner.invoke(args=["forum", "create-token", "host-7"])
    assert result.exit_code == 0, result.output
    [row] = stored_tokens(app)
    assert row.member.user_id == "host-7"
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(Member)) == 1


@pytest.mark.parametrize("valid", [True, False], ids=["valid-token", "unknown-token"])
def test_pages_go_by_the_browser_session_not_a_bearer_header(client, make_user, login, valid):
    """Tokens are for the API: a page neither signs anyone in by one nor breaks on a bad one."""
    user = make_user("mia")
    make_user("moe")
    secret = "not-a-token"
    if valid:
        secret = client.api(
            "POST", TOKENS, json={"username": "moe", "password": user.password}
        ).get_json()["token"]
    headers = {"Authorization": f"Bearer {secret}"}

    page = client.get("/", headers=headers)
    assert page.status_code == 200
    assert "Signed in as" not in page.get_data(as_text=True)

    login(user)
    page = client.get("/", headers=headers)
    assert "Signed in as <strong>mia</strong>" in page.get_data(as_text=True)


def test_a_nul_in_the_name_is_a_bad_request_not_a_crash(client, app, make_user):
    make_user("mia")
    response = client.api("POST", TOKENS, json={"username": "mia\x00", "password": "a long test password"})
    assert_error(response, 400, "bad_request")
    assert stored_tokens(app) == []
