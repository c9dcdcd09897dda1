"""Who takes part: members and their roles, the standalone site's accounts, and API tokens."""

from __future__ import annotations

import enum
import secrets
from datetime import datetime

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.hybrid import hybrid_property

from forum.models.base import Base, one_of, utcnow
from forum.models.notifications import Notification


class DigestFrequency(enum.StrEnum):
    """How often a member with an address is mailed their unread notifications."""

    NEVER = "never"
    DAILY = "daily"
    WEEKLY = "weekly"


class Role(enum.StrEnum):
    """What a member may do; each role may do everything the one before it may."""

    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """The role's place in the order member < moderator < admin."""
        return list(Role).index(self)

    @property
    def with_article(self) -> str:
        """The role as a sentence names it: "a moderator", "an admin"."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"


class Member(Base):
    """A person known to the forum: a host's user (by id, never a foreign key) or a site account."""

    __tablename__ = "forum_members"
    __table_args__ = (
        sa.CheckConstraint("role IN ('member', 'moderator', 'admin')", name="role"),
        sa.CheckConstraint(one_of("digest", DigestFrequency), name="digest"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default=Role.MEMBER.value)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # A removed member may still read, but no longer posts, votes or flags.
    removed_at: so.Mapped[datetime | None] = so.mapped_column()
    # The bell's count: the member's unread notification lines. Loaded only where asked for (`undefer`), in the
    # statement that loads the signed-in member, so that no page spends a query of its own on it.
    unread_notifications: so.Mapped[int] = so.column_property(
        sa.select(sa.func.count())
        .select_from(Notification)
        .where(Notification.member_id == id, Notification.read_at.is_(None))
        .correlate_except(Notification)
        .scalar_subquery(),
        deferred=True,
    )
    # Mail: how often the digest of unread notifications goes out, when it last did, and the member's last
    # visit (kept to within a few minutes), since a digest tells only of what came after it.
    digest: so.Mapped[str] = so.mapped_column(
        sa.String(8), default=DigestFrequency.WEEKLY.value, server_default=DigestFrequency.WEEKLY.value
    )
    last_digest_at: so.Mapped[datetime | None] = so.mapped_column()
    last_seen_at: so.Mapped[datetime | None] = so.mapped_column()

    @hybrid_property
    def acting_role(self) -> Role | None:
        """The role the member acts with: their role, or None once removed (they may read, not take part).

        The one rule of what a member may do: every check in Python asks it, and the cached pages' lookup
        of who asks (`forum.caching.viewer_key`) selects its SQL twin below, so the two cannot disagree.
        """
        return None if self.removed_at is not None else Role(self.role)

    @acting_role.inplace.expression
    @classmethod
    def _acting_role_expression(cls) -> sa.ColumnElement[str | None]:
        """The same rule in SQL: the role's name, or NULL once removed."""
        return sa.case((cls.removed_at.is_(None), cls.role), else_=sa.null())


class Account(Base):
    """A sign-in of the standalone site: a name and a password hash, tied to one member."""

    __tablename__ = "forum_accounts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(30))
    # The name in NFKC, case-folded: the name it signs in with, so "Ada", "ada" and "ＡＤＡ" are one.
    username_key: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    # What the name looks like (Unicode TR39's skeleton): unique, so that "mоd1" (Cyrillic о) cannot
    # register beside "mod1". Empty only for a look-alike that was registered before the check existed.
    username_skeleton: so.Mapped[str | None] = so.mapped_column(sa.String(120), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    # Part of the id kept in session and remember-me cookies; a new one signs out every device.
    session_token: so.Mapped[str] = so.mapped_column(
        sa.String(32), default=lambda: secrets.token_hex(16)
    )
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    # An optional address, mailed only once confirmed by a link sent to it.
    email: so.Mapped[str | None] = so.mapped_column(sa.String(254))
    email_confirmed_at: so.Mapped[datetime | None] = so.mapped_column()

    # Flask-Login's user protocol.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    @hybrid_property
    def user_key(self) -> str:
        """The account's lasting id, kept as `Member.user_id` (its member is found by it, in Python and in SQL)."""
        return str(self.id)

    @user_key.inplace.expression
    @classmethod
    def _user_key_expression(cls) -> sa.ColumnElement[str]:
        """The same id in SQL."""
        return sa.cast(cls.id, sa.String)

    # The account's member, loaded with it, so that a signed-in page needs no second lookup.
    member: so.Mapped[Member | None] = so.relationship(
        primaryjoin=lambda: so.foreign(Member.user_id) == Account.user_key,
        viewonly=True,
        uselist=False,
        lazy="joined",
    )

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session: the account's id and its current session token."""
        return f"{self.id}:{self.session_token}"

    def end_sessions(self) -> None:
        """Invalidate every session and remember-me cookie of the account (its API tokens are rows of their own)."""
        self.session_token = secrets.token_hex(16)


class ApiToken(Base):
    """A bearer token of one member; only a digest of the secret is stored."""

    __tablename__ = "forum_api_tokens"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    member_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_members.id", ondelete="CASCADE"), index=True
    )
    digest: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    label: so.Mapped[str] = so.mapped_column(sa.String(100), default="")
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    revoked_at: so.Mapped[datetime | None] = so.mapped_column()

    member: so.Mapped[Member] = so.relationship(lazy="joined")
