"""Moderation pages: flagging, hiding and locking from the thread page; the dashboard, audit log and members."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError
from forum.models import Role
from forum.ratelimit import counted
from forum.rendering import render_markdown
from forum.routing import parse_id
from forum.services import arguments, audit, consensus, members, moderation, revision_review, suggestions
from forum.settings import template
from forum.views.display import notice_beside
from forum.views.forms import RefusedForm, show_again
from forum.views.site import blueprint
from forum.views.thread_page import thread_page

AUDIT_PAGE = 50
VERDICT_ACTION = "consensus.set"


def permalink(block_id: int, argument_id: int) -> str:
    """An argument's place on its thread page."""
    return url_for("forum.thread", block_id=block_id, _anchor=f"argument-{argument_id}")


def done(message: str, target: str) -> ResponseReturnValue:
    """Say what happened and go back where the moderator came from (303, so a reload does not repeat it)."""
    get_session().commit()
    flash(message)
    return redirect(target, 303)


def refuse(error: ForumError, block_id: int | None, form: str, fields: dict[str, str]) -> ResponseReturnValue:
    """Show a refusal on the page it came from (the thread, else the dashboard), as `show_again` does.

    The form comes back open with what was typed, and the message beside the input at fault;
    `fields` maps the service's field names to the ids of the form's inputs.
    """
    if block_id is None:
        return show_again(error, lambda refusal: dashboard_page(RefusedForm.of(refusal, form, fields)))
    return show_again(error, lambda refusal: thread_page(block_id, refused=RefusedForm.of(refusal, form, fields)))


def thread_of(argument_id: int) -> int:
    """The thread an argument belongs to."""
    return arguments.get_argument(get_session(), argument_id).block_id


def sign_in_first() -> ResponseReturnValue | None:
    """Send an anonymous reader to sign in before a moderator page; refuse members."""
    viewer = current_viewer()
    login_view = getattr(getattr(current_app, "login_manager", None), "login_view", None)
    if not viewer.is_authenticated and login_view:
        return redirect(url_for(login_view, next=request.full_path.rstrip("?")))
    require_role(viewer, Role.MODERATOR)
    return None


@blueprint.post("/arguments/<id:argument_id>/flag")
def flag_argument(argument_id: int) -> ResponseReturnValue:
    """Flag another member's argument for the moderators, once; the thanks are said beside the argument."""
    session = get_session()
    member = acting_member(current_viewer())
    try:
        with counted("flag"):
            moderation.flag(
                session, argument_id, member, request.form.get("reason", ""), request.form.get("note", "")
            )
            session.commit()
    except ForumError as error:
        fields = {"reason": f"flag-reason-{argument_id}", "note": f"flag-note-{argument_id}"}
        return refuse(error, thread_of(argument_id), f"flag-{argument_id}", fields)
    flash("Thank you: the moderators will look at this argument.", notice_beside(argument_id))
    return redirect(permalink(thread_of(argument_id), argument_id), 303)


@blueprint.post("/arguments/<id:argument_id>/hide")
def hide_argument(argument_id: int) -> ResponseReturnValue:
    """Hide an argument with a reason; its content is kept for moderators."""
    session = get_session()
    try:
        argument = moderation.hide(session, argument_id, acting_member(current_viewer()),
                                   request.form.get("reason", ""))
    except ForumError as error:
        fields = {"reason": f"hide-reason-{argument_id}"}
        return refuse(error, thread_of(argument_id), f"hide-{argument_id}", fields)
    return done("The argument is hidden.", permalink(argument.block_id, argument.id))


@blueprint.post("/arguments/<id:argument_id>/restore")
def restore_argument(argument_id: int) -> ResponseReturnValue:
    """Show a hidden argument again, with a reason."""
    session = get_session()
    try:
        argument = moderation.restore(session, argument_id, acting_member(current_viewer()),
                                      request.form.get("reason", ""))
    except ForumError as error:
        fields = {"reason": f"hide-reason-{argument_id}"}
        return refuse(error, thread_of(argument_id), f"hide-{argument_id}", fields)
    return done("The argument is shown again.", permalink(argument.block_id, argument.id))


