"""The outbox: mails written in the transaction that calls for them, then claimed and sent by `forum send-mail`.

A request never talks to the mail server: it adds a row here, committed with the change that called for it.
Senders (one or many, on one host or several) claim due rows for a lease: on PostgreSQL by `FOR UPDATE SKIP
LOCKED`, so that two senders never wait on nor take each other's rows; on SQLite by a conditional UPDATE per
row, which one writer at a time makes. A row is marked sent as soon as the server accepted it, in a commit of
its own, so that a sender that dies mid-batch resends nothing it had sent. A failure puts the row back with a
later attempt time (doubling up to a cap); a mail the server refuses for good, or that failed every attempt,
is marked failed and kept.
"""

from __future__ import annotations

import os
import secrets
import socket
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import render_template

from forum.models import MailKind, Member, OutboxMail, utcnow
from forum.services.mail_links import Site, unsubscribe_token

# How long an error kept on a row may be.
ERROR_LENGTH = 500


@dataclass(frozen=True)
class MailSettings:
    """What writing and sending mail needs to know (`forum.settings.mail_settings` reads it from the app)."""

    site: Site
    secret: str
    site_name: str
    sender: str
    reset_seconds: int = 3600
    claim_seconds: int = 300
    retry_seconds: float = 60
    retry_max_seconds: float = 3600
    max_attempts: int = 30
    batch: int = 50
    # Whether the site has the forum's own accounts, whose mail settings page a digest links to.
    accounts: bool = False


