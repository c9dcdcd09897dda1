"""One-row reads on the hot path of a cached page: a statement compiled once, run on a pooled DBAPI connection.

A cached page costs a read of its versions and of who is asking. The query itself takes microseconds;
SQLAlchemy's connection, transaction and result machinery several times that, and on PostgreSQL a
transaction's BEGIN and ROLLBACK and the pool's ping are three more round trips than the query's own.
So these reads run past the ORM: on SQLite on the forum's engine (its driver is left in autocommit),
elsewhere on an engine of their own in AUTOCOMMIT, with no reset on return and no ping (a connection
found dead is replaced and the read tried once more).

On PostgreSQL through psycopg a read goes one step further down, to libpq: the statement is prepared once per
connection under a name of its own and executed with its values as text, in one blocking call, and its row is
loaded by psycopg's own loaders (so its values have the types a psycopg cursor would give). psycopg's cursor
spends four times the client's time of that call on its generators and waits for the same round trip. A
connection told not to prepare (`prepare_threshold=none`, behind PgBouncer in transaction mode) sends the
statement whole each time, still in one call.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
from psycopg import Connection as PsycopgConnection
from psycopg import abc, pq
from psycopg import errors as pg_errors
from psycopg.adapt import PyFormat, Transformer
from sqlalchemy.pool import QueuePool

from forum.db import make_engine

# Listeners called with each statement sent past SQLAlchemy's events (the tests count them).
statement_listeners: list[Callable[[str], None]] = []
# Where a connection's pool entry notes the names prepared on it (cleared when the connection is replaced).
PREPARED = "forum_prepared_reads"
# Where a connection's pool entry keeps psycopg's dumpers and loaders for the reads, beside the connection they serve.
TRANSFORMER = "forum_read_transformer"
UNKNOWN_STATEMENT = b"26000"  # invalid_sql_statement_name: no statement prepared under that name


class Compiled(NamedTuple):
    """A statement compiled once for a dialect: its text, the order its values are sent in, and on PostgreSQL
    the name it is prepared under."""

    sql: str
    names: tuple[str, ...]
    prepared_as: bytes
    compiled: Any  # SQLAlchemy's compiled form, which fills in the statement's own literal values


_compiled: dict[tuple[str, int], Compiled] = {}
# The writes' statements compiled for the driver's own cursor, by dialect and statement.
_driver_compiled: dict[tuple[str, int], Any] = {}
# The reads' engines' connections kept out of their pools between reads (psycopg's, and a SQLite file's outside any
# transaction): a pool's checkout and return cost about a tenth of a kept page's own work. A few per engine at most
# (a sync worker uses one; threads beyond take from the pool as before), all counted by the pool as checked out, so
# its bounds still hold.
HELD_CONNECTIONS = 2
_held: weakref.WeakKeyDictionary[sa.Engine, list[Any]] = weakref.WeakKeyDictionary()
_held_lock = threading.Lock()
# Connections a forked process found held by its parent: never used (their sockets are the parent's) and never
# closed (closing would end the parent's session on that socket), only kept from being collected.
_inherited: list[Any] = []


def _forget_held() -> None:
    """In a forked child: leave the parent's held connections alone; the child's first read takes its own."""
    for held in _held.values():
        _inherited.extend(held)
    _held.clear()


os.register_at_fork(after_in_child=_forget_held)


def make_read_engine(engine: sa.Engine, url: str, options: dict[str, Any], busy_timeout: float) -> sa.Engine:
    """The engine quick reads run on: the forum's own on SQLite, else one in AUTOCOMMIT beside it."""
    if engine.dialect.name == "sqlite":
        return engine
    options = {**options, "isolation_level": "AUTOCOMMIT", "pool_reset_on_return": None, "pool_pre_ping": False}
    return make_engine(url, options, busy_timeout)


def runs_on_libpq(engine: sa.Engine) -> bool:
    """Whether the engine's connections are psycopg's, whose libpq connection the reads use directly."""
    return engine.dialect.driver == "psycopg"


