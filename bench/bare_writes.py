"""The yardsticks for the write benchmarks: a minimal Flask app whose writes are one statement and one commit.

No forum code. Two routes, at the forum's own paths, taking what the forum's API takes:
- `PUT /api/v1/arguments/<id>/vote` takes `{"value": 1|-1|0}` and the `Authorization` header as the voter,
  and does one `INSERT ... ON CONFLICT DO UPDATE` of a vote row;
- `POST /api/v1/blocks/<id>/arguments` takes `{"stance", "body", "sources": [{"url", "title"}]}` and the
  `Authorization` header as the poster, and does one `INSERT` of a row holding the body and the first source.

Each runs its statement through SQLAlchemy Core and commits. The app uses the same kind of database with the
same SQLite settings as the forum (WAL, synchronous=NORMAL, a busy timeout, writers beginning IMMEDIATE), so
the difference from the forum is the forum's own work: auth, rate limits, checks, counters, page versions,
what the answer says.

Serve it with `BARE_DATABASE_URL=... gunicorn --chdir bench bare_writes:app`; create its tables first with
`create_tables(url)` (the benchmarks do both).
"""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
from flask import Flask, request
from sqlalchemy.dialects import postgresql, sqlite

SQLITE_BUSY_TIMEOUT = 10  # seconds, as the forum's default FORUM_SQLITE_BUSY_TIMEOUT

metadata = sa.MetaData()
votes = sa.Table(
    "bench_bare_votes",
    metadata,
    sa.Column("argument_id", sa.Integer, primary_key=True),
    sa.Column("voter", sa.String(200), primary_key=True),
    sa.Column("value", sa.SmallInteger, nullable=False),
)
posts = sa.Table(
    "bench_bare_posts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("block_id", sa.Integer, nullable=False),
    sa.Column("poster", sa.String(200), nullable=False),
    sa.Column("stance", sa.String(20), nullable=False),
    sa.Column("body", sa.Text, nullable=False),
    sa.Column("source_url", sa.Text),
    sa.Column("source_title", sa.Text),
)


def make_engine(url: str) -> sa.Engine:
    """An engine on `url`; plain `postgresql://` goes to psycopg 3, SQLite gets WAL and a busy timeout."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    if parsed.get_backend_name() != "sqlite":
        return sa.create_engine(parsed, pool_pre_ping=True)
    engine = sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})

    @sa.event.listens_for(engine, "connect")
    def configure(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # this module says how transactions begin
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def begin(connection: sa.Connection) -> None:
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def create_tables(url: str) -> None:
    """Create the yardsticks' tables (once, before the workers start)."""
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app(url: str) -> Flask:
    """The yardstick app on the database at `url`."""
    app = Flask(__name__)
    engine = make_engine(url)
    insert = postgresql.insert if engine.dialect.name == "postgresql" else sqlite.insert

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    @app.put("/api/v1/arguments/<int:argument_id>/vote")
    def vote(argument_id: int) -> tuple[dict, int] | dict:
        voter = request.headers.get("Authorization", "")
        value = (request.get_json(silent=True) or {}).get("value")
        if not voter:
            return {"error": "no voter"}, 401
        if value not in (1, -1, 0):
            return {"error": "a vote is 1, -1 or 0"}, 422
        statement = insert(votes).values(argument_id=argument_id, voter=voter, value=value)
        statement = statement.on_conflict_do_update(
            index_elements=[votes.c.argument_id, votes.c.voter], set_={"value": value}
        )
        with engine.begin() as connection:
            connection.execute(statement)
        return {"argument_id": argument_id, "my_vote": value}

    @app.post("/api/v1/blocks/<int:block_id>/arguments")
    def post(block_id: int) -> tuple[dict, int]:
        poster = request.headers.get("Authorization", "")
        given = request.get_json(silent=True) or {}
        stance, body, sources = given.get("stance"), given.get("body"), given.get("sources") or [{}]
        if not poster:
            return {"error": "no poster"}, 401
        if not isinstance(stance, str) or not isinstance(body, str) or not isinstance(sources[0], dict):
            return {"error": "a post has a stance, a body and sources"}, 422
        row = {"block_id": block_id, "poster": poster, "stance": stance, "body": body,
               "source_url": sources[0].get("url"), "source_title": sources[0].get("title")}
        with engine.begin() as connection:
            new_id = connection.execute(sa.insert(posts).values(row)).inserted_primary_key[0]
        return {"id": new_id, **row}, 201

    return app


app = create_app(os.environ["BARE_DATABASE_URL"]) if "BARE_DATABASE_URL" in os.environ else None
