"""A thread's arguments as a tree, each level sorted as the reader asked."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.caching.memos import Memo
from forum.errors import Invalid
from forum.models import Argument, ArgumentVersion, Block, Flag, Member, Source, Vote
from forum.services.counting import counts

# A thread's arguments (a snapshot) by (thread, page version): at most this many, and characters of text.
SNAPSHOT_LIMIT = 256
SNAPSHOT_CHARS = 32_000_000


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
    return float((up + down) ** (min(up, down) / max(up, down)))


class Ranked(Protocol):
    """What the sort orders read of an argument (a row, or the thread's snapshot of one)."""

    @property
    def id(self) -> int: ...

    @property
    def up(self) -> int: ...

    @property
    def down(self) -> int: ...

    @property
    def score(self) -> int: ...

    @property
    def created_at(self) -> datetime: ...

    @property
    def helpfulness(self) -> float | None: ...

    @property
    def helpful(self) -> bool | None: ...


def best(a: Ranked) -> tuple[int, float, int, int]:
    """Helpful arguments first, by helpfulness; then those not yet scored, by the Wilson lower bound; then
    those scored not helpful, by helpfulness. Votes from one camp alone make nothing helpful, so a brigade
    lifts its argument no higher than the unscored ones."""
    if a.helpful is None or a.helpfulness is None:
        return (1, -wilson_lower_bound(a.up, a.down), -a.score, a.id)
    return (0 if a.helpful else 2, -a.helpfulness, -a.score, a.id)


# Each key sorts ascending; ids break ties so that the order is stable between requests.
SORT_KEYS: dict[str, Callable[[Ranked], Any]] = {
    "best": best,
    "top": lambda a: (-a.score, -a.up, a.id),
    "new": lambda a: (-a.created_at.timestamp(), -a.id),
    "controversial": lambda a: (-controversy(a.up, a.down), -(a.up + a.down), a.id),
}


@dataclass(frozen=True, slots=True)
class AuthorRef:
    """Who wrote an argument, as the thread shows them."""

    id: int
    name: str


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """A source as the thread shows it."""

    url: str
    title: str | None
    quote: str | None
    citation: int | None
    # Whether a moderator accepted it to fill its footnote (else naming one only proposes it).
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class ArgumentRecord:
    """An argument as the thread shows it: a snapshot, the same for every reader of one page version."""

    id: int
    block_id: int
    parent_id: int | None
    author_id: int
    author: AuthorRef
    stance: str
    body: str
    html: str
    created_at: datetime
    edited_at: datetime | None
    withdrawn_at: datetime | None
    up: int
    down: int
    score: int
    hidden: bool
    hidden_reason: str | None
    # Whether a moderator (or an admin) ever edited it, the author being someone else.
    moderator_edited: bool
    sources: tuple[SourceRecord, ...]
    # What the last scoring made of its votes (`forum.services.scoring_runs`); None until scored.
    helpfulness: float | None = None
    helpful: bool | None = None


@dataclass
class Node:
    """An argument in the tree, with its replies, the viewer's vote on it and whether the viewer flagged it."""

    argument: ArgumentRecord
    my_vote: int = 0
    replies: list[Node] = field(default_factory=list)
    flagged: bool = False


def descendants(node: Node) -> Iterator[tuple[Node, Node]]:
    """Every reply under `node` at any depth, in reading order, each with the node it answers.

    Without recursion: a chain of replies may be thousands deep, far past Python's recursion limit.
    """
    stack = [(reply, node) for reply in reversed(node.replies)]
    while stack:
        child, parent = stack.pop()
        yield child, parent
        stack.extend((reply, child) for reply in reversed(child.replies))


@dataclass
class Tree:
    """One page of a thread's top-level arguments, every reply included."""

    nodes: list[Node]
    next: int | None
    # The thread's arguments that count (`forum.services.counting`), on every page together.
    total: int


def characters(records: tuple[ArgumentRecord, ...]) -> int:
    """The characters of text a snapshot holds: bodies and their HTML, names, reasons and sources."""
    return sum(
        len(r.body) + len(r.html) + len(r.author.name) + len(r.hidden_reason or "")
        + sum(len(s.url) + len(s.title or "") + len(s.quote or "") for s in r.sources)
        for r in records
    )


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A thread's arguments as of its page version and counts version (`Block.counts_version`), and the characters
    of text they hold (counted once: new counts leave them as they were)."""

    version: int
    counts_version: int
    records: tuple[ArgumentRecord, ...]
    chars: int

    def counts_alone_moved(self, block: Block) -> bool:
        """Whether only votes moved `block`'s page version since this snapshot: both versions grew alike (each vote
        moves both by one, any other write the page version alone), so only its arguments' counts changed."""
        grown = block.version - self.version
        return grown > 0 and block.counts_version - self.counts_version == grown


