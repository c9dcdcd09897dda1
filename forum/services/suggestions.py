"""Each thread's suggested status, computed from its arguments' helpfulness by the product's rules.

Only top-level arguments that count stand towards the paragraph (a reply's stance reads against the argument
it answers). A thread is `supported` when a support is helpful and no counter is, `refuted` the reverse,
`contested` with both; with neither, `needs_sources` when a helpful question or an open citation slot asks
for evidence; else `open`. A suggestion is never a verdict: moderators set those, and see it beside the form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Argument, Block, BlockKind, CitationSlot, ConsensusStatus, Source, Stance, Suggestion, Vote
from forum.models import block_citations as citations
from forum.services.counting import counted_arguments

# Suggestions a verdict is checked against: those resting on helpful support or counters.
CONFIDENT = (ConsensusStatus.SUPPORTED.value, ConsensusStatus.REFUTED.value, ConsensusStatus.CONTESTED.value)
# Rows written in one statement.
BATCH = 1_000


@dataclass(frozen=True, slots=True)
class Scored:
    """A thread's top-level argument as the rules read it."""

    id: int
    stance: str
    helpfulness: float | None
    helpful: bool | None


@dataclass(frozen=True)
class Suggested:
    """What the rules make of one thread: a status and the helpful arguments it rests on."""

    status: str
    basis: list[dict[str, Any]] = field(default_factory=list)


def suggest(arguments: Iterable[Scored], open_citations: int) -> Suggested:
    """The status the product's rules give a thread, with its basis (most helpful first)."""
    helpful = sorted((a for a in arguments if a.helpful), key=lambda a: (-(a.helpfulness or 0.0), a.id))
    by_stance = {s.value: [a for a in helpful if a.stance == s.value] for s in Stance}
    support, counter, questions = by_stance["support"], by_stance["counter"], by_stance["question"]
    if support and counter:
        status, basis = ConsensusStatus.CONTESTED, [a for a in helpful if a.stance != Stance.QUESTION]
    elif support:
        status, basis = ConsensusStatus.SUPPORTED, support
    elif counter:
        status, basis = ConsensusStatus.REFUTED, counter
    elif questions or open_citations:
        status, basis = ConsensusStatus.NEEDS_SOURCES, questions
    else:
        status, basis = ConsensusStatus.OPEN, []
    return Suggested(
        status.value, [{"argument_id": a.id, "stance": a.stance, "helpfulness": a.helpfulness} for a in basis]
    )


def _threads(article_id: int | None) -> sa.ColumnElement[bool]:
    """The blocks with a thread, of one article or of all."""
    where = Block.kind != BlockKind.HEADING.value
    return sa.and_(where, Block.article_id == article_id) if article_id is not None else where


def _in_scope(article_id: int | None) -> sa.ColumnElement[bool]:
    """Arguments of the article's threads (or of every thread)."""
    if article_id is None:
        return sa.true()
    return Argument.block_id.in_(sa.select(Block.id).where(Block.article_id == article_id))


def open_citations(session: so.Session, article_id: int | None) -> dict[int, int]:
    """How many open citation slots each block cites: no URL from the article, none accepted from a member."""
    accepted = (
        sa.select(Source.id)
        .join(Argument, Argument.id == Source.argument_id)
        .where(Source.slot_id == CitationSlot.id, Source.accepted_at.is_not(None), counted_arguments())
        .exists()
    )
    query = (
        sa.select(citations.c.block_id, sa.func.count())
        .join(CitationSlot, CitationSlot.id == citations.c.slot_id)
        .where(sa.or_(CitationSlot.url.is_(None), CitationSlot.url == ""), ~accepted)
        .group_by(citations.c.block_id)
    )
    if article_id is not None:
        query = query.where(CitationSlot.article_id == article_id)
    return {block_id: count for block_id, count in session.execute(query)}


