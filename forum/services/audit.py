"""The audit log: every moderator and admin action, only ever appended to."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.models import AuditEntry, Member
from forum.rendering import is_blank

REASON_LIMIT = 500
# Who acted when no member did: an admin at the server's command line (`flask forum import`).
COMMAND_LINE = "command line"


def check_reason(reason: str, *, required: bool = True) -> str:
    """A moderator's reason, stripped (blank to the eye counts as none); moderators must say why they act."""
    reason = reason.strip()
    if len(reason) > REASON_LIMIT:
        raise Invalid(f"A reason has at most {REASON_LIMIT} characters.", field="reason")
    if is_blank(reason):
        reason = ""
    if required and not reason:
        raise Invalid("Give a reason: it is shown to members and kept in the audit log.", field="reason")
    return reason


def record(
    session: so.Session,
    actor: Member | None,
    action: str,
    target_type: str,
    target_id: int | None,
    reason: str = "",
    **details: Any,
) -> AuditEntry:
    """Append one entry (`actor` None: the command line); the caller commits it with the action it records."""
    entry = AuditEntry(
        actor_id=actor.id if actor is not None else None,
        actor_name=actor.name if actor is not None else COMMAND_LINE,
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


def actions(session: so.Session) -> list[str]:
    """Every action the log holds, in alphabetical order (for its filter)."""
    return list(session.scalars(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)))


def actors(session: so.Session) -> list[tuple[int, str]]:
    """Every member the log names as an actor, by name (for its filter); the command line is no member."""
    rows = session.execute(
        sa.select(AuditEntry.actor_id, AuditEntry.actor_name).distinct().order_by(AuditEntry.actor_name)
    )
    return [(actor_id, name) for actor_id, name in rows if actor_id is not None]
