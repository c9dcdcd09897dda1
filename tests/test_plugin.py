"""The forum mounted in a host app that has its own users, sign-in, pages and templates."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from flask import Flask, g
from host_app.host import HOST_NOT_FOUND, OVERRIDE_MARKER, USERS, create_app

import forum
from forum import Forum
from forum.auth import current_viewer
from forum.extension import ForumState
from forum.models import Member, Role

SIGNED_IN_AS = "Signed in as <strong>{}</strong>"
FORUM_PACKAGE = Path(forum.__file__).parent


@pytest.fixture
def host(database_url: str, monkeypatch) -> Iterator[Flask]:
    """The host app with the forum at /community, on a fresh forum database of each kind."""
    monkeypatch.delenv("HOST_FORUM_DATABASE_URL", raising=False)
    app = create_app({"TESTING": True, "FORUM_DATABASE_URL": database_url})
    yield app
    app.extensions["forum"].dispose()


@pytest.fixture
def client(host: Flask):
    """A browser of the host."""
    return host.test_client()


def sign_in(client, user_id: str = "1") -> None:
    """Sign in through the host's own sign-in page."""
    response = client.post("/login", data={"user_id": user_id})
    assert response.status_code == 200, response.get_data(as_text=True)


def members(app: Flask) -> list[Member]:
    """Every member row the forum has stored."""
    with app.extensions["forum"].sessionmaker() as session:
        return list(session.scalars(sa.select(Member).order_by(Member.id)))


def forum_cli(app: Flask, *args: str):
    """Run `flask forum ARGS` through the host's CLI."""
    return app.test_cli_runner().invoke(args=["forum", *args])


def test_forum_pages_are_served_under_the_prefix(client):
    page = client.get("/community/")
    stylesheet = client.get("/community/forum-static/forum/forum.css")

    assert page.status_code == 200
    assert "<title>Host community</title>" in page.get_data(as_text=True)
    assert re.search(r'href="/community/forum-static/forum/forum\.css\?v=[0-9a-f]{16}"', page.get_data(as_text=True))
    assert stylesheet.status_code == 200
    assert stylesheet.data == (FORUM_PACKAGE / "static" / "forum" / "forum.css").read_bytes()
    assert client.get("/forum/").status_code == 404
    assert client.get("/api/v1/openapi.json").status_code == 404
    assert client.get("/community/api/v1/openapi.json").status_code == 200


def test_the_hosts_template_overrides_the_forums(client):
    page = client.get("/community/").get_data(as_text=True)

    assert OVERRIDE_MARKER in page
    assert "No articles yet" not in page  # the forum's own index.html lost
    assert 'class="site-header"' in page  # while the forum's base layout is still used


def test_the_hosts_own_routes_are_untouched(host, client):
    assert client.get("/").get_data(as_text=True) == "host home"
    # No CSRF token: the forum's protection covers the forum's routes only.
    response = client.post("/notes", data={"text": "hello"})
    assert response.status_code == 200
    assert response.get_data(as_text=True) == "noted: hello"
    missing = client.get("/no/such/host/page")
    assert missing.status_code == 404
    assert missing.get_data(as_text=True) == HOST_NOT_FOUND
    # The host's pages open no forum session and ask nothing of the forum's database.
    with host.test_request_context("/"):
        host.preprocess_request()
        assert "forum_session" not in g
        assert "forum_viewer" not in g


def test_the_forums_own_writes_still_need_a_csrf_token(client):
    sign_in(client)

    response = client.post("/community/api/v1/tokens", json={"username": "x", "password": "y"})

    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_a_host_user_is_shown_by_the_hosts_name_and_is_a_member_without_a_row(host, client):
    anonymous = client.get("/community/").get_data(as_text=True)
    assert "Signed in as" not in anonymous
    assert 'href="/login?next=' in anonymous  # the host's login view

    sign_in(client)
    with client:
        page = client.get("/community/").get_data(as_text=True)
        viewer = current_viewer()

    assert SIGNED_IN_AS.format("Grace Hopper") in page
    assert '<meta name="csrf-token"' in page
    assert "(member)" not in page and "(moderator)" not in page
    assert viewer.user_id == "1"
    assert viewer.role is Role.MEMBER
    assert viewer.member is None
    assert members(host) == []


