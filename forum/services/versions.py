"""Page versions: each write moves the counters of the pages it changes, in its own transaction.

A thread page shows its block, its arguments and their scores, and the article's citation slots (which
members' sources in other threads may fill); an article page shows every thread's counts, verdict and
lock. So a change of content moves both the block's and the article's version, a vote only the
block's. Cached pages are keyed by these counters, so a page can never be served older than its data,
whichever process wrote it.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Argument, Article, Block

NO_SYNC = {"synchronize_session": False}


def _bump_blocks(session: so.Session, where: sa.ColumnElement[bool]) -> None:
    """Move the version of the blocks `where` selects."""
    session.execute(sa.update(Block).where(where).values(version=Block.version + 1), execution_options=NO_SYNC)


def _bump_articles(session: so.Session, where: sa.ColumnElement[bool]) -> None:
    """Move the version of the articles `where` selects."""
    session.execute(
        sa.update(Article).where(where).values(version=Article.version + 1), execution_options=NO_SYNC
    )


def thread_changed(session: so.Session, block_id: int) -> None:
    """A thread's content changed (arguments, sources, verdict, lock): its page and its article's move."""
    # Pending changes go first, so that rows are locked in the order votes lock them: argument, then block.
    session.flush()
    _bump_blocks(session, Block.id == block_id)
    _bump_articles(session, Article.id == sa.select(Block.article_id).where(Block.id == block_id).scalar_subquery())


def scores_changed(session: so.Session, block_ids: Iterable[int]) -> None:
    """Votes changed in these threads (or a member's flags, which only they see): only their pages show them."""
    ids = sorted(set(block_ids))
    if ids:
        session.flush()
        _bump_blocks(session, Block.id.in_(ids))


def article_changed(session: so.Session, article_id: int) -> None:
    """Much changed in an article at once (seeding): every thread of it and the article move."""
    session.flush()
    _bump_blocks(session, Block.article_id == article_id)
    _bump_articles(session, Article.id == article_id)


def member_renamed(session: so.Session, member_id: int) -> None:
    """A member's shown name changed: every cached page that names them moves.

    Thread pages (and their API twin) name the authors of their arguments, replies and key arguments;
    an article's JSON names who set each thread's verdict. Verdict history and the audit log keep the
    name as it was, and the moderation pages are never cached.
    """
    session.flush()
    _bump_blocks(
        session, Block.id.in_(sa.select(Argument.block_id).where(Argument.author_id == member_id))
    )
    _bump_articles(
        session, Article.id.in_(sa.select(Block.article_id).where(Block.consensus_set_by_id == member_id))
    )
