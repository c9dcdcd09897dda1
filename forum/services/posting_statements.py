"""A post's statements, built once and compiled once per dialect, run on the driver's cursor inside the session's
transaction (as a vote's are, `forum.services.votes`): past the ORM's unit of work and the session's events.

First one read, in the write's transaction: the thread with what the policy weighs of it and its article, whether
the author was removed meanwhile, whether they posted the same body there a moment ago, and the argument answered
(if any). Then the writes: the argument, its sources, the author's watch of the thread (one `INSERT ... ON
CONFLICT DO NOTHING`, unless they muted its article) and the versions of the thread's page and its article's
(`forum.caching.invalidation.thread_and_article_moved`, which checks `MAP` says those rows move no more). On SQLite
these are five statements inside the one write transaction it allows at a time; on PostgreSQL one statement whose
`WITH` writes them all, each after the one it reads from: the argument, then the thread's version, then the
article's (the order every writer locks them in).
"""

from __future__ import annotations

from functools import cache
from typing import Any, NamedTuple, cast

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from forum.caching.invalidation import thread_and_article_moved
from forum.models import Argument, Article, Block, Member, Source, Watch, WatchLevel

ARGUMENTS = cast(sa.Table, Argument.__table__)
SOURCES = cast(sa.Table, Source.__table__)
WATCHES = cast(sa.Table, Watch.__table__)
WHEN = ARGUMENTS.c.created_at.type

BLOCK_ID = sa.bindparam("block_id", type_=sa.Integer)
ARTICLE_ID = sa.bindparam("article_id", type_=sa.Integer)
AUTHOR_ID = sa.bindparam("author_id", type_=sa.Integer)
PARENT_ID = sa.bindparam("parent_id", type_=sa.Integer)
BODY = sa.bindparam("body", type_=sa.Text)
# Whether to look for the same body a moment ago at all (a window of 0 turns the check off), and since when.
LOOK_FOR_DUPLICATE = sa.bindparam("look_for_duplicate", type_=sa.Boolean)
SINCE = sa.bindparam("since", type_=WHEN)
# Given, not left to the columns' defaults: a statement inside a WITH gets no defaults made in Python.
POSTED_AT = sa.bindparam("posted_at", type_=WHEN)

PARENT = so.aliased(Argument, name="parent")
DUPLICATE = sa.and_(
    LOOK_FOR_DUPLICATE,
    sa.exists().where(
        Argument.block_id == BLOCK_ID, Argument.author_id == AUTHOR_ID, Argument.created_at >= SINCE,
        Argument.body == BODY,
    ),
)
# The thread, its article, the author and the argument answered, read in the write's transaction. On PostgreSQL the
# author's row is share-locked, as a vote locks its voter: a removal under way makes the post wait and then see it.
THREAD = (
    sa.select(
        Block.kind, Block.locked, Block.removed_in, Block.article_id, Article.unpublished_at, Article.revision,
        Member.removed_at.is_not(None).label("author_removed"), DUPLICATE.label("duplicate"),
        PARENT.block_id, PARENT.author_id, PARENT.hidden, PARENT.withdrawn_at,
    )
    .join(Article, Article.id == Block.article_id)
    .join(Member, Member.id == AUTHOR_ID)
    .outerjoin(PARENT, PARENT.id == PARENT_ID)
    .where(Block.id == BLOCK_ID)
    .with_for_update(read=True, of=Member)
)


class Thread(NamedTuple):
    """What a post reads first, as `THREAD` gives it."""

    kind: str
    locked: bool
    removed_in: int | None
    article_id: int
    unpublished_at: Any
    revision: int
    author_removed: bool
    duplicate: bool
    parent_block_id: int | None
    parent_author_id: int | None
    parent_hidden: bool | None
    parent_withdrawn_at: Any


# The columns each new row is given (the others are NULL), for the page versions' check against `MAP`.
ARGUMENT_COLUMNS = {
    "block_id": BLOCK_ID, "parent_id": PARENT_ID, "author_id": AUTHOR_ID,
    "stance": sa.bindparam("stance", type_=sa.String), "body": BODY, "html": sa.bindparam("html", type_=sa.Text),
    "created_at": POSTED_AT, "up": sa.literal(0), "down": sa.literal(0), "score": sa.literal(0),
    "hidden": sa.false(), "revision": sa.bindparam("revision", type_=sa.Integer),
}
SOURCE_COLUMNS = ("argument_id", "position", "url", "title", "quote", "citation", "slot_id")
WATCH_COLUMNS = ("member_id", "block_id", "level", "created_at", "updated_at")
WRITES = {
    "forum_arguments": list(ARGUMENT_COLUMNS),
    "forum_sources": list(SOURCE_COLUMNS),
    "forum_watches": list(WATCH_COLUMNS),
}


