"""The thread page: a paragraph, its verdict and its arguments as a tree, with every form it shows.

Every route that answers with the thread page (a post, a verdict, a moderation form refused) writes it
here, so that the routes depend on this module and it on none of them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy.orm as so
from flask import current_app, g, render_template, request, url_for

from forum.auth import Viewer, current_viewer
from forum.caching.serving import do_not_keep
from forum.csrf import csrf_token
from forum.db import get_session
from forum.models import Block, ConsensusChange, ConsensusStatus, Role, Suggestion
from forum.services import consensus, threads
from forum.services.counting import counts
from forum.services.policy import allows, state
from forum.services.thread_page import ThreadView, thread_view, watch_levels
from forum.services.threads import ArgumentRecord, Node, ViewerMarks, viewer_marks
from forum.services.watching import Levels
from forum.settings import content_limits, template
from forum.views import display
from forum.views.argument_tree import ArgumentTree, Slot
from forum.views.display import CONSENSUS_LABELS
from forum.views.forms import ArgumentDraft, RefusedForm, VerdictDraft
from forum.views.member_thread_page import (
    VERSIONS,
    assembled_for,
    copy_for,
    cut,
    marks_of,
    member_parts,
    page_key,
    put_back,
    serve,
    writing_lock,
)
from forum.views.member_thread_page import WatchChoice as WatchChoice  # where the article page takes it from
from forum.views.member_thread_page import watch_choice as watch_choice
from forum.views.paragraph_changes import paragraph_changes

# How long a member's read waits for another's writing of the same page before writing it too, in seconds.
WRITE_WAIT = 2.0
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


def with_parents(nodes: list[Node]) -> Iterator[tuple[Node, Node | None]]:
    """Every node of a tree with its parent, parents first, without recursion."""
    stack: list[tuple[Node, Node | None]] = [(node, None) for node in reversed(nodes)]
    while stack:
        node, parent = stack.pop()
        yield node, parent
        stack.extend((reply, node) for reply in reversed(node.replies))


def may_reply(block: Block, parent: Node | None) -> bool:
    """Whether the thread takes a reply to `parent` (an argument of it), as the policy says."""
    return parent is not None and allows("reply", **state(block, parent.argument))


def login_url() -> str | None:
    """Where the host signs readers in, if it has such a page."""
    manager = getattr(current_app, "login_manager", None)
    view = getattr(manager, "login_view", None)
    return url_for(view) if view else None


def sort_choice() -> str:
    """The sort the reader asked for, or the default."""
    sort = request.args.get("sort", "best")
    return sort if sort in threads.SORT_KEYS else "best"


def accepted(block: Block, suggestion: Suggestion, arguments: dict[int, ArgumentRecord]) -> VerdictDraft:
    """The verdict form filled from the suggestion: its status, and its basis (those that still count) as the
    key arguments; the note and the version stay the verdict's, and the moderator still saves it."""
    draft = VerdictDraft.of(block)
    draft.status = suggestion.status
    keys = [b["argument_id"] for b in suggestion.basis if b["argument_id"] in arguments]
    draft.keys = [k for k in keys if counts(arguments[k])][: consensus.KEY_ARGUMENTS_LIMIT]
    return draft


def suggestion_panel(suggestion: Suggestion | None, arguments: dict[int, ArgumentRecord]) -> dict[str, Any]:
    """What the page says of the computed suggestion: its status, and its basis as the thread's arguments."""
    if suggestion is None:
        return {"suggestion": None, "suggestion_basis": []}
    basis = [(b, arguments.get(b["argument_id"])) for b in suggestion.basis]
    return {"suggestion": suggestion, "suggestion_basis": basis}


def verdict_panel(
    session: so.Session,
    block: Block,
    viewer: Viewer,
    verdict: VerdictDraft | None,
    arguments: dict[int, ArgumentRecord],
    history: list[ConsensusChange] | None = None,
    suggestion: Suggestion | None = None,
) -> dict[str, Any]:
    """What the thread page's verdict panel shows: the verdict, its history, the computed suggestion, and the
    moderators' tools (where "Accept" on the suggestion, `?accept=suggestion`, fills the verdict form).

    `arguments` (the thread's, by id) spares a query for the key arguments, and `history` (read with the
    thread) one for the history; a thread whose verdict was never set has no history to read.
    """
    if history is None:
        history = consensus.history(session, block.id) if block.consensus_version else []
    context: dict[str, Any] = {
        "verdict_keys": consensus.key_arguments(session, block, dict(arguments)),
        "verdict_history": list(reversed(history)),
        "verdict_latest": history[-1] if history else None,
        "statuses": [(s.value, CONSENSUS_LABELS[s.value]) for s in ConsensusStatus],
        **suggestion_panel(suggestion, arguments),
    }
    if viewer.has_role(Role.MODERATOR):
        if verdict is None and suggestion is not None and request.args.get("accept") == "suggestion":
            verdict = accepted(block, suggestion, arguments)
            context["suggestion_accepted"] = True
        context["verdict"] = verdict or VerdictDraft.of(block)
        context["aid"] = consensus.decision_aid(session, block.id)
        # Only arguments that count may carry a verdict: withdrawn and hidden ones are never offered.
        context["thread_arguments"] = sorted(filter(counts, arguments.values()), key=lambda a: a.id)
    return context


