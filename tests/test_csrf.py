"""CSRF: session writes need the page's token, bearer API calls none; signed-in pages carry it."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Account, ApiToken

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)">')
TOKENS = "/api/v1/tokens"
CURRENT = "/api/v1/tokens/current"


def meta_token(client, path: str = "/") -> str:
    """The CSRF token a page's script would read from `<meta name="csrf-token">`."""
    match = CSRF_META.search(client.get(path).get_data(as_text=True))
    assert match, f"no csrf-token meta tag on {path}"
    return match.group(1)


def count(app, model) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(model))


def signed_in_as(client) -> str | None:
    match = re.search(
        r"Signed in as <strong>([^<]+)</strong>", client.get("/").get_data(as_text=True)
    )
    return match.group(1) if match else None


# -------------------------------------------------------- the JSON API on the browser session


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-CSRFToken": ""}, {"X-CSRFToken": "forged"}],
    ids=["no-header", "empty-header", "wrong-header"],
)
def test_session_api_write_without_a_valid_header_is_refused(client, app, as_member, headers):
    response = client.post(
        TOKENS, json={"username": "mia", "password": as_member.password}, headers=headers
    )
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "csrf_failed"
    assert "X-CSRFToken" in error["message"]
    assert count(app, ApiToken) == 0


def test_session_api_delete_without_header_is_refused(client, as_member):
    response = client.delete(CURRENT)
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_session_api_write_with_the_meta_token_is_accepted(client, app, as_member):
    token = meta_token(client)
    response = client.post(
        TOKENS,
        json={"username": "mia", "password": as_member.password},
        headers={"X-CSRFToken": token},
    )
    assert response.status_code == 201
    assert count(app, ApiToken) == 1


def test_a_token_from_another_session_is_refused(app, make_user, login, client):
    user = make_user("mia")
    login(user)
    stranger = app.test_client()
    stranger.get("/login")  # a session of its own, with its own CSRF secret
    foreign = meta_token(client)
    response = stranger.post(
        "/register",
        data={"csrf_token": foreign, "username": "eve", "password": "x" * 12, "confirm": "x" * 12},
    )
    assert response.status_code == 400
    assert count(app, Account) == 1


