"""The forum's Alembic history builds exactly the models' schema, on SQLite and on PostgreSQL, and
never touches a host's tables or a host's own Alembic version table."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

import forum.db
import forum.migrate
from forum import Forum, models
from forum.migrate import VERSION_TABLE, include_name, migrations_dir
from forum.models import Base
from forum.services import paragraph_history

FORUM_TABLES = set(Base.metadata.tables)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database(request: pytest.FixtureRequest, tmp_path) -> str:
    """A database of each kind with nothing in it."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'forum.sqlite3'}"
    return request.getfixturevalue("new_postgres_database")()


@pytest.fixture
def app(empty_database: str) -> Iterator[Flask]:
    """A bare host app with the forum mounted on the empty database."""
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", FORUM_DATABASE_URL=empty_database)
    Forum(app)
    yield app
    app.extensions["forum"].dispose()


@pytest.fixture
def engine(app: Flask) -> sa.Engine:
    """The forum's own engine on the test database."""
    return app.extensions["forum"].engine


def forum_db(app: Flask, *args: str) -> str:
    """Run `flask forum db ARGS` through the app's CLI and return its output; it must succeed."""
    result = app.test_cli_runner().invoke(args=["forum", "db", *args])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.output


def schema_diff(engine: sa.Engine, metadata: sa.MetaData = Base.metadata, only_forum: bool = True):
    """What autogenerate would write to turn the database into `metadata`, configured like env.py."""
    options = {"compare_type": True, "version_table": VERSION_TABLE}
    if only_forum:
        options["include_name"] = include_name
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts=options)
        return compare_metadata(context, metadata)


def table_names(engine: sa.Engine) -> set[str]:
    """The tables the database holds now."""
    return set(sa.inspect(engine).get_table_names())


def head_revision() -> str:
    """The newest revision of the forum's history."""
    head = ScriptDirectory(str(migrations_dir())).get_current_head()
    assert head is not None
    return head


def stored_revisions(engine: sa.Engine, table: str) -> list[str]:
    """The revisions recorded in an Alembic version table."""
    with engine.connect() as connection:
        return list(connection.scalars(sa.text(f"SELECT version_num FROM {table}")))


def test_upgrade_builds_exactly_the_models(app, engine):
    output = forum_db(app, "upgrade")

    assert "head" in output
    assert table_names(engine) == FORUM_TABLES | {VERSION_TABLE}
    assert stored_revisions(engine, VERSION_TABLE) == [head_revision()]
    assert schema_diff(engine) == []


def test_the_comparison_sees_a_model_the_migrations_lack(app, engine):
    """The agreement above means something: a column missing from the history is reported."""
    forum_db(app, "upgrade")
    drifted = sa.MetaData(naming_convention=Base.metadata.naming_convention)
    for table in Base.metadata.sorted_tables:
        table.to_metadata(drifted)
    drifted.tables["forum_members"].append_column(sa.Column("bio", sa.Text(), nullable=True))
    drifted.tables["forum_accounts"].c.username.type = sa.String(60)

    # Column changes come as lists of tuples, table changes as tuples.
    diff = schema_diff(engine, drifted)
    changes = [change if isinstance(change, tuple) else change[0] for change in diff]

    assert sorted(change[0] for change in changes) == ["add_column", "modify_type"]


def test_downgrade_to_base_removes_every_forum_table_and_upgrade_rebuilds_them(app, engine):
    forum_db(app, "upgrade")
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO forum_members (user_id, name, role, created_at) "
                "VALUES ('7', 'Grace', 'admin', CURRENT_TIMESTAMP)"
            )
        )

    forum_db(app, "downgrade", "base")

    # Only the forum's own, now empty, version table is left; no generic `alembic_version` appears.
    assert table_names(engine) == {VERSION_TABLE}
    assert stored_revisions(engine, VERSION_TABLE) == []

    forum_db(app, "upgrade")

    assert table_names(engine) == FORUM_TABLES | {VERSION_TABLE}
    assert stored_revisions(engine, VERSION_TABLE) == [head_revision()]
    with engine.connect() as connection:
        for table in FORUM_TABLES:
            assert connection.scalar(sa.text(f"SELECT count(*) FROM {table}")) == 0, table
    assert schema_diff(engine) == []


def test_current_names_the_head_revision(app, engine):
    forum_db(app, "upgrade")

    assert head_revision() in forum_db(app, "current")