@blueprint.post("/blocks/<id:block_id>/lock")
def lock_thread(block_id: int) -> ResponseReturnValue:
    """Lock or unlock a thread, with a reason shown to everyone."""
    locked = request.form.get("locked") == "1"
    try:
        moderation.lock(get_session(), block_id, acting_member(current_viewer()), locked,
                        request.form.get("reason", ""))
    except ForumError as error:
        return refuse(error, block_id, "lock", {"reason": "lock-reason"})
    message = "The thread is locked." if locked else "The thread is open again."
    return done(message, url_for("forum.thread", block_id=block_id))


@blueprint.post("/flags/<id:flag_id>/resolve")
def resolve_flag(flag_id: int) -> ResponseReturnValue:
    """Dismiss a flag, or hide its argument, from the queue."""
    action = request.form.get("action", "")
    try:
        moderation.resolve_flag(get_session(), flag_id, acting_member(current_viewer()), action,
                                request.form.get("reason", ""))
    except ForumError as error:
        return refuse(error, None, f"resolve-{flag_id}", {"reason": f"flag-reason-{flag_id}"})
    message = "The argument is hidden." if action == "hide" else "The flag is dismissed."
    return done(message, url_for("forum.moderation_dashboard"))


@blueprint.get("/moderation")
def moderation_dashboard() -> ResponseReturnValue:
    """The moderators' desk: open flags, verdicts a confident suggestion disagrees with, recent verdicts, hidden
    content, locked threads."""
    if (detour := sign_in_first()) is not None:
        return detour
    return dashboard_page()


def dashboard_page(refused: RefusedForm | None = None) -> str:
    """The dashboard as it stands now, with a refused form (`refused`) open again."""
    session = get_session()
    return render_template(
        template("moderation"),
        flags=moderation.open_flags(session),
        changes=consensus.recent_changes(session),
        second_looks=suggestions.disagreements(session),
        to_review=revision_review.verdicts_to_review(session),
        unsure=revision_review.unsure_removals(session),
        hidden=moderation.hidden_arguments(session),
        locked=moderation.locked_threads(session),
        permalink=permalink,
        refused=refused,
    )


@blueprint.get("/moderation/audit")
def audit_log() -> ResponseReturnValue:
    """Every moderator and admin action, newest first, filtered by action and actor, paged back."""
    if (detour := sign_in_first()) is not None:
        return detour
    session = get_session()
    args = request.args
    action = args.get("action", "")
    actor = args.get("actor", "")
    before = args.get("before", "")
    rows = audit.entries(
        session, action=action or None, actor_id=parse_id(actor), before=parse_id(before),
        limit=AUDIT_PAGE + 1,
    )
    older = rows[AUDIT_PAGE - 1].id if len(rows) > AUDIT_PAGE else None
    entries = rows[:AUDIT_PAGE]
    # A verdict's note is Markdown, shown as the thread shows it.
    notes = {
        e.id: render_markdown(e.reason, consensus.NOTE_LIMIT)
        for e in entries if e.action == VERDICT_ACTION and e.reason
    }
    return render_template(
        template("audit"), entries=entries, older=older, action=action, actor=actor, notes=notes,
        actions=audit.actions(session), actors=audit.actors(session),
    )


@blueprint.get("/moderation/members")
def member_list() -> ResponseReturnValue:
    """The members with their roles, for an admin to appoint or remove moderators."""
    if (detour := sign_in_first()) is not None:
        return detour
    require_role(current_viewer(), Role.ADMIN)
    return render_template(template("members"), members=members.roster(get_session()), roles=[r.value for r in Role])


@blueprint.post("/members/<id:member_id>/role")
def change_role(member_id: int) -> ResponseReturnValue:
    """Give a member a role: appoint or remove a moderator."""
    role = members.parse_role(request.form.get("role", ""))
    member = members.appoint(get_session(), acting_member(current_viewer()), member_id, role)
    return done(f"{member.name} is now {role.with_article}.", url_for("forum.member_list"))
