"""A thread's verdict: set by moderators with optimistic concurrency, every change kept."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Invalid
from forum.live.staging import stage
from forum.models import (
    Argument,
    Block,
    ConsensusChange,
    ConsensusStatus,
    Member,
    Role,
    utcnow,
)
from forum.rendering import is_blank, render_markdown
from forum.services import audit, notifications
from forum.services.citation_slots import slot_views
from forum.services.counting import counted_arguments
from forum.services.lookup import get_thread
from forum.services.members import require
from forum.services.threads import SORT_KEYS, ArgumentRecord

NOTE_LIMIT = 5_000
KEY_ARGUMENTS_LIMIT = 10


class StaleVersion(Conflict):
    """The moderator saw an older verdict than the current one."""

    def __init__(self, current: ConsensusChange | None, block: Block) -> None:
        who = f" by {current.member_name}" if current else ""
        super().__init__(
            f"Someone changed this verdict meanwhile{who}: it is now {block.consensus_status} "
            f"(version {block.consensus_version}). Review it and try again."
        )
        self.current = current
        self.block_id = block.id
        # The version a form sent again after this refusal must name: the one the moderator now sees.
        self.version = block.consensus_version


def parse_status(value: str) -> ConsensusStatus:
    """The `ConsensusStatus` named by `value`, or `Invalid`."""
    try:
        return ConsensusStatus(value)
    except ValueError:
        names = ", ".join(s.value for s in ConsensusStatus)
        raise Invalid(f"The status is one of: {names}.", field="status") from None


def set_consensus(
    session: so.Session,
    block_id: int,
    moderator: Member,
    *,
    status: str,
    note: str,
    version: int,
    key_arguments: Sequence[int] = (),
) -> ConsensusChange:
    """Change a thread's verdict if `version` is still the current one; the caller commits."""
    require(moderator, Role.MODERATOR)
    new_status = parse_status(status)
    note = note.strip()
    if len(note) > NOTE_LIMIT:
        raise Invalid(f"A note has at most {NOTE_LIMIT:,} characters.", field="note")
    if is_blank(note):
        note = ""  # a note of zero-width spaces says nothing
    keys = list(dict.fromkeys(key_arguments))
    if len(keys) > KEY_ARGUMENTS_LIMIT:
        raise Invalid(f"Name at most {KEY_ARGUMENTS_LIMIT} key arguments.", field="key_arguments")
    block = get_thread(session, block_id)
    if keys:
        found = dict(
            session.execute(
                sa.select(Argument.id, counted_arguments())
                .where(Argument.id.in_(keys), Argument.block_id == block.id)
            ).all()
        )
        missing = [k for k in keys if k not in found]
        if missing:
            raise Invalid(
                f"Key arguments must be arguments of this thread (not {missing[0]}).",
                field="key_arguments",
            )
        gone = [k for k in keys if not found[k]]
        if gone:
            raise Invalid(
                f"A withdrawn or hidden argument cannot carry a verdict (argument {gone[0]}).",
                field="key_arguments",
            )
    # Compare-and-set in one statement, so that of two moderators racing only one moves the version. The
    # new version is counted in SQL: `version + 1` sent as a value would be out of any integer column's
    # range for a version of 2**31 - 1, which no thread has, whatever the row.
    now = utcnow()
    html = render_markdown(note, NOTE_LIMIT) if note else ""
    moved = session.execute(
        sa.update(Block)
        .where(Block.id == block.id, Block.consensus_version == version)
        .values(
            consensus_status=new_status.value,
            consensus_note=note,
            consensus_note_html=html,
            consensus_key_arguments=keys,
            consensus_version=Block.consensus_version + 1,
            consensus_set_by_id=moderator.id,
            consensus_set_at=now,
            # Set again, a verdict is the moderator's word on the paragraph as it reads now.
            consensus_needs_review=False,
        )
        .returning(Block.consensus_status),
        execution_options={"synchronize_session": False},
    ).first()
    if moved is None:
        session.refresh(block)
        raise StaleVersion(latest_change(session, block.id), block)
    previous = block.consensus_status
    change = ConsensusChange(
        block_id=block.id,
        version=version + 1,
        from_status=previous,
        to_status=new_status.value,
        note=note,
        note_html=html,
        key_arguments=keys,
        member_id=moderator.id,
        member_name=moderator.name,
        created_at=now,
    )
    session.add(change)
    audit.record(
        session, moderator, "consensus.set", "block", block.id, note,
        status=new_status.value, previous=previous, version=version + 1,
    )
    notifications.verdict_changed(session, block, change, moderator)
    session.expire(block)
    stage(session, block.id, "consensus", {"status": new_status.value, "version": version + 1})
    return change


