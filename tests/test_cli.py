"""`flask forum create-user` and `set-role` on the standalone site.

`db upgrade` is tested with the migrations, `set-role` for a host's users with the plugin,
`create-token` with the API tokens.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Account, Member

PASSWORD = "a long cli password"


def forum(runner, *args: str, input: str | None = None):
    return runner.invoke(args=["forum", *args], input=input)


def accounts_and_roles(app) -> list[tuple[str, str]]:
    """Every account's name with its member's role."""
    with app.app_context():
        rows = get_session().execute(
            sa.select(Account.username, Member.role)
            .join(Member, Member.user_id == sa.cast(Account.id, sa.String))
            .order_by(Account.id)
        )
        return [tuple(row) for row in rows]


def member_count(app) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(Member))


def header(client) -> str:
    """The account part of the page header: who is signed in, and their role."""
    page = client.get("/").get_data(as_text=True)
    match = re.search(r'<span class="who">(.*?)</span>', page)
    return match.group(1) if match else ""


def sign_in(client, username: str, password: str):
    return client.submit("/login", {"username": username, "password": password})


# ---------------------------------------------------------------- create-user


@pytest.mark.parametrize(
    ("role", "shown"),
    [("member", ""), ("moderator", " (moderator)"), ("admin", " (admin)")],
)
def test_create_user_reads_the_password_from_stdin_without_a_prompt(
    app, runner, client, role, shown
):
    result = forum(runner, "create-user", "newbie", "--role", role, input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert result.output == f"Created newbie (user id 1) as {role}.\n"
    assert "password" not in result.output.lower()
    assert accounts_and_roles(app) == [("newbie", role)]

    assert sign_in(client, "newbie", PASSWORD).status_code == 302
    assert header(client) == f"Signed in as <strong>newbie</strong>{shown}"


def test_create_user_is_a_member_by_default(app, runner):
    result = forum(runner, "create-user", "newbie", input=PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert accounts_and_roles(app) == [("newbie", "member")]


@pytest.mark.parametrize(
    ("stdin", "password"),
    [
        (PASSWORD, PASSWORD),
        (PASSWORD + "\r\n", PASSWORD),
        (PASSWORD + "\nsecond line\n", PASSWORD),
        ("  spaced  password  \n", "  spaced  password  "),
    ],
    ids=["no-newline", "crlf", "two-lines", "spaces-kept"],
)
def test_create_user_takes_exactly_the_first_line(app, runner, client, stdin, password):
    result = forum(runner, "create-user", "newbie", input=stdin)
    assert result.exit_code == 0, result.output
    assert sign_in(client, "newbie", password).status_code == 302
    client.submit("/logout")
    assert sign_in(client, "newbie", stdin).status_code == (302 if stdin == password else 401)


@pytest.mark.parametrize(
    ("name", "stdin", "message"),
    [
        ("newbie", "short\n", "A password needs at least 10 characters."),
        ("newbie", "", "A password needs at least 10 characters."),
        ("newbie", "1234567890\n", "That password is among the most commonly used ones"),
        ("newbie", "password123\n", "That password is among the most commonly used ones"),
        ("lovelace_ada", "lovelace_ada\n", "A password may not be your user name."),
        ("ab", PASSWORD, "A user name has 3 to 30 characters."),
        ("ada lovelace", PASSWORD, "A user name may use letters, digits"),
    ],
)
def test_create_user_refuses_bad_input_with_the_reason(app, runner, name, stdin, message):
    result = forum(runner, "create-user", name, input=stdin)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("Error: ")
    assert message in result.stderr
    assert accounts_and_roles(app) == []
    assert member_count(app) == 0


@pytest.mark.parametrize("taken", ["mia", "MIA"])
def test_create_user_refuses_a_taken_name(app, runner, make_user, taken):
    make_user("mia")
    result = forum(runner, "create-user", taken, "--role", "admin", input=PASSWORD + "\n")
    assert result.exit_code == 1
    assert "That user name is taken." in result.stderr
    assert accounts_and_roles(app) == [("mia", "member")]


@pytest.mark.parametrize("role", ["owner", "Admin", ""])
def test_create_user_refuses_an_unknown_role(app, runner, role):
    result = forum(runner, "create-user", "newbie", "--role", role, input=PASSWORD + "\n")
    assert result.exit_code == 2
    assert "Invalid value for '--role'" in result.stderr
    assert "'member', 'moderator', 'admin'" in result.stderr
    assert accounts_and_roles(app) == []


# ---------------------------------------------------------------- set-role


@pytest.mark.parametrize(
    ("role", "shown"),
    [("moderator", " (moderator)"), ("admin", " (admin)"), ("member", "")],
)
def test_set_role_changes_what_the_header_shows(app, runner, client, make_user, login, role, shown):
    user = make_user("mia")
    make_user("moe")
    result = forum(runner, "set-role", str(user.id), role)
    assert result.exit_code == 0, result.output
    assert result.output == f"mia (user id {user.id}) is now {role}.\n"
    assert accounts_and_roles(app) == [("mia", role), ("moe", "member")]

    login(user)
    assert header(client) == f"Signed in as <strong>mia</strong>{shown}"


def test_set_role_takes_effect_for_someone_already_signed_in(runner, client, as_member):
    assert header(client) == "Signed in as <strong>mia</strong>"
    assert forum(runner, "set-role", str(as_member.id), "moderator").exit_code == 0
    assert header(client) == "Signed in as <strong>mia</strong> (moderator)"
    assert forum(runner, "set-role", str(as_member.id), "member").exit_code == 0
    assert header(client) == "Signed in as <strong>mia</strong>"


@pytest.mark.parametrize("user_id", ["999", "mia", "0", "01", "99999999999999999999", "²", " 1"])
def test_set_role_refuses_an_unknown_user(app, runner, make_user, user_id):
    make_user("mia")
    result = forum(runner, "set-role", user_id, "admin")
    assert result.exit_code == 1
    assert result.stderr == f"Error: This app has no user with the id {user_id!r}.\n"
    assert accounts_and_roles(app) == [("mia", "member")]
    assert member_count(app) == 1


@pytest.mark.parametrize("role", ["owner", "MODERATOR"])
def test_set_role_refuses_an_unknown_role(app, runner, make_user, role):
    user = make_user("mia")
    result = forum(runner, "set-role", str(user.id), role)
    assert result.exit_code == 2
    assert "Invalid value for '{member|moderator|admin}'" in result.stderr
    assert accounts_and_roles(app) == [("mia", "member")]


@pytest.mark.parametrize("args", [
    ["seed-discussion", "99999999999999999999999"],
    ["load-discussion", "99999999999999999999999", "demo/discussion.toml"],
    ["score", "--article", "99999999999999999999999"],
    ["score", "--article", "-1"],
    ["score", "--seed", "99999999999999999999999"],
    ["score", "--seed", "-5"],
])
def test_an_id_or_seed_past_what_the_database_keeps_is_refused_with_the_reason(app, runner, args):
    """A number no column could hold names nothing: click says so, instead of a database's overflow traceback."""
    result = runner.invoke(args=["forum", *args], input="demo password\n")
    assert result.exit_code == 2
    assert "is not in the range" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
