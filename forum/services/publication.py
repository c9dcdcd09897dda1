"""Unpublishing an article: gone from lists and from readers, kept whole for moderators and exports."""

from __future__ import annotations

import sqlalchemy.orm as so

from forum.errors import Conflict
from forum.models import Article, Member, Role, utcnow
from forum.services import audit
from forum.services.lookup import get_article
from forum.services.members import require


def unpublish_article(session: so.Session, article_id: int, admin: Member, reason: str = "") -> Article:
    """Take an article away from readers (admins); its threads, arguments and history are kept.

    Every page that shows it moves (its own, its threads', and the home page's, which sums the
    articles' versions), so that no cached copy outlives it; the caller commits.
    """
    require(admin, Role.ADMIN)
    reason = audit.check_reason(reason, required=False)
    article = get_article(session, article_id)
    if article.unpublished_at is not None:
        raise Conflict("This article is unpublished already.")
    article.unpublished_at = utcnow()
    audit.record(session, admin, "article.unpublish", "article", article.id, reason, title=article.title)
    return article
