"""What a thread page shows around the arguments: its neighbours, its citation slots, its verdict's history."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import NotFound
from forum.models import Argument, Block, BlockKind, ConsensusChange, Suggestion, Watch, WatchLevel
from forum.services.citation_slots import SlotView, slot_views
from forum.services.lookup import check_readable
from forum.services.watching import Levels


@dataclass(frozen=True)
class Neighbour:
    """A thread before or after another in its article: enough to link to it."""

    id: int
    kind: str


@dataclass
class ThreadView:
    """A thread with what its page shows around the arguments: its neighbours, its slots, its verdict's history."""

    block: Block
    previous: Neighbour | None
    next: Neighbour | None
    slots: list[SlotView]
    history: list[ConsensusChange]
    # Its place among the article's threads, from 1 (as the verdict map counts them).
    number: int = 0
    # The status the scorer suggests, if the thread was ever scored (`forum.services.suggestions`).
    suggestion: Suggestion | None = None
    # The viewer's watch levels for the thread and its article (`forum.services.watching`), read along.
    watch: Levels = Levels(None, None)


def _beside(before: bool, column: str) -> sa.ScalarSelect[Any]:
    """The id or kind of the thread just before or after the block of the enclosing query."""
    neighbour = so.aliased(Block)
    position = neighbour.position < Block.position if before else neighbour.position > Block.position
    return (
        sa.select(getattr(neighbour, column))
        .where(
            neighbour.article_id == Block.article_id,
            neighbour.kind != BlockKind.HEADING.value,
            neighbour.removed_in.is_(None),
            position,
        )
        .order_by(neighbour.position.desc() if before else neighbour.position)
        .limit(1)
        .correlate(Block)
        .scalar_subquery()
    )


def _number() -> sa.ScalarSelect[int]:
    """The place of the block of the enclosing query among its article's threads, from 1."""
    other = so.aliased(Block)
    return (
        sa.select(sa.func.count())
        .where(
            other.article_id == Block.article_id,
            other.kind != BlockKind.HEADING.value,
            other.removed_in.is_(None),
            other.position <= Block.position,
        )
        .correlate(Block)
        .scalar_subquery()
    )


def _watch_level(of_thread: bool) -> sa.ScalarSelect[Any]:
    """The viewer's (`viewer_id`) own level for the block of the enclosing query, or for its article."""
    target = Watch.block_id == Block.id if of_thread else Watch.article_id == Block.article_id
    return (
        sa.select(Watch.level).where(Watch.member_id == sa.bindparam("viewer_id"), target)
        .correlate(Block).scalar_subquery()
    )


def _thread(block: sa.ColumnElement[bool]) -> sa.Select[Any]:
    """The statement reading the thread whose block `block` picks, with all `thread_view` shows of it (and the
    viewer's watch levels, for `viewer_id`)."""
    return (
        sa.select(
            Block,
            _beside(True, "id"), _beside(True, "kind"),
            _beside(False, "id"), _beside(False, "kind"),
            ConsensusChange,
            _number(),
            Suggestion,
            _watch_level(True),
            _watch_level(False),
        )
        .join(Block.article)
        .options(so.contains_eager(Block.article))
        # One suggestion per thread at most, by its key: it comes along too.
        .outerjoin(Suggestion, Suggestion.block_id == Block.id)
        # A verdict's history is short (a row per change), so it comes along rather than in a statement of its own.
        .outerjoin(ConsensusChange, ConsensusChange.block_id == Block.id)
        .where(block)
        .order_by(ConsensusChange.version)
    )


# Built once: a thread page only binds its block's id, an argument's page its argument's (and their viewer's).
THREAD = _thread(Block.id == sa.bindparam("block_id"))
THREAD_OF_ARGUMENT = _thread(
    Block.id == sa.select(Argument.block_id).where(Argument.id == sa.bindparam("argument_id")).scalar_subquery()
)


# A member's own levels for a thread and for its article, without the rest of the thread.
WATCH_LEVELS = sa.select(Watch.block_id, Watch.level).where(
    Watch.member_id == sa.bindparam("viewer_id"),
    sa.or_(Watch.block_id == sa.bindparam("block_id"), Watch.article_id == sa.bindparam("article_id")),
)


def watch_levels(session: so.Session, block_id: int, article_id: int, viewer_id: int) -> Levels:
    """A member's watch levels for a thread and its article, as `thread_view` reads them, in one statement."""
    thread = article = None
    for on_block, level in session.execute(
        WATCH_LEVELS, {"viewer_id": viewer_id, "block_id": block_id, "article_id": article_id}
    ):
        if on_block is not None:
            thread = WatchLevel(level)
        else:
            article = WatchLevel(level)
    return Levels(thread, article)


def thread_view(
    session: so.Session, block_id: int, *, moderator: bool = False, viewer_id: int | None = None
) -> ThreadView:
    """A thread with its article, the threads before and after it (headings skipped), its slots, its verdict's history.

    Two statements: the block with its article, its neighbours and its history, then the slots it cites.
    A thread of an unpublished article is refused (`Gone`) unless `moderator`.
    """
    rows = session.execute(THREAD, {"block_id": block_id, "viewer_id": viewer_id}).all()
    if not rows:
        raise NotFound("There is no such paragraph.")
    return view_of(session, rows, moderator)


def argument_thread_view(
    session: so.Session, argument_id: int, *, moderator: bool = False, viewer_id: int | None = None
) -> ThreadView:
    """The thread an argument belongs to, as `thread_view` reads it, in the same two statements."""
    rows = session.execute(THREAD_OF_ARGUMENT, {"argument_id": argument_id, "viewer_id": viewer_id}).all()
    if not rows:
        raise NotFound("There is no such argument.")
    return view_of(session, rows, moderator)


def view_of(session: so.Session, rows: Sequence[Any], moderator: bool) -> ThreadView:
    """The thread the rows of `THREAD` (or `THREAD_OF_ARGUMENT`) read, with its slots."""
    block, previous_id, previous_kind, next_id, next_kind, _, number, suggestion, thread_level, article_level = rows[0]
    if not block.is_thread:
        raise NotFound("A heading has no thread.")
    check_readable(block.article, moderator)
    history = [row[5] for row in rows if row[5] is not None]
    slots, cited = slot_views(session, block.article_id, block.id)
    mine = sorted((slots[i] for i in cited.get(block.id, [])), key=lambda s: s.number)
    return ThreadView(
        block,
        Neighbour(previous_id, previous_kind) if previous_id is not None else None,
        Neighbour(next_id, next_kind) if next_id is not None else None,
        mine,
        history,
        number,
        suggestion,
        Levels(
            WatchLevel(thread_level) if thread_level else None, WatchLevel(article_level) if article_level else None
        ),
    )