def current_verdict(session: so.Session, block_id: int) -> tuple[Block, str | None]:
    """A thread with the name of who set its verdict (from the session's identity map when loaded)."""
    block = get_thread(session, block_id)
    setter = session.get(Member, block.consensus_set_by_id) if block.consensus_set_by_id is not None else None
    return block, setter.name if setter is not None else None


def recent_changes(session: so.Session, limit: int = 20) -> list[ConsensusChange]:
    """The latest verdict changes in any thread, newest first."""
    return list(session.scalars(sa.select(ConsensusChange).order_by(ConsensusChange.id.desc()).limit(limit)))


def key_arguments(
    session: so.Session, block: Block, known: dict[int, Argument | ArgumentRecord]
) -> list[Argument | ArgumentRecord]:
    """The thread's key arguments in the verdict's order; `known` (the thread's, by id) spares reading them."""
    keys = list(block.consensus_key_arguments or [])
    found: dict[int, Argument | ArgumentRecord] = dict(known)
    if missing := [k for k in keys if k not in found]:
        found.update((a.id, a) for a in session.scalars(sa.select(Argument).where(Argument.id.in_(missing))))
    return [found[k] for k in keys if k in found]


def latest_change(session: so.Session, block_id: int) -> ConsensusChange | None:
    """The thread's most recent verdict change."""
    return session.scalar(
        sa.select(ConsensusChange)
        .where(ConsensusChange.block_id == block_id)
        .order_by(ConsensusChange.version.desc())
        .limit(1)
    )


def history(session: so.Session, block_id: int) -> list[ConsensusChange]:
    """Every verdict change of a thread, oldest first."""
    get_thread(session, block_id)
    return list(
        session.scalars(
            sa.select(ConsensusChange)
            .where(ConsensusChange.block_id == block_id)
            .order_by(ConsensusChange.version)
        )
    )


@dataclass
class DecisionAid:
    """What a moderator weighs before a verdict."""

    counts: dict[str, int]
    best_counter: Argument | None
    best_support: Argument | None
    sourced_share: float
    open_citations: int
    last_activity: object


def decision_aid(session: so.Session, block_id: int) -> DecisionAid:
    """Arguments by stance, the best counter and support, how many are sourced, open slots, last activity."""

    block = get_thread(session, block_id)
    args = list(
        session.scalars(
            sa.select(Argument).where(Argument.block_id == block.id, counted_arguments())
            .options(so.selectinload(Argument.sources))
        )
    )
    counts = {"counter": 0, "support": 0, "question": 0}
    for argument in args:
        counts[argument.stance] += 1
    best = SORT_KEYS["best"]

    def top(stance: str) -> Argument | None:
        ranked = sorted((a for a in args if a.stance == stance), key=best)
        return ranked[0] if ranked else None

    slots, cited_by = slot_views(session, block.article_id, block.id)
    cited = cited_by.get(block.id, [])
    times = [a.edited_at or a.created_at for a in args]
    return DecisionAid(
        counts=counts,
        best_counter=top("counter"),
        best_support=top("support"),
        sourced_share=(sum(1 for a in args if a.sources) / len(args)) if args else 0.0,
        open_citations=sum(slots[i].is_open for i in cited),
        last_activity=max(times) if times else None,
    )
