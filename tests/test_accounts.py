"""The standalone site's accounts: registration, sign-in, sign-out and passwords."""

from __future__ import annotations

import gzip
import re
from importlib import resources
from urllib.parse import urljoin, urlsplit

import pytest
import sqlalchemy as sa
from argon2 import PasswordHasher
from argon2.exceptions import VerificationError

from forum.db import get_session
from forum.errors import Conflict, Invalid, NotAuthenticated
from forum.models import Account, Member, Role
from forum.services import accounts

GOOD_PASSWORD = "correct horse battery"


@pytest.fixture
def session(app):
    """The forum's session inside an app context, for testing services without HTTP."""
    with app.app_context():
        yield get_session()


def stored(app, model) -> list:
    """Every row of `model` as the database holds it now."""
    with app.app_context():
        return list(get_session().scalars(sa.select(model)))


def text(response) -> str:
    return response.get_data(as_text=True)


def field_error(page: str, field: str) -> str:
    """The error shown next to a form field (the element the field's aria-describedby names)."""
    marker = f'<p class="error" id="{field}-error">'
    assert marker in page, f"no error next to {field!r}"
    return page.split(marker, 1)[1].split("</p>", 1)[0]


def field_input(page: str, field: str) -> str:
    """The `<input>` tag of a form field."""
    match = re.search(rf'<input [^>]*id="{field}"[^>]*>', page)
    assert match, f"no input {field!r}"
    return match.group(0)


def register_form(username: str, password: str = GOOD_PASSWORD, confirm: str | None = None) -> dict:
    return {
        "username": username,
        "password": password,
        "confirm": password if confirm is None else confirm,
    }


# The weak passwords below must really be on the shipped list, or the tests would prove nothing.
def test_common_password_list_has_the_examples():
    data = resources.files("forum.data").joinpath("common-passwords.txt.gz").read_bytes()
    words = set(gzip.decompress(data).decode().split())
    assert {"1234567890", "password123", "qwertyuiop"} <= words
    assert GOOD_PASSWORD not in words


# -------------------------------------------------------- rules of the service, without HTTP


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("ab", "3 to 30 characters"),
        ("a" * 31, "3 to 30 characters"),
        ("   ab   ", "3 to 30 characters"),
        ("ada lovelace", "letters, digits"),
        ("ada!", "letters, digits"),
        ("<script>", "letters, digits"),
        ("ada\x00x", "letters, digits"),
        # Case-folding makes this 32 characters long: still too long for the stored key.
        ("ß" * 16, "3 to 30 characters"),
    ],
)
def test_service_refuses_bad_user_names(session, username, message):
    with pytest.raises(Invalid, match=message) as caught:
        accounts.register(session, username, GOOD_PASSWORD)
    assert caught.value.field == "username"
    assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("mia", "short pw1", "at least 10 characters"),
        ("mia", "1234567890", "most commonly used"),
        ("mia", "password123", "most commonly used"),
        ("mia", "PassWord123", "most commonly used"),
        ("lovelace_ada", "Lovelace_Ada", "your user name"),
        ("mia", "x" * 1025, "at most 1024 characters"),
    ],
)
def test_service_refuses_weak_passwords(session, username, password, message):
    with pytest.raises(Invalid, match=message) as caught:
        accounts.register(session, username, password)
    assert caught.value.field == "password"
    assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0


def test_service_stores_an_argon2id_hash_and_a_member(session):
    account = accounts.register(session, "Ada", GOOD_PASSWORD, role=Role.MODERATOR)
    session.commit()
    assert account.username == "Ada"
    assert account.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in account.password_hash
    PasswordHasher().verify(account.password_hash, GOOD_PASSWORD)
    member = accounts.member_of(session, account)
    assert (member.name, member.role) == ("Ada", "moderator")


@pytest.mark.parametrize("taken", ["ada", "ADA", "aDa"])
def test_service_refuses_a_taken_name_in_any_case(session, taken):
    accounts.register(session, "Ada", GOOD_PASSWORD)
    session.commit()
    with pytest.raises(Conflict, match="taken"):
        accounts.register(session, taken, "another long password")
    assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == 1


