"""The thread page's own routes: reading a thread, and posting an argument or a reply to it."""

from __future__ import annotations

from flask import current_app, flash, redirect, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_name, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError
from forum.ratelimit import counted
from forum.routing import parse_id
from forum.services import arguments
from forum.settings import content_limits
from forum.views.forms import ArgumentDraft, show_again
from forum.views.site import blueprint
from forum.views.thread_page import NEW_FORM_ROWS, read_page, thread_page

# With htmx, the composer sends a post but the whole main part comes back.
HTMX_MAIN = {"HX-Retarget": "#main", "HX-Reselect": "#main", "HX-Reswap": "outerHTML"}


@blueprint.get("/blocks/<id:block_id>")
def thread(block_id: int) -> ResponseReturnValue:
    """A paragraph's thread: the text, its consensus and its arguments; `?reply_to=` opens a reply."""
    reply_to = request.args.get("reply_to", "")
    return read_page(block_id, ArgumentDraft.blank(NEW_FORM_ROWS, parse_id(reply_to)))


@blueprint.post("/blocks/<id:block_id>/arguments")
def post_argument(block_id: int) -> ResponseReturnValue:
    """Post an argument or a reply; Preview and "add another source" re-render the form instead.

    Only a post made counts against the member's posting limits; a refusal, that one included, comes
    back in the form with everything typed.
    """
    viewer = current_viewer()
    require_role(viewer)
    draft = ArgumentDraft.from_form(request.form)
    limits = content_limits()
    if draft.redraw(request.form.get("action", "post"), limits):
        return thread_page(block_id, draft), draft.status
    session = get_session()
    try:
        with counted("post"):
            argument = arguments.post_committed(
                session,
                current_app.extensions["forum"].read_engine,
                block_id,
                arguments.Author(*acting_name(viewer)),
                stance=draft.stance,
                body=draft.body,
                parent_id=draft.parent_id,
                sources=draft.source_inputs(),
                limits=limits,
            )
    except ForumError as error:
        return show_again(error, lambda refusal: thread_page(block_id, draft.show(refusal)))
    flash("Your reply was posted." if argument.parent_id else "Your argument was posted.")
    target = url_for("forum.thread", block_id=block_id, _anchor=f"argument-{argument.id}")
    if request.headers.get("HX-Request") == "true":
        # The composer sent it, but the whole main part comes back: the thread with the new argument, its
        # address in the history.
        return thread_page(block_id, posted=argument.id), 200, {"HX-Push-Url": target, **HTMX_MAIN}
    return redirect(target, 303)
