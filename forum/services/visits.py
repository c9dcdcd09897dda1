"""Members' last visits, kept to within a few minutes: a digest tells only of what came after the last one.

A page served to a signed-in member writes the time at most once in `RECORD_EVERY`, by a short statement of
its own after the page is made, so that reading costs no write at all most of the time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Member, utcnow

RECORD_EVERY = timedelta(minutes=5)


def stale(member: Member, now: datetime) -> bool:
    """Whether the member's recorded visit is old enough to be written again."""
    return member.last_seen_at is None or now - member.last_seen_at >= RECORD_EVERY


def seen_now(member: Member | None) -> None:
    """Record a visit on the member row of the caller's transaction (signing in, resetting a password)."""
    if member is not None:
        member.last_seen_at = utcnow()


def record_visit(engine: sa.Engine, member: Member, now: datetime | None = None) -> None:
    """Write the member's visit now, if their last recorded one is stale, in a transaction of its own."""
    now = now or utcnow()
    if not stale(member, now):
        return
    with engine.begin() as connection:
        connection.execute(
            sa.update(Member).where(Member.id == member.id).values(last_seen_at=now)
        )
    # Known to the caller's session as stored, not as a change of its own to flush.
    so.attributes.set_committed_value(member, "last_seen_at", now)