@pytest.mark.parametrize(
    ("username", "password"),
    [("Ada", "wrong password!"), ("nobody", GOOD_PASSWORD), ("ada\x00", GOOD_PASSWORD)],
)
def test_service_authenticate_gives_one_answer_for_every_failure(session, username, password):
    accounts.register(session, "Ada", GOOD_PASSWORD)
    session.commit()
    with pytest.raises(NotAuthenticated) as caught:
        accounts.authenticate(session, username, password)
    assert caught.value.message == "Wrong user name or password."


def test_service_authenticate_ignores_case_of_the_name(session):
    account = accounts.register(session, "Ada", GOOD_PASSWORD)
    session.commit()
    assert accounts.authenticate(session, " ADA ", GOOD_PASSWORD).id == account.id


@pytest.mark.parametrize(
    ("current", "new", "field", "message"),
    [
        (
            "not the password",
            "a brand new password",
            "current_password",
            "current password is wrong",
        ),
        (GOOD_PASSWORD, "short", "new_password", "at least 10 characters"),
        (GOOD_PASSWORD, "qwertyuiop", "new_password", "most commonly used"),
    ],
)
def test_service_change_password_refuses(session, current, new, field, message):
    account = accounts.register(session, "Ada", GOOD_PASSWORD)
    session.commit()
    before = account.password_hash
    with pytest.raises(Invalid, match=message) as caught:
        accounts.change_password(session, account, current, new)
    assert caught.value.field == field
    assert account.password_hash == before


# ---------------------------------------------------------------- register


def test_register_signs_in_and_shows_the_name(client, app):
    response = client.submit("/register", register_form("newbie"))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = text(client.get("/"))
    assert "Signed in as <strong>newbie</strong>" in page
    assert "Welcome, newbie." in page
    [account] = stored(app, Account)
    [member] = stored(app, Member)
    assert (account.username, member.user_id, member.name, member.role) == (
        "newbie",
        str(account.id),
        "newbie",
        "member",
    )


def test_register_stores_an_argon2id_hash_never_the_password(client, app):
    client.submit("/register", register_form("newbie"))
    [account] = stored(app, Account)
    assert account.password_hash.startswith("$argon2id$")
    assert GOOD_PASSWORD not in account.password_hash
    PasswordHasher().verify(account.password_hash, GOOD_PASSWORD)
    with pytest.raises(VerificationError):
        PasswordHasher().verify(account.password_hash, "another password")


@pytest.mark.parametrize("taken", ["mia", "MIA", "Mia"])
def test_register_refuses_a_taken_name(client, app, make_user, taken):
    make_user("mia")
    response = client.submit("/register", register_form(taken))
    assert response.status_code == 409
    page = text(response)
    assert "That user name is taken." in field_error(page, "username")
    assert "Signed in as" not in page
    assert [account.username for account in stored(app, Account)] == ["mia"]


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        (register_form("ab"), "username", "3 and 30 characters"),
        (register_form("a" * 31), "username", "3 and 30 characters"),
        (
            register_form("ada lovelace"),
            "username",
            "letters, digits, &#39;.&#39;, &#39;-&#39; and &#39;_&#39; only",
        ),
        (register_form("ada<b>"), "username", "letters, digits"),
        (register_form("newbie", "short pw1"), "password", "at least 10 characters"),
        (register_form("newbie", "1234567890"), "password", "among the most commonly used"),
        (register_form("newbie", "password123"), "password", "among the most commonly used"),
        (register_form("lovelace_ada", "lovelace_ada"), "password", "may not be your user name"),
        (register_form("lovelace_ada", "LOVELACE_ADA"), "password", "may not be your user name"),
        (
            register_form("newbie", GOOD_PASSWORD, "correct horse battery!"),
            "confirm",
            "The passwords differ.",
        ),
        (register_form("newbie", "", ""), "password", "This field is required."),
    ],
)
def test_register_refuses_bad_input_next_to_the_field(client, app, form, field, message):
    response = client.submit("/register", form)
    assert response.status_code == 422
    page = text(response)
    assert message in field_error(page, field)
    tag = field_input(page, field)
    assert 'aria-invalid="true"' in tag and f"{field}-error" in tag
    assert "Signed in as" not in page
    assert stored(app, Account) == []
    assert stored(app, Member) == []


