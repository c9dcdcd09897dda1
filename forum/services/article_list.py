"""The list of published articles, newest first, as the home page and the API show it."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.models import Argument, Article, Block, BlockKind, CitationSlot, Source
from forum.services.counting import counted_arguments


@dataclass
class ArticleListing:
    """One line of the home page: an article with its thread, argument and open-slot counts."""

    article: Article
    threads: int
    arguments: int
    open_citations: int


def list_articles(
    session: so.Session, limit: int = 100, after: int | None = None
) -> list[ArticleListing]:
    """The newest published articles (those older than the article `after`, to page on) with their summaries.

    A fixed number of queries; the page is found through the index on creation time, however long the list.
    """
    query = (
        sa.select(Article)
        .where(Article.unpublished_at.is_(None))
        .order_by(Article.created_at.desc(), Article.id.desc())
        .limit(limit)
    )
    if after is not None:
        cursor = session.execute(sa.select(Article.created_at, Article.id).where(Article.id == after)).first()
        if cursor is None:
            raise Invalid("The `after` cursor names no article.", field="after")
        query = query.where(sa.tuple_(Article.created_at, Article.id) < sa.tuple_(*cursor))
    articles = list(session.scalars(query))
    ids = [article.id for article in articles]
    if not ids:
        return []
    threads = dict(
        session.execute(
            sa.select(Block.article_id, sa.func.count())
            .where(Block.article_id.in_(ids), Block.kind != BlockKind.HEADING.value, Block.removed_in.is_(None))
            .group_by(Block.article_id)
        ).all()
    )
    arguments = dict(
        session.execute(
            sa.select(Block.article_id, sa.func.count(Argument.id))
            .join(Argument, Argument.block_id == Block.id)
            .where(Block.article_id.in_(ids), counted_arguments())
            .group_by(Block.article_id)
        ).all()
    )
    accepted = (
        sa.select(Source.id)
        .join(Argument, Argument.id == Source.argument_id)
        .where(Source.slot_id == CitationSlot.id, Source.accepted_at.is_not(None), counted_arguments())
        .exists()
    )
    open_slots = dict(
        session.execute(
            sa.select(CitationSlot.article_id, sa.func.count())
            .where(CitationSlot.article_id.in_(ids), CitationSlot.url.is_(None), ~accepted)
            .group_by(CitationSlot.article_id)
        ).all()
    )
    return [
        ArticleListing(a, threads.get(a.id, 0), arguments.get(a.id, 0), open_slots.get(a.id, 0))
        for a in articles
    ]