HOST_SCHEMA = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email VARCHAR(200) NOT NULL UNIQUE, "
    "display_name VARCHAR(100))",
    "CREATE INDEX ix_users_display_name ON users (display_name)",
    "INSERT INTO users (id, email, display_name) VALUES (1, 'grace@example.org', 'Grace Hopper')",
    "CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)",
    "INSERT INTO alembic_version (version_num) VALUES ('host_rev_42')",
)


def host_snapshot(engine: sa.Engine) -> dict:
    """Everything about the host's tables that the forum must leave alone: columns, indexes, rows."""
    inspector = sa.inspect(engine)
    with engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT id, email, display_name FROM users"))
        revisions = connection.scalars(sa.text("SELECT version_num FROM alembic_version"))
        return {
            "users_columns": [
                (column["name"], str(column["type"]), column["nullable"])
                for column in inspector.get_columns("users")
            ],
            "users_indexes": sorted(index["name"] for index in inspector.get_indexes("users")),
            "users_unique": len(inspector.get_unique_constraints("users")),
            "users_rows": list(rows),
            "host_revisions": list(revisions),
        }


def test_host_tables_are_never_touched(app, engine):
    with engine.begin() as connection:
        for statement in HOST_SCHEMA:
            connection.execute(sa.text(statement))
    before = host_snapshot(engine)
    assert before["users_rows"] == [(1, "grace@example.org", "Grace Hopper")]

    forum_db(app, "upgrade")

    assert table_names(engine) == FORUM_TABLES | {VERSION_TABLE, "users", "alembic_version"}
    assert host_snapshot(engine) == before
    assert stored_revisions(engine, VERSION_TABLE) == [head_revision()]
    # Autogenerate ignores the host's tables; without the forum's filter it would want to drop them.
    assert schema_diff(engine) == []
    unfiltered = schema_diff(engine, only_forum=False)
    assert {change[1].name for change in unfiltered if change[0] == "remove_table"} == {
        "users",
        "alembic_version",
    }

    forum_db(app, "downgrade", "base")

    assert table_names(engine) == {VERSION_TABLE, "users", "alembic_version"}
    assert host_snapshot(engine) == before

    forum_db(app, "upgrade")

    assert host_snapshot(engine) == before
    assert schema_diff(engine) == []


LATER_REVISION = '''"""A later change that SQLite can only make by rebuilding forum_members.

Revision ID: 9999
Revises: {head}
"""

import sqlalchemy as sa
from alembic import op

revision = "9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("forum_members") as batch:
        batch.alter_column(
            "name", type_=sa.String(120), existing_type=sa.String(100), existing_nullable=False
        )


def downgrade() -> None:
    with op.batch_alter_table("forum_members") as batch:
        batch.alter_column(
            "name", type_=sa.String(100), existing_type=sa.String(120), existing_nullable=False
        )
'''


@pytest.fixture
def later_history(tmp_path, monkeypatch) -> str:
    """The forum's history plus a later revision that rebuilds a table; answers today's head."""
    today = head_revision()
    copy = tmp_path / "migrations"
    shutil.copytree(migrations_dir(), copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "versions" / "9999_rebuild_members.py").write_text(LATER_REVISION.format(head=today))
    monkeypatch.setattr(forum.migrate, "migrations_dir", lambda: copy)
    return today


def test_a_migration_that_rebuilds_a_table_keeps_the_rows_that_refer_to_it(
    app, engine, later_history
):
    forum_db(app, "upgrade", later_history)
    with engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO forum_members (id, user_id, name, role, created_at) "
                "VALUES (1, '7', 'Grace', 'admin', CURRENT_TIMESTAMP)"
            )
        )
        connection.execute(
            sa.text(
                "INSERT INTO forum_api_tokens (member_id, digest, label, created_at) "
                "VALUES (1, 'digest', 'cli', CURRENT_TIMESTAMP)"
            )
        )

    def rows() -> tuple[int, int]:
        with engine.connect() as connection:
            members = connection.scalar(sa.text("SELECT count(*) FROM forum_members"))
            tokens = connection.scalar(sa.text("SELECT count(*) FROM forum_api_tokens"))
            return members, tokens

    forum_db(app, "upgrade")
    [name] = [c for c in sa.inspect(engine).get_columns("forum_members") if c["name"] == "name"]
    assert name["type"].length == 120
    assert rows() == (1, 1)

    forum_db(app, "downgrade", later_history)
    assert rows() == (1, 1)

    # The connections the migrations used still enforce foreign keys afterwards.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(
            sa.text(
                "INSERT INTO forum_api_tokens (member_id, digest, label, created_at) "
                "VALUES (999, 'orphan', 'cli', CURRENT_TIMESTAMP)"
            )
        )


