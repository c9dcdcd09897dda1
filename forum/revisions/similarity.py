"""How alike two blocks are: as a whole (word-level edit similarity) and sentence by sentence (how much of
each is found in the other, for splits and merges)."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Indel

from forum.revisions.text import Prepared

# Two sentences are the same sentence, edited, when their words are this alike (Indel: 2·common / total).
SENTENCE_MATCH = 0.6
# Blocks of at most this many words (headings, mostly) are also compared letter by letter: "Costs" and
# "Cost" share no word but are the same heading.
SHORT = 3
# One block found whole in the other (a paragraph grown by new sentences, or cut down to a few) is as alike
# as this share of it found.
CONTAINED = 0.6
# Below this whole-block likeness, and with less than WORTH_SENTENCES_CONTAINED of the smaller block's distinct
# words found in the other, a pair is not compared sentence by sentence: two unrelated paragraphs share function
# words and reach about 0.2.
WORTH_SENTENCES = 0.28
WORTH_SENTENCES_CONTAINED = 0.6


@dataclass(frozen=True)
class Overlap:
    """How alike an old and a new block are: `similarity` as one block edited (0-1); `old_share`, the share of
    the old block's words found in the new one; `new_share`, the share of the new block's words that come from
    the old one; and which sentences of each were found in the other."""

    similarity: float
    old_share: float
    new_share: float
    old_sentences: frozenset[int]
    new_sentences: frozenset[int]


def compare(old: Prepared, new: Prepared) -> Overlap:
    """How alike these two blocks are."""
    likeness = Indel.normalized_similarity(old.words, new.words)
    if min(len(old.words), len(new.words)) <= SHORT:
        likeness = max(likeness, 0.9 * fuzz.ratio(old.key, new.key) / 100)
    old_words_set, new_words_set = set(old.words), set(new.words)
    contained = len(old_words_set & new_words_set) / max(1, min(len(old_words_set), len(new_words_set)))
    if likeness < WORTH_SENTENCES and contained < WORTH_SENTENCES_CONTAINED:
        return Overlap(likeness, 0.0, 0.0, frozenset(), frozenset())
    found = sentence_pairs(old.sentences, new.sentences)
    old_words = sum(len(old.sentences[i]) * alike for i, _, alike in found)
    new_words = sum(len(new.sentences[j]) * alike for _, j, alike in found)
    total = len(old.words) + len(new.words)
    overlap = (old_words + new_words) / total if total else 1.0
    old_share = old_words / len(old.words) if old.words else 0.0
    new_share = new_words / len(new.words) if new.words else 0.0
    return Overlap(
        max(likeness, overlap, CONTAINED * max(old_share, new_share)),
        old_share,
        new_share,
        frozenset(i for i, _, _ in found),
        frozenset(j for _, j, _ in found),
    )


def sentence_pairs(
    old: tuple[tuple[str, ...], ...], new: tuple[tuple[str, ...], ...]
) -> list[tuple[int, int, float]]:
    """Sentences of `old` found in `new` as (old index, new index, likeness): identical ones first, in order,
    then the most alike of the rest, each sentence used once."""
    waiting: dict[tuple[str, ...], list[int]] = {}
    for j, sentence in enumerate(new):
        waiting.setdefault(sentence, []).append(j)
    found: list[tuple[int, int, float]] = []
    left_old = []
    for i, sentence in enumerate(old):
        if waiting.get(sentence):
            found.append((i, waiting[sentence].pop(0), 1.0))
        else:
            left_old.append(i)
    used = {j for _, j, _ in found}
    left_new = [j for j in range(len(new)) if j not in used]
    scored = sorted(
        (
            (Indel.normalized_similarity(old[i], new[j], score_cutoff=SENTENCE_MATCH), i, j)
            for i in left_old
            for j in left_new
        ),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    taken_old: set[int] = set()
    taken_new: set[int] = set()
    for alike, i, j in scored:
        if alike < SENTENCE_MATCH:
            break
        if i not in taken_old and j not in taken_new:
            found.append((i, j, alike))
            taken_old.add(i)
            taken_new.add(j)
    return found
