"""Storing an imported article: its blocks, sections and citation slots, refused if its text is published already."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict
from forum.importing import ParsedArticle
from forum.importing.checks import check_article, check_source_url
from forum.models import Article, Block, BlockKind, BlockRevision, CitationSlot, Member
from forum.services import audit
from forum.services.lookup import get_article


def slugify(title: str, max_length: int = 80) -> str:
    """A URL-friendly form of a title that keeps letters of every script."""
    text = unicodedata.normalize("NFKC", title).casefold()
    slug = re.sub(r"[^\w]+", "-", text).strip("-_")
    return slug[:max_length].rstrip("-") or "article"


def text_digest(
    title: str,
    day: date | None,
    blocks: Iterable[tuple[str, str]],
    references: Iterable[tuple[int, str | None, str | None]],
) -> str:
    """A digest of an article's text as stored: title, date, blocks (kind, text) and its own references.

    Two imports of the same text have the same digest, whichever format or address it came from.
    """
    text = [title, day.isoformat() if day else None, [list(b) for b in blocks], sorted(map(list, references))]
    return hashlib.sha256(json.dumps(text, ensure_ascii=False).encode()).hexdigest()


class DuplicateArticle(Conflict):
    """The text is that of an article already published."""

    def __init__(self, article_id: int, title: str) -> None:
        super().__init__(f"This text is published already, as “{title}” (article {article_id}).")
        self.article_id = article_id
        self.title = title


def published_duplicate(session: so.Session, digest: str) -> DuplicateArticle | None:
    """The refusal naming the published article with this digest, if there is one."""
    found = session.execute(
        sa.select(Article.id, Article.title).where(Article.digest == digest, Article.unpublished_at.is_(None))
    ).first()
    return DuplicateArticle(found.id, found.title) if found else None


def import_article(
    session: so.Session,
    parsed: ParsedArticle,
    *,
    imported_by: Member | None = None,
    source_url: str | None = None,
    progress: Callable[[int], None] | None = None,
) -> Article:
    """Store a parsed article with its blocks, sections and citation slots; the caller commits.

    A text identical to a published article's is refused (`DuplicateArticle`); the import is audited,
    by `imported_by` or, without one, as the command line's.
    """
    check_article(parsed)
    source_url = (source_url or "").strip() or None  # as it was fetched
    if source_url is not None:
        check_source_url(source_url)
    article = Article(
        title=parsed.title[:300],
        slug=slugify(parsed.title),
        date=parsed.date,
        source_url=source_url,
        imported_by_id=imported_by.id if imported_by else None,
    )
    numbers = sorted({n for block in parsed.blocks for n in block.citations} | set(parsed.references))
    slots = {}
    for number in numbers:
        reference = parsed.references.get(number)
        slots[number] = CitationSlot(
            number=number,
            reference_text=reference.text if reference else None,
            url=reference.url if reference else None,
        )
    article.slots = list(slots.values())
    section = None
    for position, parsed_block in enumerate(parsed.blocks):
        if parsed_block.kind == BlockKind.HEADING:
            section = parsed_block.text[:300]
        block = Block(
            position=position,
            kind=parsed_block.kind,
            section=section if parsed_block.kind != BlockKind.HEADING else None,
            text=parsed_block.text,
            slots=[slots[n] for n in parsed_block.citations],
            revisions=[BlockRevision(revision=1, text=parsed_block.text)],
        )
        article.blocks.append(block)
        if progress is not None and position % 100 == 99:
            progress(100)
    article.digest = text_digest(
        article.title,
        article.date,
        ((block.kind, block.text) for block in article.blocks),
        ((slot.number, slot.reference_text, slot.url) for slot in article.slots
         if slot.reference_text is not None or slot.url is not None),
    )
    if (duplicate := published_duplicate(session, article.digest)) is not None:
        raise duplicate
    try:
        # A savepoint: an identical import committed meanwhile is refused by the index, and the session lives on.
        with session.begin_nested():
            session.add(article)
    except sa.exc.IntegrityError:
        duplicate = published_duplicate(session, article.digest)
        if duplicate is None:
            raise
        raise duplicate from None
    if progress is not None:
        progress(len(parsed.blocks) % 100)
    audit.record(
        session, imported_by, "article.import", "article", article.id,
        title=article.title, blocks=len(article.blocks), source_url=source_url,
    )
    return article


def import_summary(session: so.Session, article_id: int) -> dict[str, int | str]:
    """What an import made: threads, headings, citation slots, and slots the article gave a URL."""
    article = get_article(session, article_id)
    kinds = dict(
        session.execute(
            sa.select(Block.kind, sa.func.count())
            .where(Block.article_id == article_id, Block.removed_in.is_(None))
            .group_by(Block.kind)
        ).all()
    )
    headings = kinds.pop(BlockKind.HEADING.value, 0)
    slots = session.execute(
        sa.select(sa.func.count(), sa.func.count(CitationSlot.url)).where(
            CitationSlot.article_id == article_id
        )
    ).one()
    return {
        "id": article.id,
        "title": article.title,
        "threads": sum(kinds.values()),
        "headings": headings,
        "citations": slots[0],
        "sources": slots[1],
    }
