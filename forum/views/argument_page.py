"""An argument's own page: the arguments it answers, the argument, its replies and the paragraph of its thread."""

from __future__ import annotations

from flask import current_app, render_template, url_for

from forum.auth import current_viewer
from forum.csrf import csrf_token
from forum.db import get_session
from forum.models import Role
from forum.services.argument_page import argument_view
from forum.settings import template
from forum.views import display
from forum.views.argument_tree import ArgumentTree
from forum.views.site import blueprint
from forum.views.thread_page import MAX_DEPTH, login_url, sort_choice


@blueprint.get("/arguments/<id:argument_id>")
def argument_page(argument_id: int) -> str:
    """An argument with the chain of arguments it answers, its replies, and the paragraph it is about."""
    viewer = current_viewer()
    moderator = viewer.has_role(Role.MODERATOR)
    sort = sort_choice()
    memos = current_app.extensions["forum"]
    found = argument_view(
        get_session(), argument_id, moderator=moderator,
        viewer_id=viewer.member.id if viewer.member else None, sort=sort, snapshots=memos.snapshots,
    )
    block = found.thread.block
    # The argument's own page writes its every form in: the thread page's "Flag" leads here without JavaScript.
    writer = ArgumentTree(
        block=block, viewer=viewer, moderator=moderator, sort=sort, login_url=login_url(),
        max_depth=MAX_DEPTH, csrf_token=csrf_token, fragments=memos.fragments, states=memos.argument_states,
        notices=display.argument_notices(), full_for=argument_id,
    )
    marker = display.thread_marker(found.thread, url_for("forum.thread", block_id=block.id, _anchor="post"))
    return render_template(
        template("argument"),
        found=found,
        argument=found.node.argument,
        thread=found.thread,
        block=block,
        article=block.article,
        tree=writer.render([found.node]),
        moderator=moderator,
        cite=lambda block, text: display.with_citations(text, marker),
    )