def test_register_keeps_the_name_but_never_the_password_in_the_form(client):
    page = text(client.submit("/register", register_form("newbie", "1234567890")))
    assert 'value="newbie"' in page
    assert "1234567890" not in page


# ---------------------------------------------------------------- sign in and out


@pytest.mark.parametrize(
    ("username", "password"),
    [("mia", "not her password"), ("nobody", "a long test password"), ("mia", "")],
    ids=["wrong-password", "unknown-user", "empty-password"],
)
def test_login_failure_says_the_same_for_every_cause(client, make_user, username, password):
    make_user("mia")
    response = client.submit("/login", {"username": username, "password": password})
    page = text(response)
    if password:
        assert response.status_code == 401
        assert 'class="error-summary form-errors" role="alert"' in page
        assert "<li>Wrong user name or password.</li>" in page
    else:
        assert response.status_code == 422
        assert "This field is required." in field_error(page, "password")
    assert "Signed in as" not in page
    assert 'value="not her password"' not in page
    assert "Signed in as" not in text(client.get("/"))


def test_login_with_a_nul_in_the_name_is_refused_not_a_crash(client, make_user):
    make_user("mia")
    response = client.submit("/login", {"username": "mia\x00", "password": "a long test password"})
    assert response.status_code == 400
    assert "NUL characters" in text(response)


def test_login_ignores_the_case_of_the_name(client, make_user):
    user = make_user("Mia")
    response = client.submit("/login", {"username": "mIA", "password": user.password})
    assert response.status_code == 302
    assert "Signed in as <strong>Mia</strong>" in text(client.get("/"))


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/x", "/x"),
        ("/account/password?tab=1", "/account/password?tab=1"),
        ("", "/"),
        ("//evil.example", "/"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
        ("http://localhost/x", "/"),
        ("/\\evil.example", "/"),
        ("\\\\evil.example", "/"),
        ("/\t/evil.example", "/"),
        ("javascript:alert(1)", "/"),
        ("JavaScript:alert(1)", "/"),
        ("x", "/"),
        (" //evil.example", "/"),
    ],
)
def test_login_redirects_only_to_a_path_on_this_site(client, make_user, target, expected):
    user = make_user("mia")
    response = client.submit(
        "/login", {"username": "mia", "password": user.password, "next": target}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("target", ["///evil.example", "/\\/evil.example", "/./\\evil.example"])
def test_login_never_sends_the_browser_to_another_host(client, make_user, target):
    user = make_user("mia")
    response = client.submit(
        "/login", {"username": "mia", "password": user.password, "next": target}
    )
    location = response.headers["Location"]
    # Resolve the way a browser does: backslashes count as slashes in http(s) URLs.
    resolved = urlsplit(urljoin("http://localhost/login", location.replace("\\", "/")))
    assert resolved.netloc == "localhost"


def test_login_page_carries_next_into_the_form(client, make_user):
    user = make_user("mia")
    page = text(client.get("/login?next=/account/password"))
    assert 'name="next" type="hidden" value="/account/password"' in page
    response = client.submit(
        "/login",
        {"username": "mia", "password": user.password, "next": "/account/password"},
    )
    assert response.headers["Location"] == "/account/password"


def cookie_attributes(response, name: str) -> dict[str, str] | None:
    """The attributes of the cookie `name` that the response sets, lower-cased, or None."""
    for header in response.headers.getlist("Set-Cookie"):
        first, *rest = header.split(";")
        if first.split("=", 1)[0].strip() == name:
            pairs = (part.strip().partition("=") for part in rest)
            return {key.lower(): value for key, _, value in pairs}
    return None


def test_login_cookies_are_httponly_and_samesite_lax(client, make_user, login):
    response = login(make_user("mia"), remember=True)
    for name in ("session", "remember_token"):
        attributes = cookie_attributes(response, name)
        assert attributes is not None, f"{name} cookie not set"
        assert "httponly" in attributes
        assert attributes["samesite"] == "Lax"
        # Over plain HTTP (a local run) a Secure cookie would never come back.
        assert "secure" not in attributes


def test_login_without_remember_sets_no_remember_cookie(client, make_user, login):
    response = login(make_user("mia"))
    assert cookie_attributes(response, "remember_token") is None
    assert client.get_cookie("remember_token") is None


@pytest.mark.parametrize("how", ["base_url", "environ"])
def test_login_cookies_are_secure_over_https(client, make_user, how):
    user = make_user("mia")
    https = (
        {"base_url": "https://localhost"}
        if how == "base_url"
        else {"environ_overrides": {"wsgi.url_scheme": "https"}}
    )
    page = text(client.get("/login", **https))
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={"csrf_token": token, "username": "mia", "password": user.password, "remember": "y"},
        **https,
    )
    assert response.status_code == 302
    for name in ("session", "remember_token"):
        attributes = cookie_attributes(response, name)
        assert attributes is not None, f"{name} cookie not set"
        assert {"secure", "httponly"} <= attributes.keys()
        assert attributes["samesite"] == "Lax"


