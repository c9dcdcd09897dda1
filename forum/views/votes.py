"""Voting from the thread page: a form post that comes back to the argument."""

from __future__ import annotations

from flask import redirect, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer
from forum.db import get_session
from forum.errors import ForumError, Invalid
from forum.services import arguments, votes
from forum.views import blueprint
from forum.views.threads import sort_choice


def vote_value(raw: str) -> int:
    """The vote a button sent: 1, -1, or 0 to take it back."""
    try:
        return int(raw)
    except ValueError:
        raise Invalid("A vote is 1, -1, or 0 to take it back.", field="value") from None


@blueprint.post("/arguments/<int:argument_id>/vote")
def vote(argument_id: int) -> ResponseReturnValue:
    """Vote on another member's argument, change the vote, or take it back (value 0)."""
    session = get_session()
    try:
        voter = acting_member(current_viewer())
        votes.cast_vote(session, argument_id, voter, vote_value(request.form.get("value", "")))
    except ForumError:
        session.rollback()
        raise
    session.commit()
    argument = arguments.get_argument(session, argument_id)
    sort = sort_choice()
    target = url_for(
        "forum.thread",
        block_id=argument.block_id,
        sort=sort if sort != "best" else None,
        _anchor=f"argument-{argument.id}",
    )
    return redirect(target, 303)
