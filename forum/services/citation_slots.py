"""Citation slots as readers see them: the article's own reference, and members' proposals for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Argument, CitationSlot, Member, Source, block_citations
from forum.services.counting import counted_arguments


@dataclass(frozen=True)
class Proposal:
    """A member's source naming a footnote number: a proposal for its slot until a moderator accepts it."""

    source_id: int
    url: str
    title: str | None
    argument_id: int
    block_id: int
    author_name: str
    accepted: bool


@dataclass
class SlotView:
    """A citation slot as readers see it: the article's own reference, and members' proposals for it.

    A proposal never replaces the article's reference text or URL; an accepted one fills a slot that the
    article left without a URL.
    """

    number: int
    reference_text: str | None
    url: str | None
    proposals: list[Proposal] = field(default_factory=list)

    @property
    def accepted(self) -> Proposal | None:
        """The proposal a moderator accepted, if any (only one of an argument that counts is listed)."""
        return next((p for p in self.proposals if p.accepted), None)

    @property
    def is_open(self) -> bool:
        """A slot is open while neither the article nor an accepted proposal gives it a URL."""
        return not (self.url or self.accepted)


def _slots_query(one_block: bool) -> sa.Select[Any]:
    """Slots of an article (or those one block cites), each citing block, and each proposal that counts.

    A row per slot, citing block and proposal: the joins are outer, and a proposal of an argument that
    does not count (withdrawn, hidden) comes without its argument, to be left out.
    """
    query = (
        sa.select(
            CitationSlot, block_citations.c.block_id,
            Source.id, Source.url, Source.title, Source.accepted_at,
            Argument.id, Argument.block_id, Member.name,
        )
        .outerjoin(block_citations, block_citations.c.slot_id == CitationSlot.id)
        .outerjoin(Source, Source.slot_id == CitationSlot.id)
        .outerjoin(Argument, sa.and_(Argument.id == Source.argument_id, counted_arguments()))
        .outerjoin(Member, Member.id == Argument.author_id)
        .where(CitationSlot.article_id == sa.bindparam("article_id"))
        .order_by(CitationSlot.number, Source.id)
    )
    return query.where(block_citations.c.block_id == sa.bindparam("block_id")) if one_block else query


# Built once; each page binds its ids.
ARTICLE_SLOTS, BLOCK_SLOTS = _slots_query(False), _slots_query(True)


def slot_views(
    session: so.Session, article_id: int, block_id: int | None = None
) -> tuple[dict[int, SlotView], dict[int, list[int]]]:
    """The slots of an article (or those one block cites) by id, and the slot ids each block cites.

    One statement, whose rows repeat a slot for each block citing it and each of its proposals.
    """
    query = ARTICLE_SLOTS if block_id is None else BLOCK_SLOTS
    slots: dict[int, SlotView] = {}
    cited: dict[int, list[int]] = {}
    seen: set[int] = set()
    for slot, citing, source_id, url, title, accepted_at, argument_id, argument_block, author in session.execute(
        query, {"article_id": article_id, "block_id": block_id}
    ):
        view = slots.get(slot.id)
        if view is None:
            view = slots[slot.id] = SlotView(slot.number, slot.reference_text, slot.url)
        if citing is not None and slot.id not in cited.get(citing, []):
            cited.setdefault(citing, []).append(slot.id)
        if argument_id is not None and source_id not in seen:
            seen.add(source_id)
            view.proposals.append(
                Proposal(source_id, url, title, argument_id, argument_block, author, accepted_at is not None)
            )
    for view in slots.values():
        view.proposals.sort(key=lambda p: not p.accepted)  # the accepted one first, then oldest first
    return slots, cited
