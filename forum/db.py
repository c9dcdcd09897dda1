"""The forum's own engine and the session of the current app context."""

from __future__ import annotations

import os
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, has_request_context, request

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
WRITER_OPTION = "forum_writer"


def resolve_database_url(forum_url: str | None, host_url: str | None, instance_path: str) -> str:
    """Pick the forum's database: its own setting, else the host's, else a file in the instance folder."""
    if forum_url:
        return forum_url
    if host_url:
        return in_instance_folder(host_url, instance_path)
    return f"sqlite:///{os.path.join(instance_path, 'forum.sqlite3')}"


def in_instance_folder(url: str, instance_path: str) -> str:
    """The host's SQLite URL, a relative path read as Flask-SQLAlchemy reads it: in the instance folder.

    Otherwise a host's `sqlite:///app.db` would put the forum in another file than the host's data.
    """
    parsed = sa.make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:":
        return url
    is_uri = bool(parsed.query.get("uri")) and database.startswith("file:")
    path = database[len("file:") :] if is_uri else database
    if os.path.isabs(path):
        return url
    path = os.path.join(instance_path, path)
    return parsed.set(database=f"file:{path}" if is_uri else path).render_as_string(
        hide_password=False
    )


def normalise_url(url: str) -> sa.URL:
    """Parse `url`, sending plain `postgresql://` (and `postgres://`) to psycopg 3."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def make_engine(url: str, options: dict[str, Any], sqlite_busy_timeout: float) -> sa.Engine:
    """Create an engine; SQLite gets WAL, foreign keys and a busy timeout on every connection."""
    parsed = normalise_url(url)
    options = dict(options)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            os.makedirs(os.path.dirname(os.path.abspath(database)), exist_ok=True)
        options.setdefault("connect_args", {}).setdefault("timeout", sqlite_busy_timeout)
        engine = sa.create_engine(parsed, **options)
        sa.event.listen(engine, "connect", _configure_sqlite)
        sa.event.listen(engine, "begin", _begin_sqlite)
        return engine
    options.setdefault("pool_pre_ping", True)
    parsed, options = prepared_statements_option(parsed, options)
    return sa.create_engine(parsed, **options)


def prepared_statements_option(parsed: sa.URL, options: dict[str, Any]) -> tuple[sa.URL, dict[str, Any]]:
    """Read `?prepare_threshold=N|none` off a PostgreSQL URL into psycopg's connect argument.

    Behind PgBouncer in transaction mode a server-side prepared statement may be looked for on another
    server connection than the one it was prepared on; `prepare_threshold=none` turns them off. psycopg takes
    it as a connect argument, not a libpq option, so it cannot stay in the URL.
    """
    value = parsed.query.get("prepare_threshold")
    if value is None:
        return parsed, options
    text = str(value[-1] if isinstance(value, tuple) else value).strip().lower()
    if text not in ("none", "off") and not text.isdigit():
        raise ValueError("prepare_threshold in the database URL is a number of executions, or none.")
    options = {**options, "connect_args": {**options.get("connect_args", {}),
                                           "prepare_threshold": None if text in ("none", "off") else int(text)}}
    return parsed.difference_update_query(["prepare_threshold"]), options


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    """Turn on what SQLite leaves off: foreign keys, WAL for concurrent readers, a sane sync level."""
    # The driver's own implicit BEGIN is turned off so that `_begin_sqlite` says how to begin.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def _begin_sqlite(connection: sa.Connection) -> None:
    """Writers take SQLite's write lock as they begin, so that a second writer waits its turn.

    A deferred transaction that reads first and writes later fails at once when another writer got
    in between; beginning IMMEDIATE makes it queue on the busy timeout instead.
    """
    writer = connection.get_execution_options().get(WRITER_OPTION, False)
    connection.exec_driver_sql("BEGIN IMMEDIATE" if writer else "BEGIN")


def get_session() -> so.Session:
    """The forum's session for the current app context: a writer's for writes and commands."""
    if "forum_session" not in g:
        state = current_app.extensions["forum"]
        reads_only = has_request_context() and request.method in SAFE_METHODS
        g.forum_session = (state.sessionmaker if reads_only else state.writer_sessionmaker)()
    session: so.Session = g.forum_session
    return session


def close_session(_exc: BaseException | None = None) -> None:
    """Close the context's session, rolling back whatever was not committed."""
    session = g.pop("forum_session", None)
    if session is not None:
        session.close()
