"""What a revision leaves for moderators: verdicts set on a wording that changed, and removed paragraphs whose
successor the matcher was unsure of."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Article, Block


def verdicts_to_review(session: so.Session, limit: int = 100) -> list[Block]:
    """Threads of published articles whose verdict was set on a wording a revision changed, newest revision first."""
    return list(
        session.scalars(
            sa.select(Block)
            .join(Article, Article.id == Block.article_id)
            .where(Block.consensus_needs_review.is_(True), Article.unpublished_at.is_(None))
            .order_by(Article.revision.desc(), Block.id)
            .limit(limit)
        )
    )


def unsure_removals(session: so.Session, limit: int = 100) -> list[Block]:
    """Removed paragraphs of published articles with a possible successor for a moderator to confirm or leave."""
    return list(
        session.scalars(
            sa.select(Block)
            .join(Article, Article.id == Block.article_id)
            .where(
                Block.removed_in.is_not(None),
                Block.merged_into_id.is_(None),
                # Attaching empties the list; JSON has no equality on PostgreSQL, its text has.
                sa.cast(Block.successor_candidates, sa.Text) != "[]",
                Article.unpublished_at.is_(None),
            )
            .order_by(Block.removed_in.desc(), Block.id)
            .limit(limit)
        )
    )
