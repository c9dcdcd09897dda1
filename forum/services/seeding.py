"""A synthetic discussion on an article, for demos and benchmarks: members, arguments, sources, votes."""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.models import (
    Argument,
    Block,
    BlockKind,
    CitationSlot,
    ConsensusStatus,
    Member,
    Source,
    Stance,
    Vote,
    block_citations,
    utcnow,
)
from forum.rendering import render_markdown
from forum.services.arguments import Limits
from forum.services.consensus import set_consensus
from forum.services.lookup import get_article
from forum.services.votes import recount

NAMES = [
    "Amara", "Bruno", "Chen", "Dalia", "Emeka", "Freya", "Goran", "Hana", "Ines", "Jonas",
    "Kofi", "Lena", "Mateo", "Nadia", "Oskar", "Priya", "Quinn", "Rosa", "Sami", "Tove",
]
OPENINGS = {
    Stance.COUNTER: [
        "This overstates the case.", "The figures say otherwise.", "That does not follow.",
        "The paragraph leaves out the other side.", "The comparison is not a fair one.",
    ],
    Stance.SUPPORT: [
        "This holds up.", "The record bears this out.", "There is more evidence for this.",
        "Fair point, and it goes further.", "The numbers back this paragraph.",
    ],
    Stance.QUESTION: [
        "Where does this figure come from?", "Which year is this about?",
        "Is there a source for this claim?", "How was this measured?", "Who said this, exactly?",
    ],
}
CLOSINGS = [
    "See the source below.", "The wording matters here.", "Happy to be shown otherwise.",
    "This changes how the rest reads.", "It deserves a closer look.",
]
STATUSES = [
    ConsensusStatus.SUPPORTED, ConsensusStatus.CONTESTED,
    ConsensusStatus.REFUTED, ConsensusStatus.NEEDS_SOURCES,
]


@dataclass(frozen=True)
class SeedReport:
    """What a seeding made."""

    members: int
    arguments: int
    sources: int
    votes: int
    consensus_marks: int


def seed_members(session: so.Session, count: int) -> list[Member]:
    """At least `count` synthetic members (made once, then reused)."""
    existing = list(
        session.scalars(sa.select(Member).where(Member.user_id.like("seed:%")).order_by(Member.id))
    )
    for n in range(len(existing), count):
        existing.append(Member(user_id=f"seed:{n}", name=f"{NAMES[n % len(NAMES)]} {n + 1}"))
        session.add(existing[-1])
    session.flush()
    return existing[:count]


def body_for(rng: random.Random, stance: Stance, block_text: str) -> str:
    """A plausible argument about a paragraph: an opening, a quoted phrase of it, a closing."""
    words = re.findall(r"[^\W\d_][\w'-]*", block_text)
    phrase = " ".join(words[rng.randrange(max(1, len(words) - 4)) :][:4]) if words else "this"
    opening = rng.choice(OPENINGS[stance])
    return f"{opening} On *{phrase}*: {rng.choice(CLOSINGS)}"


def seed_discussion(
    session: so.Session,
    article_id: int,
    *,
    arguments_per_thread: int,
    votes_per_argument: int,
    seed: int = 0,
) -> SeedReport:
    """Fill every thread of an article with a synthetic discussion; the caller commits."""
    if arguments_per_thread < 0 or votes_per_argument < 0:
        raise Invalid("The numbers of arguments and votes cannot be negative.")
    article = get_article(session, article_id)
    rng = random.Random(seed)
    members = seed_members(session, max(votes_per_argument + 1, 8))
    threads = list(
        session.scalars(
            sa.select(Block)
            .where(Block.article_id == article.id, Block.kind != BlockKind.HEADING.value,
                   Block.removed_in.is_(None))
            .order_by(Block.position)
        )
    )
    slots: dict[int, list[tuple[int, int]]] = {}
    for block_id, slot_id, number in session.execute(
        sa.select(block_citations.c.block_id, CitationSlot.id, CitationSlot.number)
        .join(CitationSlot, CitationSlot.id == block_citations.c.slot_id)
        .where(CitationSlot.article_id == article.id)
    ):
        slots.setdefault(block_id, []).append((slot_id, number))

    start = utcnow() - timedelta(days=14)
    # Bodies are made from a few phrases and repeat often: rendering each distinct one once makes
    # large seedings (benchmarks of a million arguments) several times faster.
    rendered: dict[str, str] = {}
    planned: list[dict[str, Any]] = []
    for block in threads:
        for n in range(arguments_per_thread):
            stance = rng.choices(list(Stance), weights=[4, 3, 2])[0]
            body = body_for(rng, stance, block.text)
            planned.append(
                {
                    "block_id": block.id,
                    "author_id": rng.choice(members).id,
                    "stance": stance.value,
                    "body": body,
                    "html": rendered.get(body) or rendered.setdefault(body, render_markdown(body, Limits().body)),
                    "created_at": start + timedelta(minutes=rng.randrange(14 * 24 * 60)),
                    "revision": article.revision,
                    # About a third answer an earlier argument of the same thread.
                    "reply_to": rng.randrange(n) if n and rng.random() < 0.35 else None,
                }
            )
    ids = insert_arguments(session, planned, arguments_per_thread)
    sources = insert_sources(session, rng, planned, ids, slots)
    votes = insert_votes(session, rng, planned, ids, members, votes_per_argument)
    recount(session, Argument.block_id.in_([t.id for t in threads]))
    marks = mark_consensus(session, rng, threads)
    return SeedReport(len(members), len(ids), sources, votes, marks)