def thread_page(
    block_id: int,
    draft: ArgumentDraft | None = None,
    verdict: VerdictDraft | None = None,
    refused: RefusedForm | None = None,
    posted: int | None = None,
) -> str:
    """The thread page with the argument form as `draft` has it (and the verdict form as `verdict` has it).

    A draft answering an argument of the thread opens the composer under that argument (the form for a
    new argument then stays blank). `refused` brings back a moderation form the service refused; `posted`
    is the argument just posted, which takes focus when the page is swapped in by htmx.
    """
    draft = draft if draft is not None else ArgumentDraft.blank(NEW_FORM_ROWS)
    return written_page(block_id, current_viewer(), draft, verdict, refused, posted)[0]


def read_page(block_id: int, draft: ArgumentDraft) -> str | bytes:
    """The thread page as a GET of it reads it: a plain member's assembled from the page all members share
    (`forum.views.member_thread_page`), sent as the bytes it was assembled as; any other written."""
    viewer = current_viewer()
    if draft.parent_id is None and assembled_for(viewer):
        page = member_page(block_id, viewer, draft)
        if page is not None:
            return page
    return written_page(block_id, viewer, draft, None, None, None)[0]


def member_page(block_id: int, viewer: Viewer, draft: ArgumentDraft) -> str | bytes | None:
    """A plain member's page assembled from the kind page of its version, written first if not kept (one writer
    per page and process at a time; the others wait for it, a while); None where it cannot be assembled."""
    pages = current_app.extensions["forum"].member_pages
    key = page_key(block_id, g.get(VERSIONS), sort_choice(), viewer)
    page = pages.get(key)
    session = get_session()
    member_id = viewer.member_id
    assert member_id is not None  # `assembled_for`
    mine: tuple[Levels, ViewerMarks] | None = None  # read with the page, when this request writes it
    if page is None:
        lock = writing_lock(key)
        waited = lock.acquire(timeout=WRITE_WAIT)
        try:
            page = pages.get(key)
            if page is None:
                slots: list[Slot] = []
                html, thread, writer = written_page(block_id, viewer, draft, None, None, None, slots)
                article_id = thread.block.article_id
                page = cut(html, slots, viewer, csrf_token(), member_parts(viewer, block_id, article_id, thread.watch),
                           writer.shared, block_id, article_id)
                if page is None:
                    return put_back(html, slots, writer)
                pages.put(page_key(block_id, (thread.block.version, thread.block.article.version), writer.sort,
                                   viewer), page)
                mine = thread.watch, marks_of(slots)
        finally:
            if waited:
                lock.release()
    if mine is None:
        mine = watch_levels(session, block_id, page.article_id, member_id), viewer_marks(session, block_id, member_id)
    token = csrf_token()
    copy = copy_for(page, viewer, mine[1], member_parts(viewer, block_id, page.article_id, mine[0]), token)
    return None if copy is None else serve(copy, token)


def written_page(
    block_id: int,
    viewer: Viewer,
    draft: ArgumentDraft,
    verdict: VerdictDraft | None,
    refused: RefusedForm | None,
    posted: int | None,
    slots: list[Slot] | None = None,
) -> tuple[str, ThreadView, ArgumentTree]:
    """The thread page written, its thread and its tree's writer (with `slots`, kept arguments left open)."""
    session = get_session()
    moderator = viewer.has_role(Role.MODERATOR)
    thread = thread_view(session, block_id, moderator=moderator, viewer_id=viewer.member.id if viewer.member else None)
    sort = sort_choice()
    memos = current_app.extensions["forum"]
    tree = threads.argument_tree(
        session, thread.block, sort=sort, viewer_id=viewer.member.id if viewer.member else None,
        snapshots=memos.snapshots,
    )
    by_id = {node.argument.id: node for node, _ in with_parents(tree.nodes)}
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
        login_url=login_url(), max_depth=MAX_DEPTH, csrf_token=csrf_token, fragments=memos.fragments,
        states=memos.argument_states, posted=posted, refused=refused, notices=display.argument_notices(),
        slots=slots,
    )
    columns = [
        (stance, heading, empty, [node for node in tree.nodes if node.argument.stance == stance])
        for stance, heading, empty in COLUMNS
    ]
    html = render_template(
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
        watch=watch_choice(viewer, thread.watch),
        watch_target="thread",
        **paragraph_changes(session, thread.block, moderator),
        **verdict_panel(
            session, thread.block, viewer, verdict, {i: node.argument for i, node in by_id.items()},
            thread.history, thread.suggestion,
        ),
    )
    return html, thread, writer
