"""Notifications: told in the transaction of the action that causes them, grouped while unread, read and marked read.

Nobody is told of their own action; a removed member is told nothing new; a muted thread (or a thread of a muted
article, unless the thread itself is watched) tells nothing. Alike events at one place (replies in one thread,
verdicts of one thread) add to the member's unread line there, counted, instead of adding lines: twenty replies
are one line, as Discourse groups them. What a line shows of an argument follows the hiding rule when it is read.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.dialects import postgresql, sqlite

from forum.errors import Invalid
from forum.models import (
    Argument,
    Article,
    Block,
    ConsensusChange,
    Flag,
    Member,
    Notification,
    NotificationKind,
    Role,
    WatchLevel,
    utcnow,
)
from forum.services import watching
from forum.services.members import holds, require

# How much of an argument a line quotes.
EXCERPT = 140
# How many lines a page or an API call lists at most, and how many ids one call may mark read.
PAGE_SIZE = 50
MOST_IDS = 500
EPOCH, MICROSECOND = datetime(1970, 1, 1, tzinfo=UTC), timedelta(microseconds=1)


class Someone(Protocol):
    """Who acted, as a notification names them."""

    @property
    def id(self) -> int: ...


class ArgumentState(Protocol):
    """What a post's notifications read of the new argument."""

    @property
    def id(self) -> int: ...
    @property
    def parent_id(self) -> int | None: ...


def unread_count(session: so.Session, member_id: int) -> int:
    """How many unread lines the member has (the bell's count)."""
    return session.scalar(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.member_id == member_id, Notification.read_at.is_(None))
    ) or 0


def _recipients(
    session: so.Session, candidates: Iterable[int | None], actor: Someone | None, block: watching.Thread
) -> list[int]:
    """Of `candidates`: those who are not the actor, not removed, and have not muted the thread."""
    wanted = {c for c in candidates if c is not None and (actor is None or c != actor.id)}
    if not wanted:
        return []
    present = set(session.scalars(
        sa.select(Member.id).where(Member.id.in_(sorted(wanted)), Member.removed_at.is_(None))
    ))
    levels = watching.levels_of(session, present, block)
    return sorted(m for m in present if m not in levels or levels[m].effective is not WatchLevel.MUTED)


def tell(
    session: so.Session,
    candidates: Iterable[int | None],
    kind: NotificationKind,
    block: watching.Thread,
    *,
    actor: Someone | None,
    group_key: str,
    argument_id: int | None = None,
    text: str = "",
) -> list[int]:
    """Tell each of `candidates` that may be told (`_recipients`): a new unread line, or one more event on the
    unread line of `group_key` they have; returns who was told. The caller commits, with its action."""
    recipients = _recipients(session, candidates, actor, block)
    if not recipients:
        return []
    now = utcnow()
    rows = [
        {"member_id": member_id, "kind": kind.value, "block_id": block.id, "argument_id": argument_id,
         "actor_id": actor.id if actor is not None else None, "text": text, "group_key": group_key,
         "count": 1, "created_at": now, "updated_at": now, "read_at": None}
        for member_id in recipients
    ]
    # One statement for every recipient, atomic on both databases: the partial unique index of unread
    # lines (`UNREAD_GROUP`) turns a second event into an update of the first line, even when two
    # transactions tell one member at once.
    dialect = sqlite if session.get_bind().dialect.name == "sqlite" else postgresql
    statement = dialect.insert(Notification).values(rows)
    statement = statement.on_conflict_do_update(
        index_elements=[Notification.member_id, Notification.group_key],
        index_where=Notification.read_at.is_(None),
        set_={
            "count": Notification.count + 1,
            "actor_id": statement.excluded.actor_id,
            "argument_id": statement.excluded.argument_id,
            "text": statement.excluded.text,
            "updated_at": statement.excluded.updated_at,
        },
    )
    session.execute(statement)
    return recipients


