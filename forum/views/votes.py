"""Voting from the thread page: a form post that comes back to the argument, or with htmx its widget alone."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member_id, current_viewer
from forum.db import get_session
from forum.errors import ForumError, Invalid
from forum.ratelimit import counted
from forum.services import arguments, votes
from forum.views import vote_widget
from forum.views.forms import show_again
from forum.views.site import blueprint
from forum.views.thread_page import sort_choice

NEWS = {
    1: "Your up-vote is counted.",
    -1: "Your down-vote is counted.",
    0: "Your vote is taken back.",
}
VALUES = {"1": 1, "-1": -1, "0": 0}


def wants_widget() -> bool:
    """Whether htmx sent the request, to swap the vote widget in place rather than load a page."""
    return request.headers.get("HX-Request") == "true"


def vote_value(raw: str) -> int:
    """The vote a button sent: 1, -1, or 0 to take it back (as the buttons write them, not `int()`'s "+1" or "١")."""
    if raw not in VALUES:
        raise Invalid("A vote is 1, -1, or 0 to take it back.", field="value")
    return VALUES[raw]


def refused_widget(argument_id: int, error: ForumError) -> str:
    """The widget showing the vote as stored, and why the one sent was refused."""
    session = get_session()
    member = current_viewer().member
    my_vote = votes.my_vote(session, argument_id, member.id if member is not None else None)
    argument = arguments.get_argument(session, argument_id)
    return vote_widget.render(argument, my_vote, sort_choice(), error.message, error.message)


@blueprint.post("/arguments/<id:argument_id>/vote")
def vote(argument_id: int) -> ResponseReturnValue:
    """Vote on another member's argument, change the vote, or take it back (value 0).

    With htmx the widget is the form, and a refusal comes back in it; without, a vote is a button on the
    thread page, with nothing typed to keep, and a refusal is the error page.
    """
    session = get_session()
    try:
        voter = acting_member_id(current_viewer())
        value = vote_value(request.form.get("value", ""))
        with counted("vote"):
            cast = votes.vote_committed(session, current_app.extensions["forum"].read_engine, argument_id, voter, value)
    except ForumError as error:
        if wants_widget():
            return show_again(error, lambda refusal: refused_widget(argument_id, refusal))
        session.rollback()
        raise
    argument, tally = cast.argument, cast.tally
    if wants_widget():
        return vote_widget.voted_widget(argument, tally.my_vote, f"{NEWS[tally.my_vote]} Score {tally.score}.")
    sort = sort_choice()
    target = url_for(
        "forum.thread",
        block_id=argument.block_id,
        sort=sort if sort != "best" else None,
        _anchor=f"argument-{argument.id}",
    )
    return redirect(target, 303)