def compiled_for(engine: sa.Engine, statement: sa.Select[*tuple[Any, ...]]) -> Compiled:
    """`statement` compiled for the engine's dialect, once per process (with `$1` placeholders for libpq)."""
    key = (engine.dialect.name, id(statement))
    found = _compiled.get(key)
    if found is None:
        dialect: Any = engine.dialect
        if runs_on_libpq(engine):
            dialect = type(dialect)(paramstyle="numeric_dollar")
        compiled = statement.compile(dialect=dialect)
        names = tuple(compiled.positiontup or ())
        # Named by its text: threads compiling at once give one statement one name, and two statements two.
        name = "forum_read_" + hashlib.sha1(compiled.string.encode()).hexdigest()[:24]
        found = _compiled.setdefault(key, Compiled(compiled.string, names, name.encode(), compiled))
    return found


def read_one(
    engine: sa.Engine, statement: sa.Select[*tuple[Any, ...]], values: Mapping[str, Any]
) -> tuple[Any, ...] | None:
    """The first row of a one-statement read, outside any transaction (`statement` is kept for the process)."""
    compiled = compiled_for(engine, statement)
    given = compiled.compiled.construct_params(values)
    params: Any = tuple(given[name] for name in compiled.names) if compiled.names else given
    for listener in statement_listeners:
        listener(compiled.sql)
    return _fetch(engine, compiled, params, retry=True)


def _driver_statement(engine: sa.Engine, statement: sa.ClauseElement, values: Mapping[str, Any]) -> tuple[str, Any]:
    """The SQL and the parameters of `statement` with `values` for the driver's own cursor (its placeholders,
    not libpq's), compiled once per process; told to the listeners."""
    key = (engine.dialect.name, id(statement))
    compiled = _driver_compiled.get(key)
    if compiled is None:
        compiled = _driver_compiled.setdefault(key, statement.compile(dialect=engine.dialect))
    params: Any = compiled.construct_params(values)
    if compiled.positiontup is not None:  # SQLite's "?" placeholders; psycopg's cursor takes the names
        params = tuple(params[name] for name in compiled.positiontup)
    sql = compiled.string
    for listener in statement_listeners:
        listener(sql)
    return sql, params


