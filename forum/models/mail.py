"""The outbox: every mail the forum sends, written in the transaction that calls for it, sent by `forum send-mail`."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models.base import Base, one_of, utcnow


class MailKind(enum.StrEnum):
    """What a mail is for."""

    CONFIRM = "confirm"
    RESET = "reset"
    DIGEST = "digest"


class OutboxMail(Base):
    """One mail, as it will be sent; a sender claims it for a while, and marks it sent once the server took it."""

    __tablename__ = "forum_outbox"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", MailKind), name="kind"),
        # What a sender looks for: mails not yet sent nor given up, due by now.
        sa.Index("ix_forum_outbox_due", "sent_at", "failed_at", "next_attempt_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    member_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="SET NULL"), index=True
    )
    to_address: so.Mapped[str] = so.mapped_column(sa.String(254))
    subject: so.Mapped[str] = so.mapped_column(sa.String(300))
    text_body: so.Mapped[str] = so.mapped_column(sa.Text)
    html_body: so.Mapped[str] = so.mapped_column(sa.Text)
    # Headers beyond From, To, Subject, Date and Message-ID (the unsubscribe link).
    headers: so.Mapped[dict[str, Any]] = so.mapped_column(sa.JSON, default=dict)
    # Kept, so that every attempt sends the same message and the receiver can tell a repeat.
    message_id: so.Mapped[str] = so.mapped_column(sa.String(255), unique=True)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    attempts: so.Mapped[int] = so.mapped_column(default=0)
    next_attempt_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # A sender's claim, good for a lease: a sender that died lets go of its mails when the lease runs out.
    claimed_by: so.Mapped[str | None] = so.mapped_column(sa.String(100))
    claimed_at: so.Mapped[datetime | None] = so.mapped_column()
    sent_at: so.Mapped[datetime | None] = so.mapped_column()
    # Given up on: the server refused it for good, or it failed every attempt.
    failed_at: so.Mapped[datetime | None] = so.mapped_column()
    last_error: so.Mapped[str | None] = so.mapped_column(sa.String(500))