def source_params(position: int) -> dict[str, Any]:
    """The values of the source at `position`, named for its row of the sources' INSERT."""
    return {
        "position": sa.bindparam(f"position_{position}", type_=sa.Integer),
        "url": sa.bindparam(f"url_{position}", type_=sa.String),
        "title": sa.bindparam(f"title_{position}", type_=sa.String),
        "quote": sa.bindparam(f"quote_{position}", type_=sa.Text),
        "citation": sa.bindparam(f"citation_{position}", type_=sa.Integer),
        "slot_id": sa.bindparam(f"slot_id_{position}", type_=sa.Integer),
    }


def _sources(dialect: Any, argument_id: sa.ColumnElement[int], count: int) -> sa.Insert:
    """One INSERT of `count` sources of the argument."""
    return cast(sa.Insert, dialect.insert(SOURCES).values(
        [{"argument_id": argument_id, **source_params(n)} for n in range(count)]
    ))


def _watch(dialect: Any, block_id: sa.ColumnElement[int]) -> sa.Insert:
    """The author watches the thread, unless they chose a level for it before (their row stays) or muted its
    article."""
    muted = sa.exists().where(
        WATCHES.c.member_id == AUTHOR_ID, WATCHES.c.article_id == ARTICLE_ID,
        WATCHES.c.level == WatchLevel.MUTED.value,
    )
    values: list[sa.ColumnElement[Any]] = [AUTHOR_ID, block_id, sa.literal(WatchLevel.WATCHING.value), POSTED_AT,
                                           POSTED_AT]
    if dialect is postgresql:
        # Values in a SELECT's list have no column to take their type from there (SQLite's CAST would change them).
        values = [sa.cast(value, column.type) for value, column in zip(values, (WATCHES.c[c] for c in WATCH_COLUMNS))]
    row = sa.select(*values).where(~muted)
    insert = dialect.insert(WATCHES).from_select(list(WATCH_COLUMNS), row)
    return cast(sa.Insert, insert.on_conflict_do_nothing(index_elements=[WATCHES.c.member_id, WATCHES.c.block_id]))


class SqliteStatements(NamedTuple):
    """SQLite's writes of a post, one statement each."""

    argument: sa.Insert
    watch: sa.Insert
    thread_moved: sa.Update
    article_moved: sa.Update


def _sqlite() -> SqliteStatements:
    """SQLite's writes, built once."""
    thread_moved, article_moved = thread_and_article_moved(BLOCK_ID, ARTICLE_ID, WRITES)
    argument = sa.insert(ARGUMENTS).values(ARGUMENT_COLUMNS).returning(ARGUMENTS.c.id)
    return SqliteStatements(argument, _watch(sqlite, BLOCK_ID), thread_moved, article_moved)


SQLITE = _sqlite()
SQLITE_ARGUMENT_ID = sa.bindparam("argument_id", type_=sa.Integer)


@cache
def sqlite_sources(count: int) -> sa.Insert:
    """SQLite's INSERT of `count` sources (one statement per count, built once)."""
    return _sources(sqlite, SQLITE_ARGUMENT_ID, count)


@cache
def postgresql_post(sources: int) -> sa.Select[Any]:
    """PostgreSQL's write of a post with `sources` sources, in one statement (built once per count): the argument,
    its sources, the watch, then the thread's version and its article's; it answers the argument's id."""
    new = sa.insert(ARGUMENTS).values(ARGUMENT_COLUMNS).returning(ARGUMENTS.c.id, ARGUMENTS.c.block_id).cte("new")
    new_id = sa.select(new.c.id).scalar_subquery()
    new_block = sa.select(new.c.block_id).scalar_subquery()
    thread_update, _ = thread_and_article_moved(new_block, ARTICLE_ID, WRITES)
    moved_thread = thread_update.returning(Block.article_id).cte("moved_thread")
    _, article_update = thread_and_article_moved(new_block, sa.select(moved_thread.c.article_id).scalar_subquery(),
                                                 WRITES)
    moved_article = article_update.returning(Article.id).cte("moved_article")
    writes = [_watch(postgresql, new_block).cte("watch")]
    if sources:
        writes.append(_sources(postgresql, new_id, sources).cte("sources"))
    return sa.select(new.c.id).add_cte(*writes).where(sa.exists(sa.select(moved_article.c.id)))
