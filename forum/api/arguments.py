"""Arguments in the API: a thread's tree, posting, editing, withdrawing, versions and preview."""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.present import argument_json, tree_json, version_json
from forum.api.schemas import (
    ArgumentIn,
    ArgumentOut,
    ArgumentPatch,
    ArgumentsOut,
    ArgumentsQuery,
    PreviewIn,
    PreviewOut,
    SourceIn,
    VersionsOut,
)
from forum.auth import acting_member, acting_name, current_viewer, require_role
from forum.db import get_session
from forum.models import Role
from forum.services import arguments, threads
from forum.services.lookup import check_readable, readable_thread
from forum.services.policy import shows_content
from forum.settings import content_limits

# Answered for an argument or thread of an unpublished article (except to moderators, where they read).
GONE = {410: ErrorBody}


def source_inputs(sources: list[SourceIn]) -> list[arguments.SourceInput]:
    """The API's sources as the service takes them."""
    return [arguments.SourceInput(s.url, s.title, s.quote, s.citation) for s in sources]


@registry.route(
    "/blocks/<id:block_id>/arguments", "GET", query=ArgumentsQuery, responses={200: ArgumentsOut, **GONE}
)
def list_arguments(block_id: int, query: ArgumentsQuery) -> ResponseReturnValue:
    """A thread's arguments as a tree, every reply included, paged by top-level argument.

    Who may call it: anyone; moderators also read what hidden arguments say.
    """
    session = get_session()
    viewer = current_viewer()
    moderator = viewer.has_role(Role.MODERATOR)
    tree = threads.argument_tree(
        session,
        readable_thread(session, block_id, moderator),
        sort=query.sort,
        limit=query.limit,
        after=query.after,
        viewer_id=viewer.member.id if viewer.member else None,
        snapshots=current_app.extensions["forum"].snapshots,
    )
    return {"arguments": tree_json(tree.nodes, moderator), "next": tree.next}


@registry.route(
    "/blocks/<id:block_id>/arguments", "POST", body=ArgumentIn,
    responses={201: ArgumentOut, 403: ErrorBody, 409: ErrorBody, **GONE}, auth=True, limited="post",
)
def post_argument(block_id: int, body: ArgumentIn) -> ResponseReturnValue:
    """Post an argument, or a reply to one, with its sources; only a post made counts against the limits.

    Who may call it: members.
    """
    argument = arguments.post_committed(
        get_session(),
        current_app.extensions["forum"].read_engine,
        block_id,
        arguments.Author(*acting_name(current_viewer())),
        stance=body.stance,
        body=body.body,
        parent_id=body.parent_id,
        sources=source_inputs(body.sources),
        limits=content_limits(),
    )
    return argument_json(argument), 201


@registry.route(
    "/arguments/<id:argument_id>", "PATCH", body=ArgumentPatch,
    responses={200: ArgumentOut, 403: ErrorBody, 409: ErrorBody, **GONE}, auth=True, limited="edit",
)
def edit_argument(argument_id: int, body: ArgumentPatch) -> ResponseReturnValue:
    """Edit an argument's body or sources (its author, or a moderator giving a reason); the earlier text is kept.

    Who may call it: the argument's author, or a moderator (with a reason, when it is not their own).
    """
    session = get_session()
    viewer = current_viewer()
    editor = acting_member(viewer)
    argument = arguments.edit_argument(
        session,
        arguments.get_argument(session, argument_id),
        editor,
        body=body.body,
        sources=source_inputs(body.sources) if body.sources is not None else None,
        reason=body.reason,
        limits=content_limits(),
    )
    session.commit()
    return argument_json(argument, moderator=viewer.has_role(Role.MODERATOR))


@registry.route(
    "/arguments/<id:argument_id>", "DELETE",
    responses={200: ArgumentOut, 403: ErrorBody, 409: ErrorBody, **GONE}, auth=True,
)
def withdraw_argument(argument_id: int) -> ResponseReturnValue:
    """Withdraw your own argument; its replies stay.

    Who may call it: the argument's author.
    """
    session = get_session()
    member = acting_member(current_viewer())
    argument = arguments.withdraw_argument(
        session, arguments.get_argument(session, argument_id), member
    )
    session.commit()
    return argument_json(argument)


@registry.route(
    "/arguments/<id:argument_id>/versions", "GET", responses={200: VersionsOut, **GONE}
)
def argument_versions(argument_id: int) -> ResponseReturnValue:
    """The earlier versions of an edited argument, oldest first, each with the edit that replaced it.

    Who may call it: anyone; those of a hidden or withdrawn argument, moderators only (others get an empty list).
    """
    argument = arguments.get_argument(get_session(), argument_id)
    moderator = current_viewer().has_role(Role.MODERATOR)
    check_readable(argument.block.article, moderator)
    if not shows_content(argument, moderator):
        return {"entries": []}
    return {"entries": [version_json(v, at) for v, at in arguments.edits(argument)]}


@registry.route("/preview", "POST", body=PreviewIn, responses={200: PreviewOut}, auth=True)
def preview(body: PreviewIn) -> ResponseReturnValue:
    """Render Markdown as a posted argument would be.

    Who may call it: members.
    """
    require_role(current_viewer())
    return {"html": arguments.preview_html(get_session(), body.body, content_limits())}
