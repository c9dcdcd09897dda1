"""The digest: a mail of a member's unread notifications, daily or weekly, only of what came after their last
visit, and only to members with an address (a confirmed one on the standalone site; `FORUM_USER_EMAIL` of a
host's user). Written to the outbox by `forum send-mail` before it sends, never by a request."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import (
    Argument,
    Article,
    Block,
    DigestFrequency,
    MailKind,
    Member,
    Notification,
    NotificationKind,
    utcnow,
)
from forum.plurals import plural
from forum.services import outbox
from forum.services.outbox import MailSettings

PERIODS = {DigestFrequency.DAILY.value: timedelta(days=1), DigestFrequency.WEEKLY.value: timedelta(days=7)}
# Lines one digest lists; the rest are counted and wait on the site.
MOST_LINES = 30
# Members looked at per run: the next run takes the rest.
MEMBERS_PER_RUN = 500

WHAT = {
    NotificationKind.REPLY.value: "replied to your argument",
    NotificationKind.MENTION.value: "mentioned you",
    NotificationKind.VERDICT.value: "changed the verdict of a thread you watch",
    NotificationKind.HIDDEN.value: "hid your argument",
    NotificationKind.RESTORED.value: "restored your argument",
    NotificationKind.FLAG_RESOLVED.value: "resolved your flag",
}


@dataclass(frozen=True)
class DigestLine:
    """One notification as a digest lists it."""

    text: str
    url: str
    when: datetime


def newer_than_visit_and_digest() -> sa.ColumnElement[bool]:
    """A notification that is unread and came (or grew) after the member's last visit and last digest."""
    return sa.and_(
        Notification.member_id == Member.id,
        Notification.read_at.is_(None),
        sa.or_(Member.last_seen_at.is_(None), Notification.updated_at > Member.last_seen_at),
        sa.or_(Member.last_digest_at.is_(None), Notification.updated_at > Member.last_digest_at),
    )


def due_members(session: so.Session, now: datetime) -> list[Member]:
    """Members whose digest is due by their frequency and who have something new and unread to be told."""
    due = sa.or_(*(
        sa.and_(Member.digest == frequency,
                sa.or_(Member.last_digest_at.is_(None), Member.last_digest_at <= now - period))
        for frequency, period in PERIODS.items()
    ))
    return list(session.scalars(
        sa.select(Member)
        .where(due, Member.removed_at.is_(None), sa.exists().where(newer_than_visit_and_digest()))
        .order_by(Member.id)
        .limit(MEMBERS_PER_RUN)
    ))


def describe(notification: Notification, actor: str | None) -> str:
    """A notification in words, for the digest."""
    who = actor or "Someone"
    what = WHAT.get(notification.kind, "did something you follow")
    times = f" ({plural(notification.count, 'time')})" if notification.count > 1 else ""
    extra = f": {notification.text}" if notification.text else ""
    return f"{who} {what}{times}{extra}"


def lines_for(session: so.Session, settings: MailSettings, member: Member) -> tuple[list[DigestLine], int]:
    """The member's new unread notifications, newest first, as digest lines; and how many there are in all."""
    actor = so.aliased(Member)
    # Mail leaves the forum: nothing of an unpublished article goes in it, nor who wrote a reply or mention that
    # was hidden or withdrawn since.
    concealed = sa.and_(
        Notification.kind.in_([NotificationKind.REPLY.value, NotificationKind.MENTION.value]),
        sa.or_(Argument.hidden, Argument.withdrawn_at.is_not(None)),
    )
    query = (
        sa.select(Notification, sa.case((concealed, None), else_=actor.name))
        .outerjoin(actor, actor.id == Notification.actor_id)
        .outerjoin(Argument, Argument.id == Notification.argument_id)
        .outerjoin(Block, Block.id == Notification.block_id)
        .outerjoin(Article, Article.id == Block.article_id)
        .where(newer_than_visit_and_digest(), Member.id == member.id, Article.unpublished_at.is_(None))
        .order_by(Notification.updated_at.desc(), Notification.id.desc())
    )
    total = session.scalar(sa.select(sa.func.count()).select_from(query.subquery())) or 0
    lines = []
    for notification, actor_name in session.execute(query.limit(MOST_LINES)):
        if notification.argument_id is not None:
            url = settings.site.link("forum.argument_page", argument_id=notification.argument_id)
        elif notification.block_id is not None:
            url = settings.site.link("forum.thread", block_id=notification.block_id)
        else:
            url = settings.site.link("forum.index")
        lines.append(DigestLine(describe(notification, actor_name), url, notification.updated_at))
    return lines, total


def take_turn(session: so.Session, member: Member, now: datetime) -> bool:
    """Mark the member's digest as made now, unless another sender did since it was read: whether it is ours.

    The UPDATE reads the old time again, so of two senders at once only one writes the digest.
    """
    before = member.last_digest_at
    result = session.execute(
        sa.update(Member)
        .where(Member.id == member.id,
               Member.last_digest_at.is_(None) if before is None else Member.last_digest_at == before)
        .values(last_digest_at=now)
        .execution_options(synchronize_session=False)
    )
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def queue_digests(
    session: so.Session, settings: MailSettings, address_of: Callable[[Member], str | None],
    now: datetime | None = None,
) -> int:
    """Write the digests that are due to the outbox, each with its member's mark in one commit; how many."""
    now = now or utcnow()
    written = 0
    for member in due_members(session, now):
        address = address_of(member)
        if not address:
            continue
        lines, total = lines_for(session, settings, member)
        if not lines or not take_turn(session, member, now):
            session.rollback()
            continue
        outbox.queue(
            session, settings, MailKind.DIGEST, member, address,
            f"{plural(total, 'new notification')} on {settings.site_name}", "digest",
            lines=lines, total=total, more=total - len(lines), frequency=member.digest,
            settings_url=settings.site.link("forum_accounts.mail_settings") if settings.accounts else None,
        )
        session.commit()
        written += 1
    session.rollback()
    return written
