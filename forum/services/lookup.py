"""Articles, blocks and threads found by id, and the rule that keeps an unpublished article from readers."""

from __future__ import annotations

import sqlalchemy.orm as so

from forum.errors import Gone, NotFound
from forum.models import Article, Block


def get_article(session: so.Session, article_id: int) -> Article:
    """The article with that id, or `NotFound`."""
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound("There is no such article.")
    return article


def check_readable(article: Article, moderator: bool) -> None:
    """Refuse an unpublished article (`Gone`) to anyone but moderators, who keep it for review."""
    if article.unpublished_at is not None and not moderator:
        raise Gone("An administrator withdrew this article from the forum: it is no longer shown to readers.")


def readable_thread(session: so.Session, block_id: int, moderator: bool) -> Block:
    """A thread, with its article, as `get_thread` finds it, refused (`Gone`) where its article is unpublished."""
    block = session.get(Block, block_id, options=[so.joinedload(Block.article)])
    if block is None:
        raise NotFound("There is no such paragraph.")
    if not block.is_thread:
        raise NotFound("A heading has no thread.")
    check_readable(block.article, moderator)
    return block


def get_block(session: so.Session, block_id: int) -> Block:
    """The block with that id, or `NotFound`."""
    block = session.get(Block, block_id)
    if block is None:
        raise NotFound("There is no such paragraph.")
    return block


def get_thread(session: so.Session, block_id: int) -> Block:
    """The block with that id if it has a thread (headings have none), with its article (which every write to the
    thread asks whether it was unpublished), or `NotFound`."""
    block = session.get(Block, block_id, options=[so.joinedload(Block.article)])
    if block is None:
        raise NotFound("There is no such paragraph.")
    if not block.is_thread:
        raise NotFound("A heading has no thread.")
    return block