def insert_arguments(session: so.Session, planned: list[dict[str, Any]], per_thread: int) -> list[int]:
    """Insert the planned arguments in bulk, parents before replies; return their ids in plan order."""
    ids: list[int | None] = [None] * len(planned)
    pending = list(range(len(planned)))
    while pending:
        ready = [
            i for i in pending
            if planned[i]["reply_to"] is None
            or ids[i - i % per_thread + planned[i]["reply_to"]] is not None
        ]
        rows = []
        for i in ready:
            row = {k: v for k, v in planned[i].items() if k != "reply_to"}
            reply_to = planned[i]["reply_to"]
            row["parent_id"] = ids[i - i % per_thread + reply_to] if reply_to is not None else None
            rows.append(row)
        new_ids = session.scalars(
            sa.insert(Argument).returning(Argument.id, sort_by_parameter_order=True), rows
        ).all()
        for i, new_id in zip(ready, new_ids):
            ids[i] = new_id
        pending = [i for i in pending if ids[i] is None]
    return ids  # type: ignore[return-value]


def insert_sources(
    session: so.Session,
    rng: random.Random,
    planned: list[dict[str, Any]],
    ids: list[int],
    slots: dict[int, list[tuple[int, int]]],
) -> int:
    """Give about two arguments in five a source, some filling a footnote of their paragraph."""
    rows = []
    for plan, argument_id in zip(planned, ids):
        if rng.random() >= 0.4:
            continue
        choice = rng.choice(slots.get(plan["block_id"], [(None, None)]))
        filled = choice if rng.random() < 0.5 else (None, None)
        n = rng.randrange(1000)
        rows.append(
            {
                "argument_id": argument_id,
                "position": 0,
                "url": f"https://example.org/evidence/{n}",
                "title": f"Evidence file {n}",
                "quote": None,
                "citation": filled[1],
                "slot_id": filled[0],
            }
        )
    if rows:
        session.execute(sa.insert(Source), rows)
    return len(rows)


def insert_votes(
    session: so.Session,
    rng: random.Random,
    planned: list[dict[str, Any]],
    ids: list[int],
    members: list[Member],
    per_argument: int,
) -> int:
    """Give every argument `per_argument` votes from members other than its author."""
    rows = []
    for plan, argument_id in zip(planned, ids):
        voters = [m.id for m in members if m.id != plan["author_id"]]
        leaning = rng.random()  # how well this argument is received
        for voter in rng.sample(voters, min(per_argument, len(voters))):
            rows.append(
                {"argument_id": argument_id, "member_id": voter,
                 "value": 1 if rng.random() < leaning else -1}
            )
    if rows:
        session.execute(sa.insert(Vote), rows)
    return len(rows)


def mark_consensus(session: so.Session, rng: random.Random, threads: list[Block]) -> int:
    """Have a seeded moderator mark about one thread in six (at least one), history and audit included."""
    moderator = seed_moderator(session)
    marked = rng.sample(threads, k=max(len(threads) // 6, min(len(threads), 1)))
    for block in marked:
        set_consensus(
            session, block.id, moderator,
            status=rng.choice(STATUSES).value,
            note="Marked while seeding the demo discussion.",
            version=block.consensus_version,
        )
    return len(marked)


def seed_moderator(session: so.Session) -> Member:
    """The synthetic moderator who marks verdicts (made once, then reused)."""
    moderator = session.scalar(sa.select(Member).where(Member.user_id == "seed-moderator"))
    if moderator is None:
        moderator = Member(user_id="seed-moderator", name="Demo moderator", role="moderator")
        session.add(moderator)
        session.flush()
    return moderator
