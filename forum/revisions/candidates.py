"""Which old blocks a new block is compared with, and how much its position speaks for each.

Blocks matched exactly (same normalised text, found once in each revision) are anchors. Between two anchors in
order lies a slot: a new block found there most likely descends from an old block in the same slot. Like the
position hint of a text-quote selector, position only breaks near-ties: it is worth at most
SLOT + 2·NEIGHBOUR + NEAR of likeness.
"""

from __future__ import annotations

import bisect
from collections import Counter
from collections.abc import Sequence

from forum.revisions.text import Prepared

SLOT = 0.05  # the old block lies in the new block's slot between anchors
NEIGHBOUR = 0.05  # for each neighbour of the new block anchored to the same neighbour of the old one
NEAR = 0.04  # at the predicted position; half at one block away, a third at two...
# Up to this many free old blocks, every new block is compared with all of them.
EXHAUSTIVE = 80
RARE_WORDS = 12  # a new block looks up the old blocks holding its rarest words, this many of them
BY_WORDS = 10  # and keeps the old blocks sharing most of them
BY_POSITION = 4  # plus the old blocks nearest to where it is expected


def increasing(pairs: Sequence[tuple[int, int]]) -> set[int]:
    """Of (new, old) pairs sorted by new index, the new indices of a longest run whose old indices increase."""
    tails: list[int] = []  # old index ending the best run of each length
    ends: list[int] = []  # position in `pairs` of that end
    before = [-1] * len(pairs)
    for position, (_, old) in enumerate(pairs):
        length = bisect.bisect_left(tails, old)
        if length == len(tails):
            tails.append(old)
            ends.append(position)
        else:
            tails[length] = old
            ends[length] = position
        before[position] = ends[length - 1] if length else -1
    kept: set[int] = set()
    position = ends[-1] if ends else -1
    while position >= 0:
        kept.add(pairs[position][0])
        position = before[position]
    return kept


class Context:
    """Where each new block is expected in the old revision, from the anchors."""

    def __init__(self, anchors: dict[int, int], old_count: int) -> None:
        self.anchors = anchors
        ordered = sorted(anchors.items())
        in_order = increasing(ordered)
        self.steps = [(new, old) for new, old in ordered if new in in_order]
        self.step_news = [new for new, _ in self.steps]
        self.old_count = old_count

    def slot(self, new: int) -> tuple[int, int, int]:
        """The old indices (after, before) between which `new` is expected, and where exactly."""
        at = bisect.bisect_left(self.step_news, new)
        after_new, after_old = self.steps[at - 1] if at else (-1, -1)
        before_old = self.steps[at][1] if at < len(self.steps) else self.old_count
        return after_old, before_old, after_old + new - after_new

    def bonus(self, old: int, new: int) -> float:
        """What position adds to the likeness of `old` becoming `new`."""
        after, before, expected = self.slot(new)
        bonus = SLOT if after < old < before else 0.0
        if self.anchors.get(new - 1, -2) == old - 1:
            bonus += NEIGHBOUR
        if self.anchors.get(new + 1, -2) == old + 1:
            bonus += NEIGHBOUR
        return bonus + NEAR / (1 + abs(expected - old))


def candidates(
    olds: Sequence[Prepared], news: Sequence[Prepared], free_old: list[int], free_new: list[int], context: Context
) -> list[tuple[int, int]]:
    """The (old, new) pairs worth comparing: same family of kinds, and either few blocks left, or a rare word or a
    sentence in common, or the old block near where the new one is expected."""
    pairs: set[tuple[int, int]] = set()
    if len(free_old) <= EXHAUSTIVE:
        for new in free_new:
            pairs.update((old, new) for old in free_old if olds[old].family == news[new].family)
        return sorted(pairs)
    by_word: dict[str, list[int]] = {}
    by_sentence: dict[tuple[str, ...], list[int]] = {}
    for old in free_old:
        for word in set(olds[old].words):
            by_word.setdefault(word, []).append(old)
        for sentence in set(olds[old].sentences):
            by_sentence.setdefault(sentence, []).append(old)
    rare = max(4, len(free_old) // 50)
    for new in free_new:
        block = news[new]
        holders = sorted((len(by_word[word]), word) for word in set(block.words) if word in by_word)
        hits = Counter(old for count, word in holders[:RARE_WORDS] if count <= rare for old in by_word[word])
        found = {old for old, _ in hits.most_common(BY_WORDS)}
        for sentence in set(block.sentences):
            if len(by_sentence.get(sentence, ())) <= rare:
                found.update(by_sentence.get(sentence, ()))
        found.update(nearest(free_old, context.slot(new)[2], BY_POSITION))
        pairs.update((old, new) for old in found if olds[old].family == block.family)
    return sorted(pairs)


def nearest(ordered: list[int], expected: int, count: int) -> list[int]:
    """The `count` values of the sorted list `ordered` nearest to `expected`."""
    at = bisect.bisect_left(ordered, expected)
    window = ordered[max(0, at - count) : at + count]
    return sorted(window, key=lambda value: abs(value - expected))[:count]
