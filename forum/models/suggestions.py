"""What the scorer suggests: each thread's computed status with its basis, and the runs that computed them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models.articles import ConsensusStatus
from forum.models.base import Base, one_of, utcnow


class ScoringRun(Base):
    """One scoring of every vote of the forum: when, by which algorithm, and a digest of its input."""

    __tablename__ = "forum_scoring_runs"

    id: so.Mapped[int] = so.mapped_column(primary_key=True)
    scored_at: so.Mapped[datetime] = so.mapped_column(default=utcnow, index=True)
    algorithm: so.Mapped[str] = so.mapped_column(sa.String(100))
    # sha256 of the votes scored (`forum.scoring.input_digest`): an export with the same digest scores the same.
    input_digest: so.Mapped[str] = so.mapped_column(sa.String(64))
    seed: so.Mapped[int] = so.mapped_column(default=0)
    # What the votes were, to tell later how many came since (`forum.services.scoring_runs.fresh`).
    votes: so.Mapped[int] = so.mapped_column(default=0)
    last_vote_id: so.Mapped[int] = so.mapped_column(default=0)
    value_sum: so.Mapped[int] = so.mapped_column(default=0)
    # The article scored, when only one was (its arguments and threads alone were written).
    article_id: so.Mapped[int | None] = so.mapped_column()


class Suggestion(Base):
    """A thread's suggested status, computed from its arguments' helpfulness; a moderator's verdict is apart.

    `basis` lists the helpful arguments it rests on, as `{"argument_id", "stance", "helpfulness", "sides"}` (sides:
    how many raters of each side of the scorer's factor rated it, the larger side first); `voters`
    how many members voted on the thread's arguments of each stance. The row is written only when what it
    says changes, so `scored_at`, `algorithm` and `input_digest` name the scoring that made it so.
    """

    __tablename__ = "forum_suggestions"
    __table_args__ = (sa.CheckConstraint(one_of("status", ConsensusStatus), name="status"),)

    block_id: so.Mapped[int] = so.mapped_column(
        sa.ForeignKey("forum_blocks.id", ondelete="CASCADE"), primary_key=True
    )
    status: so.Mapped[str] = so.mapped_column(sa.String(16))
    basis: so.Mapped[list[dict[str, Any]]] = so.mapped_column(sa.JSON, default=list)
    voters: so.Mapped[dict[str, int]] = so.mapped_column(sa.JSON, default=dict)
    scored_at: so.Mapped[datetime] = so.mapped_column(default=utcnow)
    algorithm: so.Mapped[str] = so.mapped_column(sa.String(100))
    input_digest: so.Mapped[str] = so.mapped_column(sa.String(64))
