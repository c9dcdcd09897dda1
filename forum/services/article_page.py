"""What the article page (and its API twin) shows: its blocks, their citation slots and their threads' summaries."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Argument, Article, Block, BlockChange, Member, Source, Stance, Suggestion
from forum.services.citation_slots import SlotView, slot_views
from forum.services.counting import counted_arguments
from forum.services.lookup import check_readable, get_article


@dataclass
class ThreadSummary:
    """How a thread stands: its arguments by stance, sources and open citation slots (only what counts)."""

    counts: dict[str, int] = field(default_factory=lambda: {s.value: 0 for s in Stance})
    sources: int = 0
    open_citations: int = 0

    @property
    def arguments(self) -> int:
        """Arguments of every stance."""
        return sum(self.counts.values())


def thread_summaries(
    session: so.Session, article_id: int, slots: dict[int, SlotView], cited: dict[int, list[int]]
) -> dict[int, ThreadSummary]:
    """The summary of every thread of an article (`cited` names them all), in one statement."""
    summaries = {block_id: ThreadSummary() for block_id in cited}
    in_article = Argument.block_id.in_(sa.select(Block.id).where(Block.article_id == article_id))
    rows = session.execute(
        sa.select(
            Argument.block_id, Argument.stance,
            sa.func.count(sa.distinct(Argument.id)), sa.func.count(Source.id),
        )
        .outerjoin(Source, Source.argument_id == Argument.id)
        .where(in_article, counted_arguments())
        .group_by(Argument.block_id, Argument.stance)
    )
    for block_id, stance, count, sources in rows:
        summaries[block_id].counts[stance] = count
        summaries[block_id].sources += sources
    for block_id, slot_ids in cited.items():
        summaries[block_id].open_citations = sum(slots[i].is_open for i in slot_ids)
    return summaries


@dataclass
class ArticleView:
    """An article with everything its page shows: blocks, their slots and their threads' summaries."""

    article: Article
    blocks: list[Block]
    slots: dict[int, SlotView]
    cited: dict[int, list[int]]
    summaries: dict[int, ThreadSummary]
    # The names of the members who set the verdicts shown, by member id.
    setters: dict[int, str] = field(default_factory=dict)
    # The scorer's suggestion for each scored thread, by block id: shown marked as computed.
    suggestions: dict[int, Suggestion] = field(default_factory=dict)
    # The paragraphs revisions removed, latest first: each keeps its thread, readable at its URL.
    removed: list[Block] = field(default_factory=list)

    @property
    def changed(self) -> dict[str, int]:
        """What the latest revision did, by change: the current blocks' and the paragraphs it removed."""
        counts = {change.value: 0 for change in BlockChange}
        for block in self.blocks:
            counts[block.change] += 1
        counts[BlockChange.REMOVED.value] = sum(b.removed_in == self.article.revision for b in self.removed)
        return counts

    def block_slots(self, block: Block) -> list[SlotView]:
        """The slots a block cites, by number."""
        return sorted((self.slots[i] for i in self.cited[block.id]), key=lambda s: s.number)

    @property
    def open_citations(self) -> int:
        """The article's slots that still lack a source."""
        return sum(slot.is_open for slot in self.slots.values())


def article_view(session: so.Session, article_id: int, *, moderator: bool = False) -> ArticleView:
    """Everything the article page and its API twin show, in three statements whatever its size.

    An unpublished article is refused (`Gone`) unless `moderator`.
    """
    # Whoever set a verdict comes along, so that naming them later is a look-up in the session.
    setter = so.aliased(Member)
    rows = session.execute(
        sa.select(Block, setter, Suggestion)
        .join(Block.article)
        .outerjoin(setter, setter.id == Block.consensus_set_by_id)
        .outerjoin(Suggestion, Suggestion.block_id == Block.id)
        .options(so.contains_eager(Block.article))
        .where(Block.article_id == article_id)
        .order_by(Block.position)
    ).all()
    # Every imported article has blocks; one without would still be found (or not) by its id.
    article = rows[0][0].article if rows else get_article(session, article_id)
    check_readable(article, moderator)
    every = [block for block, _, _ in rows]
    blocks = [block for block in every if not block.is_removed]
    # Merged-away blocks live on in the block they went into; removed ones are listed, latest first.
    removed = sorted(
        (b for b in every if b.is_removed and b.change == BlockChange.REMOVED.value),
        key=lambda b: (-(b.removed_in or 0), b.id),
    )
    setters = {member.id: member.name for _, member, _ in rows if member is not None}
    suggested = {block.id: suggestion for block, _, suggestion in rows if suggestion is not None}
    slots, cited = slot_views(session, article_id)
    cited = {block.id: cited.get(block.id, []) for block in every}
    summaries = thread_summaries(session, article_id, slots, cited)
    return ArticleView(article, blocks, slots, cited, summaries, setters, suggested, removed)
