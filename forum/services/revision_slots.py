"""Citation slots across a revision: each footnote's slot follows its text, whatever number it has now.

A slot carries what members did with a footnote (their proposals, an accepted source), so a footnote
renumbered by a revision (an inserted note makes `[3]` the new `[4]`) must keep its slot. A new number is
paired with an old slot by, strongest first: the same reference in the article's own list, the same place
among the citations of a paragraph the revision kept, and the same number. What is left over is new (a
slot of its own) or no longer cited by the current text (kept for the removed paragraphs that cite it,
renumbered past the article's numbers if the new text took its number).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.importing import ParsedArticle
from forum.importing.common import normalise_markers
from forum.models import Article, Block, CitationSlot, Source

# How much each kind of evidence weighs when pairing a new number with an old slot.
SAME_REFERENCE = 100.0
SAME_PLACE = 1.0
SAME_NUMBER = 0.5


def cited_in_order(text: str) -> list[int]:
    """The footnote numbers a block's text cites, in order of first appearance."""
    return normalise_markers(text)[1]


def pair_numbers(
    article: Article, parsed: ParsedArticle, kept: Sequence[tuple[Block, int]]
) -> dict[int, CitationSlot]:
    """The old slot each footnote number of the new text keeps (numbers with none are new).

    `kept` pairs each old block the revision kept with the index of its new block.
    """
    old = {slot.number: slot for slot in article.slots}
    new_numbers = sorted({n for b in parsed.blocks for n in b.citations} | set(parsed.references))
    weights: dict[tuple[int, int], float] = defaultdict(float)
    by_reference: dict[tuple[str, str | None], list[CitationSlot]] = {}
    for slot in article.slots:
        if slot.reference_text:
            by_reference.setdefault((slot.reference_text, slot.url), []).append(slot)
    for number, reference in parsed.references.items():
        for slot in by_reference.get((reference.text, reference.url), []):
            weights[(number, slot.number)] += SAME_REFERENCE
    for block, index in kept:
        before, after = cited_in_order(block.text), parsed.blocks[index].citations
        if len(before) == len(after):
            for was, now in zip(before, after):
                weights[(now, was)] += SAME_PLACE
    for number in new_numbers:
        if number in old:
            weights[(number, number)] += SAME_NUMBER
    paired: dict[int, CitationSlot] = {}
    taken: set[int] = set()
    for (now, was), _ in sorted(weights.items(), key=lambda item: (-item[1], item[0])):
        if now in paired or was in taken or was not in old or now not in new_numbers:
            continue
        paired[now] = old[was]
        taken.add(was)
    return paired


def follow_slots(
    session: so.Session, article: Article, parsed: ParsedArticle, kept: Sequence[tuple[Block, int]]
) -> dict[int, CitationSlot]:
    """Renumber, refill and add the article's slots for the new text; its slot by footnote number."""
    paired = pair_numbers(article, parsed, kept)
    new_numbers = sorted({n for b in parsed.blocks for n in b.citations} | set(parsed.references))
    left = [slot for slot in article.slots if slot not in paired.values()]
    # Every slot steps aside first (numbers are unique in an article), then takes its number.
    moved = {slot.id: slot.number for slot in article.slots}
    for slot in article.slots:
        slot.number = -slot.id
    session.flush()
    for number, slot in paired.items():
        slot.number = number
    past = max([0, *new_numbers])
    for slot in sorted(left, key=lambda s: moved[s.id]):
        if moved[slot.id] in new_numbers:
            past += 1
            slot.number = past
        else:
            slot.number = moved[slot.id]
    slots = dict(paired)
    for number in new_numbers:
        reference = parsed.references.get(number)
        if number not in slots:
            slots[number] = CitationSlot(number=number)
            article.slots.append(slots[number])
        slots[number].reference_text = reference.text if reference else None
        slots[number].url = reference.url if reference else None
    session.flush()
    # A member's source names the footnote as they saw it: it follows its slot's new number.
    for slot in article.slots:
        if slot.id in moved and moved[slot.id] != slot.number:
            session.execute(sa.update(Source).where(Source.slot_id == slot.id).values(citation=slot.number))
    return slots
