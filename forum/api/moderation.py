"""Moderation in the API: verdicts and their history, flags and their queue, hiding, locking, roles, the audit log."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from forum.api.blueprint import api, registry
from forum.api.openapi import ErrorBody
from forum.api.present import (
    argument_json,
    audit_json,
    change_json,
    consensus_json,
    flag_json,
)
from forum.api.schemas import (
    ArgumentOut,
    AuditOut,
    AuditQuery,
    ConsensusHistoryOut,
    ConsensusIn,
    ConsensusOut,
    FlagIn,
    FlagOut,
    FlagsOut,
    LockIn,
    LockOut,
    MemberOut,
    ReasonIn,
    RemovedMemberOut,
    ResolveIn,
    RoleIn,
)
from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.models import Member, Role
from forum.services import audit, consensus, members, moderation
from forum.services.lookup import readable_thread

FORBIDDEN = {403: ErrorBody}


def acting_moderator(role: Role = Role.MODERATOR) -> Member:
    """The stored member behind the request, once the viewer is known to hold `role` (401/403 otherwise)."""
    viewer = current_viewer()
    require_role(viewer, role)
    return acting_member(viewer)


@api.errorhandler(consensus.StaleVersion)
def stale_version(error: consensus.StaleVersion) -> ResponseReturnValue:
    """A stale verdict: the usual error, plus the verdict as it is now, so the moderator can review it."""
    current = consensus_json(*consensus.current_verdict(get_session(), error.block_id))
    return {"error": {"code": error.code, "message": error.message, "current": current}}, error.status


@registry.route(
    "/blocks/<id:block_id>/consensus", "PUT", body=ConsensusIn,
    responses={200: ConsensusOut, 403: ErrorBody, 409: ErrorBody}, auth=True,
)
def set_consensus(block_id: int, body: ConsensusIn) -> ResponseReturnValue:
    """Set a thread's verdict, naming the version you saw (409 when someone changed it meanwhile).

    Who may call it: moderators.
    """
    session = get_session()
    moderator = acting_moderator()
    change = consensus.set_consensus(
        session, block_id, moderator, status=body.status, note=body.note,
        version=body.version, key_arguments=body.key_arguments,
    )
    session.commit()
    return consensus_json(*consensus.current_verdict(session, change.block_id))


@registry.route(
    "/blocks/<id:block_id>/consensus/history", "GET", responses={200: ConsensusHistoryOut, 410: ErrorBody}
)
def consensus_history(block_id: int) -> ResponseReturnValue:
    """Every change of a thread's verdict, oldest first: who, when, from, to, note.

    Who may call it: anyone.
    """
    session = get_session()
    readable_thread(session, block_id, current_viewer().has_role(Role.MODERATOR))
    return {"entries": [change_json(c) for c in consensus.history(session, block_id)]}


@registry.route(
    "/arguments/<id:argument_id>/flags", "POST", body=FlagIn,
    responses={201: FlagOut, 403: ErrorBody, 409: ErrorBody, 410: ErrorBody}, auth=True, limited="flag",
)
def flag_argument(argument_id: int, body: FlagIn) -> ResponseReturnValue:
    """Flag another member's argument for the moderators, once.

    Who may call it: members, on arguments not their own.
    """
    session = get_session()
    member = acting_member(current_viewer())
    flagged = moderation.flag(session, argument_id, member, body.reason, body.note)
    session.commit()
    return flag_json(flagged), 201


@registry.route("/flags", "GET", responses={200: FlagsOut, **FORBIDDEN}, auth=True)
def list_flags() -> ResponseReturnValue:
    """The open flags, oldest first, each with its argument.

    Who may call it: moderators.
    """
    require_role(current_viewer(), Role.MODERATOR)
    return {"flags": [flag_json(f, with_argument=True) for f in moderation.open_flags(get_session())]}


@registry.route(
    "/flags/<id:flag_id>/resolve", "POST", body=ResolveIn,
    responses={200: FlagOut, 403: ErrorBody, 409: ErrorBody}, auth=True,
)
def resolve_flag(flag_id: int, body: ResolveIn) -> ResponseReturnValue:
    """Dismiss a flag, or hide its argument (which closes every open flag on it).

    Who may call it: moderators.
    """
    session = get_session()
    resolved = moderation.resolve_flag(session, flag_id, acting_moderator(), body.action, body.reason)
    session.commit()
    return flag_json(resolved, with_argument=True)


@registry.route(
    "/arguments/<id:argument_id>/hide", "POST", body=ReasonIn,
    responses={200: ArgumentOut, 403: ErrorBody, 409: ErrorBody}, auth=True,
)
def hide_argument(argument_id: int, body: ReasonIn) -> ResponseReturnValue:
    """Hide an argument with a reason: members see the reason, moderators the content; replies stay.

    Who may call it: moderators.
    """
    session = get_session()
    argument = moderation.hide(session, argument_id, acting_moderator(), body.reason)
    session.commit()
    return argument_json(argument, moderator=True)


@registry.route(
    "/arguments/<id:argument_id>/restore", "POST", body=ReasonIn,
    responses={200: ArgumentOut, 403: ErrorBody, 409: ErrorBody}, auth=True,
)
def restore_argument(argument_id: int, body: ReasonIn) -> ResponseReturnValue:
    """Show a hidden argument again, with a reason.

    Who may call it: moderators.
    """
    session = get_session()
    argument = moderation.restore(session, argument_id, acting_moderator(), body.reason)
    session.commit()
    return argument_json(argument, moderator=True)


@registry.route(
    "/blocks/<id:block_id>/lock", "PUT", body=LockIn,
    responses={200: LockOut, 403: ErrorBody, 409: ErrorBody}, auth=True,
)
def lock_thread(block_id: int, body: LockIn) -> ResponseReturnValue:
    """Lock a thread (no new arguments or votes) or unlock it, with a reason.

    Who may call it: moderators.
    """
    session = get_session()
    block = moderation.lock(session, block_id, acting_moderator(), body.locked, body.reason)
    session.commit()
    return {"id": block.id, "locked": block.locked, "reason": block.lock_reason}


@registry.route(
    "/members/<id:member_id>/role", "PUT", body=RoleIn,
    responses={200: MemberOut, **FORBIDDEN}, auth=True,
)
def set_member_role(member_id: int, body: RoleIn) -> ResponseReturnValue:
    """Give a member a role: appoint or remove moderators and admins.

    Who may call it: admins.
    """
    session = get_session()
    admin = acting_moderator(Role.ADMIN)
    member = members.appoint(session, admin, member_id, members.parse_role(body.role))
    session.commit()
    return {"id": member.id, "name": member.name, "role": member.role}


@registry.route(
    "/members/<id:member_id>/remove", "POST", body=ReasonIn,
    responses={200: RemovedMemberOut, **FORBIDDEN, 409: ErrorBody}, auth=True,
)
def remove_member(member_id: int, body: ReasonIn) -> ResponseReturnValue:
    """Remove a member, with a reason: they keep read access only and their votes are taken back.

    Who may call it: moderators, for members; admins, also for moderators. Nobody removes themselves, and admins
    are removed on the command line only. The audit log records it as `member.remove`.
    """
    session = get_session()
    votes = members.remove_by(session, acting_moderator(), member_id, body.reason)
    session.commit()
    member = session.get(Member, member_id)
    assert member is not None
    return {"id": member.id, "name": member.name, "role": member.role, "removed": True, "votes_taken_back": votes}


@registry.route("/audit", "GET", query=AuditQuery, responses={200: AuditOut, **FORBIDDEN}, auth=True)
def audit_log(query: AuditQuery) -> ResponseReturnValue:
    """Every moderator and admin action, newest first, filtered; `next` pages back.

    Who may call it: moderators.
    """
    require_role(current_viewer(), Role.MODERATOR)
    found = audit.entries(
        get_session(), action=query.action, actor_id=query.actor_id, target_type=query.target_type,
        target_id=query.target_id, before=query.before, limit=query.limit,
    )
    following = found[-1].id if len(found) == query.limit else None
    return {"entries": [audit_json(e) for e in found], "next": following}
