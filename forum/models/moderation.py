"""What moderators keep: the history of each verdict, members' flags, and the audit log of staff actions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models.articles import ConsensusStatus
from forum.models.base import Base, one_of, utcnow
from forum.models.discussion import Argument
from forum.models.members import Member


class FlagReason(enum.StrEnum):
    """Why a member flags an argument."""

    SPAM = "spam"
    ABUSE = "abuse"
    OFF_TOPIC = "off_topic"
    OTHER = "other"


class ConsensusChange(Base):
    """One change of a thread's verdict, kept for everyone to see."""

    __tablename__ = "forum_consensus_changes"
    __table_args__ = (
        sa.UniqueConstraint("block_id", "version"),
        sa.CheckConstraint(one_of("from_status", ConsensusStatus), name="from_status"),
        sa.CheckConstraint(one_of("to_status", ConsensusStatus), name="to_status"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    block_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_blocks.id", ondelete="CASCADE")
    )
    version: so.Mapped[int]
    from_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    to_status: so.Mapped[str] = so.mapped_column(sa.String(16))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    note_html: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    key_arguments: so.Mapped[list[int]] = so.mapped_column(sa.JSON, default=list)
    member_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL")
    )
    # The name as it was, so that history reads the same if the member goes.
    member_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)


class Flag(Base):
    """A member's report of an argument to the moderators; one per member per argument."""

    __tablename__ = "forum_flags"
    __table_args__ = (
        sa.UniqueConstraint("argument_id", "member_id"),
        sa.CheckConstraint(one_of("reason", FlagReason), name="reason"),
        sa.CheckConstraint("resolution IS NULL OR resolution IN ('dismiss', 'hide')", name="resolution"),
        sa.Index("ix_forum_flags_open", "resolved_at", "created_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    argument_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_arguments.id", ondelete="CASCADE")
    )
    member_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="CASCADE"), index=True
    )
    reason: so.Mapped[str] = so.mapped_column(sa.String(16))
    note: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    resolved_at: so.Mapped[datetime | None] = so.mapped_column()
    resolved_by_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL")
    )
    resolution: so.Mapped[str | None] = so.mapped_column(sa.String(16))

    argument: so.Mapped[Argument] = so.relationship()
    member: so.Mapped[Member] = so.relationship(foreign_keys=[member_id])


class AuditEntry(Base):
    """One moderator or admin action. Entries are only ever added: no code path edits or deletes one."""

    __tablename__ = "forum_audit_log"
    __table_args__ = (sa.Index("ix_forum_audit_log_target", "target_type", "target_id"),)

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    actor_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL"), index=True
    )
    actor_name: so.Mapped[str] = so.mapped_column(sa.String(100))
    action: so.Mapped[str] = so.mapped_column(sa.String(40), index=True)
    target_type: so.Mapped[str] = so.mapped_column(sa.String(20))
    target_id: so.Mapped[int | None] = so.mapped_column()
    reason: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    details: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