# Accounts as an earlier forum let them register: keys only stripped and case-folded, look-alikes side by side.
EARLIER_ACCOUNTS = [
    (1, "ada", "ada"),
    (2, "ａｄａ", "ａｄａ"),  # fullwidth: the same name in NFKC
    (3, "Аda", "аda"),  # Cyrillic А: the same skeleton
    (4, "mod1", "mod1"),
    (5, "mоd1", "mоd1"),  # Cyrillic о
    (6, "ＭＩＡ", "ｍｉａ"),  # fullwidth, but alone: takes its new key
]


def test_upgrading_keeps_accounts_that_already_look_alike_and_each_still_signs_in(app, engine):
    from forum.db import get_session
    from forum.errors import Conflict
    from forum.services import accounts

    forum_db(app, "upgrade", "0004")
    with engine.begin() as connection:
        for account_id, username, key in EARLIER_ACCOUNTS:
            connection.execute(
                sa.text(
                    "INSERT INTO forum_accounts (id, username, username_key, password_hash, "
                    "session_token, created_at) VALUES (:id, :name, :key, 'hash', 'token', CURRENT_TIMESTAMP)"
                ),
                {"id": account_id, "name": username, "key": key},
            )

    forum_db(app, "upgrade")

    with engine.connect() as connection:
        rows = connection.execute(
            sa.text("SELECT id, username_key, username_skeleton FROM forum_accounts ORDER BY id")
        ).all()
    assert [tuple(row) for row in rows] == [
        (1, "ada", "ada"),
        (2, "ａｄａ", None),
        (3, "аda", None),
        (4, "mod1", "rnodl"),
        (5, "mоd1", None),
        (6, "mia", "rnla"),
    ]
    with app.app_context():
        session = get_session()
        for account_id, username, _ in EARLIER_ACCOUNTS:
            assert accounts.find_account(session, username).id == account_id, username
        assert accounts.find_account(session, "Mia").id == 6
        # A new look-alike of any of them is refused, whichever of the old ones kept the skeleton.
        for look_alike in ("ＡＤＡ", "rnod1", "MLA"):
            with pytest.raises(Conflict):
                accounts.register(session, look_alike, "a long enough password")
            session.rollback()

    forum_db(app, "downgrade", "0004")
    with engine.connect() as connection:
        keys = connection.scalars(sa.text("SELECT username_key FROM forum_accounts ORDER BY id")).all()
    assert keys == [key for _, _, key in EARLIER_ACCOUNTS]


