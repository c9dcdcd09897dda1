"""Posting an argument: what was typed checked and rendered first, then in the write's transaction the thread read
with its checks and the writes (`forum.services.posting_statements`), and the argument as written, with its
notifications and live event.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, partial
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.batched_transactions import Batches, Run, immediate_transaction, run_batched
from forum.caching.raw_reads import run_in, runs_on_libpq, typed
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.live.staging import publish_committed, stage
from forum.models import Article, Block, BlockKind, Stance, utcnow
from forum.services import notifications
from forum.services import posting_statements as statements
from forum.services.argument_checks import (
    CheckedSource,
    Checks,
    Limits,
    SourceInput,
    check_sources,
    parse_stance,
    render_body,
)
from forum.services.policy import REMOVED, Action, check
from forum.services.threads import ArgumentRecord, AuthorRef, SourceRecord
from forum.services.votes import together


@dataclass(frozen=True)
class Author:
    """Who posts: a stored member's id and the name their posts show."""

    id: int
    name: str


def post(
    session: so.Session,
    block_id: int,
    author: Author,
    *,
    stance: str,
    body: str,
    parent_id: int | None = None,
    sources: Sequence[SourceInput] = (),
    limits: Limits = Limits(),
) -> ArgumentRecord:
    """Post an argument (or a reply) on a thread, as written (`forum.services.posting_statements`); the caller
    commits. The reply's and mentions' notifications, the author's watch of the thread, the page versions and the
    live event go with it, in its transaction."""
    session.flush()  # an author new in this transaction is stored first: the post names them
    return _in_session(session, block_id, author, parent_id, _typed(session, block_id, stance, body, sources, limits),
                       limits.duplicate_window)


def _in_session(session: so.Session, block_id: int, author: Author, parent_id: int | None, typed_in: Typed,
                window: int) -> ArgumentRecord:
    """The post's read and writes in the session's transaction; the caller commits."""
    now = utcnow()
    connection = session.connection()
    with together(connection):
        found = run_in(connection, statements.THREAD,
                       _read_values(connection.dialect, block_id, author.id, parent_id, typed_in, now, window))
        thread, params = _allowed(connection.engine, found, block_id, author.id, parent_id, typed_in, now)
        argument_id = _write(partial(run_in, connection), connection.dialect, params, len(typed_in.sources))
    return _posted(session, block_id, author, parent_id, typed_in, thread.article_id, argument_id, now)


def post_committed(
    session: so.Session,
    engine: sa.Engine,
    block_id: int,
    author: Author,
    *,
    stance: str,
    body: str,
    parent_id: int | None = None,
    sources: Sequence[SourceInput] = (),
    limits: Limits = Limits(),
) -> ArgumentRecord:
    """Post as `post` does, and commit.

    An argument that tells nobody (no reply, no mention), with nothing of the session's under way, is a transaction
    of its own past the session (`forum.batched_transactions`), as a vote is: on PostgreSQL through psycopg, on
    `engine` (the quick reads') in two round trips, `BEGIN` with the read of the thread, then once the policy allows
    it the write and `COMMIT` (less the pool's ping and two round trips); on SQLite `BEGIN IMMEDIATE`, the read, the
    writes and `COMMIT` on the driver's cursor. The same statements, locks and order as in the session's
    transaction. Otherwise the post runs in the session's transaction, with its notifications.
    """
    session.flush()  # an author new in this transaction is stored first: the post names them
    typed_in = _typed(session, block_id, stance, body, sources, limits)
    sqlite = engine.dialect.name == "sqlite"
    if (not (runs_on_libpq(engine) or sqlite) or parent_id is not None or typed_in.mentioned
            or session.in_transaction() or session.new or session.dirty or session.deleted):
        record = _in_session(session, block_id, author, parent_id, typed_in, limits.duplicate_window)
        session.commit()
        return record
    now = utcnow()
    read = _read_values(engine.dialect, block_id, author.id, None, typed_in, now, limits.duplicate_window)
    if sqlite:
        with immediate_transaction(engine) as run:
            thread, params = _allowed(engine, run(statements.THREAD, read), block_id, author.id, None, typed_in, now)
            article_id, argument_id = thread.article_id, _write(run, engine.dialect, params, len(typed_in.sources))
    else:

        def in_batches(batches: Batches) -> tuple[int, int]:
            *_, found = batches.send("BEGIN", (statements.THREAD, read))
            thread, params = _allowed(engine, found, block_id, author.id, None, typed_in, now)
            ((argument_id,),), _ = batches.send((statements.postgresql_post(len(typed_in.sources)), params),
                                                "COMMIT")
            return thread.article_id, int(argument_id)

        article_id, argument_id = run_batched(engine, in_batches)
    record = _posted(session, block_id, author, None, typed_in, article_id, argument_id, now)
    publish_committed(session)  # the write is committed, the session has nothing of its own: on to the broker
    return record


@dataclass(frozen=True)
class Typed:
    """What was typed, checked and rendered before the write's transaction (on SQLite, before the write lock); its
    mistakes (`checks`) are reported after the thread's own refusals, as they always were."""

    checks: Checks
    stance: Stance | None
    rendered: tuple[str, str, set[int]] | None
    built: list[CheckedSource] | None
    body: str  # as the duplicate check compares it

    @property
    def sources(self) -> list[CheckedSource]:
        """The checked sources (none while a mistake is held)."""
        return self.built or []

    @property
    def mentioned(self) -> set[int]:
        """The members the body mentions."""
        return self.rendered[2] if self.rendered is not None else set()


