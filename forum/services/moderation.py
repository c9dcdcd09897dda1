"""Moderation: flags and their queue, hiding and restoring arguments, locking threads."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Invalid, NotFound
from forum.live.staging import stage
from forum.models import Argument, Block, Flag, FlagReason, Member, Role, utcnow
from forum.rendering import is_blank
from forum.services import audit, notifications
from forum.services.arguments import argument_state, get_argument
from forum.services.audit import check_reason
from forum.services.lookup import get_thread
from forum.services.members import require
from forum.services.policy import Action, check

NOTE_LIMIT = 1_000


def flag(session: so.Session, argument_id: int, member: Member, reason: str, note: str = "") -> Flag:
    """A member flags another member's argument for the moderators, once per argument."""
    if not reason.strip():
        raise Invalid("Choose a reason for the flag.", field="reason")
    try:
        reason = FlagReason(reason).value
    except ValueError:
        names = ", ".join(r.value for r in FlagReason)
        raise Invalid(f"The reason is one of: {names}.", field="reason") from None
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid(f"A note has at most {NOTE_LIMIT:,} characters.", field="note")
    if is_blank(note):
        note = ""
    if reason == FlagReason.OTHER and not note:
        raise Invalid("Say what is wrong when the reason is 'other'.", field="note")
    argument = get_argument(session, argument_id)
    check(Action.FLAG, **argument_state(argument, member))
    exists = session.scalar(
        sa.select(Flag.id).where(Flag.argument_id == argument.id, Flag.member_id == member.id)
    )
    if exists is not None:
        raise Conflict("You have flagged this argument already.")
    flagged = Flag(argument_id=argument.id, member=member, reason=reason, note=note)
    try:
        with session.begin_nested():
            session.add(flagged)
    except sa.exc.IntegrityError:
        raise Conflict("You have flagged this argument already.") from None
    return flagged


def open_flags(session: so.Session, limit: int = 200) -> list[Flag]:
    """The unresolved flags, oldest first, with their arguments."""
    return list(
        session.scalars(
            sa.select(Flag)
            .where(Flag.resolved_at.is_(None))
            .order_by(Flag.created_at, Flag.id)
            .limit(limit)
            .options(so.joinedload(Flag.argument), so.joinedload(Flag.member))
        )
    )


def resolve_flag(session: so.Session, flag_id: int, moderator: Member, action: str, reason: str = "") -> Flag:
    """Dismiss a flag, or hide its argument (which resolves every open flag on it)."""
    require(moderator, Role.MODERATOR)
    if action not in ("dismiss", "hide"):
        raise Invalid("The action is dismiss or hide.", field="action")
    reason = check_reason(reason, required=False)
    found = session.get(Flag, flag_id)
    if found is None:
        raise NotFound("There is no such flag.")
    if found.resolved_at is not None:
        raise Conflict(f"This flag was resolved already ({found.resolution}).")
    if action == "hide":
        if found.argument.hidden:
            # Already hidden: every flag still open on it is answered by that, not only this one.
            pending = list(session.scalars(
                sa.select(Flag).where(Flag.argument_id == found.argument_id, Flag.resolved_at.is_(None))
            ))
            close_flags(session, pending, moderator, "hide", found.argument.hidden_reason or "")
            audit.record(session, moderator, "flag.hide", "flag", found.id, reason,
                         argument_id=found.argument_id, flags=[f.id for f in pending])
            return found
        why = reason or f"Flagged as {found.reason.replace('_', ' ')}."
        hide(session, found.argument_id, moderator, why)
        return found
    close_flags(session, [found], moderator, "dismiss", reason)
    audit.record(session, moderator, "flag.dismiss", "flag", found.id, reason,
                 argument_id=found.argument_id)
    return found


def close_flags(session: so.Session, flags: list[Flag], moderator: Member, resolution: str, reason: str) -> None:
    """Mark flags resolved by `moderator`; each member who flagged is told."""
    now = utcnow()
    for each in flags:
        each.resolved_at, each.resolved_by_id, each.resolution = now, moderator.id, resolution
    notifications.flags_resolved(session, flags, moderator, resolution, reason)


def hide(session: so.Session, argument_id: int, moderator: Member, reason: str) -> Argument:
    """Hide an argument: its content is kept and shown to moderators only; its replies stay."""
    require(moderator, Role.MODERATOR)
    reason = check_reason(reason)
    argument = get_argument(session, argument_id)
    check(Action.HIDE, **argument_state(argument, moderator))
    argument.hidden, argument.hidden_reason, argument.hidden_at = True, reason, utcnow()
    pending = list(
        session.scalars(sa.select(Flag).where(Flag.argument_id == argument.id, Flag.resolved_at.is_(None)))
    )
    close_flags(session, pending, moderator, "hide", reason)
    audit.record(session, moderator, "argument.hide", "argument", argument.id, reason,
                 flags=[f.id for f in pending])
    notifications.argument_hidden(session, argument, moderator, reason)
    # The id alone: a hidden argument's words and its reason are for moderators.
    stage(session, argument.block_id, "hidden", {"argument_id": argument.id, "hidden": True})
    return argument


def restore(session: so.Session, argument_id: int, moderator: Member, reason: str) -> Argument:
    """Show a hidden argument again."""
    require(moderator, Role.MODERATOR)
    reason = check_reason(reason)
    argument = get_argument(session, argument_id)
    check(Action.RESTORE, **argument_state(argument, moderator))
    argument.hidden, argument.hidden_reason, argument.hidden_at = False, None, None
    audit.record(session, moderator, "argument.restore", "argument", argument.id, reason)
    notifications.argument_restored(session, argument, moderator, reason)
    stage(session, argument.block_id, "hidden", {"argument_id": argument.id, "hidden": False})
    return argument


def lock(session: so.Session, block_id: int, moderator: Member, locked: bool, reason: str) -> Block:
    """Lock a thread (no new arguments or votes) or unlock it, with a reason."""
    require(moderator, Role.MODERATOR)
    reason = check_reason(reason)
    block = get_thread(session, block_id)
    if block.locked == locked:
        raise Conflict("This thread is locked already." if locked else "This thread is not locked.")
    block.locked, block.lock_reason = locked, reason if locked else None
    audit.record(session, moderator, "thread.lock" if locked else "thread.unlock", "block", block.id, reason)
    return block


def hidden_arguments(session: so.Session, limit: int = 100) -> list[Argument]:
    """The hidden arguments, most recently hidden first."""
    return list(
        session.scalars(
            sa.select(Argument).where(Argument.hidden.is_(True))
            .order_by(Argument.hidden_at.desc().nulls_last(), Argument.id.desc()).limit(limit)
        )
    )


def locked_threads(session: so.Session, limit: int = 100) -> list[Block]:
    """The locked threads."""
    return list(session.scalars(sa.select(Block).where(Block.locked.is_(True)).order_by(Block.id).limit(limit)))
