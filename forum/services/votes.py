"""Votes: one per member per argument, with counters kept exact by the database under concurrency.

A vote is the hottest write, so it is a few Core statements built and compiled once, run on the driver's cursor
of the session's connection inside its transaction, past the ORM and SQLAlchemy's execution: read (and on
PostgreSQL lock) the argument with what the policy weighs, then write. On PostgreSQL the write is one statement
that changes the vote row, sets the argument's counters and moves its thread's page version; SQLite, which takes
no writes in a WITH, runs the same three as three statements inside the one write transaction it allows at a
time. Nothing of the ORM is loaded or flushed on the way.
"""

from __future__ import annotations

from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from forum.batched_transactions import Batches, Run, immediate_transaction, run_batched
from forum.caching.invalidation import counts_moved
from forum.caching.raw_reads import run_in, runs_on_libpq, typed
from forum.errors import Forbidden, Invalid, NotFound
from forum.live.staging import publish_committed, stage
from forum.models import Argument, Article, Block, Member, Vote, utcnow
from forum.services.policy import REMOVED, Action, check


@dataclass(frozen=True)
class Tally:
    """An argument's counters after a vote, and the voter's own vote."""

    score: int
    up: int
    down: int
    my_vote: int


@dataclass(frozen=True)
class ThreadState:
    """What the policy reads of the voted argument's thread, as the vote read it (`policy.ThreadState`)."""

    id: int
    locked: bool
    removed_in: int | None
    article: ArticleState


@dataclass(frozen=True)
class ArticleState:
    """What the policy reads of the thread's article."""

    unpublished_at: datetime | None


@dataclass(frozen=True)
class Voted:
    """The voted argument as the vote left it: its counters, and what the policy and its vote widget read."""

    id: int
    block_id: int
    author_id: int
    hidden: bool
    withdrawn_at: datetime | None
    score: int
    up: int
    down: int
    block: ThreadState


class Target(NamedTuple):
    """What the vote reads of the argument first, and whether the voter was removed meanwhile."""

    block_id: int
    author_id: int
    hidden: bool
    withdrawn_at: datetime | None
    locked: bool
    removed_in: int | None
    unpublished_at: datetime | None
    voter_removed: bool


@dataclass(frozen=True)
class Cast:
    """What a vote did: the tally to answer with, and the argument as it now stands."""

    tally: Tally
    argument: Voted


VOTES = cast(sa.Table, Vote.__table__)
ARGUMENTS = cast(sa.Table, Argument.__table__)
ARGUMENT_ID = sa.bindparam("argument_id", type_=sa.Integer)
MEMBER_ID = sa.bindparam("member_id", type_=sa.Integer)
VALUE = sa.bindparam("value", type_=sa.SmallInteger)
# Given, not left to the column's default: a statement inside a WITH gets no defaults made in Python. (No key
# here names a column of the arguments: an UPDATE would set a column its parameters name.)
VOTED_AT = sa.bindparam("voted_at", type_=VOTES.c.created_at.type)
# The voter's own change to each counter, worked out in Python: 1 when the new vote is that way, else 0.
PLUS_UP = sa.bindparam("plus_up", type_=sa.Integer)
PLUS_DOWN = sa.bindparam("plus_down", type_=sa.Integer)

