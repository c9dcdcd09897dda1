"""Members' last visits, kept to within a few minutes: a digest tells only of what came after the last one.

A page served to a signed-in member writes the time at most once in `RECORD_EVERY`, by a short statement of
its own after the page is made, so that reading costs no write at all most of the time.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from forum.models import Member, utcnow

RECORD_EVERY = timedelta(minutes=5)


def stale(last_seen_at: datetime | None, now: datetime) -> bool:
    """Whether a member's recorded visit is old enough to be written again."""
    return last_seen_at is None or now - last_seen_at >= RECORD_EVERY


def seen_now(member: Member | None) -> None:
    """Record a visit on the member row of the caller's transaction (signing in, resetting a password)."""
    if member is not None:
        member.last_seen_at = utcnow()


def record_visit(engine: sa.Engine, member_id: int, last_seen_at: datetime | None, now: datetime | None = None) -> None:
    """Write member `member_id`'s visit now, if their last recorded one is stale, in a transaction of its own."""
    now = now or utcnow()
    if not stale(last_seen_at, now):
        return
    with engine.begin() as connection:
        connection.execute(sa.update(Member).where(Member.id == member_id).values(last_seen_at=now))
