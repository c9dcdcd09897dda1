"""What members are told and what they follow: notifications, and watches of threads and articles."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models.base import Base, one_of, utcnow


class NotificationKind(enum.StrEnum):
    """What a notification tells."""

    REPLY = "reply"
    MENTION = "mention"
    VERDICT = "verdict"
    HIDDEN = "hidden"
    RESTORED = "restored"
    FLAG_RESOLVED = "flag_resolved"


class WatchLevel(enum.StrEnum):
    """How closely a member follows a thread or an article."""

    WATCHING = "watching"
    NORMAL = "normal"
    MUTED = "muted"


# An unread line per member and group: a burst of events of one kind at one place adds to it.
UNREAD_GROUP = "uq_forum_notifications_unread_group"


class Notification(Base):
    """One line of what a member is told; a burst of alike events while it is unread is one line, counted.

    `group_key` names what alike events share (a reply to one argument, verdicts of one thread); while a line
    is unread the next such event updates it (its `count`, `actor_id`, `text`, `updated_at`) instead of adding one.
    """

    __tablename__ = "forum_notifications"
    __table_args__ = (
        sa.CheckConstraint(one_of("kind", NotificationKind), name="kind"),
        sa.Index(
            UNREAD_GROUP,
            "member_id",
            "group_key",
            unique=True,
            sqlite_where=sa.text("read_at IS NULL"),
            postgresql_where=sa.text("read_at IS NULL"),
        ),
        sa.Index("ix_forum_notifications_member_id_updated_at", "member_id", "updated_at"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    # Who is told.
    member_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_members.id", ondelete="CASCADE"))
    kind: so.Mapped[str] = so.mapped_column(sa.String(16))
    block_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_blocks.id", ondelete="CASCADE"), index=True
    )
    argument_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_arguments.id", ondelete="CASCADE"), index=True
    )
    # Who did it (the latest of a burst); None once they are gone.
    actor_id: so.Mapped[int | None] = so.mapped_column(sa.ForeignKey("forum_members.id", ondelete="SET NULL"))
    # What the member reads beside the kind: a moderator's reason, a verdict, a flag's outcome.
    text: so.Mapped[str] = so.mapped_column(sa.Text, default="")
    group_key: so.Mapped[str] = so.mapped_column(sa.String(100))
    # How many events this line stands for.
    count: so.Mapped[int] = so.mapped_column(default=1)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # None while unread.
    read_at: so.Mapped[datetime | None] = so.mapped_column()


class Watch(Base):
    """A member's level for one thread or one whole article. No row is `normal`; a `normal` row is a member's
    own choice, kept so that posting in the thread again does not watch it."""

    __tablename__ = "forum_watches"
    __table_args__ = (
        sa.CheckConstraint(one_of("level", WatchLevel), name="level"),
        sa.CheckConstraint("(block_id IS NULL) <> (article_id IS NULL)", name="one_target"),
        sa.UniqueConstraint("member_id", "block_id"),
        sa.UniqueConstraint("member_id", "article_id"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    member_id: so.Mapped[int] = so.mapped_column(sa.ForeignKey("forum_members.id", ondelete="CASCADE"))
    block_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_blocks.id", ondelete="CASCADE"), index=True
    )
    article_id: so.Mapped[int | None] = so.mapped_column(
        sa.ForeignKey("forum_articles.id", ondelete="CASCADE"), index=True
    )
    level: so.Mapped[str] = so.mapped_column(sa.String(16))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    updated_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
