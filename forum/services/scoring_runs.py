"""Scoring the forum's votes: every argument's helpfulness, then every thread's suggestion, and when to score again.

The scorer (`forum.scoring`) reads all votes at once: a member's other votes say which camp they vote with,
and that is what keeps one camp's votes from making an argument helpful. So a scoring reads every vote,
scores outside any lock, then writes only what changed (helpfulness rounded, so that noise in the last
digits moves no page). Scoring never runs inside a request: `flask forum score`, once or `--watch`ing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Argument, Block, ScoringRun, Vote, utcnow
from forum.scoring import ALGORITHM, ArgumentScore, input_digest, score_votes
from forum.services import suggestions
from forum.services.lookup import get_article

# Decimals of helpfulness kept: what a reader can tell apart, and no more.
DECIMALS = 3
BATCH = 1_000
VOTES = sa.select(Vote.id, Vote.member_id, Vote.argument_id, Vote.value)
SIGNATURE = sa.select(
    sa.func.count(Vote.id), sa.func.coalesce(sa.func.max(Vote.id), 0), sa.func.coalesce(sa.func.sum(Vote.value), 0)
)


@dataclass(frozen=True)
class VoteSignature:
    """What the votes are, cheaply: how many, the newest id, the sum of their values."""

    votes: int
    last_vote_id: int
    value_sum: int


@dataclass(frozen=True)
class ScoringReport:
    """What a scoring did."""

    votes: int
    arguments_scored: int
    arguments_changed: int
    helpful: int
    threads: int
    suggestions_changed: int
    algorithm: str
    digest: str


def read_votes(session: so.Session) -> tuple[list[int], list[int], list[int], VoteSignature]:
    """Every vote as parallel lists (voters, arguments, values), and their signature, from one statement."""
    voters: list[int] = []
    arguments: list[int] = []
    values: list[int] = []
    last = 0
    for vote_id, member_id, argument_id, value in session.execute(VOTES):
        voters.append(member_id)
        arguments.append(argument_id)
        values.append(value)
        last = max(last, vote_id)
    return voters, arguments, values, VoteSignature(len(values), last, sum(values))


def _stored(score: ArgumentScore | None) -> tuple[float | None, bool | None]:
    """An argument's helpfulness and helpful as stored (None, None when it was not scored)."""
    if score is None:
        return None, None
    helpfulness = None if score.helpfulness is None else round(float(score.helpfulness), DECIMALS)
    return helpfulness, None if score.helpful is None else bool(score.helpful)


def store_helpfulness(session: so.Session, scores: dict[int, ArgumentScore], article_id: int | None) -> int:
    """Write each argument's helpfulness where it changed (of one article, or all), in batches; how many."""
    query = sa.select(Argument.id, Argument.helpfulness, Argument.helpful).order_by(Argument.id)
    if article_id is not None:
        query = query.where(Argument.block_id.in_(sa.select(Block.id).where(Block.article_id == article_id)))
    changed: list[dict[str, Any]] = []
    for argument_id, helpfulness, helpful in session.execute(query):
        new_helpfulness, new_helpful = _stored(scores.get(argument_id))
        if (helpfulness, helpful) != (new_helpfulness, new_helpful):
            changed.append({"id": argument_id, "helpfulness": new_helpfulness, "helpful": new_helpful})
    for start in range(0, len(changed), BATCH):
        # By primary key, in id order: arguments are locked in the order voters lock them.
        session.execute(sa.update(Argument), changed[start : start + BATCH])
    return len(changed)


def score(
    session: so.Session, *, article_id: int | None = None, seed: int = 0, now: datetime | None = None
) -> ScoringReport:
    """Score every vote, then write the helpfulness and suggestions (of one article, or all); the caller commits."""
    if article_id is not None:
        get_article(session, article_id)
    voters, arguments, values, signature = read_votes(session)
    scores = score_votes(voters, arguments, values, seed=seed)
    digest = input_digest(voters, arguments, values)
    moment = now or utcnow()
    changed = store_helpfulness(session, scores, article_id)
    threads, written = suggestions.refresh(
        session, algorithm=ALGORITHM, digest=digest, now=moment, article_id=article_id,
        sides={argument_id: (s.sides[0], s.sides[1]) for argument_id, s in scores.items()},
    )
    session.add(ScoringRun(
        scored_at=moment, algorithm=ALGORITHM, input_digest=digest, seed=seed, votes=signature.votes,
        last_vote_id=signature.last_vote_id, value_sum=signature.value_sum, article_id=article_id,
    ))
    return ScoringReport(
        votes=signature.votes, arguments_scored=len(scores), arguments_changed=changed,
        helpful=sum(1 for s in scores.values() if s.helpful), threads=threads, suggestions_changed=written,
        algorithm=ALGORITHM, digest=digest,
    )


def signature(session: so.Session) -> VoteSignature:
    """The votes' signature now, in one statement."""
    votes, last, total = session.execute(SIGNATURE).one()
    return VoteSignature(int(votes), int(last), int(total))


def last_full_run(session: so.Session) -> ScoringRun | None:
    """The latest scoring of the whole forum."""
    return session.scalar(
        sa.select(ScoringRun).where(ScoringRun.article_id.is_(None)).order_by(ScoringRun.id.desc()).limit(1)
    )


@dataclass(frozen=True)
class Freshness:
    """How the scores stand against the votes: whether any vote changed, and how many are new."""

    changed: bool
    new_votes: int
    last_scored: datetime | None


def freshness(session: so.Session) -> Freshness:
    """Whether the votes changed since the last full scoring, and how many votes came since."""
    run = last_full_run(session)
    now = signature(session)
    if run is None:
        return Freshness(now.votes > 0, now.votes, None)
    then = VoteSignature(run.votes, run.last_vote_id, run.value_sum)
    new = session.scalar(sa.select(sa.func.count(Vote.id)).where(Vote.id > run.last_vote_id)) or 0
    return Freshness(now != then, int(new), run.scored_at)


def due(state: Freshness, *, after_votes: int, every: float, now: datetime) -> bool:
    """Whether to score again: something changed, and enough new votes came or long enough passed."""
    if not state.changed:
        return False
    if state.last_scored is None or state.new_votes >= after_votes:
        return True
    return (now - state.last_scored).total_seconds() >= every