# The argument and what the policy weighs, locked first on PostgreSQL: votes on it queue here, so that each
# write below sees every earlier vote (SQLite's one writer at a time has already begun its transaction).
TARGET = (
    sa.select(
        Argument.block_id, Argument.author_id, Argument.hidden, Argument.withdrawn_at, Block.locked,
        Block.removed_in, Article.unpublished_at,
    )
    .join(Block, Block.id == Argument.block_id)
    .join(Article, Article.id == Block.article_id)
    .where(Argument.id == ARGUMENT_ID)
    .with_for_update(of=Argument)
)
# Read in the write's transaction: a member removed after they were signed in for this request votes no more.
VOTER_REMOVED = sa.select(Member.removed_at.is_not(None)).where(Member.id == MEMBER_ID).scalar_subquery()
TARGET = TARGET.add_columns(VOTER_REMOVED.label("voter_removed"))
# On PostgreSQL the voter's row is share-locked first, before the argument, as a removal locks it (its update)
# before the arguments it recounts: a removal under way makes the vote wait and then see it, and a vote under way
# makes the removal wait and then take it back. Votes of one member do not wait on each other.
LOCK_VOTER = sa.select(Member.id).where(Member.id == MEMBER_ID).with_for_update(read=True)
# What a vote writes, whose pages `forum.caching.invalidation` says: its thread's alone.
WRITES = {
    "forum_votes": ["argument_id", "member_id", "value", "created_at"],
    "forum_arguments": ["up", "down", "score"],
}
THE_VOTE = sa.and_(VOTES.c.argument_id == ARGUMENT_ID, VOTES.c.member_id == MEMBER_ID)
TAKE_BACK = sa.delete(VOTES).where(THE_VOTE)


def _upsert(dialect: Any) -> sa.Insert:
    """Insert the member's vote or change it, in one statement."""
    statement = dialect.insert(VOTES).values(
        argument_id=ARGUMENT_ID, member_id=MEMBER_ID, value=VALUE, created_at=VOTED_AT
    )
    upsert: sa.Insert = statement.on_conflict_do_update(
        index_elements=[VOTES.c.argument_id, VOTES.c.member_id], set_={"value": statement.excluded.value}
    )
    return upsert


def _counted(value: int, before: sa.CTE | None = None) -> sa.ColumnElement[int]:
    """How many of the argument's vote rows hold `value`: as stored, or (in a statement that also writes the
    voter's row, which it cannot see) as stored, less the voter's row as it was, plus their new vote."""
    stored = (
        sa.select(sa.func.count()).select_from(VOTES)
        .where(VOTES.c.argument_id == ARGUMENTS.c.id, VOTES.c.value == value)
        .scalar_subquery()
    )
    if before is None:
        return stored
    theirs = sa.select(sa.func.count()).select_from(before).where(before.c.value == value).scalar_subquery()
    return stored - theirs + (PLUS_UP if value == 1 else PLUS_DOWN)


def _set_counters(before: sa.CTE | None = None) -> sa.Update:
    """Set the argument's counters from its vote rows; return its thread and the counters."""
    up, down = _counted(1, before), _counted(-1, before)
    return (
        sa.update(ARGUMENTS).where(ARGUMENTS.c.id == ARGUMENT_ID).values(up=up, down=down, score=up - down)
        .returning(ARGUMENTS.c.block_id, ARGUMENTS.c.up, ARGUMENTS.c.down, ARGUMENTS.c.score)
    )


def _one_statement(taking_back: bool) -> sa.Select[Any]:
    """PostgreSQL's write: the vote row, the counters and the thread's version in one statement."""
    if taking_back:
        before = TAKE_BACK.returning(VOTES.c.value).cte("before")
        writes: list[sa.CTE] = []
    else:
        before = sa.select(VOTES.c.value).where(THE_VOTE).cte("before")
        writes = [_upsert(postgresql).cte("cast")]
    counters = _set_counters(before).cte("counters")
    moved = counts_moved(sa.select(counters.c.block_id).scalar_subquery(), WRITES).cte("moved")
    return sa.select(counters.c.up, counters.c.down, counters.c.score).add_cte(*writes, moved)


PG_VOTE, PG_TAKE_BACK = _one_statement(taking_back=False), _one_statement(taking_back=True)
SQLITE_UPSERT = _upsert(sqlite)
SQLITE_COUNTERS = _set_counters()
SQLITE_MOVE = counts_moved(sa.bindparam("block_id", type_=sa.Integer), WRITES)


def vote(session: so.Session, argument_id: int, voter_id: int, value: int) -> Cast:
    """Vote +1 or -1 on an argument as member `voter_id`, or 0 to take the vote back; the caller commits."""
    if value not in (-1, 0, 1):
        raise Invalid("A vote is 1, -1, or 0 to take it back.", field="value")
    session.flush()  # the voter may be new in this transaction: their row goes first
    connection = session.connection()
    with together(connection):
        return _vote(session, connection, argument_id, voter_id, value)


