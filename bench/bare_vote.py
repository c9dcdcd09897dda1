"""The yardstick for the vote benchmark: a minimal Flask app that does one upsert and one commit.

No forum code: one route, `PUT /api/v1/arguments/<id>/vote`, takes `{"value": 1|-1|0}` and the
`Authorization` header as the voter, and does one `INSERT ... ON CONFLICT DO UPDATE` of a vote row
through SQLAlchemy Core, then commits. It runs on the same kind of database with the same SQLite
settings as the forum (WAL, synchronous=NORMAL, a busy timeout, writers beginning IMMEDIATE), so the
difference from the forum is the forum's own work: auth, row lock, checks, recount, JSON.

Serve it with `BARE_DATABASE_URL=... gunicorn --chdir bench bare_vote:app`; create its table first
with `create_table(url)` (the benchmark does both).
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


def create_table(url: str) -> None:
    """Create the vote table (once, before the workers start)."""
    engine = make_engine(url)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()


def create_app(url: str) -> Flask:
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

    return app


app = create_app(os.environ["BARE_DATABASE_URL"]) if "BARE_DATABASE_URL" in os.environ else None
