"""Random articles and random revisions of them with a known lineage, to measure the matcher against (the tests
and bench/revisions.py).

An article is made of headings and paragraphs of sentences drawn from a vocabulary as skewed as a language's (a
few function words everywhere, content words by a Zipf law, so most are rare), with footnote markers numbered in
order, and now and then a near duplicate of an earlier paragraph (one or two words changed). A revision applies
random edits: words changed, a sentence rewritten or added, blocks moved, split, merged, inserted or removed, a
footnote added near the top (which renumbers every later one). Each block of the revision remembers the old blocks
its text came from and which of them it should keep the identity of: the truth the matcher is scored on.
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass, field

from forum.revisions import Change, Matching, Piece

FUNCTION_WORDS = (
    "the of and to a in that is was for it with as on be at by this had not are but from or have an they which "
    "one you were all we when there can more if no so what out up into than them only some could new these two "
    "may first then do any like now over such our even most after also did many before must through back where"
).split()
SYLLABLES = "ba be bi bo bu da de di do ka ke ki ko ku la le li lo lu ma me mi mo na ne ni no ra re ri ro sa se si so ta te ti to va ve vi".split()
CONTENT_WORDS = 6000
FUNCTION_SHARE = 0.45
# A block with more than this share of its words gone from its descendant: the matcher may fairly call it removed
# (and offer it for review).
DESTROYED = 0.4
MARK = "\x00"  # a footnote marker, numbered when the text is written out


@dataclass
class Draft:
    """A block being written: its kind, sentences (lists of words), the old blocks its text came from, the old
    block whose identity it should keep, and the share of that block's words changed since."""

    kind: str
    sentences: list[list[str]]
    origin: tuple[int, ...] = ()
    keeper: int | None = None
    damage: float = 0.0
    settled: bool = False  # split, merged or new: no further split or merge
    twin: bool = False  # a near duplicate of another block, or the block it duplicates

    def size(self) -> int:
        """Its number of words."""
        return sum(len(sentence) for sentence in self.sentences)


@dataclass
class Revision:
    """An old and a new revision, and the truth: for each old block, the new block its thread should land on
    (None: removed), whether edits destroyed it, and for each new block the old block whose identity it keeps."""

    old: list[Piece]
    new: list[Piece]
    lands: dict[int, int | None] = field(default_factory=dict)
    destroyed: set[int] = field(default_factory=set)
    keeps: dict[int, int | None] = field(default_factory=dict)
    twins: set[int] = field(default_factory=set)  # old blocks with a near duplicate in the old revision


class Writer:
    """Random words, sentences, paragraphs and articles from one seeded generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        words: set[str] = set()
        while len(words) < CONTENT_WORDS:
            words.add("".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))))
        self.content = sorted(words)
        rng.shuffle(self.content)
        self.cumulative = list(itertools.accumulate(1 / (rank + 1) ** 1.05 for rank in range(CONTENT_WORDS)))

    def word(self) -> str:
        """A function word or a content word, as often as in a language."""
        if self.rng.random() < FUNCTION_SHARE:
            return self.rng.choice(FUNCTION_WORDS)
        return self.rng.choices(self.content, cum_weights=self.cumulative)[0]

    def sentence(self) -> list[str]:
        """8 to 24 words, now and then a footnote marker after one."""
        words = [self.word() for _ in range(self.rng.randint(8, 24))]
        if self.rng.random() < 0.15:
            words.insert(self.rng.randint(1, len(words)), MARK)
        return words

    def paragraph(self) -> Draft:
        """A paragraph of 1 to 6 sentences."""
        return Draft("paragraph", [self.sentence() for _ in range(self.rng.randint(1, 6))])

    def article(self, paragraphs: int) -> list[Draft]:
        """Headings and paragraphs, with a near duplicate of an earlier paragraph now and then."""
        blocks: list[Draft] = []
        for _ in range(paragraphs):
            if self.rng.random() < 0.12:
                blocks.append(Draft("heading", [[self.word() for _ in range(self.rng.randint(2, 6))]]))
            earlier = [block for block in blocks if block.kind == "paragraph"]
            if earlier and self.rng.random() < 0.05:
                original = self.rng.choice(earlier)
                original.twin = True
                twin = Draft("paragraph", [list(sentence) for sentence in original.sentences], twin=True)
                self.change_words(twin, 2)
                blocks.append(twin)
            else:
                blocks.append(self.paragraph())
        return blocks

    def change_words(self, draft: Draft, count: int) -> None:
        """Replace `count` random words of the draft."""
        for _ in range(count):
            sentence = self.rng.choice(draft.sentences)
            sentence[self.rng.randrange(len(sentence))] = self.word()
        draft.damage += count / max(1, draft.size())


def write(blocks: list[Draft]) -> list[Piece]:
    """The blocks as pieces of text, footnote markers numbered in order of appearance."""
    number = 0
    pieces = []
    for block in blocks:
        sentences = []
        for words in block.sentences:
            out = []
            for word in words:
                if word == MARK:
                    number = number % 999 + 1  # footnotes go up to [999]; past that [n] is text, as in the importer
                    out[-1:] = [f"{out[-1]}[{number}]"] if out else []
                else:
                    out.append(word)
            text = " ".join(out)
            sentences.append(text[:1].upper() + text[1:] + ("" if block.kind == "heading" else "."))
        pieces.append(Piece(block.kind, " ".join(sentences)))
    return pieces


def revise(rng: random.Random, paragraphs: int = 30, edits: int = 8) -> Revision:
    """A random article and a random revision of it, with the truth."""
    writer = Writer(rng)
    old = writer.article(paragraphs)
    for index, block in enumerate(old):
        block.origin, block.keeper = (index,), index
    new = [Draft(b.kind, [list(s) for s in b.sentences], b.origin, b.keeper) for b in old]
    for _ in range(edits):
        edit = rng.choice(EDITS)
        edit(writer, new)
    revision = Revision(write(old), write(new))
    revision.twins = {index for index, block in enumerate(old) if block.twin}
    revision.lands = dict.fromkeys(range(len(old)))
    for index, block in enumerate(new):
        revision.keeps[index] = block.keeper
        if len(block.origin) > 1:  # merged: every source's thread moves into the merged block's
            revision.lands.update(dict.fromkeys(block.origin, index))
        if block.keeper is not None:
            revision.lands[block.keeper] = index
    for source, index in revision.lands.items():
        if index is not None and kept_share(old[source], new[index]) < 1 - DESTROYED:
            revision.destroyed.add(source)
    return revision


def kept_share(old: Draft, new: Draft) -> float:
    """The share of the old block's words still found in the new one."""
    before = Counter(word for sentence in old.sentences for word in sentence if word != MARK)
    after = Counter(word for sentence in new.sentences for word in sentence if word != MARK)
    return sum((before & after).values()) / max(1, sum(before.values()))