def test_set_role_gives_a_host_user_a_role_under_the_hosts_name(host, client):
    result = forum_cli(host, "set-role", "1", "moderator")

    assert result.exit_code == 0, result.output
    assert "Grace Hopper" in result.output
    [member] = members(host)
    assert (member.user_id, member.name, member.role) == ("1", "Grace Hopper", "moderator")

    sign_in(client)
    page = client.get("/community/").get_data(as_text=True)
    assert SIGNED_IN_AS.format("Grace Hopper") + " (moderator)" in page

    client.post("/login", data={"user_id": "2"})
    other = client.get("/community/").get_data(as_text=True)
    assert SIGNED_IN_AS.format("Alan Turing") in other
    assert "(moderator)" not in other


def test_set_role_refuses_a_user_the_host_does_not_have(host):
    result = forum_cli(host, "set-role", "99", "admin")

    assert result.exit_code != 0
    assert "99" in result.output
    assert members(host) == []


def test_display_name_setting_wins(database_url, monkeypatch):
    monkeypatch.delenv("HOST_FORUM_DATABASE_URL", raising=False)
    app = create_app(
        {
            "TESTING": True,
            "FORUM_DATABASE_URL": database_url,
            "FORUM_DISPLAY_NAME": lambda user: f"{user.display_name} <{user.email}>",
        }
    )
    try:
        client = app.test_client()
        sign_in(client)
        page = client.get("/community/").get_data(as_text=True)
        assert SIGNED_IN_AS.format("Grace Hopper &lt;grace@host.example&gt;") in page

        assert forum_cli(app, "set-role", "1", "admin").exit_code == 0
        assert [m.name for m in members(app)] == ["Grace Hopper <grace@host.example>"]
    finally:
        app.extensions["forum"].dispose()


def test_init_app_mounts_the_forum_and_keeps_its_state_per_app(database_url, tmp_path):
    forum = Forum()
    first = create_app({"FORUM_DATABASE_URL": database_url}, mount_forum=False)
    other_url = f"sqlite:///{tmp_path / 'other.sqlite3'}"
    second = create_app({"FORUM_DATABASE_URL": other_url}, mount_forum=False)

    forum.init_app(first)
    forum.init_app(second)

    try:
        assert first.test_client().get("/community/").status_code == 200
        assert isinstance(first.extensions["forum"], ForumState)
        assert first.extensions["forum"].database_url == database_url
        assert second.extensions["forum"].database_url == other_url
        assert not hasattr(forum, "app")
    finally:
        first.extensions["forum"].dispose()


def test_registering_twice_is_refused(tmp_path):
    app = create_app({"FORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'forum.sqlite3'}"})
    state = app.extensions["forum"]

    with pytest.raises(RuntimeError, match="already registered"):
        Forum(app)
    with pytest.raises(RuntimeError, match="already registered"):
        Forum().init_app(app)
    assert app.extensions["forum"] is state


def test_init_app_does_no_io(tmp_path):
    database = tmp_path / "not" / "yet" / "forum.sqlite3"
    instance = tmp_path / "instance"

    app = create_app({"FORUM_DATABASE_URL": f"sqlite:///{database}"}, instance_path=str(instance))

    assert not (tmp_path / "not").exists()
    assert not instance.exists()
    assert app.extensions["forum"]._engine is None  # no engine made yet

    result = forum_cli(app, "db", "upgrade")
    app.extensions["forum"].dispose()

    assert result.exit_code == 0, result.output
    assert database.is_file()
    assert not instance.exists()


