"""A short write transaction on PostgreSQL, its statements sent in batches: a round trip per batch, not per statement.

Through the ORM session a vote costs the pool's ping, then `BEGIN`, each statement and `COMMIT`, each a round
trip, each a wait for the server's turn on the CPUs. Here the transaction runs on a connection of the quick reads'
engine (`forum.caching.raw_reads`: autocommit, no ping, a connection kept between requests), and a batch of
statements goes as one simple query, their values bound on the client: `BEGIN` with the first statements, the last
statement with `COMMIT`. A connection found dead at the first batch (nothing done yet) is replaced and the batch
sent once more; any failure later rolls the transaction back (or drops a connection that cannot) and is raised.
Each statement is prepared on the connection once (as the quick reads' are, under the same names) and run
by `EXECUTE` with its values, so that the server plans it once, not at every vote; on a connection told not to
prepare (`prepare_threshold=none`, behind PgBouncer in transaction mode) the statement is sent whole.

On SQLite, whose statements cost no round trip, `immediate_transaction` runs a short write the same way past the
session: `BEGIN IMMEDIATE`, the statements and `COMMIT` on the driver's cursor of a pooled connection.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

import sqlalchemy as sa
from psycopg import ClientCursor, pq
from psycopg import errors as pg_errors

from forum.caching.raw_reads import (
    PREPARED,
    UNKNOWN_STATEMENT,
    compiled_for,
    read_connection,
    run_on_cursor,
    statement_listeners,
)

T = TypeVar("T")
# Runs a statement kept for the process with its values in a transaction of SQLite's (`immediate_transaction`).
Run = Callable[[sa.ClauseElement, Mapping[str, Any]], list[tuple[Any, ...]]]
# A statement of a batch: SQL text alone (`BEGIN`, `COMMIT`), or a statement kept for the process with its values.
Step = str | tuple[sa.ClauseElement, Mapping[str, Any]]
_compiled: dict[tuple[str, int], Any] = {}


class SendAgain(Exception):
    """The first batch failed before the transaction began: its connection was dead, or had lost its prepared
    statements (a `DISCARD ALL` behind the forum's back)."""


class Batches:
    """One transaction on one connection: `send` a batch of statements, get each statement's rows."""

    def __init__(self, engine: sa.Engine, raw: Any, retry: bool) -> None:
        self.engine, self.raw, self.retry = engine, raw, retry
        self.cursor = ClientCursor(raw.dbapi_connection)
        self.sent = False

    def text_of(self, step: Step) -> str:
        """The SQL of a step: `EXECUTE` of its statement, prepared on this connection once, with its values bound
        in; on a connection told not to prepare (behind PgBouncer), the statement itself. Told to the listeners."""
        if isinstance(step, str):
            for listener in statement_listeners:
                listener(step)
            return step
        statement, values = step
        connection = self.raw.dbapi_connection
        if connection.prepare_threshold is None:
            key = (self.engine.dialect.name, id(statement))
            compiled = _compiled.get(key)
            if compiled is None:
                compiled = _compiled.setdefault(key, statement.compile(dialect=self.engine.dialect))
            for listener in statement_listeners:
                listener(compiled.string)
            return self.cursor.mogrify(compiled.string, compiled.construct_params(values))
        prepared = compiled_for(self.engine, statement)  # type: ignore[arg-type]
        names: set[bytes] = self.raw.info.setdefault(PREPARED, set())
        if prepared.prepared_as not in names:
            result = connection.pgconn.prepare(prepared.prepared_as, prepared.sql.encode())
            if result.status != pq.ExecStatus.COMMAND_OK:
                raise pg_errors.error_from_result(result, encoding=connection.info.encoding)
            names.add(prepared.prepared_as)
        for listener in statement_listeners:
            listener(prepared.sql)
        given = prepared.compiled.construct_params(values)
        call = f"EXECUTE {prepared.prepared_as.decode()}"
        if not prepared.names:
            return call
        return self.cursor.mogrify(f"{call}({', '.join(['%s'] * len(prepared.names))})",
                                   [given[name] for name in prepared.names])

    def send(self, *steps: Step) -> list[list[tuple[Any, ...]]]:
        """Run `steps` as one simple query, in one round trip; the rows of each (empty for those with none)."""
        first, self.sent = not self.sent, True
        try:
            self.cursor.execute("; ".join(self.text_of(step) for step in steps))
        except self.engine.dialect.loaded_dbapi.Error as error:
            dead = self.engine.dialect.is_disconnect(error, self.raw.dbapi_connection, None)
            if dead:
                self.raw.invalidate()
            lost = getattr(error, "sqlstate", None) == UNKNOWN_STATEMENT.decode()
            if lost:
                self.raw.info.pop(PREPARED, None)
            if (dead or lost) and first and self.retry:
                raise SendAgain from error
            raise
        answers: list[list[tuple[Any, ...]]] = []
        while True:
            answers.append(list(self.cursor.fetchall()) if self.cursor.description is not None else [])
            if not self.cursor.nextset():
                return answers

    def end(self) -> None:
        """Roll back whatever is still open; a connection that cannot is dropped from the pool."""
        if not self.raw.is_valid or self.raw.dbapi_connection.info.transaction_status == pq.TransactionStatus.IDLE:
            return
        try:
            self.cursor.execute("ROLLBACK")
        except Exception:
            self.raw.invalidate()


@contextmanager
def batched_transaction(engine: sa.Engine, retry: bool = False) -> Iterator[Batches]:
    """A connection of `engine` (the quick reads', in autocommit) for one transaction sent in batches."""
    with read_connection(engine) as raw:
        batches = Batches(engine, raw, retry)
        try:
            yield batches
        finally:
            batches.end()
            batches.cursor.close()


def run_batched(engine: sa.Engine, work: Callable[[Batches], T]) -> T:
    """`work` in a transaction of batches on `engine`; once more (on a fresh connection, or with its statements
    prepared again) if the first batch failed before the transaction began."""
    try:
        with batched_transaction(engine, retry=True) as batches:
            return work(batches)
    except SendAgain:
        with batched_transaction(engine) as batches:
            return work(batches)


@contextmanager
def immediate_transaction(engine: sa.Engine) -> Iterator[Run]:
    """On SQLite: a transaction on a pooled connection of `engine`, past the session, begun IMMEDIATE (the write
    lock taken first, as the session's writers take it), its statements run on the driver's cursor; committed when
    the block ends, rolled back if it raises.

    The session's transaction costs SQLAlchemy's connection, transaction and event machinery at `connection()` and
    `commit()`; here the same `BEGIN IMMEDIATE`, statements and `COMMIT` go straight to the driver.
    """
    with read_connection(engine) as raw:
        connection = raw.dbapi_connection
        cursor = connection.cursor()

        def run(statement: sa.ClauseElement, values: Mapping[str, Any]) -> list[tuple[Any, ...]]:
            return run_on_cursor(cursor, engine, statement, values)

        try:
            _told("BEGIN IMMEDIATE")
            cursor.execute("BEGIN IMMEDIATE")
            try:
                yield run
                _told("COMMIT")
                cursor.execute("COMMIT")
            except BaseException:
                if connection.in_transaction:
                    try:
                        cursor.execute("ROLLBACK")
                    except Exception:  # noqa: BLE001 - a connection that cannot roll back is dropped from the pool
                        raw.invalidate()
                raise
        finally:
            cursor.close()


def _told(sql: str) -> None:
    """Tell the statement listeners of a transaction's own statement."""
    for listener in statement_listeners:
        listener(sql)