# A thread's arguments as of its page version: only the newest version read is kept, an older one being asked
# for no more once a newer is read (its records are then freed at once, not left for the garbage collector).
Snapshots = Memo[int, Snapshot]


def thread_snapshots() -> Snapshots:
    """Threads' arguments by thread, with the versions they were read at, read once per version in this
    process (`forum.caching.memos`), and read again after votes by their counts alone."""
    return Memo(lambda kept: kept.chars, SNAPSHOT_LIMIT, SNAPSHOT_CHARS)


MODERATOR_EDITED = (
    sa.select(ArgumentVersion.id)
    .where(ArgumentVersion.argument_id == Argument.id, ArgumentVersion.moderator_edit.is_(True))
    .exists()
)
ARGUMENTS = (
    sa.select(
        Argument.id, Argument.block_id, Argument.parent_id, Argument.author_id, Member.name,
        Argument.stance, Argument.body, Argument.html, Argument.created_at, Argument.edited_at,
        Argument.withdrawn_at, Argument.up, Argument.down, Argument.score, Argument.hidden,
        Argument.hidden_reason,
        # Only an edited argument can have been edited by a moderator: most never look.
        sa.and_(Argument.edited_at.is_not(None), MODERATOR_EDITED),
        Argument.helpfulness, Argument.helpful,
    )
    .join(Member, Member.id == Argument.author_id)
    .where(Argument.block_id == sa.bindparam("block_id"))
)
MINE = so.aliased(Vote)
MY_FLAG = so.aliased(Flag)
ARGUMENTS_WITH_VOTES = (
    ARGUMENTS.add_columns(MINE.value, MY_FLAG.id)
    .outerjoin(MINE, sa.and_(MINE.argument_id == Argument.id, MINE.member_id == sa.bindparam("viewer_id")))
    .outerjoin(MY_FLAG, sa.and_(MY_FLAG.argument_id == Argument.id, MY_FLAG.member_id == sa.bindparam("viewer_id")))
)
SOURCES = (
    sa.select(
        Source.argument_id, Source.url, Source.title, Source.quote, Source.citation,
        Source.accepted_at.is_not(None),
    )
    .join(Argument, Argument.id == Source.argument_id)
    .where(Argument.block_id == sa.bindparam("block_id"))
    .order_by(Source.argument_id, Source.position, Source.id)
)
# What a vote changes of a thread's arguments: their counts.
COUNTS = sa.select(Argument.id, Argument.up, Argument.down, Argument.score).where(
    Argument.block_id == sa.bindparam("block_id")
)
# The viewer's votes (value) and flags (None) in a thread, in one statement.
VOTES: sa.CompoundSelect[*tuple[Any, ...]] = sa.union_all(
    sa.select(Vote.argument_id, Vote.value)
    .join(Argument, Argument.id == Vote.argument_id)
    .where(Vote.member_id == sa.bindparam("viewer_id"), Argument.block_id == sa.bindparam("block_id")),
    sa.select(Flag.argument_id, sa.null())
    .join(Argument, Argument.id == Flag.argument_id)
    .where(Flag.member_id == sa.bindparam("viewer_id"), Argument.block_id == sa.bindparam("block_id")),
)


@dataclass
class ViewerMarks:
    """What the viewer did to a thread's arguments: their votes by argument id, and the arguments they flagged."""

    votes: dict[int, int] = field(default_factory=dict)
    flagged: set[int] = field(default_factory=set)


def viewer_marks(session: so.Session, block_id: int, viewer_id: int) -> ViewerMarks:
    """The viewer's votes and flags in a thread, in one statement."""
    marks = ViewerMarks()
    for argument_id, value in session.execute(VOTES, {"block_id": block_id, "viewer_id": viewer_id}):
        if value is None:
            marks.flagged.add(argument_id)
        else:
            marks.votes[argument_id] = value
    return marks