def voters_by_stance(session: so.Session, article_id: int | None) -> dict[int, dict[str, int]]:
    """How many members voted on each thread's top-level arguments of each stance (those that count)."""
    from_votes = (
        sa.select(Argument.block_id, Argument.stance, sa.func.count(sa.distinct(Vote.member_id)))
        .join(Vote, Vote.argument_id == Argument.id)
        .where(Argument.parent_id.is_(None), counted_arguments(), _in_scope(article_id))
        .group_by(Argument.block_id, Argument.stance)
    )
    found: dict[int, dict[str, int]] = {}
    for block_id, stance, count in session.execute(from_votes):
        found.setdefault(block_id, {s.value: 0 for s in Stance})[stance] = count
    return found


def refresh(
    session: so.Session, *, algorithm: str, digest: str, now: datetime, article_id: int | None = None,
    sides: Mapping[int, tuple[int, int]] | None = None,
) -> tuple[int, int]:
    """Compute every thread's suggestion (of one article, or all) and write those that changed.

    `sides` (by argument id) says how many raters of each side of the scorer's factor rated an argument;
    each basis entry keeps it, for moderators. Returns (threads computed, suggestions written). A suggestion
    that says what it said already is left as it was, so that its pages keep their versions.
    """
    sides = sides or {}
    arguments: dict[int, list[Scored]] = {}
    for id_, block_id, stance, helpfulness, helpful in session.execute(
        sa.select(Argument.id, Argument.block_id, Argument.stance, Argument.helpfulness, Argument.helpful)
        .where(Argument.parent_id.is_(None), counted_arguments(), _in_scope(article_id))
    ):
        arguments.setdefault(block_id, []).append(Scored(id_, stance, helpfulness, helpful))
    slots = open_citations(session, article_id)
    voters = voters_by_stance(session, article_id)
    stored = {s.block_id: s for s in session.scalars(
        sa.select(Suggestion).join(Block, Block.id == Suggestion.block_id).where(_threads(article_id))
    )}
    blocks = list(session.scalars(sa.select(Block.id).where(_threads(article_id)).order_by(Block.id)))
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for block_id in blocks:
        made = suggest(arguments.get(block_id, []), slots.get(block_id, 0))
        made = Suggested(made.status, [{**b, "sides": list(sides.get(b["argument_id"], (0, 0)))} for b in made.basis])
        counted = voters.get(block_id, {s.value: 0 for s in Stance})
        row = {"block_id": block_id, "status": made.status, "basis": made.basis, "voters": counted,
               "scored_at": now, "algorithm": algorithm, "input_digest": digest}
        old = stored.get(block_id)
        if old is None:
            inserts.append(row)
        elif (old.status, old.basis, old.voters, old.algorithm) != (made.status, made.basis, counted, algorithm):
            updates.append(row)
    for chunk in _chunks(inserts):
        session.execute(sa.insert(Suggestion), chunk)
    for chunk in _chunks(updates):
        session.execute(sa.update(Suggestion), chunk)
    if stored:
        session.expire_all()
    return len(blocks), len(inserts) + len(updates)


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterable[Sequence[dict[str, Any]]]:
    """Rows in batches, so that no statement binds more values than a database takes."""
    for start in range(0, len(rows), BATCH):
        yield rows[start : start + BATCH]


def suggestion_of(session: so.Session, block_id: int) -> Suggestion | None:
    """A thread's stored suggestion, if it was ever scored."""
    return session.get(Suggestion, block_id)


@dataclass(frozen=True)
class Disagreement:
    """A verdict that a confident suggestion disagrees with: for a second look."""

    block: Block
    suggestion: Suggestion


def disagreements(session: so.Session, limit: int = 100) -> list[Disagreement]:
    """Verdicts set by a moderator that differ from a confident suggestion, most recently set first."""
    rows = session.execute(
        sa.select(Block, Suggestion)
        .join(Suggestion, Suggestion.block_id == Block.id)
        .where(
            Block.consensus_version > 0,
            Suggestion.status.in_(CONFIDENT),
            Block.consensus_status != Suggestion.status,
        )
        .order_by(Block.consensus_set_at.desc(), Block.id)
        .limit(limit)
    )
    return [Disagreement(block, suggestion) for block, suggestion in rows]
