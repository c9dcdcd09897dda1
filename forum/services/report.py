"""What the printable report of an article shows beside its text: for each thread its key arguments, its
strongest counter and support, and its sources."""

from __future__ import annotations

from collections.abc import Iterable
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


def thread_reports(session: so.Session, article_id: int, blocks: Iterable[Block]) -> dict[int, ThreadReport]:
    """Each thread's report, by block id, from the arguments that count (two statements); `blocks` are the
    article's, as its page read them, with the key arguments their verdicts rest on."""
    arguments = session.scalars(
        sa.select(Argument).join(Block, Block.id == Argument.block_id)
        .where(Block.article_id == article_id, counted_arguments())
        .options(so.selectinload(Argument.sources))
    ).all()
    by_id = {a.id: a for a in arguments}
    reports: dict[int, ThreadReport] = {}
    for argument in sorted(arguments, key=best):
        report = reports.setdefault(argument.block_id, ThreadReport())
        if argument.stance in ("counter", "support"):
            report.strongest.setdefault(argument.stance, argument)
    for argument in sorted(arguments, key=lambda a: a.id):
        reports.setdefault(argument.block_id, ThreadReport()).sources.extend(argument.sources)
    for block in blocks:
        chosen = [by_id[i] for i in block.consensus_key_arguments or [] if i in by_id]
        if chosen:
            reports.setdefault(block.id, ThreadReport()).key_arguments = chosen
    return reports
