"""One-row reads on the hot path of a cached page: a statement compiled once, run on a pooled DBAPI connection.

A cached page costs a read of its versions and of who is asking. The query itself takes microseconds;
SQLAlchemy's connection, transaction and result machinery several times that, and on PostgreSQL a
transaction's BEGIN and ROLLBACK and the pool's ping are three more round trips than the query's own.
So these reads run past the ORM: on SQLite on the forum's engine (its driver is left in autocommit),
elsewhere on an engine of their own in AUTOCOMMIT, with no reset on return and no ping (a connection
found dead is replaced and the read tried once more).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from forum.db import make_engine

# Listeners called with each statement sent past SQLAlchemy's events (the tests count them).
statement_listeners: list[Callable[[str], None]] = []
_compiled: dict[tuple[str, int], Any] = {}


def make_read_engine(engine: sa.Engine, url: str, options: dict[str, Any], busy_timeout: float) -> sa.Engine:
    """The engine quick reads run on: the forum's own on SQLite, else one in AUTOCOMMIT beside it."""
    if engine.dialect.name == "sqlite":
        return engine
    options = {**options, "isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None, "pool_pre_ping": False}
    return make_engine(url, options, busy_timeout)


def compiled_for(engine: sa.Engine, statement: sa.ClauseElement) -> Any:
    """`statement` compiled for the engine's dialect, once per process."""
    key = (engine.dialect.name, id(statement))
    compiled = _compiled.get(key)
    if compiled is None:
        compiled = _compiled.setdefault(key, statement.compile(dialect=engine.dialect))
    return compiled


def read_one(
    engine: sa.Engine, statement: sa.Select[*tuple[Any, ...]], values: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of a one-statement read, outside any transaction (`statement` is kept for the process)."""
    sql, params = _prepared(engine, statement, values)
    return _fetch(engine, sql, params, retry=True)


def _prepared(engine: sa.Engine, statement: sa.ClauseElement, values: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL and the driver's parameters of `statement` with `values`, told to the listeners."""
    compiled = compiled_for(engine, statement)
    params = compiled.construct_params(values)
    if compiled.positiontup is not None:  # SQLite's "?" placeholders; psycopg takes the names
        params = tuple(params[name] for name in compiled.positiontup)
    sql = str(compiled)
    for listener in statement_listeners:
        listener(sql)
    return sql, params


def run_in(connection: sa.Connection, statement: sa.ClauseElement, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run `statement` (kept for the process) on the driver's cursor of `connection`, inside its transaction;
    its rows, as the driver gives them (`typed` reads them as SQLAlchemy would)."""
    sql, params = _prepared(connection.engine, statement, values)
    # Whether it answers rows, said by the statement: in psycopg's pipeline mode a cursor knows only once synced.
    answers = isinstance(statement, sa.Select) or bool(getattr(statement, "_returning", ()))
    cursor = connection.connection.cursor()
    try:
        cursor.execute(sql, params)
        return list(cursor.fetchall()) if answers else []
    finally:
        cursor.close()


_converters: dict[tuple[str, int], list[Callable[[Any], Any] | None]] = {}


def typed(engine: sa.Engine, statement: sa.Select[*tuple[Any, ...]], row: Sequence[Any]) -> list[Any]:
    """A row of `statement` as the driver gave it, each value read by its column's type (SQLite's datetimes are
    text to the driver)."""
    key = (engine.dialect.name, id(statement))
    converters = _converters.get(key)
    if converters is None:
        converters = _converters.setdefault(key, [
            column.type.dialect_impl(engine.dialect).result_processor(engine.dialect, None)
            for column in statement.selected_columns
        ])
    return [value if convert is None else convert(value) for convert, value in zip(converters, row)]


def _fetch(engine: sa.Engine, sql: str, params: Any, *, retry: bool) -> tuple[Any, ...] | None:
    """Run `sql` on a pooled connection; once more on a fresh one if the server had gone away."""
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, params)
            return cursor.fetchone()
        finally:
            cursor.close()
    except engine.dialect.loaded_dbapi.Error as error:
        if not (retry and engine.dialect.is_disconnect(error, raw.dbapi_connection, None)):
            raise
        raw.invalidate()
    finally:
        raw.close()
    return _fetch(engine, sql, params, retry=False)
