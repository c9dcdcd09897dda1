"""An argument's own answer and members' pages in the API."""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.present import argument_json, tree_json
from forum.api.schemas import ArgumentInThreadOut, MemberArgumentsOut, MemberArgumentsQuery, MemberPageOut
from forum.auth import current_viewer
from forum.db import get_session
from forum.models import Role
from forum.services import member_page
from forum.services.argument_page import argument_view


@registry.route(
    "/arguments/<id:argument_id>", "GET", responses={200: ArgumentInThreadOut, 410: ErrorBody}
)
def get_argument(argument_id: int) -> ResponseReturnValue:
    """An argument with its replies, the thread it belongs to (`block_id`) and the argument it answers (`parent_id`).

    Who may call it: anyone; moderators also read what a hidden argument says. An argument of an unpublished
    article answers 410, except to moderators.
    """
    viewer = current_viewer()
    moderator = viewer.has_role(Role.MODERATOR)
    found = argument_view(
        get_session(), argument_id, moderator=moderator, viewer_id=viewer.member.id if viewer.member else None,
        snapshots=current_app.extensions["forum"].snapshots,
    )
    [data] = tree_json([found.node], moderator)
    return {**data, "block_id": found.thread.block.id}


@registry.route("/members/<id:member_id>", "GET", responses={200: MemberPageOut})
def get_member(member_id: int) -> ResponseReturnValue:
    """A member: name, role, when they joined, how many arguments of theirs you see and the votes those received.

    Who may call it: anyone; a removed member is still answered, with `removed` true.
    """
    session = get_session()
    moderator = current_viewer().has_role(Role.MODERATOR)
    member = member_page.get_member(session, member_id)
    totals = member_page.totals(session, member.id, moderator)
    return {
        "id": member.id,
        "name": member.name,
        "role": member.role,
        "joined_at": member.created_at.isoformat(),
        "arguments": totals.arguments,
        "received_up": totals.up,
        "received_down": totals.down,
        "removed": member.removed_at is not None,
    }


@registry.route(
    "/members/<id:member_id>/arguments", "GET", query=MemberArgumentsQuery, responses={200: MemberArgumentsOut}
)
def list_member_arguments(member_id: int, query: MemberArgumentsQuery) -> ResponseReturnValue:
    """A member's arguments, newest first, paged with `after`.

    Who may call it: anyone. Readers get those that count in published articles; moderators also the hidden
    ones and those of unpublished articles; withdrawn ones are never listed.
    """
    session = get_session()
    moderator = current_viewer().has_role(Role.MODERATOR)
    member = member_page.get_member(session, member_id)
    shown, older = member_page.arguments_of(session, member.id, moderator, limit=query.limit, after=query.after)
    return {
        "arguments": [{**argument_json(a, moderator=moderator), "block_id": a.block_id} for a in shown],
        "next": older,
    }