def paragraphs_of(blocks: list[Draft], writer: Writer, settled: bool = False) -> list[int]:
    """Indices of the paragraphs (not yet split or merged, unless `settled`)."""
    return [i for i, block in enumerate(blocks) if block.kind == "paragraph" and (settled or not block.settled)]


def edit_words(writer: Writer, blocks: list[Draft]) -> None:
    """One to three words of a block changed."""
    if blocks:
        writer.change_words(writer.rng.choice(blocks), writer.rng.randint(1, 3))


def edit_sentence(writer: Writer, blocks: list[Draft]) -> None:
    """One sentence of a paragraph rewritten, or a sentence added to it."""
    found = paragraphs_of(blocks, writer, settled=True)
    if found:
        draft = blocks[writer.rng.choice(found)]
        size = draft.size()
        if writer.rng.random() < 0.5:
            at = writer.rng.randrange(len(draft.sentences))
            draft.damage += len(draft.sentences[at]) / size
            draft.sentences[at] = writer.sentence()
        else:
            added = writer.sentence()
            draft.sentences.insert(writer.rng.randint(0, len(draft.sentences)), added)
            draft.damage += len(added) / size


def move(writer: Writer, blocks: list[Draft]) -> None:
    """A block moved elsewhere."""
    if len(blocks) > 1:
        block = blocks.pop(writer.rng.randrange(len(blocks)))
        blocks.insert(writer.rng.randint(0, len(blocks)), block)


def split(writer: Writer, blocks: list[Draft]) -> None:
    """A paragraph of two sentences or more cut in two at a sentence; the larger part keeps it."""
    found = [i for i in paragraphs_of(blocks, writer) if len(blocks[i].sentences) > 1 and blocks[i].damage == 0]
    if not found:
        return
    at = writer.rng.choice(found)
    draft = blocks[at]
    cut = writer.rng.randint(1, len(draft.sentences) - 1)
    first = Draft("paragraph", draft.sentences[:cut], draft.origin, None, settled=True)
    second = Draft("paragraph", draft.sentences[cut:], draft.origin, None, settled=True)
    if abs(first.size() - second.size()) < 0.15 * draft.size():
        return  # about even: which part keeps the thread would be a coin toss
    (first if first.size() > second.size() else second).keeper = draft.keeper
    blocks[at : at + 1] = [first, second]


def merge(writer: Writer, blocks: list[Draft]) -> None:
    """Two neighbouring paragraphs made one; the one with more text keeps its identity."""
    found = [i for i in paragraphs_of(blocks, writer) if i + 1 < len(blocks) and blocks[i].damage == 0]
    found = [i for i in found if blocks[i + 1].kind == "paragraph" and not blocks[i + 1].settled]
    found = [i for i in found if blocks[i + 1].damage == 0 and blocks[i].keeper is not None]
    if not found:
        return
    at = writer.rng.choice(found)
    one, two = blocks[at], blocks[at + 1]
    if abs(one.size() - two.size()) < 0.15 * (one.size() + two.size()) or two.keeper is None:
        return
    keeper = one.keeper if one.size() > two.size() else two.keeper
    blocks[at : at + 2] = [Draft("paragraph", one.sentences + two.sentences, one.origin + two.origin, keeper, 0, True)]


def insert(writer: Writer, blocks: list[Draft]) -> None:
    """A new paragraph."""
    draft = writer.paragraph()
    draft.settled = True
    blocks.insert(writer.rng.randint(0, len(blocks)), draft)


def remove(writer: Writer, blocks: list[Draft]) -> None:
    """A block removed (not a part of a split paragraph: the thread would rightly go to the other part)."""
    found = [i for i, block in enumerate(blocks) if not (block.settled and len(block.origin) == 1)]
    if len(blocks) > 1 and found:
        blocks.pop(writer.rng.choice(found))


def add_footnote(writer: Writer, blocks: list[Draft]) -> None:
    """A footnote added to the first paragraph: every later footnote is renumbered."""
    found = paragraphs_of(blocks, writer, settled=True)
    if found:
        blocks[found[0]].sentences[0].append(MARK)


EDITS = (edit_words, edit_words, edit_sentence, move, split, merge, insert, remove, add_footnote)


def landing(matching: Matching, old: int) -> int | None:
    """The new block the thread of old block `old` lands on: the one keeping it, or the merge it went into."""
    for placement in matching.placements:
        if placement.keeps == old or (placement.change is Change.MERGED and old in placement.sources):
            return placement.new
    return None
