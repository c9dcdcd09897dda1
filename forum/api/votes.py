"""Votes in the API."""

from __future__ import annotations

from dataclasses import asdict

from flask import current_app
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, Field

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.schemas import RequestBody, examples
from forum.auth import acting_member_id, current_viewer
from forum.db import get_session
from forum.services import votes


class VoteIn(RequestBody):
    """1 for up, -1 for down, 0 to take the vote back."""

    model_config = examples({"value": 1})

    # An integer range rather than Literal[1, -1, 0]: a literal compares equal to `true` and `1.0`.
    value: int = Field(ge=-1, le=1)


class TallyOut(BaseModel):
    """The argument's counters after the vote, and your vote."""

    score: int
    up: int
    down: int
    my_vote: int


@registry.route(
    "/arguments/<id:argument_id>/vote", "PUT", body=VoteIn,
    responses={200: TallyOut, 403: ErrorBody, 409: ErrorBody, 410: ErrorBody}, auth=True, limited="vote",
)
def vote(argument_id: int, body: VoteIn) -> ResponseReturnValue:
    """Vote on another member's argument, change the vote, or take it back.

    Who may call it: members, on arguments not their own.
    """
    engine = current_app.extensions["forum"].read_engine
    cast = votes.vote_committed(get_session(), engine, argument_id, acting_member_id(current_viewer()), body.value)
    return asdict(cast.tally)
