"""Setting a thread's verdict from its page (moderators)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError
from forum.models import Role
from forum.services import consensus
from forum.views.display import CONSENSUS_LABELS
from forum.views.forms import VerdictDraft, show_again
from forum.views.site import blueprint
from forum.views.thread_page import thread_page


@blueprint.post("/blocks/<id:block_id>/consensus")
def set_consensus(block_id: int) -> ResponseReturnValue:
    """Set a thread's verdict; a version that is no longer current comes back with what changed, as 409."""
    viewer = current_viewer()
    require_role(viewer, Role.MODERATOR)
    draft = VerdictDraft.from_form(request.form)
    session = get_session()
    try:
        consensus.set_consensus(
            session, block_id, acting_member(viewer),
            status=draft.status, note=draft.note, version=draft.version, key_arguments=draft.keys,
        )
    except ForumError as error:
        return show_again(error, lambda refusal: thread_page(block_id, verdict=draft.show(refusal)))
    session.commit()
    flash(f"The verdict is now “{CONSENSUS_LABELS[draft.status]}”.")
    return redirect(url_for("forum.thread", block_id=block_id, _anchor="consensus-title"), 303)
