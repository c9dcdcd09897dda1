"""Imported articles: their blocks (each but a heading a thread, with its verdict) and citation slots."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models.base import Base, one_of, utcnow


class BlockKind(enum.StrEnum):
    """What an article's block is; every kind but a heading has a thread."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    CAPTION = "caption"
    QUOTE = "quote"
    LIST = "list"


class BlockChange(enum.StrEnum):
    """What became of a block in its article's latest revision (`added` for every block of a first one)."""

    UNCHANGED = "unchanged"
    EDITED = "edited"
    MOVED = "moved"
    SPLIT = "split"
    MERGED = "merged"
    ADDED = "added"
    REMOVED = "removed"


class ConsensusStatus(enum.StrEnum):
    """Where a thread's discussion has landed, as a moderator marked it."""

    OPEN = "open"
    SUPPORTED = "supported"
    CONTESTED = "contested"
    REFUTED = "refuted"
    NEEDS_SOURCES = "needs_sources"


class Article(Base):
    """An imported text: a title, an optional date and source, and its ordered blocks."""

    __tablename__ = "forum_articles"
    __table_args__ = (
        # One published article per text: a second import of the same text is refused, even in a race.
        sa.Index(
            "uq_forum_articles_published_digest",
            "digest",
            unique=True,
            sqlite_where=sa.text("unpublished_at IS NULL"),
            postgresql_where=sa.text("unpublished_at IS NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    title: so.Mapped[str] = so.mapped_column(sa.String(300))
    slug: so.Mapped[str] = so.mapped_column(sa.String(120))
    date: so.Mapped[date | None] = so.mapped_column(sa.Date)
    source_url: so.Mapped[str | None] = so.mapped_column(sa.String(2000))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    imported_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL")
    )
    # Grows with every write that changes what the article page shows; cached pages are keyed by it.
    version: so.Mapped[int] = so.mapped_column(default=0, server_default=sa.text("0"))
    # A digest of the text as imported (`forum.services.article_storage.text_digest`): how a duplicate is known.
    digest: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # Set when an admin unpublishes the article: readers get 410, moderators and exports keep it all.
    unpublished_at: so.Mapped[datetime | None] = so.mapped_column()
    # Which revision of its text the article shows: 1 as first imported, one more with each revised text.
    revision: so.Mapped[int] = so.mapped_column(default=1, server_default=sa.text("1"))

    blocks: so.Mapped[list[Block]] = so.relationship(
        back_populates="article", order_by="Block.position", cascade="all, delete-orphan"
    )
    slots: so.Mapped[list[CitationSlot]] = so.relationship(
        back_populates="article", order_by="CitationSlot.number", cascade="all, delete-orphan"
    )


block_citations = sa.Table(
    "forum_block_citations",
    Base.metadata,
    sa.Column(
        "block_id", sa.ForeignKey("forum_blocks.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column(
        "slot_id",
        sa.ForeignKey("forum_citation_slots.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Block(Base):
    """One element of an article; unless it is a heading, it is also the thread of its discussion."""

    __tablename__ = "forum_blocks"
    __table_args__ = (
        sa.UniqueConstraint("article_id", "position"),
        sa.CheckConstraint(one_of("kind", BlockKind), name="kind"),
        sa.CheckConstraint(one_of("consensus_status", ConsensusStatus), name="consensus_status"),
        sa.CheckConstraint(one_of("change", BlockChange), name="change"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_articles.id", ondelete="CASCADE")
    )
    position: so.Mapped[int]
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    # The text of the heading the block stands under, if any.
    section: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    text: so.Mapped[str] = so.mapped_column(sa.Text)
    locked: so.Mapped[bool] = so.mapped_column(default=False)
    consensus_status: so.Mapped[str] = so.mapped_column(
        sa.String(16), default=ConsensusStatus.OPEN.value
    )
    consensus_note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consensus_version: so.Mapped[int] = so.mapped_column(default=0)
    # The verdict's note rendered once, its key arguments, and who set it when.
    consensus_note_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    consensus_key_arguments: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    consensus_set_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL")
    )
    consensus_set_at: so.Mapped[datetime | None] = so.mapped_column()
    lock_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    # Grows with every write that changes what the thread page shows; cached pages are keyed by it.
    version: so.Mapped[int] = so.mapped_column(default=0, server_default=sa.text("0"))
    # Grows with `version` when a vote moves it, and only then: where both grew alike since a page was written,
    # nothing but its arguments' counts changed (`forum.caching.invalidation.counts_moved`).
    counts_version: so.Mapped[int] = so.mapped_column(default=0, server_default=sa.text("0"))
    # What became of it in the article's latest revision (`forum.services.revisions`).
    change: so.Mapped[str] = so.mapped_column(
        sa.String(16), default=BlockChange.ADDED.value, server_default=BlockChange.ADDED.value
    )
    # Set once a revision left the block out: it keeps its last text and its thread, readable at its URL,
    # and sits at position minus its id, out of the article's order. A merged-away block also names the
    # block its arguments moved into.
    removed_in: so.Mapped[int | None] = so.mapped_column()
    merged_into_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_blocks.id", ondelete="SET NULL")
    )
    # The verdict was set on a wording a revision changed (edited, split or merged): true until a moderator
    # sets it again.
    consensus_needs_review: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())
    # A removed block's possible successors the matcher was unsure of, for a moderator to attach its thread
    # to: [{"block_id", "confidence"}].
    successor_candidates: so.Mapped[list[dict[str, Any]]] = so.mapped_column(
        sa.JSON, default=list, server_default=sa.text("'[]'")
    )

    article: so.Mapped[Article] = so.relationship(back_populates="blocks")
    revisions: so.Mapped[list[BlockRevision]] = so.relationship(
        order_by="BlockRevision.revision", cascade="all, delete-orphan"
    )
    slots: so.Mapped[list[CitationSlot]] = so.relationship(
        secondary=block_citations, order_by="CitationSlot.number", back_populates="blocks"
    )

    @property
    def is_thread(self) -> bool:
        """Whether the block is discussed (every kind but a heading is)."""
        return self.kind != BlockKind.HEADING

    @property
    def is_removed(self) -> bool:
        """Whether a revision left the block out of its article (removed, or merged into another)."""
        return self.removed_in is not None


class BlockRevision(Base):
    """A block's text as of one revision of its article: a row for each revision that set a new text."""

    __tablename__ = "forum_block_revisions"
    __table_args__ = (sa.UniqueConstraint("block_id", "revision"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    block_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_blocks.id", ondelete="CASCADE"))
    revision: so.Mapped[int]
    text: so.Mapped[str] = so.mapped_column(sa.Text)


class CitationSlot(Base):
    """One footnote number of an article, shown on every block that cites it."""

    __tablename__ = "forum_citation_slots"
    __table_args__ = (sa.UniqueConstraint("article_id", "number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    article_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_articles.id", ondelete="CASCADE")
    )
    number: so.Mapped[int]
    # What the article's own reference list says of this number, if it has one.
    reference_text: so.Mapped[str | None] = so.mapped_column(sa.Text)
    url: so.Mapped[str | None] = so.mapped_column(sa.String(2000))

    article: so.Mapped[Article] = so.relationship(back_populates="slots")
    blocks: so.Mapped[list[Block]] = so.relationship(
        secondary=block_citations, back_populates="slots"
    )
