"""`flask forum export` and `restore`: everything out as JSON, and back into an empty database exactly."""

import json

import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, Base, Role
from forum.services import arguments, tokens
from forum.services.members import ensure_member
from tests.articles import make_article
from wsgi import create_app


def empty_database(request, tmp_path, kind):
    """A second, empty forum database of the same kind."""
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        url = request.getfixturevalue("new_postgres_database")()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    engine.dispose()
    return url


def test_export_restore_export_is_identical(request, app, runner, make_user, tmp_path, database_url):
    ids = make_article(app)
    make_user("ada", Role.ADMIN)
    runner.invoke(args=["forum", "seed-discussion", str(ids["article"]), "--arguments-per-thread", "4",
                        "--votes-per-argument", "3"])
    with app.app_context():
        session = get_session()
        author = ensure_member(session, "writer", "Writer")
        argument = arguments.post_argument(session, session.get(Argument, 1).block, author,
                                           stance="counter", body="First, with **Markdown** — é ß 漢字")
        arguments.edit_argument(session, argument, author, body="Second text")
        tokens.issue_token(session, author)
        session.commit()

    first = tmp_path / "first.json"
    result = runner.invoke(args=["forum", "export", str(first)])
    assert result.exit_code == 0, result.output
    data = json.loads(first.read_text())
    assert len(data["tables"]["forum_arguments"]) == 4 * 5 + 1
    assert data["tables"]["forum_argument_versions"][0]["body"].startswith("First, with")
    assert data["tables"]["forum_votes"] and data["tables"]["forum_accounts"]

    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    target = create_app({"TESTING": True, "SECRET_KEY": "x",
                         "FORUM_DATABASE_URL": empty_database(request, tmp_path, kind)})
    restored = target.test_cli_runner().invoke(args=["forum", "restore", str(first)])
    assert restored.exit_code == 0, restored.output
    second = tmp_path / "second.json"
    target.test_cli_runner().invoke(args=["forum", "export", str(second)])
    assert second.read_text() == first.read_text()

    # The restored forum works on: new rows get fresh ids, and the admin can still sign in.
    client = target.test_client()
    token = client.post("/api/v1/tokens", json={"username": "ada", "password": "a long test password"})
    assert token.status_code == 201
    posted = client.post(f"/api/v1/blocks/{ids['block1']}/arguments", json={"stance": "support", "body": "New"},
                         headers={"Authorization": f"Bearer {token.json['token']}"})
    assert posted.status_code == 201 and posted.json["id"] == 4 * 5 + 2
    target.extensions["forum"].dispose()


def test_restore_refuses_a_database_with_data(app, runner, tmp_path):
    make_article(app)
    path = tmp_path / "backup.json"
    runner.invoke(args=["forum", "export", str(path)])
    result = runner.invoke(args=["forum", "restore", str(path)])
    assert result.exit_code == 1 and "not empty" in result.stderr


def test_restore_refuses_what_is_no_backup(runner, tmp_path):
    path = tmp_path / "other.json"
    path.write_text('{"hello": 1}')
    assert "not a forum backup" in runner.invoke(args=["forum", "restore", str(path)]).stderr
    path.write_text("not json")
    assert "Cannot read" in runner.invoke(args=["forum", "restore", str(path)]).stderr
