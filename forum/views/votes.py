"""Voting from the thread page: a form post that comes back to the argument, or with htmx its widget alone."""

from __future__ import annotations

import sqlalchemy as sa
from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer
from forum.db import get_session
from forum.errors import ForumError, Invalid, NotFound
from forum.models import Argument, Vote
from forum.ratelimit import counted
from forum.services import arguments, votes
from forum.views import blueprint
from forum.views.threads import sort_choice

NEWS = {
    1: "Your up-vote is counted.",
    -1: "Your down-vote is counted.",
    0: "Your vote is taken back.",
}


def wants_widget() -> bool:
    """Whether htmx sent the request, to swap the vote widget in place rather than load a page."""
    return request.headers.get("HX-Request") == "true"


VALUES = {"1": 1, "-1": -1, "0": 0}


def vote_value(raw: str) -> int:
    """The vote a button sent: 1, -1, or 0 to take it back (as the buttons write them, not `int()`'s "+1" or "١")."""
    if raw not in VALUES:
        raise Invalid("A vote is 1, -1, or 0 to take it back.", field="value")
    return VALUES[raw]


def stored_vote(argument_id: int) -> int:
    """The viewer's vote on the argument as the database has it, 0 for none."""
    member = current_viewer().member
    if member is None:
        return 0
    value = get_session().scalar(
        sa.select(Vote.value).where(Vote.argument_id == argument_id, Vote.member_id == member.id)
    )
    return value or 0


def render_widget(
    argument: Argument, my_vote: int, news: str, error: str | None = None, status: int = 200
) -> tuple[str, int]:
    """The argument's vote widget alone, with what happened for the page's live region."""
    sort = sort_choice()
    widget = render_template(
        "forum/_vote.html",
        a=argument, block=argument.block, my_vote=my_vote, sort=sort, vote_news=news, vote_error=error,
    )
    return widget, status


@blueprint.post("/arguments/<id:argument_id>/vote")
def vote(argument_id: int) -> ResponseReturnValue:
    """Vote on another member's argument, change the vote, or take it back (value 0)."""
    session = get_session()
    try:
        voter = acting_member(current_viewer())
        value = vote_value(request.form.get("value", ""))
        with counted("vote"):
            tally = votes.cast_vote(session, argument_id, voter, value)
            session.commit()
    except ForumError as error:
        session.rollback()
        # Without an argument there is no widget to show: htmx leaves the page as it was.
        if not wants_widget() or isinstance(error, NotFound):
            raise
        argument = arguments.get_argument(session, argument_id)
        page, status = render_widget(argument, stored_vote(argument_id), error.message, error.message, error.status)
        return page, status, error.headers()
    argument = arguments.get_argument(session, argument_id)
    if wants_widget():
        return render_widget(argument, tally.my_vote, f"{NEWS[tally.my_vote]} Score {tally.score}.")
    sort = sort_choice()
    target = url_for(
        "forum.thread",
        block_id=argument.block_id,
        sort=sort if sort != "best" else None,
        _anchor=f"argument-{argument.id}",
    )
    return redirect(target, 303)
