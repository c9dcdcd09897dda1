"""An argument's own page: the argument in its thread, with the arguments it answers and its replies."""

from __future__ import annotations

import sys
from dataclasses import dataclass

import sqlalchemy.orm as so

from forum.services import threads
from forum.services.thread_page import ThreadView, argument_thread_view
from forum.services.threads import ArgumentRecord, Node, Snapshots


@dataclass
class ArgumentView:
    """An argument with its thread, the chain of arguments it answers (the first answers the paragraph) and its
    replies (in `node.replies`)."""

    thread: ThreadView
    node: Node
    parents: list[ArgumentRecord]


def argument_view(
    session: so.Session,
    argument_id: int,
    *,
    moderator: bool,
    viewer_id: int | None,
    sort: str = "best",
    snapshots: Snapshots | None = None,
) -> ArgumentView:
    """The argument in its thread, read as the thread page reads it (so the same arguments show, the same way).

    An argument of an unpublished article is refused (`Gone`) unless `moderator`, as its thread is.
    """
    thread = argument_thread_view(session, argument_id, moderator=moderator)
    # Every top-level argument, so that the argument is found wherever its thread's pages would put it.
    tree = threads.argument_tree(
        session, thread.block, sort=sort, limit=sys.maxsize, viewer_id=viewer_id, snapshots=snapshots
    )
    found: dict[int, Node] = {}
    stack = list(tree.nodes)
    while stack:
        node = stack.pop()
        found[node.argument.id] = node
        stack.extend(node.replies)
    node = found[argument_id]
    parents: list[ArgumentRecord] = []
    parent_id = node.argument.parent_id
    while parent_id is not None and parent_id in found:
        parent = found[parent_id].argument
        parents.append(parent)
        parent_id = parent.parent_id
    parents.reverse()
    return ArgumentView(thread, node, parents)
