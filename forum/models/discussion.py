"""A thread's discussion: arguments, their sources and earlier texts, and members' votes on them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models.articles import Block
from forum.models.base import Base, one_of, utcnow
from forum.models.members import Member


class Stance(enum.StrEnum):
    """Where an argument stands towards its paragraph."""

    COUNTER = "counter"
    SUPPORT = "support"
    QUESTION = "question"


class Argument(Base):
    """A post in a thread: a counterargument, a support or a question, perhaps answering another."""

    __tablename__ = "forum_arguments"
    __table_args__ = (
        sa.CheckConstraint(one_of("stance", Stance), name="stance"),
        sa.Index("ix_forum_arguments_block_id_created_at", "block_id", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    block_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_blocks.id", ondelete="CASCADE")
    )
    parent_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_arguments.id", ondelete="CASCADE"), index=True
    )
    author_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="CASCADE"), index=True
    )
    stance: so.Mapped[str] = so.mapped_column(sa.String(16))
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    # The body rendered to safe HTML once, at write time.
    html: so.Mapped[str] = so.mapped_column(sa.Text)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    edited_at: so.Mapped[datetime | None] = so.mapped_column()
    withdrawn_at: so.Mapped[datetime | None] = so.mapped_column()
    up: so.Mapped[int] = so.mapped_column(default=0)
    down: so.Mapped[int] = so.mapped_column(default=0)
    score: so.Mapped[int] = so.mapped_column(default=0)
    hidden: so.Mapped[bool] = so.mapped_column(default=False)
    hidden_reason: so.Mapped[str | None] = so.mapped_column(sa.String(500))
    hidden_at: so.Mapped[datetime | None] = so.mapped_column()
    # What the scorer (`forum.scoring`) last made of the votes on it, across the camps of voters: None until
    # enough members have voted (`forum.services.scoring_runs`).
    helpfulness: so.Mapped[float | None] = so.mapped_column(sa.Float)
    helpful: so.Mapped[bool | None] = so.mapped_column()
    # The article's revision whose wording of the paragraph it answered, and the paragraph it was written on
    # when a merge moved it here from another (None: this one), so that its page can show what changed since.
    revision: so.Mapped[int] = so.mapped_column(default=1, server_default=sa.text("1"))
    origin_block_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_blocks.id", ondelete="SET NULL")
    )

    block: so.Mapped[Block] = so.relationship(foreign_keys=[block_id])
    author: so.Mapped[Member] = so.relationship(lazy="joined")
    sources: so.Mapped[list[Source]] = so.relationship(
        back_populates="argument", order_by="Source.position", cascade="all, delete-orphan"
    )
    versions: so.Mapped[list[ArgumentVersion]] = so.relationship(
        back_populates="argument",
        order_by="ArgumentVersion.number",
        cascade="all, delete-orphan",
    )

    @property
    def moderator_edited(self) -> bool:
        """Whether a moderator (or an admin) ever edited it, the author being someone else."""
        return self.edited_at is not None and any(v.moderator_edit for v in self.versions)


class Source(Base):
    """A reference backing an argument; naming a footnote number proposes it for that slot.

    A proposal fills its slot only once a moderator accepts it (`accepted_at`); a slot has at most one.
    """

    __tablename__ = "forum_sources"
    __table_args__ = (
        sa.Index(
            "uq_forum_sources_accepted_slot_id",
            "slot_id",
            unique=True,
            sqlite_where=sa.text("accepted_at IS NOT NULL"),
            postgresql_where=sa.text("accepted_at IS NOT NULL"),
        ),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    argument_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_arguments.id", ondelete="CASCADE"), index=True
    )
    position: so.Mapped[int] = so.mapped_column(default=0)
    url: so.Mapped[str] = so.mapped_column(sa.String(2000))
    title: so.Mapped[str | None] = so.mapped_column(sa.String(300))
    quote: so.Mapped[str | None] = so.mapped_column(sa.Text)
    citation: so.Mapped[int | None] = so.mapped_column()
    slot_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_citation_slots.id", ondelete="SET NULL"), index=True
    )
    accepted_at: so.Mapped[datetime | None] = so.mapped_column()
    accepted_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL")
    )

    argument: so.Mapped[Argument] = so.relationship(back_populates="sources")


class ArgumentVersion(Base):
    """An earlier text of an edited argument, kept for everyone to see."""

    __tablename__ = "forum_argument_versions"
    __table_args__ = (sa.UniqueConstraint("argument_id", "number"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    argument_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_arguments.id", ondelete="CASCADE")
    )
    number: so.Mapped[int]
    body: so.Mapped[str] = so.mapped_column(sa.Text)
    html: so.Mapped[str] = so.mapped_column(sa.Text)
    # The sources as they were, as a list of {"url", "title", "quote", "citation"}.
    sources: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    # When this text was written: the argument's creation or its previous edit.
    written_at: so.Mapped[datetime]
    # The edit that replaced this text: who made it (their name as it was) and, for anyone but the
    # author, why. Versions kept before editors were recorded have no name.
    edited_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL")
    )
    edited_by_name: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    edit_reason: so.Mapped[str | None] = so.mapped_column(sa.Text)
    # Whether that edit was a moderator's (or an admin's) on someone else's words; kept as a fact, so that
    # it stays true when the editor leaves or loses their role.
    moderator_edit: so.Mapped[bool] = so.mapped_column(default=False, server_default=sa.false())

    argument: so.Mapped[Argument] = so.relationship(back_populates="versions")


class Vote(Base):
    """A member's +1 or -1 on another member's argument: one per member per argument."""

    __tablename__ = "forum_votes"
    __table_args__ = (
        sa.UniqueConstraint("argument_id", "member_id"),
        sa.CheckConstraint("value IN (-1, 1)", name="value"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    argument_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_arguments.id", ondelete="CASCADE")
    )
    member_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="CASCADE"), index=True
    )
    value: so.Mapped[int] = so.mapped_column(sa.SmallInteger)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