def together(connection: sa.Connection) -> AbstractContextManager[Any]:
    """On PostgreSQL, psycopg's pipeline mode: the transaction's `BEGIN` goes with the first statement, in one
    round trip (each statement whose rows are read still waits for them)."""
    if connection.dialect.name != "postgresql":
        return nullcontext()
    pipeline: AbstractContextManager[Any] = connection.connection.dbapi_connection.pipeline()  # type: ignore[union-attr]
    return pipeline


def _vote(session: so.Session, connection: sa.Connection, argument_id: int, voter_id: int, value: int) -> Cast:
    """The vote's statements on `connection`, in the session's transaction."""
    if connection.dialect.name == "postgresql":
        run_in(connection, LOCK_VOTER, {"member_id": voter_id})
    row = _allowed(connection.engine, run_in(connection, TARGET, {"argument_id": argument_id, "member_id": voter_id}),
                   voter_id)
    if connection.dialect.name == "postgresql":
        ((up, down, score),) = run_in(connection, PG_TAKE_BACK if value == 0 else PG_VOTE,
                                      _write_values(argument_id, voter_id, value))
    else:
        up, down, score = _sqlite_write(partial(run_in, connection), argument_id, voter_id, value, row.block_id)
    return _cast(session, argument_id, value, row, (up, down, score))


def _sqlite_write(run: Run, argument_id: int, voter_id: int, value: int, block_id: int) -> tuple[int, int, int]:
    """SQLite's write of a vote, three statements in the one write transaction; the counters after it."""
    run(TAKE_BACK if value == 0 else SQLITE_UPSERT, _write_values(argument_id, voter_id, value))
    ((_, up, down, score),) = run(SQLITE_COUNTERS, {"argument_id": argument_id})
    run(SQLITE_MOVE, {"block_id": block_id})
    return up, down, score


def _allowed(engine: sa.Engine, found: list[tuple[Any, ...]], voter_id: int) -> Target:
    """The argument as `TARGET` read it, if the policy lets `voter_id` vote on it; else the refusal."""
    if not found:
        raise NotFound("There is no such argument.")
    row = Target(*typed(engine, TARGET, found[0]))
    if row.voter_removed:
        raise Forbidden(REMOVED)
    check(
        Action.VOTE,
        locked=row.locked,
        removed=row.removed_in is not None,
        hidden=row.hidden,
        withdrawn=row.withdrawn_at is not None,
        mine=row.author_id == voter_id,
        unpublished=row.unpublished_at is not None,
    )
    return row


def _write_values(argument_id: int, voter_id: int, value: int) -> dict[str, Any]:
    """The values of the vote's write."""
    return {"argument_id": argument_id, "member_id": voter_id, "value": value, "voted_at": utcnow(),
            "plus_up": int(value == 1), "plus_down": int(value == -1)}


def _cast(session: so.Session, argument_id: int, value: int, row: Target, counters: tuple[int, int, int]) -> Cast:
    """What a vote did, from what it read and wrote; its live event staged in the session."""
    up, down, score = counters
    if (held := session.identity_map.get(session.identity_key(Argument, argument_id))) is not None:
        session.expire(held, ["up", "down", "score"])  # the session's copy of it has other counters now
    # Counters only: what every reader sees; whose vote it was stays the voter's.
    stage(session, row.block_id, "vote", {"argument_id": argument_id, "score": score, "up": up, "down": down})
    thread = ThreadState(row.block_id, row.locked, row.removed_in, ArticleState(row.unpublished_at))
    argument = Voted(argument_id, row.block_id, row.author_id, row.hidden, row.withdrawn_at, score, up, down, thread)
    return Cast(Tally(score=score, up=up, down=down, my_vote=value), argument)