def argument_posted(
    session: so.Session, argument: ArgumentState, thread: watching.Thread, author: Someone, mentioned: Collection[int]
) -> None:
    """A new argument in `thread`, as written: its parent's author hears of the reply, the members it mentions of
    the mention."""
    replied: list[int] = []
    if argument.parent_id is not None:
        parent_author = session.scalar(sa.select(Argument.author_id).where(Argument.id == argument.parent_id))
        replied = tell(session, [parent_author], NotificationKind.REPLY, thread, actor=author,
                       group_key=f"reply:{thread.id}", argument_id=argument.id)
    # A reply that also mentions its parent's author is one notification, the reply.
    tell(session, set(mentioned) - set(replied), NotificationKind.MENTION, thread, actor=author,
         group_key=f"mention:{thread.id}", argument_id=argument.id)


def mentions_added(
    session: so.Session, argument: Argument, editor: Member, before: Collection[int], after: Collection[int]
) -> None:
    """An edited argument: the members it mentions now and did not before hear of it, from its editor."""
    tell(session, set(after) - set(before), NotificationKind.MENTION, argument.block, actor=editor,
         group_key=f"mention:{argument.block_id}", argument_id=argument.id)


def verdict_changed(session: so.Session, block: Block, change: ConsensusChange, moderator: Member) -> None:
    """A thread's verdict changed: its watchers hear the new status."""
    text = f"The verdict is now {change.to_status.replace('_', ' ')} (it was {change.from_status.replace('_', ' ')})."
    tell(session, watching.watchers(session, block), NotificationKind.VERDICT, block, actor=moderator,
         group_key=f"verdict:{block.id}", text=text)


def argument_hidden(session: so.Session, argument: Argument, moderator: Member, reason: str) -> None:
    """A moderator hid an argument: its author hears why."""
    tell(session, [argument.author_id], NotificationKind.HIDDEN, argument.block, actor=moderator,
         group_key=f"hidden:{argument.id}", argument_id=argument.id, text=reason)


def argument_restored(session: so.Session, argument: Argument, moderator: Member, reason: str) -> None:
    """A moderator restored an argument: its author hears why."""
    tell(session, [argument.author_id], NotificationKind.RESTORED, argument.block, actor=moderator,
         group_key=f"restored:{argument.id}", argument_id=argument.id, text=reason)


def flags_resolved(session: so.Session, flags: Sequence[Flag], moderator: Member, resolution: str, reason: str) -> None:
    """Flags were resolved: each member who flagged hears the outcome (a dismissal's note stays with the staff)."""
    for each in flags:
        argument = each.argument
        if resolution == "hide":
            text = "The argument you flagged was hidden" + (f": {reason}" if reason else ".")
        else:
            text = "Your flag was reviewed and dismissed: the argument stays."
        tell(session, [each.member_id], NotificationKind.FLAG_RESOLVED, argument.block, actor=moderator,
             group_key=f"flag:{each.id}", argument_id=argument.id, text=text)


@dataclass(frozen=True)
class Line:
    """One notification as its member reads it: what the hiding rule lets them see of its argument."""

    id: int
    kind: str
    created_at: datetime
    read: bool
    count: int
    block_id: int | None
    argument_id: int | None
    actor_id: int | None
    actor_name: str | None
    text: str


def excerpt(body: str) -> str:
    """The start of an argument's Markdown, on one line."""
    flat = " ".join(body.split())
    return flat if len(flat) <= EXCERPT else flat[: EXCERPT - 1].rstrip() + "…"


def cursor_of(line: Line) -> str:
    """Where the page after `line` starts: its latest event's time (in microseconds) and its id."""
    return f"{(line.created_at - EPOCH) // MICROSECOND}-{line.id}"


