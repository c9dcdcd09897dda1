"""The review of a revision before it is published: what becomes of each block, as the import page shows it."""

from __future__ import annotations

from dataclasses import dataclass, field

from markupsafe import Markup

from forum.models import Block
from forum.revisions.matching import Change
from forum.services.revision_apply import same_role
from forum.services.revisions import RevisionPlan
from forum.views.diffs import word_diff

# What each change is called on the review, in the admins' words.
LABELS = {
    Change.UNCHANGED: "kept",
    Change.EDITED: "edited",
    Change.MOVED: "moved",
    Change.SPLIT: "split",
    Change.MERGED: "merged",
    Change.ADDED: "added",
    Change.REMOVED: "removed",
}


@dataclass
class ReviewRow:
    """One block of the new revision: its change, its text (edits marked), and the blocks it comes from."""

    kind: str
    change: Change
    text: str
    diff: Markup | None
    keeps: Block | None
    sources: list[Block] = field(default_factory=list)
    confidence: float = 1.0

    @property
    def label(self) -> str:
        """The change in words."""
        return LABELS[self.change]


@dataclass
class Review:
    """The whole review: the rows, the blocks removed, the pairings left to a moderator, and the counts."""

    plan: RevisionPlan
    rows: list[ReviewRow]
    removed: list[Block]
    candidates: list[tuple[Block, int, float]]
    counts: dict[str, int]


def review_of(plan: RevisionPlan) -> Review:
    """What the review shows of a revision's plan; it writes nothing."""
    old, new, matching = plan.current, plan.parsed.blocks, plan.matching
    rows = []
    removed = [old[i] for i in matching.removed]
    for placement, piece in zip(matching.placements, new):
        keeps = old[placement.keeps] if placement.keeps is not None else None
        change = placement.change
        if keeps is not None and not same_role(keeps, piece.kind):
            # As the revision will apply it: a paragraph turned heading (or back) starts afresh.
            removed.append(keeps)
            keeps, change = None, Change.ADDED
        before = " ".join(old[i].text for i in placement.sources)
        diff = word_diff(before, piece.text) if placement.sources and before != piece.text else None
        rows.append(ReviewRow(piece.kind, change, piece.text, diff, keeps,
                              [old[i] for i in placement.sources], placement.confidence))
    candidates = [(old[c.old], c.new + 1, c.confidence) for c in matching.candidates]
    return Review(plan, rows, removed, candidates, matching.counts())
