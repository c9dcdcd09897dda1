"""Look-alike user names: one name per NFKC-folded key and per TR39 skeleton, one script per name, and
every name that registers can sign in again."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Conflict, Invalid
from forum.models import Account, Member
from forum.services import accounts
from forum.usernames import username_key, username_skeleton

PASSWORD = "correct horse battery"


@pytest.fixture
def session(app):
    """The forum's session inside an app context, for testing services without HTTP."""
    with app.app_context():
        yield get_session()


def register_form(username: str) -> dict:
    return {"username": username, "password": PASSWORD, "confirm": PASSWORD}


def account_names(app) -> list[str]:
    with app.app_context():
        return list(get_session().scalars(sa.select(Account.username).order_by(Account.id)))


def test_keys_and_skeletons_of_the_attackers_names():
    assert username_key("ａｄａ") == username_key("ADA") == "ada"
    assert username_skeleton("mоd1") == username_skeleton("mod1") == username_skeleton("rnod1")
    assert username_skeleton("аре") == username_skeleton("ape")  # all Cyrillic against all Latin
    assert username_skeleton("ada") != username_skeleton("adb")


@pytest.mark.parametrize(
    ("staff", "look_alike", "error", "message"),
    [
        ("ada", "ａｄａ", Conflict, "That user name is taken."),  # fullwidth: the same key
        ("ada", "ＡＤＡ", Conflict, "That user name is taken."),
        ("ada", "Аda", Invalid, "keeps to one script"),  # Cyrillic А
        ("mod1", "mоd1", Invalid, "keeps to one script"),  # Cyrillic о
        ("mod1", "rnod1", Conflict, "looks too much like 'mod1'"),  # r + n
        ("ape", "аре", Conflict, "looks too much like 'ape'"),  # whole-script Cyrillic
        ("Paypal", "PayPaI", Conflict, "looks too much like 'Paypal'"),  # capital I for l
    ],
)
def test_service_refuses_a_name_that_looks_like_a_taken_one(session, staff, look_alike, error, message):
    accounts.register(session, staff, PASSWORD)
    session.commit()
    with pytest.raises(error, match=message):
        accounts.register(session, look_alike, "another long password")
    session.rollback()
    assert session.scalars(sa.select(Account.username)).all() == [staff]


@pytest.mark.parametrize(
    ("staff", "look_alike", "status"),
    [("ada", "ａｄａ", 409), ("ada", "Аda", 422), ("mod1", "mоd1", 422)],
)
def test_register_page_refuses_the_look_alikes_of_staff(client, app, make_user, staff, look_alike, status):
    make_user(staff)
    response = client.submit("/register", register_form(look_alike))
    assert response.status_code == status
    assert account_names(app) == [staff]


def test_the_first_of_two_look_alikes_wins_whichever_registers_first(session):
    """The check is on the name, not on who came first: the Cyrillic-free look-alike blocks staff too."""
    accounts.register(session, "rnod1", PASSWORD)
    session.commit()
    with pytest.raises(Conflict, match="rnod1"):
        accounts.register(session, "mod1", PASSWORD)


def test_a_parallel_look_alike_registration_loses_on_the_unique_index(session, monkeypatch):
    """Two registrations that both passed the check before either committed: the index decides."""
    accounts.register(session, "mod1", PASSWORD)
    session.commit()
    monkeypatch.setattr(accounts, "why_taken", lambda *args: None)
    with pytest.raises(Conflict, match="taken"):
        accounts.register(session, "rnod1", PASSWORD)
    session.rollback()
    assert session.scalars(sa.select(Account.username)).all() == ["mod1"]
    assert session.scalar(sa.select(sa.func.count()).select_from(Member)) == 1


@pytest.mark.parametrize("name", ["İstanbul", "Straße", "José", "Jose\u0301", "Ωμέγα", "東京ada", "ａｄａ"])
def test_a_name_that_registers_signs_in_again(client, app, name):
    response = client.submit("/register", register_form(name))
    assert response.status_code == 302, response.get_data(as_text=True)
    client.submit("/logout")

    response = client.submit("/login", {"username": name, "password": PASSWORD})

    assert response.status_code == 302, response.get_data(as_text=True)
    # Stored and shown in NFC: a typed combining accent is the same letter as the precomposed one.
    [stored] = account_names(app)
    assert stored == ("José" if name == "Jose\u0301" else name)
    assert f"Signed in as <strong>{stored}</strong>" in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("typed", ["ＡＤＡ", "ada", " Ada "])
def test_sign_in_finds_the_account_by_its_folded_key(client, make_user, typed):
    user = make_user("Ada")
    response = client.submit("/login", {"username": typed, "password": user.password})
    assert response.status_code == 302
    assert "Signed in as <strong>Ada</strong>" in client.get("/").get_data(as_text=True)


def test_the_skeleton_does_not_sign_in(client, make_user):
    """Sign-in is by the folded name only: a look-alike of a name is not that name."""
    user = make_user("mod1")
    response = client.submit("/login", {"username": "rnod1", "password": user.password})
    assert response.status_code == 401


def test_create_user_refuses_a_look_alike(runner, make_user):
    make_user("ada")
    result = runner.invoke(args=["forum", "create-user", "ａｄａ"], input=PASSWORD + "\n")
    assert result.exit_code != 0
    assert "taken" in result.output