def parse_cursor(text: str | None) -> tuple[datetime, int] | None:
    """The position a `cursor_of` names, or `Invalid`."""
    if text is None:
        return None
    micros, _, line_id = text.partition("-")
    if not (micros.isascii() and micros.isdigit() and line_id.isascii() and line_id.isdigit()) or len(text) > 40:
        raise Invalid("This is no page of your notifications: pass the `next` of the page before.", field="after")
    try:
        at = EPOCH + int(micros) * MICROSECOND
    except (OverflowError, ValueError, OSError):
        raise Invalid("This is no page of your notifications.", field="after") from None
    return at, int(line_id)


def lines(
    session: so.Session, member: Member, *, unread_only: bool = False, after: tuple[datetime, int] | None = None,
    limit: int = PAGE_SIZE,
) -> list[Line]:
    """The member's notifications, latest event first (`after`: the `parse_cursor` position to page on from)."""
    actor = so.aliased(Member)
    query = (
        sa.select(Notification, Argument.body, Argument.hidden, Argument.withdrawn_at, actor.name,
                  Article.unpublished_at)
        .outerjoin(Argument, Argument.id == Notification.argument_id)
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(Block, Block.id == Notification.block_id)
        .outerjoin(Article, Article.id == Block.article_id)
        .where(Notification.member_id == member.id)
        .order_by(Notification.updated_at.desc(), Notification.id.desc())
        .limit(limit)
    )
    if unread_only:
        query = query.where(Notification.read_at.is_(None))
    if after is not None:
        at, line_id = after
        query = query.where(sa.or_(
            Notification.updated_at < at, sa.and_(Notification.updated_at == at, Notification.id < line_id)
        ))
    moderator = holds(member, Role.MODERATOR) if member.acting_role is not None else False
    found = []
    for line, body, hidden, withdrawn_at, actor_name, unpublished_at in session.execute(query):
        about_argument = line.kind in (NotificationKind.REPLY, NotificationKind.MENTION)
        # `policy.concealed`'s rule, on the columns this read holds.
        concealed = body is not None and (bool(hidden) or withdrawn_at is not None)
        # A reply or mention since hidden or withdrawn shows neither its words nor who wrote them, and nothing
        # of an unpublished article shows at all: a line must not leak what the pages no longer show.
        gone = unpublished_at is not None and not moderator
        conceal = gone or (about_argument and concealed and not moderator)
        text = line.text
        if gone:
            text = "This article was unpublished."
        elif about_argument:
            text = "This argument was hidden or withdrawn." if conceal else excerpt(body or "")
        found.append(Line(
            id=line.id, kind=line.kind, created_at=line.updated_at, read=line.read_at is not None, count=line.count,
            block_id=line.block_id, argument_id=None if conceal else line.argument_id,
            actor_id=None if conceal else line.actor_id, actor_name=None if conceal else actor_name, text=text,
        ))
    return found


def mark_read(
    session: so.Session, member: Member, ids: Sequence[object] | None = None, everything: bool = False
) -> int:
    """Mark some of the member's lines read (`ids`), or all of them; returns how many were unread. A removed
    member only reads. Ids of others' lines are passed over: they are not the member's to mark."""
    require(member, Role.MEMBER)
    if not everything:
        chosen = check_ids(ids)
    query = sa.update(Notification).where(Notification.member_id == member.id, Notification.read_at.is_(None))
    if not everything:
        query = query.where(Notification.id.in_(chosen))
    result = session.execute(query.values(read_at=utcnow()), execution_options={"synchronize_session": False})
    return int(getattr(result, "rowcount", 0) or 0)


def check_ids(ids: Sequence[object] | None) -> list[int]:
    """The ids of a mark-read request, or `Invalid`."""
    if ids is None or not isinstance(ids, list | tuple) or not ids:
        raise Invalid('Send {"ids": [...]} with at least one id, or {"all": true}.', field="ids")
    if len(ids) > MOST_IDS:
        raise Invalid(f"Mark at most {MOST_IDS} notifications at once, or all of them.", field="ids")
    chosen = []
    for position, value in enumerate(ids):
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 2**31 - 1:
            raise Invalid("Each id is a notification's id, a positive whole number.", field=f"ids.{position}")
        chosen.append(value)
    return chosen
