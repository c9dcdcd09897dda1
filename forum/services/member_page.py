"""A member's page: who they are, their arguments newest first, the votes those received, and for moderators
the flags raised against them.

Readers see a member's arguments that count (`forum.services.counting`) in published articles, as threads
show them; moderators also see the hidden ones and those of unpublished articles, marked. Withdrawn
arguments are their author's to take back, so no one sees them here.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import NotFound
from forum.models import Argument, Article, Block, Flag, Member
from forum.services.counting import counted_arguments

PAGE = 50


@dataclass(frozen=True)
class MemberTotals:
    """How many arguments of a member the viewer sees, and the votes they received."""

    arguments: int
    up: int
    down: int


def get_member(session: so.Session, member_id: int) -> Member:
    """The member with that id, or `NotFound`."""
    member = session.get(Member, member_id)
    if member is None:
        raise NotFound("There is no such member.")
    return member


def shown(member_id: int, moderator: bool) -> sa.ColumnElement[bool]:
    """Which arguments of the member the viewer sees: never withdrawn ones; readers only those that count,
    in published articles."""
    if moderator:
        return sa.and_(Argument.author_id == member_id, Argument.withdrawn_at.is_(None))
    return sa.and_(Argument.author_id == member_id, counted_arguments(), Article.unpublished_at.is_(None))


def totals(session: so.Session, member_id: int, moderator: bool) -> MemberTotals:
    """How many of the member's arguments the viewer sees, and the up- and down-votes those received."""
    row = session.execute(
        sa.select(
            sa.func.count(Argument.id),
            sa.func.coalesce(sa.func.sum(Argument.up), 0),
            sa.func.coalesce(sa.func.sum(Argument.down), 0),
        )
        .join(Block, Block.id == Argument.block_id)
        .join(Article, Article.id == Block.article_id)
        .where(shown(member_id, moderator))
    ).one()
    return MemberTotals(int(row[0]), int(row[1]), int(row[2]))


def arguments_of(
    session: so.Session, member_id: int, moderator: bool, *, limit: int | None = None, after: int | None = None
) -> tuple[list[Argument], int | None]:
    """One page of the member's arguments the viewer sees, newest first, with their threads and articles, and
    the cursor of the next page (the last id; None at the end). Keyset paging: an older page costs no more."""
    limit = limit or PAGE
    statement = (
        sa.select(Argument)
        .join(Argument.block)
        .join(Block.article)
        .options(so.contains_eager(Argument.block).contains_eager(Block.article), so.selectinload(Argument.sources))
        .where(shown(member_id, moderator))
        .order_by(Argument.id.desc())
        .limit(limit + 1)
    )
    if after is not None:
        statement = statement.where(Argument.id < after)
    rows = list(session.scalars(statement).unique())
    page = rows[:limit]
    return page, page[-1].id if len(rows) > limit and page else None


def flags_received(session: so.Session, member_id: int, limit: int = PAGE) -> list[Flag]:
    """The flags raised against the member's arguments, open ones first, newest first (for moderators)."""
    return list(
        session.scalars(
            sa.select(Flag)
            .join(Argument, Argument.id == Flag.argument_id)
            .where(Argument.author_id == member_id)
            .order_by(Flag.resolved_at.is_not(None), Flag.id.desc())
            .limit(limit)
        )
    )
