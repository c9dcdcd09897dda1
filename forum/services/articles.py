"""Articles: turning a parsed article into blocks, threads and citation slots, and reading them back."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Gone, Invalid, NotFound
from forum.models import (
    Argument,
    Article,
    Block,
    BlockKind,
    CitationSlot,
    ConsensusChange,
    Member,
    Source,
    Stance,
    block_citations,
)
from forum.services import audit
from forum.services.counting import counted_arguments

if TYPE_CHECKING:
    from forum.importing import ParsedArticle


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
    from forum.importing.checks import check_article, check_source_url

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
            .where(Block.article_id == article_id)
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
    """The block with that id if it has a thread (headings have none), or `NotFound`."""
    block = get_block(session, block_id)
    if not block.is_thread:
        raise NotFound("A heading has no thread.")
    return block


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


def _slots_query(one_block: bool) -> sa.Select:
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
        sa.select(Block, setter)
        .join(Block.article)
        .outerjoin(setter, setter.id == Block.consensus_set_by_id)
        .options(so.contains_eager(Block.article))
        .where(Block.article_id == article_id)
        .order_by(Block.position)
    ).all()
    # Every imported article has blocks; one without would still be found (or not) by its id.
    article = rows[0][0].article if rows else get_article(session, article_id)
    check_readable(article, moderator)
    blocks = [block for block, _ in rows]
    setters = {member.id: member.name for _, member in rows if member is not None}
    slots, cited = slot_views(session, article_id)
    cited = {block.id: cited.get(block.id, []) for block in blocks}
    summaries = thread_summaries(session, article_id, slots, cited)
    return ArticleView(article, blocks, slots, cited, summaries, setters)


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
            .where(Block.article_id.in_(ids), Block.kind != BlockKind.HEADING.value)
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


@dataclass(frozen=True)
class Neighbour:
    """A thread before or after another in its article: enough to link to it."""

    id: int
    kind: str


@dataclass
class ThreadView:
    """A thread with what its page shows around the arguments: its neighbours, its slots, its verdict's history."""

    block: Block
    previous: Neighbour | None
    next: Neighbour | None
    slots: list[SlotView]
    history: list[ConsensusChange]
    # Its place among the article's threads, from 1 (as the verdict map counts them).
    number: int = 0


def _beside(before: bool, column: str) -> sa.ScalarSelect:
    """The id or kind of the thread just before or after the block of the enclosing query."""
    neighbour = so.aliased(Block)
    position = neighbour.position < Block.position if before else neighbour.position > Block.position
    return (
        sa.select(getattr(neighbour, column))
        .where(
            neighbour.article_id == Block.article_id,
            neighbour.kind != BlockKind.HEADING.value,
            position,
        )
        .order_by(neighbour.position.desc() if before else neighbour.position)
        .limit(1)
        .correlate(Block)
        .scalar_subquery()
    )


def _number() -> sa.ScalarSelect:
    """The place of the block of the enclosing query among its article's threads, from 1."""
    other = so.aliased(Block)
    return (
        sa.select(sa.func.count())
        .where(
            other.article_id == Block.article_id,
            other.kind != BlockKind.HEADING.value,
            other.position <= Block.position,
        )
        .correlate(Block)
        .scalar_subquery()
    )


# Built once: a thread page only binds its block's id.
THREAD = (
    sa.select(
        Block,
        _beside(True, "id"), _beside(True, "kind"),
        _beside(False, "id"), _beside(False, "kind"),
        ConsensusChange,
        _number(),
    )
    .join(Block.article)
    .options(so.contains_eager(Block.article))
    # A verdict's history is short (a row per change), so it comes along rather than in a statement of its own.
    .outerjoin(ConsensusChange, ConsensusChange.block_id == Block.id)
    .where(Block.id == sa.bindparam("block_id"))
    .order_by(ConsensusChange.version)
)


def thread_view(session: so.Session, block_id: int, *, moderator: bool = False) -> ThreadView:
    """A thread with its article, the threads before and after it (headings skipped), its slots and its verdict's history.

    Two statements: the block with its article, its neighbours and its history, then the slots it cites.
    A thread of an unpublished article is refused (`Gone`) unless `moderator`.
    """
    rows = session.execute(THREAD, {"block_id": block_id}).all()
    if not rows:
        raise NotFound("There is no such paragraph.")
    block, previous_id, previous_kind, next_id, next_kind, _, number = rows[0]
    if not block.is_thread:
        raise NotFound("A heading has no thread.")
    check_readable(block.article, moderator)
    history = [row[5] for row in rows if row[5] is not None]
    slots, cited = slot_views(session, block.article_id, block.id)
    mine = sorted((slots[i] for i in cited.get(block.id, [])), key=lambda s: s.number)
    return ThreadView(
        block,
        Neighbour(previous_id, previous_kind) if previous_id is not None else None,
        Neighbour(next_id, next_kind) if next_id is not None else None,
        mine,
        history,
        number,
    )
