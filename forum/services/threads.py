"""A thread's arguments as a tree, each level sorted as the reader asked."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.models import Argument, Block, Vote


def wilson_lower_bound(up: int, down: int, z: float = 1.959964) -> float:
    """The lower bound of the 95% Wilson score interval of the share of up-votes."""
    n = up + down
    if n == 0:
        return 0.0
    p = up / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt((p * (1 - p) + z * z / (4 * n)) / n)
    return (centre - spread) / (1 + z * z / n)


def controversy(up: int, down: int) -> float:
    """High when many votes fall on both sides in equal measure; zero when one side has none."""
    if up == 0 or down == 0:
        return 0.0
    return (up + down) ** (min(up, down) / max(up, down))


# Each key sorts ascending; ids break ties so that the order is stable between requests.
SORT_KEYS: dict[str, Callable[[Argument], Any]] = {
    "best": lambda a: (-wilson_lower_bound(a.up, a.down), -a.score, a.id),
    "top": lambda a: (-a.score, -a.up, a.id),
    "new": lambda a: (-a.created_at.timestamp(), -a.id),
    "controversial": lambda a: (-controversy(a.up, a.down), -(a.up + a.down), a.id),
}


@dataclass
class Node:
    """An argument in the tree, with its replies and the viewer's vote on it."""

    argument: Argument
    my_vote: int = 0
    replies: list[Node] = field(default_factory=list)


@dataclass
class Tree:
    """One page of a thread's top-level arguments, every reply included."""

    nodes: list[Node]
    next: int | None
    total: int


def argument_tree(
    session: so.Session,
    block: Block,
    *,
    sort: str = "best",
    limit: int = 500,
    after: int | None = None,
    viewer_id: int | None = None,
) -> Tree:
    """The thread's arguments as a tree (with the viewer's votes), in two statements whatever its size."""
    key = SORT_KEYS.get(sort)
    if key is None:
        raise Invalid(f"Sort by one of: {', '.join(SORT_KEYS)}.", field="sort")
    query = (
        sa.select(Argument)
        .where(Argument.block_id == block.id)
        .options(so.selectinload(Argument.sources))
    )
    votes: dict[int, int] = {}
    if viewer_id is None:
        arguments = list(session.scalars(query))
    else:
        # The viewer's own votes come with the arguments, in the same statement.
        mine = so.aliased(Vote)
        rows = session.execute(
            query.add_columns(mine.value).outerjoin(
                mine, sa.and_(mine.argument_id == Argument.id, mine.member_id == viewer_id)
            )
        ).all()
        arguments = [argument for argument, _ in rows]
        votes = {argument.id: value for argument, value in rows if value}
    nodes = {a.id: Node(a, votes.get(a.id, 0)) for a in arguments}
    roots: list[Node] = []
    for node in sorted(nodes.values(), key=lambda n: key(n.argument)):
        parent = node.argument.parent_id
        (nodes[parent].replies if parent in nodes else roots).append(node)
    start = 0
    if after is not None:
        ids = [node.argument.id for node in roots]
        if after not in ids:
            raise Invalid("The `after` cursor names no top-level argument of this thread.", field="after")
        start = ids.index(after) + 1
    page = roots[start : start + limit]
    more = start + limit < len(roots)
    return Tree(page, page[-1].argument.id if more and page else None, len(arguments))