def test_bearer_requests_need_no_csrf_token(client, app, make_user):
    user = make_user("mia")
    secret = client.api(
        "POST", TOKENS, json={"username": "mia", "password": user.password}
    ).get_json()["token"]
    response = client.delete(CURRENT, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200


def test_bearer_wins_over_a_signed_in_session_without_csrf(client, app, as_member):
    secret = client.api(
        "POST", TOKENS, json={"username": "mia", "password": as_member.password}
    ).get_json()["token"]
    response = client.delete(CURRENT, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code == 200
    assert response.get_json() == {"revoked": True}


def test_anonymous_api_call_rides_on_no_session(client, app, make_user):
    """Trading a password for a token needs no CSRF token when nobody is signed in."""
    user = make_user("mia")
    response = client.post(TOKENS, json={"username": "mia", "password": user.password})
    assert response.status_code == 201


# ---------------------------------------------------------------- HTML forms


NEW_PASSWORD = {
    "current_password": "a long test password",
    "new_password": "a brand new password",
    "confirm": "a brand new password",
}
FORMS = [
    pytest.param(
        "/login", False, {"username": "mia", "password": "a long test password"}, id="login"
    ),
    pytest.param(
        "/register",
        False,
        {"username": "eve", "password": "a fine new password", "confirm": "a fine new password"},
        id="register",
    ),
    pytest.param("/logout", True, {}, id="logout"),
    pytest.param("/account/password", True, NEW_PASSWORD, id="change-password"),
]


def nothing_happened(app, client, path: str, signed_in: bool) -> None:
    """After a refused form: no new account, the same sign-in state, the same password."""
    assert count(app, Account) == 1
    assert signed_in_as(client) == ("mia" if signed_in else None)
    if path == "/account/password":
        client.submit("/logout")
        again = client.submit("/login", {"username": "mia", "password": "a long test password"})
        assert again.status_code == 302, "the password was changed"


@pytest.mark.parametrize(("path", "signed_in", "data"), FORMS)
@pytest.mark.parametrize(
    ("token", "says"),
    [(None, "The CSRF token is missing."), ("forged", "The CSRF token is invalid.")],
    ids=["missing", "forged"],
)
def test_form_post_without_a_valid_token_is_a_400_page(
    client, app, make_user, login, path, signed_in, data, token, says
):
    user = make_user("mia")
    if signed_in:
        login(user)
    else:
        client.get(path)  # the visitor has a session, as one who opened the form would
    form = dict(data) if token is None else {**data, "csrf_token": token}
    response = client.post(path, data=form)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert says in page
    assert "Reload the page and try again" in page
    assert "Test Forum" in page  # the site's own layout, not a bare error
    nothing_happened(app, client, path, signed_in)


def test_form_post_from_a_fresh_browser_without_a_session_is_refused(client, app, make_user):
    make_user("mia")
    response = client.post("/login", data={"username": "mia", "password": "a long test password"})
    assert response.status_code == 400
    assert signed_in_as(client) is None


@pytest.mark.parametrize(("path", "signed_in", "data"), FORMS)
def test_a_bearer_header_does_not_excuse_a_form(
    client, app, make_user, login, path, signed_in, data
):
    """Forms act on the browser session: an Authorization header is no stand-in for the token."""
    user = make_user("mia")
    if signed_in:
        login(user)
    response = client.post(path, data=data, headers={"Authorization": "Bearer whatever"})
    assert response.status_code == 400
    nothing_happened(app, client, path, signed_in)


@pytest.mark.parametrize(("path", "signed_in", "data"), FORMS)
def test_form_post_with_the_page_token_works(client, app, make_user, login, path, signed_in, data):
    user = make_user("mia")
    if signed_in:
        login(user)
    response = client.submit(path, data)
    assert response.status_code == 302


# ---------------------------------------------------------------- the token on every page


@pytest.mark.parametrize("path", ["/", "/login", "/register", "/logout", "/account/password"])
def test_every_page_for_a_signed_in_user_carries_the_token(client, as_member, path):
    response = client.get(path)
    assert response.status_code == 200
    token = CSRF_META.search(response.get_data(as_text=True))
    assert token, f"no csrf-token meta tag on {path}"
    # The token in the tag is the one the session accepts.
    assert client.submit("/logout", {"csrf_token": token.group(1)}).status_code == 302


def test_an_error_page_for_a_signed_in_user_carries_the_token(client, as_member):
    response = client.post("/logout")
    assert response.status_code == 400
    assert CSRF_META.search(response.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/login", "/register"])
def test_forms_for_visitors_carry_the_token(client, path):
    page = client.get(path).get_data(as_text=True)
    assert re.search(r'<input type="hidden" name="csrf_token" value="[^"]+">', page)


# -------------------------------------------------------- a new CSRF secret at sign-in and sign-out


def test_a_token_read_before_signing_in_is_refused_after_it(client, make_user):
    """A token planted or read before sign-in must not carry over into the signed-in session."""
    user = make_user("mia")
    before = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").get_data(as_text=True)).group(1)
    response = client.post("/login", data={"csrf_token": before, "username": "mia", "password": user.password})
    assert response.status_code == 302
    assert signed_in_as(client) == "mia"

    refused = client.post("/api/v1/preview", json={"body": "*hi*"}, headers={"X-CSRFToken": before})
    assert refused.status_code == 400
    assert refused.get_json()["error"]["code"] == "csrf_failed"
    after = meta_token(client)
    assert after != before
    accepted = client.post("/api/v1/preview", json={"body": "*hi*"}, headers={"X-CSRFToken": after})
    assert accepted.status_code == 200


def test_a_token_read_before_signing_out_is_refused_after_it(client, as_member):
    before = meta_token(client)
    assert client.post("/logout", data={"csrf_token": before}).status_code == 302
    assert signed_in_as(client) is None
    refused = client.post("/login", data={"csrf_token": before, "username": "mia", "password": as_member.password})
    assert refused.status_code == 400
    assert signed_in_as(client) is None
