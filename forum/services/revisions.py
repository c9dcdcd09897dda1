"""Revising an article: its next text parsed, matched paragraph by paragraph to the current one, and applied in
one transaction, audited. A refused revision (unknown or unpublished article, the same text, a text published
as another article, a review made stale by a revision meanwhile) changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Gone, NotFound
from forum.importing import ParsedArticle
from forum.importing.checks import check_article, check_source_url
from forum.models import Article, Block, Member
from forum.revisions.matching import Matching, Piece, match_revision
from forum.services import audit
from forum.services.article_storage import import_summary, published_duplicate, slugify, text_digest
from forum.services.revision_apply import apply_matching


class SameText(Conflict):
    """The text is the article's current revision already."""

    def __init__(self, article: Article) -> None:
        super().__init__(
            f"This is the text of the article's current revision (revision {article.revision}): "
            "there is nothing to revise."
        )


class StaleReview(Conflict):
    """The article was revised after the review the admin confirms was made."""

    def __init__(self, article: Article, reviewed: int) -> None:
        super().__init__(
            f"The article was revised meanwhile: the review was made against revision {reviewed}, and it is now at "
            f"revision {article.revision}. Review the new text again before publishing it."
        )


@dataclass
class RevisionPlan:
    """A revision before it is applied: the article, the new text, its current blocks and how they match."""

    article: Article
    parsed: ParsedArticle
    current: list[Block]
    matching: Matching
    digest: str

    @property
    def revision(self) -> int:
        """The number the revision would have."""
        return self.article.revision + 1


@dataclass(frozen=True)
class RevisionReport:
    """What a revision made: its number, its blocks by change, and the threads whose verdict needs review."""

    article_id: int
    revision: int
    changes: dict[str, int]
    review: list[int]


def current_blocks(session: so.Session, article_id: int) -> list[Block]:
    """The blocks of the article's current revision, in order."""
    return list(
        session.scalars(
            sa.select(Block).where(Block.article_id == article_id, Block.removed_in.is_(None)).order_by(Block.position)
        )
    )


def parsed_digest(parsed: ParsedArticle) -> str:
    """The digest the article would have with this text (as `article_storage.import_article` computes it)."""
    return text_digest(
        parsed.title[:300],
        parsed.date,
        ((block.kind, block.text) for block in parsed.blocks),
        ((number, ref.text, ref.url) for number, ref in parsed.references.items()),
    )


def plan_revision(session: so.Session, article_id: int, parsed: ParsedArticle, *, lock: bool = False) -> RevisionPlan:
    """Check a revised text against the article and match its blocks to the current ones; nothing is written.

    With `lock`, the article's row is locked until the transaction ends, so that two revisions queue.
    """
    check_article(parsed)
    query = sa.select(Article).where(Article.id == article_id)
    article = session.scalar(query.with_for_update() if lock else query)
    if article is None:
        raise NotFound("There is no such article.")
    if article.unpublished_at is not None:
        raise Gone("This article was unpublished: it takes no revision.")
    digest = parsed_digest(parsed)
    if digest == article.digest:
        raise SameText(article)
    if (duplicate := published_duplicate(session, digest)) is not None:
        raise duplicate
    current = current_blocks(session, article_id)
    matching = match_revision(
        [Piece(b.kind, b.text) for b in current], [Piece(b.kind, b.text) for b in parsed.blocks]
    )
    return RevisionPlan(article, parsed, current, matching, digest)


def revise_article(
    session: so.Session,
    article_id: int,
    parsed: ParsedArticle,
    *,
    revised_by: Member | None = None,
    source_url: str | None = None,
    reviewed_revision: int | None = None,
) -> RevisionReport:
    """Make `parsed` the article's next revision; the caller commits (or rolls back on any error).

    `reviewed_revision` is the revision a review was made against: a revision made since refuses it
    (`StaleReview`). Audited as `article.revise`, by `revised_by` or, without one, the command line.
    """
    source_url = (source_url or "").strip() or None
    if source_url is not None:
        check_source_url(source_url)
    plan = plan_revision(session, article_id, parsed, lock=True)
    article = plan.article
    if reviewed_revision is not None and reviewed_revision != article.revision:
        raise StaleReview(article, reviewed_revision)
    revision = plan.revision
    applied = apply_matching(session, article, plan.current, parsed, plan.matching, revision)
    article.revision, article.digest = revision, plan.digest
    article.title, article.slug, article.date = parsed.title[:300], slugify(parsed.title), parsed.date
    if source_url is not None:
        article.source_url = source_url
    try:
        # A savepoint: the same text published meanwhile as another article is refused by the index.
        with session.begin_nested():
            session.flush()
    except sa.exc.IntegrityError:
        duplicate = published_duplicate(session, plan.digest)
        if duplicate is None:
            raise
        raise duplicate from None
    audit.record(
        session, revised_by, "article.revise", "article", article.id,
        title=article.title, revision=revision, changes=applied.counts, review=applied.review,
        merged={str(k): v for k, v in applied.merged.items()}, removed=applied.removed, source_url=source_url,
    )
    return RevisionReport(article.id, revision, applied.counts, applied.review)


def revision_summary(session: so.Session, report: RevisionReport) -> dict[str, Any]:
    """What the command line's `--json` and the API answer: the import object, the revision and its changes."""
    return {
        **import_summary(session, report.article_id),
        "revision": report.revision,
        "changes": report.changes,
        "review": report.review,
    }
