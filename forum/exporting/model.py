"""The export model: an article's header (its slots), then its blocks a batch at a time, each thread with its tree.

A reader's export leaves hidden arguments out, with every reply beneath them (what a reader cannot see is never
exported); a moderator's keeps them, marked. A withdrawn argument keeps its place (its replies stay) without its
text, but for moderators.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import (
    Argument,
    Article,
    Block,
    BlockRevision,
    CitationSlot,
    ConsensusChange,
    Member,
    Source,
    block_citations,
)
from forum.services.citation_slots import SlotView, slot_views
from forum.services.lookup import check_readable, get_article

# Threads read per batch: a few hundred arguments each on a busy article, and a handful of statements.
BATCH = 100


@dataclass(slots=True)
class SourceItem:
    """A source of an argument, and whether a moderator accepted it to fill its footnote."""

    url: str
    title: str | None
    quote: str | None
    citation: int | None
    accepted: bool


@dataclass(slots=True)
class ArgumentItem:
    """An argument with its replies, as the export carries it."""

    id: int
    parent_id: int | None
    stance: str
    body: str
    author_id: int
    author_name: str
    created_at: datetime
    edited_at: datetime | None
    score: int
    up: int
    down: int
    helpfulness: float | None
    helpful: bool | None
    hidden: bool
    hidden_reason: str | None
    withdrawn: bool
    sources: list[SourceItem] = field(default_factory=list)
    replies: list[ArgumentItem] = field(default_factory=list)


@dataclass(slots=True)
class VerdictChange:
    """One change of a thread's verdict."""

    version: int
    from_status: str
    to_status: str
    note: str
    key_arguments: list[int]
    member_id: int | None
    member_name: str
    created_at: datetime


@dataclass(slots=True)
class Verdict:
    """A thread's verdict as it stands, and every change that led there."""

    status: str
    note: str
    version: int
    key_arguments: list[int]
    set_by_id: int | None
    set_by_name: str | None
    set_at: datetime | None
    needs_review: bool
    history: list[VerdictChange] = field(default_factory=list)


@dataclass(slots=True)
class BlockItem:
    """A block of the article; a thread (every kind but a heading) carries its verdict and its argument trees."""

    id: int
    position: int
    kind: str
    section: str | None
    text: str
    change: str
    removed_in: int | None
    merged_into_id: int | None
    locked: bool
    lock_reason: str | None
    citations: list[int]
    revisions: list[tuple[int, str]]
    verdict: Verdict | None
    arguments: list[ArgumentItem]

    @property
    def is_thread(self) -> bool:
        """Whether the block is discussed (headings are not)."""
        return self.verdict is not None


@dataclass(slots=True)
class Header:
    """What an export says before its blocks: the article and its citation slots."""

    id: int
    title: str
    slug: str
    date: date | None
    source_url: str | None
    created_at: datetime
    revision: int
    unpublished_at: datetime | None
    slots: list[SlotView]
    moderator: bool
    blocks: int

    @property
    def open_slots(self) -> list[SlotView]:
        """The slots without a URL from either the article or an accepted source."""
        return [slot for slot in self.slots if slot.is_open]


def read_header(session: so.Session, article_id: int, *, moderator: bool) -> Header:
    """The article's header, refused (`Gone`) to readers once unpublished, `NotFound` for no such article."""
    article = get_article(session, article_id)
    check_readable(article, moderator)
    slots, _ = slot_views(session, article_id)
    count = session.scalar(sa.select(sa.func.count()).select_from(Block).where(Block.article_id == article_id)) or 0
    return Header(
        article.id, article.title, article.slug, article.date, article.source_url, article.created_at,
        article.revision, article.unpublished_at, sorted(slots.values(), key=lambda s: s.number), moderator, count,
    )


def block_ids(session: so.Session, article_id: int) -> list[int]:
    """The article's block ids in export order: the current blocks by position, then those revisions removed."""
    return list(session.scalars(
        sa.select(Block.id).where(Block.article_id == article_id)
        .order_by(Block.removed_in.is_not(None), Block.position, Block.id)
    ))


def iter_blocks(session: so.Session, article_id: int, *, moderator: bool, batch: int = BATCH) -> Iterator[BlockItem]:
    """Every block of the article in export order, read `batch` threads at a time (memory stays flat)."""
    ids = block_ids(session, article_id)
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        yield from read_batch(session, chunk, moderator)
        session.expunge_all()  # what one batch read is not needed by the next