def sender_id() -> str:
    """A name for this sender, unique among senders on every host: host, process and a random part."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(4)}"


def render(name: str, **context: Any) -> tuple[str, str]:
    """The plain-text and HTML parts of the mail `name`, from `forum/mail/NAME.txt` and `.html` (a host may
    override either in its own templates)."""
    return render_template(f"forum/mail/{name}.txt", **context), render_template(f"forum/mail/{name}.html", **context)


def queue(
    session: so.Session,
    settings: MailSettings,
    kind: MailKind,
    member: Member,
    to_address: str,
    subject: str,
    template: str,
    **context: Any,
) -> OutboxMail:
    """Write one mail to the outbox, in the caller's transaction; it carries a one-click unsubscribe link."""
    token = unsubscribe_token(settings.secret, member.id, to_address)
    unsubscribe = settings.site.link("forum.unsubscribe", token=token)
    text, html = render(
        template, site_name=settings.site_name, site_url=settings.site.link("forum.index"), member=member,
        unsubscribe_url=unsubscribe, **context,
    )
    mail = OutboxMail(
        kind=kind.value,
        member_id=member.id,
        to_address=to_address,
        subject=subject[:300],
        text_body=text,
        html_body=html,
        # RFC 8058: a mail client may unsubscribe with one POST to the link, with no page in between.
        headers={"List-Unsubscribe": f"<{unsubscribe}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
        message_id=make_msgid(domain=settings.site.host),
        next_attempt_at=utcnow(),
    )
    session.add(mail)
    session.flush()
    return mail


def sent_recently(session: so.Session, member_id: int, kind: MailKind, since: datetime) -> int:
    """How many mails of `kind` the member was written since `since` (to limit mail a stranger can trigger)."""
    return session.scalar(
        sa.select(sa.func.count(OutboxMail.id)).where(
            OutboxMail.member_id == member_id, OutboxMail.kind == kind.value, OutboxMail.created_at >= since
        )
    ) or 0


# ---------------------------------------------------------------- sending


def claimable(now: datetime, lease: timedelta) -> sa.ColumnElement[bool]:
    """The rows a sender may claim: not sent, not given up, due, and unclaimed or with a lapsed claim."""
    return sa.and_(
        OutboxMail.sent_at.is_(None),
        OutboxMail.failed_at.is_(None),
        OutboxMail.next_attempt_at <= now,
        sa.or_(OutboxMail.claimed_at.is_(None), OutboxMail.claimed_at < now - lease),
    )


def claim(session: so.Session, settings: MailSettings, sender: str, now: datetime | None = None) -> list[int]:
    """Claim up to a batch of due mails for `sender` and commit; the ids claimed, oldest first."""
    now = now or utcnow()
    lease = timedelta(seconds=settings.claim_seconds)
    due = sa.select(OutboxMail.id).where(claimable(now, lease)).order_by(OutboxMail.id).limit(settings.batch)
    if session.get_bind().dialect.name == "postgresql":
        # Rows another sender holds locked are skipped, not waited for; the UPDATE below runs under the lock.
        ids = list(session.scalars(due.with_for_update(skip_locked=True)))
        if ids:
            session.execute(
                sa.update(OutboxMail).where(OutboxMail.id.in_(ids)).values(claimed_by=sender, claimed_at=now)
            )
    else:
        ids = []
        for mail_id in session.scalars(due).all():
            # The condition is read again by the UPDATE itself: another sender's claim since makes it a no-op.
            result = session.execute(
                sa.update(OutboxMail)
                .where(OutboxMail.id == mail_id, claimable(now, lease))
                .values(claimed_by=sender, claimed_at=now)
                .execution_options(synchronize_session=False)
            )
            if result.rowcount == 1:  # type: ignore[attr-defined]
                ids.append(mail_id)
    session.commit()
    return ids


def still_mine(session: so.Session, mail_id: int, sender: str, now: datetime | None = None) -> OutboxMail | None:
    """The mail, its claim renewed, if `sender` still holds it and it is unsent; else None (and commit)."""
    result = session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.claimed_by == sender, OutboxMail.sent_at.is_(None),
               OutboxMail.failed_at.is_(None))
        .values(claimed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    mail = session.get(OutboxMail, mail_id, populate_existing=True) if result.rowcount == 1 else None  # type: ignore[attr-defined]
    # Committed before the mail goes out: no transaction (nor SQLite's write lock) is held while the server talks.
    session.commit()
    return mail


def mark_sent(session: so.Session, mail_id: int, sender: str) -> None:
    """Record that the server accepted the mail, at once, in a commit of its own."""
    session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id == mail_id, OutboxMail.claimed_by == sender)
        .values(sent_at=utcnow(), attempts=OutboxMail.attempts + 1, claimed_by=None, claimed_at=None,
                last_error=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def retry_delay(settings: MailSettings, attempts: int) -> timedelta:
    """How long after its `attempts`-th failure a mail is tried again: doubling from the first delay, capped."""
    seconds = min(settings.retry_seconds * 2 ** max(attempts - 1, 0), settings.retry_max_seconds)
    return timedelta(seconds=seconds)


def mark_failed(
    session: so.Session, settings: MailSettings, mail_ids: Iterable[int], sender: str, error: str, *,
    permanent: bool = False,
) -> None:
    """Put the mails back for a later attempt (or give up on them: refused for good, or out of attempts)."""
    now = utcnow()
    for mail_id in mail_ids:
        mail = session.get(OutboxMail, mail_id, populate_existing=True)
        if mail is None or mail.claimed_by != sender or mail.sent_at is not None:
            continue
        mail.attempts += 1
        mail.last_error = error[:ERROR_LENGTH]
        mail.claimed_by = mail.claimed_at = None
        if permanent or mail.attempts >= settings.max_attempts:
            mail.failed_at = now
        else:
            mail.next_attempt_at = now + retry_delay(settings, mail.attempts)
    session.commit()


def release(session: so.Session, mail_ids: Iterable[int], sender: str) -> None:
    """Let go of claimed mails untried, for any sender to claim again now."""
    session.execute(
        sa.update(OutboxMail)
        .where(OutboxMail.id.in_(list(mail_ids)), OutboxMail.claimed_by == sender, OutboxMail.sent_at.is_(None))
        .values(claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def pending(session: so.Session) -> int:
    """How many mails wait to be sent (due or not)."""
    return session.scalar(
        sa.select(sa.func.count(OutboxMail.id)).where(OutboxMail.sent_at.is_(None), OutboxMail.failed_at.is_(None))
    ) or 0
