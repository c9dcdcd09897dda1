"""What the matcher answers: what each block of the new revision is, what was removed, what a moderator should check."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

# The words a block's `change` column stores: the matcher answers in them.
from forum.models.articles import BlockChange as Change

__all__ = ["Candidate", "Change", "Matching", "Piece", "Placement"]


@dataclass(frozen=True)
class Piece:
    """One block of a revision as the matcher sees it: its kind (heading, paragraph, caption, quote, list) and text."""

    kind: str
    text: str


@dataclass(frozen=True)
class Placement:
    """What one block of the new revision is: its change, the old block whose identity it keeps (None: a new
    block), the old blocks whose text went into it, and how sure the matcher is (0.0-1.0)."""

    new: int
    change: Change
    keeps: int | None
    sources: tuple[int, ...]
    confidence: float


@dataclass(frozen=True)
class Candidate:
    """A pairing of an old and a new block too unsure to apply; a moderator may confirm it by hand."""

    old: int
    new: int
    confidence: float


@dataclass(frozen=True)
class Matching:
    """One placement per new block (in new order), the old blocks with no descendant, and the pairings to review."""

    placements: tuple[Placement, ...]
    removed: tuple[int, ...]
    candidates: tuple[Candidate, ...]

    def counts(self) -> dict[str, int]:
        """New blocks by change, and the number of old blocks removed."""
        found = Counter(placement.change.value for placement in self.placements)
        counts = {change.value: found.get(change.value, 0) for change in Change}
        counts[Change.REMOVED.value] = len(self.removed)
        return counts
