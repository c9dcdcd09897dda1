"""The forum's tables, all prefixed `forum_`, on metadata of the forum's own."""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    """The current time, timezone-aware in UTC."""
    return datetime.now(timezone.utc)


class UTCDateTime(sa.TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back timezone-aware (SQLite forgets the zone)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Store aware times in UTC; refuse naive ones, which would be ambiguous."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Read times back as aware UTC datetimes on every database."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value


class Base(so.DeclarativeBase):
    """Declarative base of the forum's models."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime}


class Role(enum.StrEnum):
    """What a member may do; each role may do everything the one before it may."""

    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"

    @property
    def rank(self) -> int:
        """The role's place in the order member < moderator < admin."""
        return list(Role).index(self)


class Member(Base):
    """A person known to the forum: a host's user (by id, never a foreign key) or a site account."""

    __tablename__ = "forum_members"
    __table_args__ = (
        sa.CheckConstraint("role IN ('member', 'moderator', 'admin')", name="role"),
    )

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    user_id: so.Mapped[str] = so.mapped_column(sa.String(64), unique=True)
    name: so.Mapped[str] = so.mapped_column(sa.String(100))
    role: so.Mapped[str] = so.mapped_column(sa.String(16), default=Role.MEMBER.value)
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    @property
    def role_enum(self) -> Role:
        """The member's role as a `Role`."""
        return Role(self.role)


class Account(Base):
    """A sign-in of the standalone site: a name and a password hash, tied to one member."""

    __tablename__ = "forum_accounts"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    username: so.Mapped[str] = so.mapped_column(sa.String(30))
    # The case-folded name, unique, so that "Ada" and "ada" cannot both register.
    username_key: so.Mapped[str] = so.mapped_column(sa.String(30), unique=True)
    password_hash: so.Mapped[str] = so.mapped_column(sa.String(255))
    created_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)

    # Flask-Login's user protocol.
    is_authenticated = True
    is_active = True
    is_anonymous = False

    def get_id(self) -> str:
        """The id Flask-Login keeps in the session (and the forum keeps as `Member.user_id`)."""
        return str(self.id)


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