def test_upgrading_keeps_members_sources_as_proposals_and_gives_each_text_one_published_article(app, engine):
    """0006: sources that filled slots become proposals awaiting a moderator; earlier edits keep no editor;
    each article gets its text's digest, and of two identical ones only the older holds it."""
    from forum.db import get_session
    from forum.importing import ParsedArticle, ParsedBlock
    from forum.models import Argument, Article, Member
    from forum.services import article_storage, citation_slots, publication
    from forum.services.arguments import edits

    forum_db(app, "upgrade", "0005")
    with engine.begin() as connection:
        run = connection.execute
        run(sa.text("INSERT INTO forum_members (id, user_id, name, role, created_at) "
                    "VALUES (1, '1', 'mia', 'member', CURRENT_TIMESTAMP), (2, '2', 'ada', 'admin', CURRENT_TIMESTAMP)"))
        # High ids, clear of those PostgreSQL's sequences hand out to the import below.
        for article_id in (101, 102):  # the same text, imported twice before duplicates were refused
            run(sa.text("INSERT INTO forum_articles (id, title, slug, created_at, version) "
                        "VALUES (:id, 'Tolls', 'tolls', CURRENT_TIMESTAMP, 0)"), {"id": article_id})
            run(sa.text("INSERT INTO forum_blocks (id, article_id, position, kind, text, locked, consensus_status, "
                        "consensus_note, consensus_version, consensus_note_html, consensus_key_arguments, version) "
                        "VALUES (:id, :id, 0, 'paragraph', 'Tolls rose.[1]', false, 'open', '', 0, '', '[]', 0)"),
                {"id": article_id})
            run(sa.text("INSERT INTO forum_citation_slots (id, article_id, number) VALUES (:id, :id, 1)"),
                {"id": article_id})
            run(sa.text("INSERT INTO forum_block_citations (block_id, slot_id) VALUES (:id, :id)"), {"id": article_id})
        run(sa.text("INSERT INTO forum_arguments (id, block_id, author_id, stance, body, html, created_at, "
                    "edited_at, up, down, score, hidden) VALUES (1, 101, 1, 'counter', 'Twice.', '<p>Twice.</p>', "
                    "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP, 0, 0, 0, false)"))
        run(sa.text("INSERT INTO forum_sources (id, argument_id, position, url, citation, slot_id) "
                    "VALUES (1, 1, 0, 'https://elsewhere.example/', 1, 101)"))
        run(sa.text("INSERT INTO forum_argument_versions (id, argument_id, number, body, html, sources, written_at) "
                    "VALUES (1, 1, 1, 'Once.', '<p>Once.</p>', '[]', CURRENT_TIMESTAMP)"))

    forum_db(app, "upgrade")

    assert schema_diff(engine) == []
    with app.app_context():
        session = get_session()
        slots, _ = citation_slots.slot_views(session, 101)
        [slot] = slots.values()
        assert slot.is_open and slot.accepted is None
        assert [p.url for p in slot.proposals] == ["https://elsewhere.example/"]
        [(version, _)] = edits(session.get(Argument, 1))
        assert (version.edited_by_name, version.edit_reason, version.moderator_edit) == (None, None, False)
        first, second = (session.get(Article, n) for n in (101, 102))
        assert first.digest is not None and second.digest is None
        same_text = ParsedArticle("Tolls", None, [ParsedBlock("paragraph", "Tolls rose.[1]", [1])], {})
        with pytest.raises(article_storage.DuplicateArticle) as refused:
            article_storage.import_article(session, same_text)
        assert refused.value.article_id == 101
        session.rollback()
        # Once unpublished, the text may be imported again; the index holds one published copy only.
        publication.unpublish_article(session, 101, session.get(Member, 2))
        again = article_storage.import_article(session, same_text)
        session.commit()
        assert again.digest == first.digest
        digest = again.digest
    # The database itself holds one published article per text, whatever the code in front of it does.
    with pytest.raises(sa.exc.IntegrityError), engine.begin() as connection:
        connection.execute(sa.text("UPDATE forum_articles SET digest = :digest WHERE id = 102"), {"digest": digest})

    forum_db(app, "downgrade", "0005")
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM forum_sources")) == 1
        assert connection.scalar(sa.text("SELECT count(*) FROM forum_articles")) == 3


def test_upgrading_makes_every_article_its_first_revision(app, engine):
    """0008: existing articles are revision 1, each block's text its first wording, each argument written on it."""
    forum_db(app, "upgrade", "0007")
    with engine.begin() as connection:
        run = connection.execute
        run(sa.text("INSERT INTO forum_members (id, user_id, name, role, created_at) "
                    "VALUES (1, '1', 'mia', 'member', CURRENT_TIMESTAMP)"))
        run(sa.text("INSERT INTO forum_articles (id, title, slug, created_at, version) "
                    "VALUES (101, 'Tolls', 'tolls', CURRENT_TIMESTAMP, 0)"))
        for block_id, position, text in ((101, 0, "Tolls rose."), (102, 1, "Fares fell.")):
            run(sa.text("INSERT INTO forum_blocks (id, article_id, position, kind, text, locked, consensus_status, "
                        "consensus_note, consensus_version, consensus_note_html, consensus_key_arguments, version) "
                        "VALUES (:id, 101, :position, 'paragraph', :text, false, 'open', '', 0, '', '[]', 0)"),
                {"id": block_id, "position": position, "text": text})
        run(sa.text("INSERT INTO forum_arguments (id, block_id, author_id, stance, body, html, created_at, "
                    "up, down, score, hidden) VALUES (1, 101, 1, 'counter', 'Twice.', '<p>Twice.</p>', "
                    "CURRENT_TIMESTAMP, 0, 0, 0, false)"))

    forum_db(app, "upgrade")

    assert schema_diff(engine) == []
    with app.app_context():
        session = forum.db.get_session()
        assert session.get(models.Article, 101).revision == 1
        assert [(r.revision, r.text) for r in paragraph_history.block_revisions(session, 102)] == [(1, "Fares fell.")]
        block = session.get(models.Block, 101)
        assert (block.change, block.removed_in, block.consensus_needs_review, block.successor_candidates) == (
            "added", None, False, [])
        argument = session.get(models.Argument, 1)
        assert (argument.revision, argument.origin_block_id) == (1, None)
    forum_db(app, "downgrade", "0007")
    with engine.connect() as connection:
        assert connection.scalar(sa.text("SELECT count(*) FROM forum_blocks")) == 2
