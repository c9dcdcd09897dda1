"""Splits and merges: one old block's sentences spread over several new blocks, or several old blocks' sentences
gathered into one. Found from how much of each block is found in the other, sentence by sentence."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from forum.revisions.similarity import Overlap

# A new block is a part of an old one when at least this share of its words come from it.
SPLIT_SHARE = 0.6
# An old block went into a new one when at least this share of its words are found there.
MERGE_SHARE = 0.6


@dataclass(frozen=True)
class Split:
    """An old block split into `parts` (new indices); `keeper` holds most of its old text and keeps its identity."""

    old: int
    keeper: int
    parts: dict[int, float]  # new index: confidence


@dataclass(frozen=True)
class Merge:
    """Old blocks `sources` gathered into the new block `new`; `keeper` gave it most text and keeps its identity."""

    new: int
    keeper: int
    sources: tuple[int, ...]
    confidence: float


def find_splits(overlaps: dict[tuple[int, int], Overlap], kept: dict[int, int]) -> list[Split]:
    """Old blocks whose sentences went into several new blocks that nothing else keeps; `kept` maps the new
    blocks paired one to one so far to their old blocks."""
    by_old: dict[int, list[tuple[int, Overlap]]] = {}
    for (old, new), overlap in overlaps.items():
        if overlap.new_share >= SPLIT_SHARE or kept.get(new) == old:
            by_old.setdefault(old, []).append((new, overlap))
    splits = []
    taken: set[int] = set()
    for old in sorted(by_old):
        options = sorted(by_old[old], key=lambda item: (-item[1].old_share, item[0]))
        parts: dict[int, Overlap] = {}
        sentences: set[int] = set()
        for new, overlap in options:
            # Parts share no sentence of the old block: a sentence found twice was copied, not split.
            if new in taken or kept.get(new, old) != old or overlap.old_sentences & sentences:
                continue
            parts[new] = overlap
            sentences |= overlap.old_sentences
        if len(parts) < 2:
            continue
        keeper = max(parts, key=lambda new: (parts[new].old_share, -new))
        confidence = {new: min(1.0, max(overlap.new_share, overlap.similarity)) for new, overlap in parts.items()}
        splits.append(Split(old, keeper, confidence))
        taken.update(parts)
    return splits


def find_merges(
    overlaps: dict[tuple[int, int], Overlap], kept: dict[int, int], splits: Sequence[Split], sizes: Sequence[int]
) -> list[Merge]:
    """New blocks that gather most of the text of several old blocks, none of them split or kept elsewhere;
    `sizes` are the old blocks' word counts."""
    busy_old = {split.old for split in splits}
    busy_new = {new for split in splits for new in split.parts}
    partner = {old: new for new, old in kept.items()}
    by_new: dict[int, list[tuple[int, Overlap]]] = {}
    for (old, new), overlap in overlaps.items():
        if overlap.old_share >= MERGE_SHARE or kept.get(new) == old:
            by_new.setdefault(new, []).append((old, overlap))
    merges = []
    for new in sorted(by_new):
        if new in busy_new:
            continue
        options = sorted(by_new[new], key=lambda item: (-item[1].new_share, item[0]))
        sources: dict[int, Overlap] = {}
        sentences: set[int] = set()
        for old, overlap in options:
            if old in busy_old or partner.get(old, new) != new or overlap.new_sentences & sentences:
                continue
            sources[old] = overlap
            sentences |= overlap.new_sentences
        if len(sources) < 2:
            continue
        keeper = max(sources, key=lambda old: (sources[old].old_share * sizes[old], -old))
        confidence = min(min(1.0, max(overlap.old_share, overlap.similarity)) for overlap in sources.values())
        merges.append(Merge(new, keeper, tuple(sorted(sources)), confidence))
        busy_old.update(sources)
    return merges
