"""Suggested consensus in the API: a thread's status as the scorer computes it, apart from the verdict."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.present import suggestion_json
from forum.api.schemas import SuggestionOut
from forum.auth import current_viewer
from forum.db import get_session
from forum.models import Role
from forum.services import suggestions
from forum.services.lookup import readable_thread


@registry.route("/blocks/<id:block_id>/suggestion", "GET", responses={200: SuggestionOut, 410: ErrorBody})
def get_suggestion(block_id: int) -> ResponseReturnValue:
    """A thread's status as computed from its arguments' helpfulness (never a verdict), and what it rests on.

    Who may call it: anyone.
    """
    session = get_session()
    readable_thread(session, block_id, current_viewer().has_role(Role.MODERATOR))
    return suggestion_json(suggestions.suggestion_of(session, block_id))
