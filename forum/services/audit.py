"""The audit log: every moderator and admin action, only ever appended to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import AuditEntry, Member


def record(
    session: so.Session,
    actor: Member,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
    **details: Any,
) -> AuditEntry:
    """Append one entry; the caller commits it with the action it records."""
    entry = AuditEntry(
        actor_id=actor.id,
        actor_name=actor.name,
        action=action,
        target_type=target_type,
        target_id=target_id,
        reason=reason,
        details=details,
    )
    session.add(entry)
    return entry


def entries(
    session: so.Session,
    *,
    action: str | None = None,
    actor_id: int | None = None,
    target_type: str | None = None,
    target_id: int | None = None,
    before: int | None = None,
    since: datetime | None = None,
    limit: int = 100,
) -> list[AuditEntry]:
    """The newest entries first, filtered; `before` (an entry id) pages back through the log."""
    query = sa.select(AuditEntry).order_by(AuditEntry.id.desc()).limit(limit)
    if action:
        query = query.where(AuditEntry.action == action)
    if actor_id is not None:
        query = query.where(AuditEntry.actor_id == actor_id)
    if target_type:
        query = query.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        query = query.where(AuditEntry.target_id == target_id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    if since is not None:
        query = query.where(AuditEntry.created_at >= since)
    return list(session.scalars(query))
