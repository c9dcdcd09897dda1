"""What the printable report of an article shows beside its text: for each thread its key arguments, its
strongest counter and support, and its sources."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Argument, Block, Source
from forum.services.counting import counted_arguments
from forum.services.threads import best


@dataclass
class ThreadReport:
    """One thread's part of the report."""

    key_arguments: list[Argument] = field(default_factory=list)
    strongest: dict[str, Argument] = field(default_factory=dict)
    sources: list[Source] = field(default_factory=list)


def thread_reports(session: so.Session, article_id: int) -> dict[int, ThreadReport]:
    """Each thread's report, by block id, from the arguments that count (two statements)."""
    arguments = session.scalars(
        sa.select(Argument).join(Block, Block.id == Argument.block_id)
        .where(Block.article_id == article_id, counted_arguments())
        .options(so.selectinload(Argument.sources))
    ).all()
    keys = {
        block_id: list(ids or [])
        for block_id, ids in session.execute(
            sa.select(Block.id, Block.consensus_key_arguments).where(Block.article_id == article_id)
        )
    }
    by_id = {a.id: a for a in arguments}
    reports: dict[int, ThreadReport] = {}
    for argument in sorted(arguments, key=best):
        report = reports.setdefault(argument.block_id, ThreadReport())
        if argument.stance in ("counter", "support"):
            report.strongest.setdefault(argument.stance, argument)
    for argument in sorted(arguments, key=lambda a: a.id):
        reports.setdefault(argument.block_id, ThreadReport()).sources.extend(argument.sources)
    for block_id, ids in keys.items():
        chosen = [by_id[i] for i in ids if i in by_id]
        if chosen:
            reports.setdefault(block_id, ThreadReport()).key_arguments = chosen
    return reports
