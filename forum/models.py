"""The forum's tables, all prefixed `forum_`, on metadata of the forum's own."""

from __future__ import annotations

import enum
import re
import secrets
from datetime import date, datetime, timezone
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.ext.hybrid import hybrid_property

# What no text column keeps alike on both databases: PostgreSQL refuses NUL, and neither encodes half a surrogate pair.
UNSTORABLE = re.compile(r"[\x00\ud800-\udfff]")

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
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

    @property
    def with_article(self) -> str:
        """The role as a sentence names it: "a moderator", "an admin"."""
        return f"{'an' if self.value[0] in 'aeiou' else 'a'} {self.value}"


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
    # A removed member may still read, but no longer posts, votes or flags.
    removed_at: so.Mapped[datetime | None] = so.mapped_column()

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
    # The account's member, loaded with it, so that a signed-in page needs no second lookup.
    member: so.Mapped[Member | None] = so.relationship(
        primaryjoin=lambda: so.foreign(Member.user_id) == Account.user_key,
        viewonly=True,
        uselist=False,
        lazy="joined",
    )

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


class BlockKind(enum.StrEnum):
    """What an article's block is; every kind but a heading has a thread."""

    HEADING = "heading"
    PARAGRAPH = "paragraph"
    CAPTION = "caption"
    QUOTE = "quote"
    LIST = "list"


class Stance(enum.StrEnum):
    """Where an argument stands towards its paragraph."""

    COUNTER = "counter"
    SUPPORT = "support"
    QUESTION = "question"


class ConsensusStatus(enum.StrEnum):
    """Where a thread's discussion has landed, as a moderator marked it."""

    OPEN = "open"
    SUPPORTED = "supported"
    CONTESTED = "contested"
    REFUTED = "refuted"
    NEEDS_SOURCES = "needs_sources"


def one_of(column: str, values: type[enum.StrEnum]) -> str:
    """A CHECK expression keeping `column` to the values of an enum."""
    return f"{column} IN ({', '.join(repr(value.value) for value in values)})"


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
    # A digest of the text as imported (`forum.services.articles.text_digest`): how a duplicate is known.
    digest: so.Mapped[str | None] = so.mapped_column(sa.String(64))
    # Set when an admin unpublishes the article: readers get 410, moderators and exports keep it all.
    unpublished_at: so.Mapped[datetime | None] = so.mapped_column()

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

    article: so.Mapped[Article] = so.relationship(back_populates="blocks")
    slots: so.Mapped[list[CitationSlot]] = so.relationship(
        secondary=block_citations, order_by="CitationSlot.number", back_populates="blocks"
    )

    @property
    def is_thread(self) -> bool:
        """Whether the block is discussed (every kind but a heading is)."""
        return self.kind != BlockKind.HEADING


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

    block: so.Mapped[Block] = so.relationship()
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
