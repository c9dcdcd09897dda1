"""Matching the blocks of one revision of an article to those of the next.

1. Every block is normalised (footnote markers dropped, NFKC, one style of quotes and dashes, spaces, case).
   Blocks whose normalised text is found exactly once in each revision are paired at once: the anchors.
2. The rest are compared in candidate pairs (same family of kinds; a rare word or a sentence in common, or near
   where expected): likeness as one edited block, and sentence by sentence.
3. The one-to-one pairs are chosen together, as an assignment (scipy's linear_sum_assignment) that maximises
   likeness plus a small position bonus; each pair's confidence falls when another choice is nearly as good.
4. Splits and merges are found from the sentence overlaps; moves from the longest run of kept blocks in order.
Pairings under REVIEW_CONFIDENCE are not applied: they are listed as candidates for a moderator.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import linear_sum_assignment

from forum.revisions.candidates import Context, candidates, increasing
from forum.revisions.results import Candidate, Change, Matching, Piece, Placement
from forum.revisions.similarity import Overlap, compare
from forum.revisions.structure import Merge, Split, find_merges, find_splits
from forum.revisions.text import Prepared, prepare

__all__ = [
    "REVIEW_CONFIDENCE",
    "Candidate",
    "Change",
    "Matching",
    "Piece",
    "Placement",
    "match_revision",
]

# A pairing less sure than this is not applied: the old block is reported removed, the new one added, and the
# pair is listed as a candidate for a moderator to confirm.
REVIEW_CONFIDENCE = 0.5
# Pairs less alike than this (position bonus included) are never paired, nor offered as candidates.
LINK_FLOOR = 0.3
# When the next best choice is at least this much worse, the pairing is as sure as its likeness; a closer
# second best lowers the confidence, to half when the two are equal.
CLEAR_MARGIN = 0.1
# A heading is a section's label: between the same two blocks it is the same heading, however reworded. Its
# place counts this many times more than a paragraph's.
HEADING_PLACE = 3.0
# Pairs at least this sure serve as anchors for placing the rest.
SETTLED = 0.8


def match_revision(old: Sequence[Piece], new: Sequence[Piece]) -> Matching:
    """What each block of `new` is in terms of the blocks of `old`."""
    olds = [prepare(piece.kind, piece.text) for piece in old]
    news = [prepare(piece.kind, piece.text) for piece in new]
    anchors = exact_anchors(olds, news)
    context = Context(anchors, len(olds))
    anchored = set(anchors.values())
    free_old = [index for index in range(len(olds)) if index not in anchored]
    free_new = [index for index in range(len(news)) if index not in anchors]
    pairs = candidates(olds, news, free_old, free_new, context)
    overlaps = {(old, new): compare(olds[old], news[new]) for old, new in pairs}
    headings = {index for index in free_old if olds[index].family == "heading"}
    choices = choose(overlaps, Context(anchors, len(olds)), headings)
    # Once the surest pairs are known they place their neighbours too: a second round with them as anchors.
    settled = {new: old for new, old in choices.paired.items() if choices.confidence(old, new) >= SETTLED}
    if settled:
        choices = choose(overlaps, Context(anchors | settled, len(olds)), headings)
    sure = {new: (old, choices.confidence(old, new)) for new, old in choices.paired.items()}
    kept = {new: old for new, (old, certainty) in sure.items() if certainty >= REVIEW_CONFIDENCE}
    splits = find_splits(overlaps, kept)
    merges = find_merges(overlaps, kept, splits, [len(block.words) for block in olds])
    return assemble(olds, news, anchors, sure, kept, splits, merges, choices)


def choose(overlaps: dict[tuple[int, int], Overlap], context: Context, headings: set[int]) -> Choices:
    """The pairs scored (likeness plus position) and the best one-to-one assignment among them; `headings` are
    the old blocks that are headings."""
    scores = {
        (old, new): overlap.similarity + context.bonus(old, new) * (HEADING_PLACE if old in headings else 1.0)
        for (old, new), overlap in overlaps.items()
    }
    return Choices(scores, assign(scores))


def exact_anchors(olds: Sequence[Prepared], news: Sequence[Prepared]) -> dict[int, int]:
    """New index to old index for the normalised texts found exactly once in each revision (within a family)."""
    where_old: dict[tuple[str, str], list[int]] = {}
    where_new: dict[tuple[str, str], list[int]] = {}
    for index, block in enumerate(olds):
        where_old.setdefault((block.family, block.key), []).append(index)
    for index, block in enumerate(news):
        where_new.setdefault((block.family, block.key), []).append(index)
    return {
        found[0]: where_old[key][0]
        for key, found in where_new.items()
        if len(found) == 1 and len(where_old.get(key, ())) == 1
    }


def assign(scores: dict[tuple[int, int], float]) -> dict[int, int]:
    """The one-to-one pairs (new: old) of greatest total score, among pairs scoring at least LINK_FLOOR; solved
    for each connected group of pairs apart, so that a long article costs many small problems."""
    links = [pair for pair, score in scores.items() if score >= LINK_FLOOR]
    group = {("old", old): ("old", old) for old, _ in links} | {("new", new): ("new", new) for _, new in links}

    def root(node: tuple[str, int]) -> tuple[str, int]:
        while group[node] != node:
            group[node] = group[group[node]]
            node = group[node]
        return node

    for old, new in links:
        group[root(("old", old))] = root(("new", new))
    components: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for pair in links:
        components.setdefault(root(("old", pair[0])), []).append(pair)
    paired: dict[int, int] = {}
    for pairs in components.values():
        rows = sorted({old for old, _ in pairs})
        columns = sorted({new for _, new in pairs})
        matrix = np.zeros((len(rows), len(columns)))
        row_of = {old: i for i, old in enumerate(rows)}
        column_of = {new: j for j, new in enumerate(columns)}
        for old, new in pairs:
            matrix[row_of[old], column_of[new]] = scores[(old, new)]
        for i, j in zip(*linear_sum_assignment(matrix, maximize=True)):
            if matrix[i, j] >= LINK_FLOOR:
                paired[columns[j]] = rows[i]
    return paired


class Choices:
    """The scored pairs and the assignment, indexed both ways, to weigh each pairing against its alternatives."""

    def __init__(self, scores: dict[tuple[int, int], float], paired: dict[int, int]) -> None:
        self.scores = scores
        self.paired = paired
        self.partner = {old: new for new, old in paired.items()}
        self.by_new: dict[int, list[int]] = {}
        self.by_old: dict[int, list[int]] = {}
        for old, new in scores:
            self.by_new.setdefault(new, []).append(old)
            self.by_old.setdefault(old, []).append(new)

    def confidence(self, old: int, new: int) -> float:
        """How sure the pairing of `old` and `new` is: its score, lowered when exchanging it for another pairing
        (the new block taking another old one, or the old one going to another new block) would lose little."""
        scores = self.scores
        score = scores[(old, new)]
        margin = CLEAR_MARGIN
        for other_old in self.by_new.get(new, ()):
            if other_old != old:
                # `new` takes `other_old`; the block `other_old` had may take `old` instead
                had = self.partner.get(other_old)
                swap = scores.get((other_old, had), 0.0) - scores.get((old, had), 0.0) if had is not None else 0.0
                margin = min(margin, score + swap - scores[(other_old, new)])
        for other_new in self.by_old.get(old, ()):
            if other_new != new:
                was = self.paired.get(other_new)
                swap = scores.get((was, other_new), 0.0) - scores.get((was, new), 0.0) if was is not None else 0.0
                margin = min(margin, score + swap - scores[(old, other_new)])
        return min(1.0, score) * (0.5 + 0.5 * max(0.0, margin) / CLEAR_MARGIN)


def assemble(
    olds: Sequence[Prepared],
    news: Sequence[Prepared],
    anchors: dict[int, int],
    sure: dict[int, tuple[int, float]],
    kept: dict[int, int],
    splits: list[Split],
    merges: list[Merge],
    choices: Choices,
) -> Matching:
    """The placements, removed blocks and candidates from the pairs found."""
    part_of = {new: split for split in splits for new in split.parts}
    merged = {merge.new: merge for merge in merges}
    in_structure = {split.old for split in splits} | {old for merge in merges for old in merge.sources}
    one_to_one = {new: old for new, old in kept.items() if new not in part_of and new not in merged}
    one_to_one = {new: old for new, old in one_to_one.items() if old not in in_structure} | anchors
    keeps = one_to_one | {split.keeper: split.old for split in splits} | {m.new: m.keeper for m in merges}
    in_order = increasing(sorted(keeps.items()))
    placements = []
    for index, block in enumerate(news):
        if index in merged:
            merge = merged[index]
            placements.append(Placement(index, Change.MERGED, merge.keeper, merge.sources, merge.confidence))
        elif index in part_of:
            split = part_of[index]
            keeper = split.old if split.keeper == index else None
            placements.append(Placement(index, Change.SPLIT, keeper, (split.old,), split.parts[index]))
        elif index in one_to_one:
            old = one_to_one[index]
            same = olds[old].key == block.key and olds[old].kind == block.kind
            # An edit outranks a move: an edited block's verdict needs review, a moved one's does not.
            change = Change.EDITED if not same else Change.UNCHANGED if index in in_order else Change.MOVED
            certainty = 1.0 if index in anchors else sure[index][1]
            placements.append(Placement(index, change, old, (old,), round(certainty, 3)))
        else:
            placements.append(Placement(index, Change.ADDED, None, (), 1.0))
    descended = set(keeps.values()) | in_structure
    removed = tuple(index for index in range(len(olds)) if index not in descended)
    added = {placement.new for placement in placements if placement.change is Change.ADDED}
    offered = review_list(choices, set(removed), added)
    best_doubt = {candidate.new: candidate.confidence for candidate in offered}
    placements = [
        Placement(p.new, p.change, p.keeps, p.sources, round(1.0 - best_doubt.get(p.new, 0.0), 3))
        if p.change is Change.ADDED
        else p
        for p in placements
    ]
    return Matching(tuple(placements), removed, offered)


def review_list(choices: Choices, removed: set[int], added: set[int]) -> tuple[Candidate, ...]:
    """For each removed old block, the added new block it most likely became, if any is alike enough."""
    best: dict[int, tuple[float, int]] = {}
    for (old, new), score in choices.scores.items():
        if old in removed and new in added and score >= LINK_FLOOR:
            certainty = min(REVIEW_CONFIDENCE - 0.001, choices.confidence(old, new))
            if certainty > best.get(old, (-1.0, 0))[0]:
                best[old] = (certainty, new)
    return tuple(Candidate(old, new, round(certainty, 3)) for old, (certainty, new) in sorted(best.items()))