def test_remember_me_keeps_you_signed_in_without_the_session(client, make_user, login):
    login(make_user("mia"), remember=True)
    client.delete_cookie("session")
    assert "Signed in as <strong>mia</strong>" in text(client.get("/"))


def test_without_remember_me_losing_the_session_signs_you_out(client, make_user, login):
    login(make_user("mia"))
    client.delete_cookie("session")
    assert "Signed in as" not in text(client.get("/"))


def test_logout_by_get_only_asks_to_confirm(client, as_member):
    response = client.get("/logout")
    assert response.status_code == 200
    page = text(response)
    assert '<form method="post">' in page
    assert "Sign out of Test Forum" in page
    assert "Signed in as <strong>mia</strong>" in text(client.get("/"))


def test_logout_signs_out_and_forgets_the_device(client, make_user, login):
    login(make_user("mia"), remember=True)
    response = client.submit("/logout")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    page = text(client.get("/"))
    assert "Signed in as" not in page
    assert ">Sign in</a>" in page
    assert "You are signed out." in page
    assert client.get_cookie("remember_token") is None
    # With the session gone too, nothing signs the browser back in.
    client.delete_cookie("session")
    assert "Signed in as" not in text(client.get("/"))


def test_logout_ends_every_copy_of_the_session(app, client, make_user, login):
    """Cookies copied before signing out (by a thief, or a shared computer's backup) sign nobody in after it."""
    login(make_user("mia"), remember=True)
    copied = {name: client.get_cookie(name).value for name in ("session", "remember_token")}
    assert client.submit("/logout").status_code == 302

    for names in (("session", "remember_token"), ("session",), ("remember_token",)):
        thief = app.test_client()
        for name in names:
            thief.set_cookie(name, copied[name])
        assert "Signed in as" not in text(thief.get("/")), names
        assert thief.get("/account/password").status_code == 302  # sent to sign in


def test_logout_leaves_the_accounts_api_tokens_alone(client, make_user, login):
    """Scripts hold tokens of their own; signing out of a browser does not stop them."""
    user = make_user("mia")
    token = client.post("/api/v1/tokens", json={"username": "mia", "password": user.password}).json["token"]
    login(user)
    client.submit("/logout")
    assert client.api("DELETE", "/api/v1/tokens/current", token=token).status_code == 200


def test_logout_page_for_someone_signed_out(client):
    page = text(client.get("/logout"))
    assert "You are not signed in." in page
    assert '<form method="post">' not in page


# ---------------------------------------------------------------- change password


