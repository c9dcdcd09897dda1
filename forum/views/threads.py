"""The thread page: a paragraph, its consensus and its arguments as a tree; posting arguments and replies."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError
from forum.models import Block, Role
from forum.caching.serving import do_not_keep
from forum.ratelimit import counted
from forum.services import arguments, articles, threads
from forum.services.policy import allows
from forum.services.threads import Node
from forum.settings import content_limits, template
from forum.csrf import csrf_token
from forum.views import blueprint, display
from forum.views.argument_tree import ArgumentTree
from forum.views import consensus as consensus_views
from forum.views.consensus import VerdictDraft
from forum.views.forms import ArgumentDraft

if TYPE_CHECKING:
    from forum.views.moderation import Refusal
from forum.routing import parse_id

# One source row to begin with: "Add another source" brings more.
NEW_FORM_ROWS = 1
# Replies deeper than this fold into a "show more replies" box, so that indentation stays readable.
MAX_DEPTH = 4
STANCES = [
    ("counter", "Counter", "the paragraph is wrong or misleading"),
    ("support", "Support", "the paragraph holds up"),
    ("question", "Question", "something needs asking or clarifying"),
]
# A reply's stance reads against the argument it answers, not against the paragraph.
REPLY_STANCES = [
    ("counter", "Counter", "disagrees with this argument"),
    ("support", "Support", "agrees with this argument"),
    ("question", "Question", "asks about this argument"),
]
# The page's columns of top-level arguments (counter and support side by side, questions below), each
# ranked by the sort: (stance, heading, what an empty column says).
COLUMNS = [
    ("counter", "Counterarguments", "No counterargument yet."),
    ("support", "Supporting arguments", "No supporting argument yet."),
    ("question", "Questions", "No question yet."),
]
HTMX_MAIN = {"HX-Retarget": "#main", "HX-Reselect": "#main", "HX-Reswap": "outerHTML"}


def walk(nodes: list[Node]) -> Iterator[tuple[Node, Node | None]]:
    """Every node of a tree with its parent, parents first, without recursion."""
    stack: list[tuple[Node, Node | None]] = [(node, None) for node in reversed(nodes)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        stack.extend((reply, node) for reply in reversed(node.replies))


def may_reply(block: Block, parent: Node | None) -> bool:
    """Whether the thread takes a reply to `parent` (an argument of it), as the policy says."""
    if parent is None:
        return False
    argument = parent.argument
    return allows(
        "reply", locked=block.locked, hidden=argument.hidden, withdrawn=argument.withdrawn_at is not None,
        unpublished=block.article.unpublished_at is not None,
    )


def login_url() -> str | None:
    """Where the host signs readers in, if it has such a page."""
    manager = getattr(current_app, "login_manager", None)
    view = getattr(manager, "login_view", None)
    return url_for(view) if view else None


def sort_choice() -> str:
    """The sort the reader asked for, or the default."""
    sort = request.args.get("sort", "best")
    return sort if sort in threads.SORT_KEYS else "best"


def render_thread(
    block_id: int,
    draft: ArgumentDraft,
    status: int = 200,
    verdict: VerdictDraft | None = None,
    refused: Refusal | None = None,
    posted: int | None = None,
) -> tuple[str, int]:
    """The thread page with the argument form as `draft` has it (and the verdict form as `verdict` has it).

    A draft answering an argument of the thread opens the composer under that argument (the form for a
    new argument then stays blank). `refused` brings back a moderation form the service refused; `posted`
    is the argument just posted, which takes focus when the page is swapped in by htmx.
    """
    session = get_session()
    viewer = current_viewer()
    moderator = viewer.has_role(Role.MODERATOR)
    thread = articles.thread_view(session, block_id, moderator=moderator)
    sort = sort_choice()
    state = current_app.extensions["forum"]
    tree = threads.argument_tree(
        session, thread.block, sort=sort, viewer_id=viewer.member.id if viewer.member else None,
        snapshots=state.snapshots,
    )
    by_id = {node.argument.id: node for node, _ in walk(tree.nodes)}
    asked = draft.parent_id
    if request.method == "GET" and asked is not None and not may_reply(thread.block, by_id.get(asked)):
        # A link to reply where no reply is taken opens a new argument instead; that page is not kept
        # under the link's own key, lest every number in `reply_to` make a page of its own.
        draft.parent_id = None
        do_not_keep()
    # Only a member has a composer: a reader is asked to sign in first (by the "Reply" link itself).
    replying_to = by_id.get(draft.parent_id) if draft.parent_id and viewer.is_authenticated else None
    marker = display.thread_marker(thread)
    writer = ArgumentTree(
        block=thread.block, viewer=viewer, moderator=moderator, sort=sort,
        login_url=login_url(), max_depth=MAX_DEPTH, csrf_token=csrf_token, fragments=state.fragments,
        posted=posted, refused=refused, notices=display.argument_notices(),
    )
    columns = [
        (stance, heading, empty, [node for node in tree.nodes if node.argument.stance == stance])
        for stance, heading, empty in COLUMNS
    ]
    page = render_template(
        template("thread"),
        thread=thread,
        block=thread.block,
        article=thread.block.article,
        tree=tree,
        columns=columns,
        render_tree=writer.render,
        sort=sort,
        sorts=list(threads.SORT_KEYS),
        draft=ArgumentDraft.blank(NEW_FORM_ROWS) if replying_to else draft,
        reply_draft=draft if replying_to else None,
        replying_to=replying_to,
        stances=STANCES,
        reply_stances=REPLY_STANCES,
        limits=content_limits(),
        moderator=moderator,
        cite=lambda block, text: display.with_citations(text, marker),
        refused=refused,
        posted=posted,
        **consensus_views.panel(
            session, thread.block, viewer, verdict, {i: node.argument for i, node in by_id.items()},
            thread.history,
        ),
    )
    return page, status


@blueprint.get("/blocks/<id:block_id>")
def thread(block_id: int) -> ResponseReturnValue:
    """A paragraph's thread: the text, its consensus and its arguments; `?reply_to=` opens a reply."""
    reply_to = request.args.get("reply_to", "")
    draft = ArgumentDraft.blank(NEW_FORM_ROWS, parse_id(reply_to))
    return render_thread(block_id, draft)


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
        return render_thread(block_id, draft, draft.status)
    session = get_session()
    try:
        with counted("post"):
            argument = arguments.post_argument(
                session,
                articles.get_thread(session, block_id),
                acting_member(viewer),
                stance=draft.stance,
                body=draft.body,
                parent_id=draft.parent_id,
                sources=draft.source_inputs(),
                limits=limits,
            )
            session.commit()
    except ForumError as error:
        if error.status == 404:
            raise
        session.rollback()
        draft.show(error)
        return *render_thread(block_id, draft, error.status), error.headers()
    flash("Your reply was posted." if argument.parent_id else "Your argument was posted.")
    target = url_for("forum.thread", block_id=block_id, _anchor=f"argument-{argument.id}")
    if request.headers.get("HX-Request") == "true":
        # The composer sent it, but the whole main part comes back: the thread with the new argument, its
        # address in the history.
        page, status = render_thread(block_id, ArgumentDraft.blank(NEW_FORM_ROWS), posted=argument.id)
        return page, status, {"HX-Push-Url": target, **HTMX_MAIN}
    return redirect(target, 303)
