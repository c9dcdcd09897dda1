"""A member's page: who they are, their arguments, the votes they received; moderators' tools for the member."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer
from forum.db import get_session
from forum.errors import ForumError
from forum.models import Role
from forum.plurals import plural
from forum.routing import parse_id
from forum.services import member_page, members
from forum.settings import template
from forum.views.forms import RefusedForm, show_again
from forum.views.site import blueprint


def member_view(member_id: int, refused: RefusedForm | None = None) -> str:
    """The member's page, one page of their arguments (`?after=` pages on), with a refused removal form again."""
    session = get_session()
    viewer = current_viewer()
    moderator = viewer.has_role(Role.MODERATOR)
    member = member_page.get_member(session, member_id)
    shown, older = member_page.arguments_of(
        session, member.id, moderator, after=parse_id(request.args.get("after"))
    )
    acting = viewer.member.acting_role if viewer.member else None
    return render_template(
        template("member"),
        member=member,
        role=Role(member.role),
        totals=member_page.totals(session, member.id, moderator),
        shown=shown,
        older=older,
        moderator=moderator,
        flags=member_page.flags_received(session, member.id) if moderator else [],
        # The removal form is offered where the service would take it (`members.remove_by`).
        may_remove=acting is not None and viewer.member is not None and viewer.member.id != member.id
        and member.removed_at is None and moderator and Role(member.role).rank < acting.rank,
        refused=refused,
    )


@blueprint.get("/members/<id:member_id>", endpoint="member_page")
def member_page_view(member_id: int) -> str:
    """A member's page: name, role, when they joined, their arguments newest first, the votes they received."""
    return member_view(member_id)


@blueprint.post("/members/<id:member_id>/remove")
def remove_member(member_id: int) -> ResponseReturnValue:
    """Remove a member (votes taken back, tokens revoked; they may still read), with a reason for the audit log."""
    session = get_session()
    try:
        votes = members.remove_by(
            session, acting_member(current_viewer()), member_id, request.form.get("reason", "")
        )
    except ForumError as error:
        fields = {"reason": "remove-reason"}
        return show_again(error, lambda refusal: member_view(member_id, RefusedForm.of(refusal, "remove", fields)))
    session.commit()
    flash(f"The member was removed; {plural(votes, 'vote')} taken back.")
    return redirect(url_for("forum.member_page", member_id=member_id), 303)
