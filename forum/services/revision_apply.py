"""Laying a revision's matching onto an article's blocks: every thread follows its paragraph.

A kept block keeps its id, thread and verdict and takes its new text, kind and place; a split part or an
added paragraph is a new block; a block merged into another hands its arguments (and with them their
votes, sources and flags) to the block that keeps the merge, and points there; a removed block keeps its
last text and thread, out of the article's order. A verdict set on a wording that changed (edited, split
or merged) is marked for review. Nothing here commits: the caller's one transaction holds it all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.importing import ParsedArticle
from forum.models import Argument, Article, Block, BlockChange, BlockKind, BlockRevision
from forum.revisions.matching import Change, Matching
from forum.services.revision_slots import follow_slots

# The changes whose verdict was set on a wording that is no longer the paragraph's.
REVIEWED = {BlockChange.EDITED, BlockChange.SPLIT, BlockChange.MERGED}


@dataclass
class Applied:
    """What a revision did: blocks by change, the threads whose verdict needs review, merges and removals."""

    counts: dict[str, int]
    review: list[int]
    merged: dict[int, int] = field(default_factory=dict)  # merged-away block id: the block it went into
    removed: list[int] = field(default_factory=list)


def check_matching(matching: Matching, old: int, new: int) -> None:
    """Refuse a matching that does not place every new block once, in order, from blocks that exist."""
    placements = matching.placements
    wrong = len(placements) != new or any(p.new != i for i, p in enumerate(placements))
    kept = [p.keeps for p in placements if p.keeps is not None]
    indices = kept + [i for p in placements for i in p.sources] + list(matching.removed)
    wrong = wrong or len(kept) != len(set(kept)) or any(not 0 <= i < old for i in indices)
    if wrong:
        raise Invalid("The revision's paragraphs could not be matched to the article's: nothing was changed.")


def same_role(block: Block, kind: str) -> bool:
    """Whether a block may keep its identity as a block of `kind`: a thread stays a thread, a heading a heading."""
    return block.is_thread == (kind != BlockKind.HEADING.value)


def lay_out(
    session: so.Session, article: Article, old: Sequence[Block], parsed: ParsedArticle, matching: Matching,
    revision: int,
) -> tuple[list[Block], list[BlockChange]]:
    """The new revision's blocks in order (kept ones re-laid, new ones made) and what became of each."""
    # Every current block steps out of the order first (positions are unique in an article).
    for stepping in old:
        stepping.position = -stepping.id
    session.flush()
    blocks: list[Block] = []
    changes: list[BlockChange] = []
    section = None
    for placement, piece in zip(matching.placements, parsed.blocks):
        change = BlockChange(placement.change.value)
        block: Block | None = old[placement.keeps] if placement.keeps is not None else None
        if block is not None and not same_role(block, piece.kind):
            # A paragraph turned heading (or back) cannot take a thread along: it is new, the old one goes.
            block, change = None, BlockChange.ADDED
        if block is None:
            block = Block(article=article, kind=piece.kind, text=piece.text, position=len(blocks))
            session.add(block)
        assert block is not None
        if piece.kind == BlockKind.HEADING.value:
            section = piece.text[:300]
        if block.text != piece.text or block.id is None:
            block.revisions.append(BlockRevision(revision=revision, text=piece.text))
        block.position, block.kind, block.text, block.change = len(blocks), piece.kind, piece.text, change.value
        block.section = section if piece.kind != BlockKind.HEADING.value else None
        blocks.append(block)
        changes.append(change)
    session.flush()
    return blocks, changes


def descendants(matching: Matching, old: Sequence[Block], blocks: Sequence[Block]) -> dict[int, Block]:
    """Each old block that no new block keeps but whose text went into one: the block its thread joins."""
    kept = {b.id for b in blocks}
    into: dict[int, Block] = {}
    for placement in matching.placements:
        target = blocks[placement.new]
        for index in placement.sources:
            block = old[index]
            if block.id not in kept and block.id not in into and target.is_thread == block.is_thread:
                into[block.id] = target
    return into


def move_arguments(session: so.Session, source: Block, target: Block) -> int:
    """Move a thread's arguments into another, each remembering the paragraph it was written on."""
    result = session.execute(
        sa.update(Argument)
        .where(Argument.block_id == source.id)
        .values(block_id=target.id, origin_block_id=sa.func.coalesce(Argument.origin_block_id, source.id))
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def apply_matching(
    session: so.Session,
    article: Article,
    old: Sequence[Block],
    parsed: ParsedArticle,
    matching: Matching,
    revision: int,
) -> Applied:
    """Lay the new revision onto the article's blocks, threads, arguments and citation slots."""
    check_matching(matching, len(old), len(parsed.blocks))
    blocks, changes = lay_out(session, article, old, parsed, matching, revision)
    by_id = {b.id: b for b in blocks}
    into = descendants(matching, old, blocks)
    applied = Applied(Counter(), [])
    for block in old:
        if block.id in by_id:
            continue
        block.removed_in, block.position = revision, -block.id
        target = into.get(block.id)
        if target is None:
            block.change = BlockChange.REMOVED.value
            applied.removed.append(block.id)
            continue
        block.change, block.merged_into_id = BlockChange.MERGED.value, target.id
        applied.merged[block.id] = target.id
        if move_arguments(session, block, target) and target.change == BlockChange.UNCHANGED.value:
            target.change = BlockChange.MERGED.value
    candidates: dict[int, list[dict[str, float | int]]] = {}
    for candidate in matching.candidates:
        removed, successor = old[candidate.old], blocks[candidate.new]
        gone = removed.change == BlockChange.REMOVED.value and removed.is_removed
        if gone and removed.is_thread and successor.is_thread:
            candidates.setdefault(removed.id, []).append(
                {"block_id": successor.id, "confidence": round(candidate.confidence, 3)}
            )
    for block in old:
        if block.id in candidates:
            block.successor_candidates = candidates[block.id]
    for block in blocks:
        change = BlockChange(block.change)
        if change in REVIEWED and block.is_thread and block.consensus_version > 0:
            block.consensus_needs_review = True
    place = {b.id: i for i, b in enumerate(blocks)}
    kept = [(b, place[b.id]) for b in old if b.id in place]
    slots = follow_slots(session, article, parsed, kept)
    for block, piece in zip(blocks, parsed.blocks):
        block.slots = [slots[n] for n in dict.fromkeys(piece.citations)]
    counts = Counter(block.change for block in blocks)
    applied.counts = {change.value: counts.get(change.value, 0) for change in BlockChange}
    applied.counts[BlockChange.REMOVED.value] = len(applied.removed)
    applied.review = sorted(b.id for b in blocks if b.consensus_needs_review)
    session.flush()
    return applied


__all__ = ["Applied", "Change", "apply_matching", "check_matching"]