def test_a_host_without_login_manager_is_told_to_set_up_flask_login(tmp_path):
    app = create_app(
        {"FORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'forum.sqlite3'}"}, login_manager=False
    )
    app.testing = True
    client = app.test_client()

    assert client.get("/").status_code == 200  # the host's own pages do not need it
    with pytest.raises(RuntimeError, match="Flask-Login"):
        client.get("/community/")


def test_database_falls_back_to_the_hosts_database(tmp_path, monkeypatch):
    monkeypatch.delenv("HOST_FORUM_DATABASE_URL", raising=False)
    host_database = tmp_path / "host.sqlite3"

    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{host_database}"})
    result = forum_cli(app, "db", "upgrade")
    app.extensions["forum"].dispose()

    assert app.extensions["forum"].database_url == f"sqlite:///{host_database}"
    assert result.exit_code == 0, result.output
    assert "forum_members" in sqlite_tables(host_database)


def test_a_relative_host_sqlite_path_is_read_in_the_instance_folder(tmp_path, monkeypatch):
    """As Flask-SQLAlchemy reads it, so the forum shares the host's file instead of a second one."""
    monkeypatch.delenv("HOST_FORUM_DATABASE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    instance = tmp_path / "instance"

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite:///host.sqlite3"}, instance_path=str(instance)
    )
    result = forum_cli(app, "db", "upgrade")
    app.extensions["forum"].dispose()

    assert result.exit_code == 0, result.output
    assert "forum_members" in sqlite_tables(instance / "host.sqlite3")
    assert not (tmp_path / "host.sqlite3").exists()


def test_database_falls_back_to_a_file_in_the_instance_folder(tmp_path, monkeypatch):
    monkeypatch.delenv("HOST_FORUM_DATABASE_URL", raising=False)
    instance = tmp_path / "instance"

    app = create_app(instance_path=str(instance))
    result = forum_cli(app, "db", "upgrade")
    app.extensions["forum"].dispose()

    assert result.exit_code == 0, result.output
    [database] = instance.glob("*.sqlite3")
    assert app.extensions["forum"].database_url == f"sqlite:///{database}"
    assert "forum_members" in sqlite_tables(database)
    sign_in_client = app.test_client()
    sign_in(sign_in_client)
    assert SIGNED_IN_AS.format("Grace Hopper") in sign_in_client.get("/community/").get_data(
        as_text=True
    )
    app.extensions["forum"].dispose()


def sqlite_tables(path: Path) -> set[str]:
    """The tables of an SQLite file, read without the forum."""
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def test_a_plain_postgresql_url_works_as_written(new_postgres_database, monkeypatch):
    monkeypatch.delenv("HOST_FORUM_DATABASE_URL", raising=False)
    url = new_postgres_database()
    assert url.startswith("postgresql://") and "+" not in url.split("://")[0]

    app = create_app({"TESTING": True, "FORUM_DATABASE_URL": url})
    try:
        result = forum_cli(app, "db", "upgrade")
        assert result.exit_code == 0, result.output
        engine = app.extensions["forum"].engine
        assert engine.dialect.name == "postgresql"
        assert engine.dialect.driver == "psycopg"
        assert forum_cli(app, "set-role", "2", "admin").exit_code == 0
        client = app.test_client()
        sign_in(client, "2")
        page = client.get("/community/").get_data(as_text=True)
        assert SIGNED_IN_AS.format("Alan Turing") + " (admin)" in page
    finally:
        app.extensions["forum"].dispose()


def test_sqlite_connections_enforce_foreign_keys_use_wal_and_wait_when_busy(tmp_path):
    app = create_app(
        {
            "FORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'forum.sqlite3'}",
            "FORUM_SQLITE_BUSY_TIMEOUT": 7,
        }
    )
    engine = app.extensions["forum"].engine
    try:
        # Two connections at once, so that both come fresh from the driver.
        with engine.connect() as first, engine.connect() as second:
            for connection in (first, second):
                assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 7000
    finally:
        engine.dispose()


