"""`flask forum export` and `restore`: everything out as JSON, and back into an empty database exactly."""

import json

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, Base, Role
from forum.services import arguments, backup, tokens
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


@pytest.mark.parametrize("text", ["[" * 100_000, '{"format": "forum-backup", "version": ' + "7" * 5_000 + "}"])
def test_restore_refuses_a_file_no_backup_is_like(runner, tmp_path, text):
    """JSON nested past Python's recursion limit, or a number of thousands of digits: said, not a traceback."""
    path = tmp_path / "odd.json"
    path.write_text(text)
    result = runner.invoke(args=["forum", "restore", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"Cannot read {path} as a backup" in result.stderr


def test_every_json_column_has_a_shape_to_check():
    json_columns = {(table.name, column.name) for table in Base.metadata.sorted_tables
                    for column in table.columns if isinstance(column.type, sa.JSON)}
    assert json_columns == set(backup.JSON_SHAPES)


def test_text_in_a_json_column_is_checked_like_any_text(request, app, runner, tmp_path, database_url):
    data = exported(app, runner, tmp_path)
    data["tables"]["forum_audit_log"] = [{
        "id": 1, "actor_id": None, "actor_name": "ada", "action": "thread.lock", "target_type": "block",
        "target_id": 1, "reason": "", "details": {"note": "nul\x00"}, "created_at": "2024-01-01T10:00:00+00:00",
    }]
    result, rows = restore_elsewhere(request, tmp_path, database_url, data)
    assert "Error: Row 1 of forum_audit_log cannot be restored: details holds a NUL character" in result.stderr
    assert rows == 0


def restore_elsewhere(request, tmp_path, database_url, data):
    """Restore `data` into a second, empty database of the same kind; the CLI's result and that database's row count."""
    path = tmp_path / "edited.json"
    path.write_text(json.dumps(data))
    kind = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    target = create_app({"TESTING": True, "SECRET_KEY": "x",
                         "FORUM_DATABASE_URL": empty_database(request, tmp_path, kind)})
    result = target.test_cli_runner().invoke(args=["forum", "restore", str(path)])
    with target.app_context():
        session = get_session()
        rows = sum(session.scalar(sa.select(sa.func.count()).select_from(t)) for t in Base.metadata.sorted_tables)
    target.extensions["forum"].dispose()
    return result, rows


def exported(app, runner, tmp_path) -> dict:
    """An export of a forum with one article, as JSON."""
    make_article(app)
    path = tmp_path / "backup.json"
    runner.invoke(args=["forum", "export", str(path)])
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    "table, column, value, reason",
    [
        # SQLite keeps a URL of any length; PostgreSQL's column holds 2,000 characters.
        ("forum_citation_slots", "url", "https://example.org/" + "x" * 2000,
         "url has 2,020 characters, over the 2,000 the column holds"),
        ("forum_articles", "source_url", "https://example.org/" + "x" * 2000,
         "source_url has 2,020 characters, over the 2,000 the column holds"),
        ("forum_articles", "title", "Nul\x00", "title holds a NUL character or half of a surrogate pair"),
        ("forum_blocks", "position", 2**40, "position is not a whole number this column holds"),
        ("forum_blocks", "locked", "yes", "locked is not true or false"),
        ("forum_articles", "created_at", "yesterday", "created_at is not valid"),
        ("forum_articles", "created_at", "2024-01-01T10:00:00", "created_at is a time without its time zone"),
        ("forum_articles", "title", None, "title is missing"),
        # A time whose zone puts it before year 1 in UTC, as it would be stored.
        ("forum_articles", "created_at", "0001-01-01T00:30:00+01:00", "created_at is not a time this column holds"),
        # JSON columns hold what the pages read from them, and nothing either database refuses.
        ("forum_blocks", "consensus_key_arguments", [[1]],
         "consensus_key_arguments is not of the shape the column holds"),
        ("forum_blocks", "consensus_key_arguments", "12",
         "consensus_key_arguments is not of the shape the column holds"),
        ("forum_blocks", "consensus_key_arguments", [2**70],
         "consensus_key_arguments holds a number no database column holds"),
    ],
)
def test_restore_refuses_what_either_database_would_not_hold(
    request, app, runner, tmp_path, database_url, table, column, value, reason
):
    data = exported(app, runner, tmp_path)
    data["tables"][table][0][column] = value
    result, rows = restore_elsewhere(request, tmp_path, database_url, data)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert f"Error: Row 1 of {table} cannot be restored: {reason}." in result.stderr
    assert rows == 0


def test_a_backup_from_before_the_counts_version_restores_with_its_default(request, app, runner, tmp_path, database_url):
    data = exported(app, runner, tmp_path)
    for row in data["tables"]["forum_blocks"]:
        del row["counts_version"]
    data["tables"]["forum_articles"][0].pop("title")  # a column with no default stays required
    result, rows = restore_elsewhere(request, tmp_path, database_url, data)
    assert "Error: Row 1 of forum_articles cannot be restored: title is missing." in result.stderr
    data["tables"]["forum_articles"][0]["title"] = "Restored"
    result, rows = restore_elsewhere(request, tmp_path, database_url, data)
    assert result.exit_code == 0, result.output
    assert rows == sum(len(table) for table in data["tables"].values())


def test_restore_refuses_rows_that_do_not_fit_together(request, app, runner, tmp_path, database_url):
    data = exported(app, runner, tmp_path)
    blocks = data["tables"]["forum_blocks"]
    blocks.append(dict(blocks[0]))  # the same id twice
    result, rows = restore_elsewhere(request, tmp_path, database_url, data)
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Error: The backup's rows do not fit together: " in result.stderr
    assert rows == 0  # the articles written before the blocks went with them


@pytest.mark.parametrize("tables", [[], {"forum_articles": {"id": 1}}, {"forum_articles": [1, 2]}])
def test_restore_refuses_a_backup_of_the_wrong_shape(request, app, runner, tmp_path, database_url, tables):
    result, rows = restore_elsewhere(request, tmp_path, database_url,
                                     {"format": "forum-backup", "version": 1, "tables": tables})
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert rows == 0