def vote_committed(session: so.Session, engine: sa.Engine, argument_id: int, voter_id: int, value: int) -> Cast:
    """Vote as `vote` does, and commit.

    On PostgreSQL through psycopg, with nothing of the session's under way, the vote is a transaction of its own on
    `engine` (the quick reads'), in two round trips (`forum.batched_transactions`): `BEGIN`, the voter's share lock
    and the locked read of the argument; then, once the policy allows it, the write and `COMMIT`. The same
    statements, locks and order as in the session's transaction, less the pool's ping and three round trips.
    On SQLite, likewise past the session (`immediate_transaction`): `BEGIN IMMEDIATE`, the read, the three writes
    and `COMMIT` on the driver's cursor. A session with work of its own to commit keeps its transaction (`vote`).
    """
    if value not in (-1, 0, 1):
        raise Invalid("A vote is 1, -1, or 0 to take it back.", field="value")
    if session.in_transaction() or session.new or session.dirty or session.deleted or not (
            runs_on_libpq(engine) or engine.dialect.name == "sqlite"):
        cast = vote(session, argument_id, voter_id, value)
        session.commit()
        return cast
    read = {"argument_id": argument_id, "member_id": voter_id}
    if engine.dialect.name == "sqlite":
        with immediate_transaction(engine) as run:
            row = _allowed(engine, run(TARGET, read), voter_id)
            counters = _sqlite_write(run, argument_id, voter_id, value, row.block_id)
        cast = _cast(session, argument_id, value, row, counters)
        publish_committed(session)  # the write is committed, the session has nothing of its own: on to the broker
        return cast

    def in_batches(batches: Batches) -> tuple[Target, tuple[int, int, int]]:
        *_, found = batches.send("BEGIN", (LOCK_VOTER, read), (TARGET, read))
        row = _allowed(engine, found, voter_id)
        write = PG_TAKE_BACK if value == 0 else PG_VOTE
        (counters,), _ = batches.send((write, _write_values(argument_id, voter_id, value)), "COMMIT")
        return row, counters

    row, counters = run_batched(engine, in_batches)
    cast = _cast(session, argument_id, value, row, counters)
    publish_committed(session)  # the write is committed, the session has nothing of its own: on to the broker
    return cast


def cast_vote(session: so.Session, argument_id: int, voter: Member, value: int) -> Tally:
    """Vote +1 or -1 on an argument, or 0 to take it back, as `voter`; the caller commits."""
    session.flush()  # a voter stored in this transaction gets its id
    return vote(session, argument_id, voter.id, value).tally


def recount(
    session: so.Session, argument_ids: sa.ColumnElement[bool] | list[int], returning: bool = False
) -> sa.Result[int, int, int]:
    """Set the counters of the given arguments from their vote rows, in one SQL statement."""
    up, down = _counted(1), _counted(-1)
    where = Argument.id.in_(argument_ids) if isinstance(argument_ids, list) else argument_ids
    statement = sa.update(Argument).where(where).values(up=up, down=down, score=up - down)
    if returning:
        statement = statement.returning(Argument.up, Argument.down, Argument.score)
    return session.execute(statement, execution_options={"synchronize_session": False})


def my_vote(session: so.Session, argument_id: int, member_id: int | None) -> int:
    """A member's vote on an argument as stored, 0 for none (or for no member)."""
    if member_id is None:
        return 0
    value = session.scalar(
        sa.select(Vote.value).where(Vote.argument_id == argument_id, Vote.member_id == member_id)
    )
    return value or 0


def remove_votes_of(session: so.Session, member: Member) -> int:
    """Take back every vote of a removed member and fix the counters they touched; return how many."""
    touched = list(session.scalars(sa.select(Vote.argument_id).where(Vote.member_id == member.id)))
    if not touched:
        return 0
    # Lock the touched arguments in id order, as voters do, so that the recount is exact.
    session.execute(
        sa.select(Argument.id).where(Argument.id.in_(touched)).order_by(Argument.id).with_for_update()
    ).all()
    session.execute(sa.delete(Vote).where(Vote.member_id == member.id))
    recount(session, touched)
    session.expire_all()
    return len(touched)