def _typed(session: so.Session, block_id: int, stance: str, body: str, sources: Sequence[SourceInput],
           limits: Limits) -> Typed:
    """Check and render what was typed, its mistakes held."""
    checks = Checks()
    chosen = checks(parse_stance, stance)
    rendered = checks(render_body, session, body, limits)
    built = checks(check_sources, session, block_id, list(sources), limits)
    return Typed(checks, chosen, rendered, built, rendered[0] if rendered is not None else body)


def _read_values(dialect: sa.Dialect, block_id: int, author_id: int, parent_id: int | None, typed_in: Typed,
                 now: datetime, window: int) -> dict[str, Any]:
    """The values of the post's first read (`statements.THREAD`)."""
    return {
        "block_id": block_id, "author_id": author_id, "parent_id": parent_id, "body": typed_in.body,
        "look_for_duplicate": window > 0, "since": stored(dialect, now - timedelta(seconds=max(window, 0))),
    }


def _allowed(engine: sa.Engine, found: list[tuple[Any, ...]], block_id: int, author_id: int, parent_id: int | None,
             typed_in: Typed, now: datetime) -> tuple[statements.Thread, dict[str, Any]]:
    """The thread as the first read found it, if the policy lets the author post there and what was typed holds;
    and the values of the write. Else the refusal, or the mistakes."""
    if not found:
        raise NotFound("There is no such paragraph.")
    thread = statements.Thread(*typed(engine, statements.THREAD, found[0]))
    if thread.kind == BlockKind.HEADING:
        raise NotFound("A heading has no thread.")
    if thread.author_removed:
        raise Forbidden(REMOVED)
    check(Action.POST, locked=thread.locked, removed=thread.removed_in is not None,
          unpublished=thread.unpublished_at is not None)
    typed_in.checks.done()
    assert typed_in.stance is not None and typed_in.rendered is not None and typed_in.built is not None
    if parent_id is not None:
        if thread.parent_block_id != block_id:
            raise Invalid("The argument you answer is not in this thread.", field="parent_id")
        check(Action.REPLY, locked=thread.locked, removed=thread.removed_in is not None,
              unpublished=thread.unpublished_at is not None, hidden=bool(thread.parent_hidden),
              withdrawn=thread.parent_withdrawn_at is not None)
    if thread.duplicate:
        raise Conflict("You posted this very argument here a moment ago.", field="body")
    body, html, _ = typed_in.rendered
    params = {
        "block_id": block_id, "article_id": thread.article_id, "author_id": author_id, "parent_id": parent_id,
        "stance": typed_in.stance.value, "body": body, "html": html, "posted_at": stored(engine.dialect, now),
        "revision": thread.revision,  # the wording it answers
        **{f"{name}_{s.position}": getattr(s, name) for s in typed_in.built for name in SOURCE_FIELDS},
    }
    return thread, params


def _posted(session: so.Session, block_id: int, author: Author, parent_id: int | None, typed_in: Typed,
            article_id: int, argument_id: int, now: datetime) -> ArgumentRecord:
    """The argument as written; its notifications and live event in the session's transaction."""
    assert typed_in.stance is not None and typed_in.rendered is not None
    _forget_versions(session, block_id, article_id)
    body, html, mentioned = typed_in.rendered
    record = ArgumentRecord(
        id=argument_id, block_id=block_id, parent_id=parent_id, author_id=author.id,
        author=AuthorRef(author.id, author.name), stance=typed_in.stance.value, body=body, html=html, created_at=now,
        edited_at=None, withdrawn_at=None, up=0, down=0, score=0, hidden=False, hidden_reason=None,
        moderator_edited=False,
        sources=tuple(SourceRecord(s.url, s.title, s.quote, s.citation) for s in typed_in.sources),
    )
    # Told in the same transaction as the post: it stands or falls with it.
    notifications.argument_posted(session, record, ThreadRef(block_id, article_id), author, mentioned)
    stage(session, block_id, "argument",
          {"argument_id": argument_id, "parent_id": parent_id, "stance": typed_in.stance.value, "action": "posted"})
    return record


SOURCE_FIELDS = ("position", "url", "title", "quote", "citation", "slot_id")


@dataclass(frozen=True)
class ThreadRef:
    """A thread as the notifications of a post name it."""

    id: int
    article_id: int


def _write(run: Run, dialect: sa.Dialect, params: dict[str, Any], sources: int) -> int:
    """The post's writes, each statement sent by `run`; the new argument's id."""
    if dialect.name == "postgresql":
        ((argument_id,),) = run(statements.postgresql_post(sources), params)
        return int(argument_id)
    ((argument_id,),) = run(statements.SQLITE.argument, params)
    if sources:
        run(statements.sqlite_sources(sources), {**params, "argument_id": argument_id})
    for statement in (statements.SQLITE.watch, statements.SQLITE.thread_moved, statements.SQLITE.article_moved):
        run(statement, params)
    return int(argument_id)


def stored(dialect: sa.Dialect, when: datetime) -> Any:
    """A time as the driver's cursor takes it for a timestamp column (SQLite's is text)."""
    return _time_processor(dialect)(when)


@cache
def _time_processor(dialect: sa.Dialect) -> Callable[[datetime], Any]:
    """The bind processor of the arguments' timestamps for `dialect`."""
    processor = statements.WHEN.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda when: when)


def _forget_versions(session: so.Session, block_id: int, article_id: int) -> None:
    """The session's copies of the thread and its article (if it holds them) have other versions now."""
    for model, key in ((Block, block_id), (Article, article_id)):
        held = session.identity_map.get(session.identity_key(model, key))
        if held is not None:
            session.expire(held, ["version"])
