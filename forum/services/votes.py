"""Votes: one per member per argument, with counters kept exact by the database under concurrency."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from forum.errors import Invalid, NotFound
from forum.live.staging import stage
from forum.models import Argument, Article, Block, Member, Vote
from forum.services.policy import Action, check


@dataclass(frozen=True)
class Tally:
    """An argument's counters after a vote, and the voter's own vote."""

    score: int
    up: int
    down: int
    my_vote: int


def upsert_vote(session: so.Session, argument_id: int, member_id: int, value: int) -> None:
    """Insert the member's vote or change it, in one statement."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    statement = dialect.insert(Vote).values(argument_id=argument_id, member_id=member_id, value=value)
    session.execute(
        statement.on_conflict_do_update(
            index_elements=[Vote.argument_id, Vote.member_id], set_={"value": value}
        )
    )


def recount(
    session: so.Session, argument_ids: sa.ColumnElement[bool] | list[int], returning: bool = False
) -> sa.Result[int, int, int]:
    """Set the counters of the given arguments from their vote rows, in one SQL statement."""
    ups = (
        sa.select(sa.func.count())
        .where(Vote.argument_id == Argument.id, Vote.value == 1)
        .scalar_subquery()
    )
    downs = (
        sa.select(sa.func.count())
        .where(Vote.argument_id == Argument.id, Vote.value == -1)
        .scalar_subquery()
    )
    where = Argument.id.in_(argument_ids) if isinstance(argument_ids, list) else argument_ids
    statement = sa.update(Argument).where(where).values(up=ups, down=downs, score=ups - downs)
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


def cast_vote(session: so.Session, argument_id: int, voter: Member, value: int) -> Tally:
    """Vote +1 or -1 on an argument, or 0 to take the vote back; the caller commits."""
    if value not in (-1, 0, 1):
        raise Invalid("A vote is 1, -1, or 0 to take it back.", field="value")
    # Lock the argument first: votes on it queue here, so each recount sees every earlier vote.
    row = session.execute(
        sa.select(
            Argument.author_id, Argument.block_id, Argument.hidden, Argument.withdrawn_at, Block.locked,
            Block.removed_in, Article.unpublished_at,
        )
        .join(Block, Block.id == Argument.block_id)
        .join(Article, Article.id == Block.article_id)
        .where(Argument.id == argument_id)
        .with_for_update(of=Argument)
    ).one_or_none()
    if row is None:
        raise NotFound("There is no such argument.")
    check(
        Action.VOTE,
        locked=row.locked,
        removed=row.removed_in is not None,
        hidden=row.hidden,
        withdrawn=row.withdrawn_at is not None,
        mine=row.author_id == voter.id,
        unpublished=row.unpublished_at is not None,
    )
    if value == 0:
        session.execute(
            sa.delete(Vote).where(Vote.argument_id == argument_id, Vote.member_id == voter.id)
        )
    else:
        upsert_vote(session, argument_id, voter.id, value)
    up, down, score = recount(session, [argument_id], returning=True).one()
    session.expire_all()
    # Counters only: what every reader sees; whose vote it was stays the voter's.
    stage(session, row.block_id, "vote", {"argument_id": argument_id, "score": score, "up": up, "down": down})
    return Tally(score=score, up=up, down=down, my_vote=value)


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