def read_batch(session: so.Session, ids: list[int], moderator: bool) -> list[BlockItem]:
    """The blocks with these ids, in this order, with everything their threads carry: six statements."""
    blocks = {b.id: b for b in session.scalars(sa.select(Block).where(Block.id.in_(ids)))}
    setter_ids = {b.consensus_set_by_id for b in blocks.values() if b.consensus_set_by_id is not None}
    setters = dict(session.execute(sa.select(Member.id, Member.name).where(Member.id.in_(setter_ids))).all())
    cited: dict[int, list[int]] = {}
    for block_id, number in session.execute(
        sa.select(block_citations.c.block_id, CitationSlot.number)
        .join(CitationSlot, CitationSlot.id == block_citations.c.slot_id)
        .where(block_citations.c.block_id.in_(ids))
    ):
        cited.setdefault(block_id, []).append(number)
    revisions: dict[int, list[tuple[int, str]]] = {}
    for row in session.execute(
        sa.select(BlockRevision.block_id, BlockRevision.revision, BlockRevision.text)
        .where(BlockRevision.block_id.in_(ids)).order_by(BlockRevision.block_id, BlockRevision.revision)
    ):
        revisions.setdefault(row[0], []).append((row[1], row[2]))
    history: dict[int, list[VerdictChange]] = {}
    for change in session.scalars(
        sa.select(ConsensusChange).where(ConsensusChange.block_id.in_(ids))
        .order_by(ConsensusChange.block_id, ConsensusChange.version)
    ):
        history.setdefault(change.block_id, []).append(VerdictChange(
            change.version, change.from_status, change.to_status, change.note, list(change.key_arguments or []),
            change.member_id, change.member_name, change.created_at,
        ))
    trees = argument_trees(session, ids, moderator)
    items = []
    for block_id in ids:
        b = blocks[block_id]
        verdict = None
        if b.is_thread:
            verdict = Verdict(
                b.consensus_status, b.consensus_note, b.consensus_version, list(b.consensus_key_arguments or []),
                b.consensus_set_by_id, setters.get(b.consensus_set_by_id) if b.consensus_set_by_id else None,
                b.consensus_set_at, b.consensus_needs_review, history.get(block_id, []),
            )
        items.append(BlockItem(
            b.id, b.position, b.kind, b.section, b.text, b.change, b.removed_in, b.merged_into_id, b.locked,
            b.lock_reason, sorted(cited.get(block_id, [])), revisions.get(block_id, []), verdict,
            trees.get(block_id, []),
        ))
    return items


ARGUMENT_COLUMNS = (
    Argument.id, Argument.block_id, Argument.parent_id, Argument.stance, Argument.body, Argument.author_id,
    Member.name, Argument.created_at, Argument.edited_at, Argument.score, Argument.up, Argument.down,
    Argument.helpfulness, Argument.helpful, Argument.hidden, Argument.hidden_reason, Argument.withdrawn_at,
)


def argument_trees(session: so.Session, ids: list[int], moderator: bool) -> dict[int, list[ArgumentItem]]:
    """The argument trees of these threads, oldest first at every level; hidden ones only for moderators."""
    rows = session.execute(
        sa.select(*ARGUMENT_COLUMNS).join(Member, Member.id == Argument.author_id)
        .where(Argument.block_id.in_(ids)).order_by(Argument.created_at, Argument.id)
    )
    items: dict[int, ArgumentItem] = {}
    thread_of: dict[int, int] = {}
    for (id_, block_id, parent_id, stance, body, author_id, name, created, edited, score, up, down, helpfulness,
         helpful, hidden, hidden_reason, withdrawn_at) in rows:
        concealed = not moderator and withdrawn_at is not None
        items[id_] = ArgumentItem(
            id_, parent_id, stance, "" if concealed else body, author_id, name, created, edited, score, up, down,
            helpfulness, helpful, hidden, hidden_reason if moderator else None, withdrawn_at is not None,
        )
        thread_of[id_] = block_id
    for source in session.execute(
        sa.select(Source.argument_id, Source.url, Source.title, Source.quote, Source.citation, Source.accepted_at)
        .where(Source.argument_id.in_(sa.select(Argument.id).where(Argument.block_id.in_(ids))))
        .order_by(Source.argument_id, Source.position, Source.id)
    ):
        item = items.get(source[0])
        if item is not None and (moderator or not item.withdrawn):
            item.sources.append(SourceItem(source[1], source[2], source[3], source[4], source[5] is not None))
    trees: dict[int, list[ArgumentItem]] = {}
    left_out: set[int] = set()
    for item in list(items.values()):  # oldest first: a parent always comes before its replies
        if (item.hidden and not moderator) or item.parent_id in left_out:
            left_out.add(item.id)  # a hidden argument, and every reply beneath it
            continue
        parent = items.get(item.parent_id) if item.parent_id is not None else None
        (parent.replies if parent is not None else trees.setdefault(thread_of[item.id], [])).append(item)
    return trees


def walk(arguments: list[ArgumentItem]) -> Iterator[tuple[ArgumentItem, ArgumentItem | None]]:
    """Every argument of a tree with its parent, parents first, without recursion."""
    stack: list[tuple[ArgumentItem, ArgumentItem | None]] = [(a, None) for a in reversed(arguments)]
    while stack:
        item, parent = stack.pop()
        yield item, parent
        stack.extend((reply, item) for reply in reversed(item.replies))


def export_version(session: so.Session, article_id: int) -> tuple[int, int, int] | None:
    """What every export of an article is keyed by: its version, its blocks' count and the sum of their versions.

    Every write an export shows moves one of them (`forum.caching.invalidation`): a vote its thread's version,
    a verdict both. None for no such article.
    """
    row = session.execute(
        sa.select(Article.version, sa.func.count(Block.id), sa.func.coalesce(sa.func.sum(Block.version), 0))
        .outerjoin(Block, Block.article_id == Article.id).where(Article.id == article_id).group_by(Article.id)
    ).first()
    return None if row is None else (int(row[0]), int(row[1]), int(row[2]))
