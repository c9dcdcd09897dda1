"""Citation slots: a moderator accepts a member's proposed source for a footnote, or takes it back."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Invalid, NotFound
from forum.models import CitationSlot, Member, Role, Source, utcnow
from forum.services import audit
from forum.services.citation_slots import SlotView, slot_views
from forum.services.counting import counts
from forum.services.lookup import get_article
from forum.services.members import require


def accept_citation(
    session: so.Session, article_id: int, number: int, moderator: Member, source_id: int | None
) -> SlotView:
    """Let the proposal `source_id` fill the slot `number` of an article, or (None) leave it open again.

    Only a proposal for that very slot, of an argument that counts, may fill it, and only where the
    article's own reference list gives no URL: a proposal never replaces the article's reference. A
    slot holds one accepted proposal; accepting another replaces it. The caller commits.
    """
    require(moderator, Role.MODERATOR)
    article = get_article(session, article_id)
    slot = session.scalar(
        sa.select(CitationSlot).where(CitationSlot.article_id == article.id, CitationSlot.number == number)
    )
    if slot is None:
        raise NotFound(f"This article has no footnote [{number}].")
    accepted = list(
        session.scalars(sa.select(Source).where(Source.slot_id == slot.id, Source.accepted_at.is_not(None)))
    )
    if source_id is None:
        for taken_back in accepted:
            taken_back.accepted_at, taken_back.accepted_by_id = None, None
            audit.record(session, moderator, "citation.reopen", "article", article.id,
                         number=number, source_id=taken_back.id, url=taken_back.url)
    else:
        source = session.get(Source, source_id)
        if source is None or source.slot_id != slot.id:
            raise Invalid(f"That source is no proposal for footnote [{number}].", field="source_id")
        if not counts(source.argument):
            raise Invalid("A withdrawn or hidden argument's source cannot fill a footnote.", field="source_id")
        if slot.url:
            raise Conflict(f"The article's own reference list gives footnote [{number}] its source.")
        if source not in accepted:
            for other in accepted:
                other.accepted_at, other.accepted_by_id = None, None
            try:
                # The one taken back goes first, so that the slot never holds two; a moderator who
                # accepted another at the same moment wins, and this one is told.
                with session.begin_nested():
                    session.flush()
                    source.accepted_at, source.accepted_by_id = utcnow(), moderator.id
                    session.flush()
            except sa.exc.IntegrityError:
                raise Conflict(f"Another moderator changed footnote [{number}] meanwhile; look again.") from None
            audit.record(session, moderator, "citation.accept", "article", article.id,
                         number=number, source_id=source.id, url=source.url, argument_id=source.argument_id)
    slots, _ = slot_views(session, article.id)
    return slots[slot.id]
