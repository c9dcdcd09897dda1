"""The two databases agree: the same corpus gives the same top results, and the migration builds the index
for data already there (and takes it away again)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from flask import Flask

from forum import Forum
from forum.db import get_session
from forum.migrate import migrations_dir
from forum.models import Base
from forum.search.schema import postgresql_fold
from forum.services.search import search
from tests.search_corpus import make_corpus
from wsgi import create_app

QUERIES = [
    "energy", "emissions", "tax", "taxes", "rent", "cafe", "CAFÉ", "naive", "price", "prices rise", '"rent control"',
    "energy -solar", "wind OR solar", "reactor OR nuclear", "dividend", "elasticity", "building", "years",
    "poor", "investment", "cheaper", "carbon OR rent OR energy", "fuel OR petrol", "twenty years", '"carbon tax"',
]


def app_on(url: str) -> Flask:
    """The site on a database with the forum's tables (and so its search index)."""
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    engine.dispose()
    return create_app({"TESTING": True, "SECRET_KEY": "x", "FORUM_DATABASE_URL": url})


@pytest.fixture
def both(tmp_path, new_postgres_database) -> Iterator[list[Flask]]:
    """The corpus on SQLite and on PostgreSQL."""
    apps = [app_on(f"sqlite:///{tmp_path / 'forum.sqlite3'}"), app_on(new_postgres_database())]
    for app in apps:
        make_corpus(app)
    yield apps
    for app in apps:
        app.extensions["forum"].dispose()


def top(app: Flask, text: str) -> list[tuple[str, int]]:
    """The top ten results of a search."""
    with app.app_context():
        return [(r.kind, r.id) for r in search(get_session(), text, limit=10).results]


def test_both_databases_find_the_same_top_ten(both):
    overlaps = []
    for text in QUERIES:
        sqlite, postgresql = top(both[0], text), top(both[1], text)
        assert sqlite and postgresql, text
        overlaps.append(len(set(sqlite) & set(postgresql)) / max(len(sqlite), len(postgresql)))
    assert sum(overlaps) / len(overlaps) >= 0.9, list(zip(QUERIES, overlaps, strict=True))
    assert min(overlaps) >= 0.5, list(zip(QUERIES, overlaps, strict=True))


@pytest.fixture(params=["sqlite", "postgresql"])
def bare(request, tmp_path) -> Iterator[Flask]:
    """A host app with the forum on an empty database of each kind."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'forum.sqlite3'}"
    else:
        url = request.getfixturevalue("new_postgres_database")()
    app = Flask(__name__)
    app.config.update(SECRET_KEY="test", FORUM_DATABASE_URL=url)
    Forum(app)
    yield app
    app.extensions["forum"].dispose()


def forum_db(app: Flask, *args: str) -> None:
    """Run `flask forum db ARGS`; it must succeed."""
    result = app.test_cli_runner().invoke(args=["forum", "db", *args])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"


def search_objects(app: Flask) -> set[str]:
    """The search index's tables the database holds."""
    names = sa.inspect(app.extensions["forum"].engine).get_table_names()
    return {name for name in names if name.startswith("forum_search_")}


def before_search() -> str:
    """The revision the search migration follows."""
    down = ScriptDirectory(str(migrations_dir())).get_revision("0009").down_revision
    assert isinstance(down, str)
    return down


def test_upgrade_indexes_what_is_there_and_downgrade_removes_the_index(bare):
    # The corpus is written by today's models, then the schema is taken back to before the index, with the
    # data of the tables that were there then kept: the upgrade must index what it finds.
    forum_db(bare, "upgrade")
    ids = make_corpus(bare)
    forum_db(bare, "downgrade", before_search())
    assert search_objects(bare) == set()
    forum_db(bare, "upgrade")
    assert top(bare, "elasticity") == [("argument", ids["arguments"][1])]
    assert top(bare, "naive") == [("block", ids["blocks"][6])]
    assert ("article", ids["articles"][1]) in top(bare, "cafe")
    forum_db(bare, "downgrade", before_search())
    assert search_objects(bare) == set()
    forum_db(bare, "upgrade")
    assert top(bare, "flamanville") == [("argument", ids["arguments"][8])]


def test_postgresql_folds_accents_without_unaccent_too(new_postgres_database):
    engine = sa.create_engine(new_postgres_database().replace("postgresql://", "postgresql+psycopg://", 1))
    with engine.begin() as connection:
        connection.exec_driver_sql(postgresql_fold(None))
        folded = connection.scalar(sa.text("SELECT forum_search_fold('Café NAÏVE Łódź Ørsted')"))
    engine.dispose()
    assert folded == "cafe naive lodz orsted"