def load_arguments(
    session: so.Session, block: Block, viewer_id: int | None, snapshots: Snapshots | None = None
) -> tuple[tuple[ArgumentRecord, ...], ViewerMarks]:
    """The thread's arguments (from the snapshot of its version when kept) and the viewer's votes and flags.

    At most two statements: the arguments with the viewer's votes and flags and then their sources; with a
    snapshot kept, the viewer's votes and flags alone; with a snapshot that only votes made old, its counts
    read again (and the viewer's marks).
    """
    params = {"block_id": block.id, "viewer_id": viewer_id}
    marks = ViewerMarks()
    kept = snapshots.get(block.id) if snapshots is not None else None
    records = None
    if kept is not None and kept.version == block.version:
        records = kept.records
    elif kept is not None and snapshots is not None and kept.counts_alone_moved(block):
        records = with_counts(kept.records, session.execute(COUNTS, params).all())
        if records is not None:
            snapshots.put(block.id, Snapshot(block.version, block.counts_version, records, kept.chars), replace=True)
    if records is not None:
        return records, viewer_marks(session, block.id, viewer_id) if viewer_id is not None else marks
    rows = session.execute(ARGUMENTS_WITH_VOTES if viewer_id is not None else ARGUMENTS, params).all()
    if viewer_id is not None:
        marks.votes = {row[0]: row[-2] for row in rows if row[-2]}
        marks.flagged = {row[0] for row in rows if row[-1] is not None}
    sources: dict[int, list[SourceRecord]] = {}
    if rows:
        for argument_id, url, title, quote, citation, accepted in session.execute(SOURCES, params):
            sources.setdefault(argument_id, []).append(SourceRecord(url, title, quote, citation, bool(accepted)))
    records = tuple(
        ArgumentRecord(
            id=row[0], block_id=row[1], parent_id=row[2], author_id=row[3], author=AuthorRef(row[3], row[4]),
            stance=row[5], body=row[6], html=row[7], created_at=row[8], edited_at=row[9], withdrawn_at=row[10],
            up=row[11], down=row[12], score=row[13], hidden=row[14], hidden_reason=row[15],
            moderator_edited=bool(row[16]), sources=tuple(sources.get(row[0], ())),
            helpfulness=row[17], helpful=row[18],
        )
        for row in rows
    )
    if snapshots is not None:
        snapshots.put(
            block.id, Snapshot(block.version, block.counts_version, records, characters(records)), replace=True
        )
    return records, marks


def with_counts(
    records: tuple[ArgumentRecord, ...], counts: Sequence[Any]
) -> tuple[ArgumentRecord, ...] | None:
    """The records with the counts read (rows of `COUNTS`), each unchanged record kept as it was; None when the
    rows name other arguments than the records (a row written since the page version was read: read it all)."""
    by_id = {row[0]: row for row in counts}
    if len(by_id) != len(records):
        return None
    fresh = []
    for record in records:
        row = by_id.get(record.id)
        if row is None:
            return None
        if (record.up, record.down, record.score) != (row[1], row[2], row[3]):
            record = dataclasses.replace(record, up=row[1], down=row[2], score=row[3])
        fresh.append(record)
    return tuple(fresh)


def argument_tree(
    session: so.Session,
    block: Block,
    *,
    sort: str = "best",
    limit: int = 500,
    after: int | None = None,
    viewer_id: int | None = None,
    snapshots: Snapshots | None = None,
) -> Tree:
    """The thread's arguments as a tree with the viewer's votes, in two statements whatever its size.

    `snapshots` (the app's) spares reading the arguments again while the thread's version stands.
    """
    key = SORT_KEYS.get(sort)
    if key is None:
        raise Invalid(f"Sort by one of: {', '.join(SORT_KEYS)}.", field="sort")
    arguments, marks = load_arguments(session, block, viewer_id, snapshots)
    nodes = {a.id: Node(a, marks.votes.get(a.id, 0), flagged=a.id in marks.flagged) for a in arguments}
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
    return Tree(page, page[-1].argument.id if more and page else None, sum(map(counts, arguments)))
