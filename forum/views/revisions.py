"""The moderators' route of revised articles: attaching a removed paragraph's thread to the one that replaced it."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer
from forum.db import get_session
from forum.errors import ForumError, Invalid
from forum.routing import parse_id
from forum.services import paragraph_history
from forum.views.forms import RefusedForm, show_again
from forum.views.site import blueprint
from forum.views.thread_page import thread_page


@blueprint.post("/blocks/<id:block_id>/attach")
def attach_thread(block_id: int) -> ResponseReturnValue:
    """Attach a removed paragraph's thread to a paragraph of the article as it reads now (moderators)."""
    session = get_session()
    try:
        moderator = acting_member(current_viewer())
        target = parse_id(request.form.get("target", ""))
        if target is None:
            raise Invalid("Choose the paragraph to attach this thread to.", field="block_id")
        paragraph_history.attach_thread(session, block_id, target, moderator, request.form.get("reason", ""))
        session.commit()
    except ForumError as error:
        return show_again(error, lambda refusal: thread_page(block_id, refused=RefusedForm.of(refusal, "attach", {})))
    flash("The removed paragraph's thread is attached: its arguments are here now.")
    return redirect(url_for("forum.thread", block_id=target), 303)