def run_in(connection: sa.Connection, statement: sa.ClauseElement, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    """Run `statement` (kept for the process) on the driver's cursor of `connection`, inside its transaction;
    its rows, as the driver gives them (`typed` reads them as SQLAlchemy would)."""
    cursor = connection.connection.cursor()
    try:
        return run_on_cursor(cursor, connection.engine, statement, values)
    finally:
        cursor.close()


def run_on_cursor(
    cursor: Any, engine: sa.Engine, statement: sa.ClauseElement, values: Mapping[str, Any]
) -> list[tuple[Any, ...]]:
    """Run `statement` (kept for the process) on a driver's `cursor` of `engine`; its rows, as the driver gives them."""
    sql, params = _driver_statement(engine, statement, values)
    # Whether it answers rows, said by the statement: in psycopg's pipeline mode a cursor knows only once synced.
    answers = isinstance(statement, sa.Select) or bool(getattr(statement, "_returning", ()))
    cursor.execute(sql, params)
    return list(cursor.fetchall()) if answers else []


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


def _fetch(engine: sa.Engine, compiled: Compiled, params: Any, *, retry: bool) -> tuple[Any, ...] | None:
    """Run the read on a pooled connection; once more on a fresh one if the server had gone away."""
    libpq = runs_on_libpq(engine)
    hold = libpq or holds_sqlite(engine)
    raw = _take(engine, hold)
    try:
        try:
            if libpq:
                return _fetch_libpq(raw, compiled, params)
            cursor = raw.cursor()
            try:
                cursor.execute(compiled.sql, params)
                row: tuple[Any, ...] | None = cursor.fetchone()
                return row
            finally:
                cursor.close()
        except engine.dialect.loaded_dbapi.Error as error:
            if not (retry and engine.dialect.is_disconnect(error, raw.dbapi_connection, None)):
                raise
            raw.invalidate()
    finally:
        _give_back(engine, raw, hold)
    return _fetch(engine, compiled, params, retry=False)


@contextmanager
def read_connection(engine: sa.Engine) -> Iterator[Any]:
    """A pooled connection for a read: one kept out of the pool between reads, if there is one."""
    hold = runs_on_libpq(engine) or holds_sqlite(engine)
    raw = _take(engine, hold)
    try:
        yield raw
    finally:
        _give_back(engine, raw, hold)


def holds_sqlite(engine: sa.Engine) -> bool:
    """Whether the reads keep connections of a SQLite `engine` out of its pool: a file's pool of connections (not the
    one connection a `:memory:` database shares)."""
    return engine.dialect.name == "sqlite" and isinstance(engine.pool, QueuePool)


def _take(engine: sa.Engine, hold: bool) -> Any:
    """A connection kept for the reads, if there is one; else one from the pool."""
    held = _held.get(engine) if hold else None
    if held:
        try:
            return held.pop()
        except IndexError:  # taken meanwhile by another thread
            pass
    return engine.raw_connection()


def _give_back(engine: sa.Engine, raw: Any, hold: bool) -> None:
    """Keep a sound, idle connection of the reads' own engine for the next read (a few at most), else return it (a
    SQLite connection still in a transaction too: the pool rolls it back). A PostgreSQL one left in a transaction or
    cut short mid-statement (by a worker's timeout) is dropped: the reads' pool resets nothing on return."""
    if not raw.is_valid:
        raw.close()
        return
    connection = raw.dbapi_connection
    if isinstance(connection, PsycopgConnection):
        if connection.pgconn.transaction_status != pq.TransactionStatus.IDLE:
            raw.invalidate()
            return
    elif hold and connection.in_transaction:  # a SQLite file's, the only other kind kept
        hold = False
    if hold:
        with _held_lock:
            held = _held.get(engine)
            if held is None:  # looked up first: `setdefault` would make a weak reference on every read
                held = _held[engine] = []
            if len(held) < HELD_CONNECTIONS:
                held.append(raw)
                return
    raw.close()


def release_connections(engine: sa.Engine) -> None:
    """Return the connections kept between reads to the engine's pool (before it is disposed)."""
    with _held_lock:
        held = _held.pop(engine, [])
    for raw in held:
        raw.close()


def _fetch_libpq(raw: Any, compiled: Compiled, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
    """The read on psycopg's libpq connection: prepared once per connection, then one call each time."""
    connection: PsycopgConnection[Any] = raw.dbapi_connection
    pgconn = connection.pgconn
    loader = _transformer(raw, connection)
    # Every value of these reads is an id, a digest or a word: never NULL.
    sent = cast(list[bytes], loader.dump_sequence(params, [PyFormat.TEXT] * len(params)))
    if connection.prepare_threshold is None:
        result = pgconn.exec_params(compiled.sql.encode(), sent)
    else:
        prepared: set[bytes] = raw.info.setdefault(PREPARED, set())
        if compiled.prepared_as not in prepared:
            _prepare(connection, compiled, prepared)
        result = pgconn.exec_prepared(compiled.prepared_as, sent)
        if result.error_field(pq.DiagnosticField.SQLSTATE) == UNKNOWN_STATEMENT:
            # Deallocated behind the forum's back (a DISCARD ALL): prepared again, once.
            prepared.clear()
            _prepare(connection, compiled, prepared)
            result = pgconn.exec_prepared(compiled.prepared_as, sent)
    _check(connection, result, pq.ExecStatus.TUPLES_OK)
    if result.ntuples == 0:
        return None
    loader.set_pgresult(result)
    row: tuple[Any, ...] = loader.load_row(0, tuple)
    return row


def _transformer(raw: Any, connection: PsycopgConnection[Any]) -> abc.Transformer:
    """psycopg's dumpers and loaders for this connection, made once per connection (a read at a time uses it)."""
    kept = raw.info.get(TRANSFORMER)
    if kept is None or kept[0] is not connection:  # none yet, or the pool entry's connection was replaced
        kept = raw.info[TRANSFORMER] = (connection, Transformer(connection))
    return cast(abc.Transformer, kept[1])


def _prepare(connection: PsycopgConnection[Any], compiled: Compiled, prepared: set[bytes]) -> None:
    """Prepare the read's statement on this connection under its name."""
    _check(connection, connection.pgconn.prepare(compiled.prepared_as, compiled.sql.encode()), pq.ExecStatus.COMMAND_OK)
    prepared.add(compiled.prepared_as)


def _check(connection: PsycopgConnection[Any], result: pq.abc.PGresult, wanted: pq.ExecStatus) -> None:
    """Raise psycopg's own error for a result that is not what was asked for (a lost connection's included)."""
    if result.status != wanted:
        raise pg_errors.error_from_result(result, encoding=connection.info.encoding)