def test_change_password_needs_a_signed_in_user(client):
    response = client.get("/account/password")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Faccount%2Fpassword"
    # The anonymous user never gets to submit: the POST is turned away the same way.
    response = client.submit(
        "/account/password",
        {"current_password": "x", "new_password": "y", "confirm": "y"},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


@pytest.mark.parametrize(
    ("current", "new", "confirm", "field", "message"),
    [
        (
            "not my password",
            "a brand new password",
            None,
            "current_password",
            "The current password is wrong.",
        ),
        ("a long test password", "short", None, "new_password", "at least 10 characters"),
        (
            "a long test password",
            "1234567890",
            None,
            "new_password",
            "among the most commonly used",
        ),
        (
            "a long test password",
            "a brand new password",
            "something else",
            "confirm",
            "The passwords differ.",
        ),
    ],
)
def test_change_password_refuses(client, app, as_member, current, new, confirm, field, message):
    before = stored(app, Account)[0].password_hash
    response = client.submit(
        "/account/password",
        {
            "current_password": current,
            "new_password": new,
            "confirm": new if confirm is None else confirm,
        },
    )
    assert response.status_code == 422
    assert message in field_error(text(response), field)
    assert stored(app, Account)[0].password_hash == before


def test_change_password_lets_you_in_with_the_new_one_only(client, app, as_member):
    response = client.submit(
        "/account/password",
        {
            "current_password": as_member.password,
            "new_password": "a brand new password",
            "confirm": "a brand new password",
        },
    )
    assert response.status_code == 302
    page = text(client.get("/"))
    assert "Your password is changed" in page
    assert "Signed in as <strong>mia</strong>" in page  # this device stays signed in
    [account] = stored(app, Account)
    assert account.password_hash.startswith("$argon2id$")
    assert "a brand new password" not in account.password_hash

    client.submit("/logout")
    old = client.submit("/login", {"username": "mia", "password": as_member.password})
    assert old.status_code == 401
    new = client.submit("/login", {"username": "mia", "password": "a brand new password"})
    assert new.status_code == 302
    assert "Signed in as <strong>mia</strong>" in text(client.get("/"))


def test_changing_the_password_signs_out_every_other_device(app, client, make_user, login):
    user = make_user("mia")
    login(user, remember=True)
    other_device = app.test_client(use_cookies=True)
    other_device.__class__ = type(client)
    other_device.submit("/login", {"username": "mia", "password": user.password, "remember": "y"})
    remember_cookie = other_device.get_cookie("remember_token")
    assert remember_cookie is not None
    assert "Signed in as" in text(other_device.get("/"))

    response = client.submit(
        "/account/password",
        {"current_password": user.password, "new_password": "a brand new password",
         "confirm": "a brand new password"},
    )
    assert response.status_code == 302
    assert "Signed in as <strong>mia</strong>" in text(client.get("/"))
    assert "Signed in as" not in text(other_device.get("/"))

    # The old remember-me cookie alone no longer signs anyone in.
    thief = app.test_client()
    thief.set_cookie("remember_token", remember_cookie.value)
    assert "Signed in as" not in text(thief.get("/"))


def test_changing_the_password_ends_every_api_token(app, client, make_user, login):
    """A token the thief took stops working when its owner changes the password to shut them out."""
    user, other = make_user("mia"), make_user("bob")
    credentials = {"username": "mia", "password": user.password}
    stolen = [client.post("/api/v1/tokens", json=credentials).json["token"] for _ in range(2)]
    kept = client.post("/api/v1/tokens", json={"username": "bob", "password": other.password}).json["token"]
    login(user)
    response = client.submit(
        "/account/password",
        {"current_password": user.password, "new_password": "a brand new password",
         "confirm": "a brand new password"},
    )
    assert response.status_code == 302

    thief = app.test_client()
    for token in stolen:
        refused = thief.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {token}"})
        assert refused.status_code == 401
    assert thief.delete("/api/v1/tokens/current", headers={"Authorization": f"Bearer {kept}"}).status_code == 200
    assert "Signed in as <strong>mia</strong>" in text(client.get("/"))  # this device stays in
