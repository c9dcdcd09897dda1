"""One argument's own pages: editing it, its earlier versions with what changed, and withdrawing it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from markupsafe import Markup

from forum.auth import Viewer, acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError
from forum.models import Argument, ArgumentVersion, Role
from forum.ratelimit import counted
from forum.services import arguments, lookup, policy, thread_page
from forum.services.policy import Action, check
from forum.settings import content_limits, template
from forum.views import display
from forum.views.diffs import SourceChanges, source_changes, word_diff
from forum.views.forms import ArgumentDraft, show_again
from forum.views.site import blueprint


def check_may_edit(viewer: Viewer, argument: Argument) -> None:
    """Refuse the edit form where the policy refuses the edit, as the service would."""
    require_role(viewer)
    member_id = viewer.member.id if viewer.member is not None else None
    check(Action.EDIT, **policy.state(
        argument.block, argument, member_id=member_id, moderator=viewer.has_role(Role.MODERATOR)
    ))


def permalink(argument: Argument) -> str:
    """The argument's place on its thread page."""
    return url_for("forum.thread", block_id=argument.block_id, _anchor=f"argument-{argument.id}")


def edit_page(argument: Argument, draft: ArgumentDraft, reason: str = "") -> str:
    """The edit page with the form as `draft` has it; a moderator editing someone else's argument gets a reason
    field."""
    viewer = current_viewer()
    thread = thread_page.thread_view(get_session(), argument.block_id, moderator=viewer.has_role(Role.MODERATOR))
    marker = display.thread_marker(thread, url_for("forum.thread", block_id=argument.block_id, _anchor="post"))
    return render_template(
        template("edit_argument"),
        argument=argument,
        thread=thread,
        block=thread.block,
        article=thread.block.article,
        draft=draft,
        limits=content_limits(),
        permalink=permalink(argument),
        cite=lambda block, text: display.with_citations(text, marker),
        needs_reason=policy.edit_needs_reason(argument, viewer.member.id if viewer.member is not None else None),
        reason=reason,
    )


@blueprint.get("/arguments/<id:argument_id>/edit")
def edit_argument(argument_id: int) -> ResponseReturnValue:
    """The form to edit an argument's body and sources."""
    argument = arguments.get_argument(get_session(), argument_id)
    check_may_edit(current_viewer(), argument)
    return edit_page(argument, ArgumentDraft.of(argument, content_limits().sources))


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
    reason = request.form.get("reason", "")
    limits = content_limits()
    if draft.redraw(request.form.get("action", "post"), limits):
        return edit_page(argument, draft, reason), draft.status
    try:
        with counted("edit"):
            arguments.edit_argument(
                session, argument, acting_member(viewer),
                body=draft.body, sources=draft.source_inputs(), reason=reason, limits=limits,
            )
            session.commit()
    except ForumError as error:
        return show_again(
            error, lambda refusal: edit_page(arguments.get_argument(session, argument_id), draft.show(refusal), reason)
        )
    return redirect(permalink(argument), 303)


@dataclass
class VersionEntry:
    """One text of an argument on its versions page, with the edit that made it and what that edit changed."""

    number: int
    current: bool
    html: str
    sources: list[Any]
    written_at: datetime
    # The edit that turned the text before into this one (None for the first text), and when it was made.
    edit: ArgumentVersion | None = None
    edited_at: datetime | None = None
    diff: Markup | None = None
    changes: SourceChanges | None = None


def version_entries(argument: Argument) -> list[VersionEntry]:
    """Every text of the argument, newest first: each with who changed it, why, and a word diff."""
    history = arguments.edits(argument)
    texts = [(v.body, v.html, v.sources, v.written_at) for v, _ in history]
    current_sources = arguments.source_snapshot(argument.sources)
    texts.append((argument.body, argument.html, current_sources, argument.edited_at or argument.created_at))
    entries = []
    for index, (body, html, sources, written_at) in enumerate(texts):
        entry = VersionEntry(index + 1, index == len(history), html, sources, written_at)
        if index > 0:
            before = texts[index - 1]
            entry.edit, entry.edited_at = history[index - 1]
            entry.diff = word_diff(before[0], body)
            entry.changes = source_changes(before[2], sources)
        entries.append(entry)
    return list(reversed(entries))


@blueprint.get("/arguments/<id:argument_id>/versions")
def argument_versions(argument_id: int) -> ResponseReturnValue:
    """Every version of an argument, newest first: what each edit changed, who made it and why."""
    argument = arguments.get_argument(get_session(), argument_id)
    moderator = current_viewer().has_role(Role.MODERATOR)
    lookup.check_readable(argument.block.article, moderator)
    visible = policy.shows_content(argument, moderator)
    return render_template(
        template("versions"),
        argument=argument,
        entries=version_entries(argument) if visible else [],
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
