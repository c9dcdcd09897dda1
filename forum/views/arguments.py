"""One argument's own pages: editing it, its earlier versions, and withdrawing it."""

from __future__ import annotations

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import Viewer, acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError
from forum.models import Argument, Role
from forum.ratelimit import counted
from forum.services import arguments, articles
from forum.services.policy import Action, check
from forum.settings import content_limits, template
from forum.views import blueprint, display
from forum.views.forms import ArgumentDraft


def check_may_edit(viewer: Viewer, argument: Argument) -> None:
    """Refuse the edit form where the policy refuses the edit, as the service would."""
    require_role(viewer)
    check(
        Action.EDIT,
        locked=argument.block.locked,
        hidden=argument.hidden,
        withdrawn=argument.withdrawn_at is not None,
        mine=viewer.member is not None and viewer.member.id == argument.author_id,
        moderator=viewer.has_role(Role.MODERATOR),
    )


def permalink(argument: Argument) -> str:
    """The argument's place on its thread page."""
    return url_for("forum.thread", block_id=argument.block_id, _anchor=f"argument-{argument.id}")


def render_edit(argument: Argument, draft: ArgumentDraft, status: int = 200) -> tuple[str, int]:
    """The edit page with the form as `draft` has it."""
    thread = articles.thread_view(get_session(), argument.block_id)
    marker = display.thread_marker(thread, url_for("forum.thread", block_id=argument.block_id, _anchor="post"))
    page = render_template(
        template("edit_argument"),
        argument=argument,
        thread=thread,
        block=thread.block,
        article=thread.block.article,
        draft=draft,
        limits=content_limits(),
        permalink=permalink(argument),
        cite=lambda block, text: display.with_citations(text, marker),
    )
    return page, status


@blueprint.get("/arguments/<id:argument_id>/edit")
def edit_argument(argument_id: int) -> ResponseReturnValue:
    """The form to edit an argument's body and sources."""
    argument = arguments.get_argument(get_session(), argument_id)
    check_may_edit(current_viewer(), argument)
    return render_edit(argument, ArgumentDraft.of(argument, content_limits().sources))


@blueprint.post("/arguments/<id:argument_id>/edit")
def save_argument(argument_id: int) -> ResponseReturnValue:
    """Save an edit (the earlier text is kept as a version); Preview and "add another source" re-render.

    Only an edit saved counts against the member's editing limits; a refusal keeps what was typed.
    """
    session = get_session()
    viewer = current_viewer()
    argument = arguments.get_argument(session, argument_id)
    check_may_edit(viewer, argument)
    draft = ArgumentDraft.from_form(request.form)
    draft.stance = argument.stance
    limits = content_limits()
    if draft.redraw(request.form.get("action", "post"), limits):
        return render_edit(argument, draft, draft.status)
    try:
        with counted("edit"):
            arguments.edit_argument(
                session, argument, acting_member(viewer),
                body=draft.body, sources=draft.source_inputs(), limits=limits,
            )
            session.commit()
    except ForumError as error:
        session.rollback()
        draft.show(error)
        return *render_edit(arguments.get_argument(session, argument_id), draft, error.status), error.headers()
    return redirect(permalink(argument), 303)


@blueprint.get("/arguments/<id:argument_id>/versions")
def argument_versions(argument_id: int) -> ResponseReturnValue:
    """Every earlier version of an argument, newest first."""
    argument = arguments.get_argument(get_session(), argument_id)
    concealed = argument.hidden or argument.withdrawn_at is not None
    visible = not concealed or current_viewer().has_role(Role.MODERATOR)
    return render_template(
        template("versions"),
        argument=argument,
        versions=list(reversed(argument.versions)) if visible else [],
        concealed=not visible,
        permalink=permalink(argument),
    )


@blueprint.post("/arguments/<id:argument_id>/withdraw")
def withdraw_argument(argument_id: int) -> ResponseReturnValue:
    """Withdraw your own argument; its replies stay."""
    session = get_session()
    member = acting_member(current_viewer())
    argument = arguments.withdraw_argument(
        session, arguments.get_argument(session, argument_id), member
    )
    session.commit()
    return redirect(permalink(argument), 303)
