"""Counting the SQL statements the forum's engine sends while a request runs."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import Flask

from forum.caching import raw_reads

# SQLite's BEGIN is sent by the forum itself (to choose DEFERRED or IMMEDIATE); it opens the transaction
# the statements run in and is counted apart, as psycopg's own BEGIN on PostgreSQL (never seen here) would be.
TRANSACTION = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b", re.IGNORECASE)
WRITE = re.compile(r"^\s*(INSERT|UPDATE|DELETE|REPLACE|UPSERT|MERGE|CREATE|DROP|ALTER)\b", re.IGNORECASE)


@dataclass
class Statements:
    """What the engine ran: the statements themselves, and the transaction control beside them."""

    queries: list[str] = field(default_factory=list)
    transaction: list[str] = field(default_factory=list)
    commits: int = 0

    @property
    def writes(self) -> list[str]:
        """The statements that change data or schema."""
        return [q for q in self.queries if WRITE.match(q)]

    def __len__(self) -> int:
        return len(self.queries)

    def report(self) -> str:
        """Every statement, one a line, for a failing assertion's message."""
        return "\n".join(f"{n}. {' '.join(q.split())[:300]}" for n, q in enumerate(self.queries, 1))


@contextmanager
def statements(app: Flask) -> Iterator[Statements]:
    """Record every statement the forum's engine executes (and every commit) inside the block.

    Verify mode is off inside: it renders every cache hit afresh, and what is counted is what a hit costs.
    """
    engine = app.extensions["forum"].engine
    seen = Statements()
    verify = app.config.get("FORUM_CACHE_VERIFY")
    app.config["FORUM_CACHE_VERIFY"] = False

    def on_execute(_conn, _cursor, statement, _parameters, _context, _many):
        (seen.transaction if TRANSACTION.match(statement) else seen.queries).append(statement)

    def on_commit(_conn):
        seen.commits += 1

    def on_bare_read(statement):
        # A transaction sent in batches past SQLAlchemy (`forum.batched_transactions`) sends its own BEGIN and
        # COMMIT: counted apart, as the engine's are.
        if TRANSACTION.match(statement):
            seen.transaction.append(statement)
            seen.commits += statement.lstrip().upper().startswith("COMMIT")
        else:
            seen.queries.append(statement)

    sa.event.listen(engine, "before_cursor_execute", on_execute)
    sa.event.listen(engine, "commit", on_commit)
    # A cached page's versions and viewer are read past SQLAlchemy's events (raw_reads.read_one), and a batched
    # transaction's statements sent: counted too.
    raw_reads.statement_listeners.append(on_bare_read)
    try:
        yield seen
    finally:
        app.config["FORUM_CACHE_VERIFY"] = verify
        raw_reads.statement_listeners.remove(on_bare_read)
        sa.event.remove(engine, "before_cursor_execute", on_execute)
        sa.event.remove(engine, "commit", on_commit)
