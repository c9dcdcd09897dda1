"""Matching the blocks of an article's revision to those of the next one."""

from __future__ import annotations

import difflib
import enum
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass


class Change(enum.StrEnum):
    """What became of a block in a revision."""

    UNCHANGED = "unchanged"
    EDITED = "edited"
    MOVED = "moved"
    SPLIT = "split"
    MERGED = "merged"
    ADDED = "added"
    REMOVED = "removed"


@dataclass(frozen=True)
class Piece:
    """A block as the matcher reads it: its kind and its text."""

    kind: str
    text: str


@dataclass(frozen=True)
class Placement:
    """Where a block of the new revision comes from."""

    new: int
    change: Change
    keeps: int | None
    sources: tuple[int, ...]
    confidence: float


@dataclass(frozen=True)
class Candidate:
    """A low-confidence pairing that was not applied, for a moderator to decide."""

    old: int
    new: int
    confidence: float


@dataclass(frozen=True)
class Matching:
    """The placement of every new block, the old blocks with no descendant, and the candidates."""

    placements: tuple[Placement, ...]
    removed: tuple[int, ...]
    candidates: tuple[Candidate, ...]

    def counts(self) -> dict[str, int]:
        """Blocks by what became of them (removed ones counted among the old)."""
        found = Counter(p.change.value for p in self.placements)
        counts = {change.value: found.get(change.value, 0) for change in Change}
        counts[Change.REMOVED.value] = len(self.removed)
        return counts


REVIEW_CONFIDENCE = 0.6


def _normal(text: str) -> str:
    """Text with case and runs of spaces ignored."""
    return re.sub(r"\s+", " ", text).strip().casefold()


def match_revision(old: Sequence[Piece], new: Sequence[Piece]) -> Matching:
    """Exact text first (unchanged or moved), then the most similar left (edited), else added and removed."""
    kept: dict[int, tuple[int, Change, float]] = {}
    free = set(range(len(old)))
    by_text: dict[str, list[int]] = {}
    for i, piece in enumerate(old):
        by_text.setdefault(_normal(piece.text), []).append(i)
    for j, piece in enumerate(new):
        same = by_text.get(_normal(piece.text))
        if same:
            i = same.pop(0)
            free.discard(i)
            kept[j] = (i, Change.UNCHANGED, 1.0)
    pairs = []
    for j, piece in enumerate(new):
        if j in kept:
            continue
        for i in free:
            ratio = difflib.SequenceMatcher(None, _normal(old[i].text), _normal(piece.text)).ratio()
            if ratio >= REVIEW_CONFIDENCE:
                pairs.append((ratio, j, i))
    for ratio, j, i in sorted(pairs, reverse=True):
        if j not in kept and i in free:
            free.discard(i)
            kept[j] = (i, Change.EDITED, ratio)
    # A kept block is moved when the order of the kept ones changed around it.
    order = [kept[j][0] for j in sorted(kept)]
    placements = []
    for j in range(len(new)):
        if j not in kept:
            placements.append(Placement(j, Change.ADDED, None, (), 1.0))
            continue
        i, change, confidence = kept[j]
        rank = order.index(i)
        if change is Change.UNCHANGED and sorted(order).index(i) != rank:
            change = Change.MOVED
        placements.append(Placement(j, change, i, (i,), confidence))
    return Matching(tuple(placements), tuple(sorted(free)), ())