def test_a_host_user_posts_arguments_under_the_hosts_name(host, client):
    from tests.articles import make_article

    ids = make_article(host)
    sign_in(client)
    thread = client.get(f"/community/blocks/{ids['block1']}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', thread).group(1)

    response = client.post(
        f"/community/api/v1/blocks/{ids['block1']}/arguments",
        json={"stance": "support", "body": "The minutes agree."},
        headers={"X-CSRFToken": token},
    )

    assert response.status_code == 201, response.get_json()
    name = USERS["1"].display_name
    assert response.get_json()["author"]["name"] == name
    assert [(m.user_id, m.name, m.role) for m in members(host)] == [("1", name, "member")]
    page = client.get(f"/community/blocks/{ids['block1']}").get_data(as_text=True)
    assert name in page and "The minutes agree." in page


def test_a_removed_host_user_reads_but_takes_no_part(host, client):
    """A host's moderator removed from the forum keeps the host's sign-in, and may only read the forum."""
    from tests.articles import make_article

    ids = make_article(host)
    assert forum_cli(host, "set-role", "1", "moderator").exit_code == 0
    assert forum_cli(host, "remove-member", "1").exit_code == 0

    sign_in(client)
    thread = client.get(f"/community/blocks/{ids['block1']}").get_data(as_text=True)
    assert SIGNED_IN_AS.format("Grace Hopper") in thread
    assert "(moderator)" not in thread
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', thread).group(1)
    for method, path, body in [
        ("POST", f"/community/api/v1/blocks/{ids['block1']}/arguments", {"stance": "support", "body": "Hi."}),
        ("PUT", f"/community/api/v1/blocks/{ids['block1']}/lock", {"locked": True, "reason": "Calm."}),
    ]:
        response = client.open(path, method=method, json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 403, response.get_json()
        assert "removed" in response.get_json()["error"]["message"]

    result = forum_cli(host, "create-token", "1")
    assert result.exit_code != 0
    assert "was removed" in result.output


def test_signing_in_through_the_host_gives_a_new_csrf_token(host, client):
    """The host's own sign-in (Flask-Login's login_user) rotates the forum's CSRF secret too."""
    sign_in(client, "1")
    page = client.get("/community/").get_data(as_text=True)
    before = re.search(r'<meta name="csrf-token" content="([^"]+)"', page).group(1)
    sign_in(client, "2")
    response = client.post("/community/api/v1/preview", json={"body": "hi"}, headers={"X-CSRFToken": before})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "csrf_failed"


def test_a_host_users_page_and_argument_page_name_them_as_the_host_does(host, client):
    from tests.articles import make_article

    ids = make_article(host)
    sign_in(client)
    thread = client.get(f"/community/blocks/{ids['block1']}").get_data(as_text=True)
    token = re.search(r'<meta name="csrf-token" content="([^"]+)"', thread).group(1)
    posted = client.post(
        f"/community/api/v1/blocks/{ids['block1']}/arguments",
        json={"stance": "support", "body": "The minutes agree."},
        headers={"X-CSRFToken": token},
    ).get_json()
    name = USERS["1"].display_name
    [member] = members(host)
    # Under the host's prefix, linked from the thread, and by the host's name for the user.
    thread = client.get(f"/community/blocks/{ids['block1']}").get_data(as_text=True)
    assert f'href="/community/members/{member.id}"' in thread
    assert f'href="/community/arguments/{posted["id"]}"' in thread
    page = client.get(f"/community/members/{member.id}").get_data(as_text=True)
    assert f"<h1>{name}</h1>" in page and "The minutes agree." in page
    assert client.get(f"/community/api/v1/members/{member.id}").get_json()["name"] == name
    argument = client.get(f"/community/arguments/{posted['id']}").get_data(as_text=True)
    assert f">{name}</a>" in argument
