"""After any revision, no argument is lost or unreachable from its article: each is in a thread the article shows,
or in a removed paragraph the article lists. Random edits go through the matcher; random matchings (with splits
and merges the matcher may not find) go through the service directly."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.importing import ParsedBlock
from forum.models import Argument
from forum.revisions.matching import Change, Matching, Placement
from forum.services import article_page, revisions
from tests.revisions import make_discussed_article, revised

WORDS = "toll bridge council ferry night shift suburbs fares crews survey minutes harbour commuters".split()


def sentence(rng: random.Random) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(6, 14))).capitalize() + "."


def random_edit(rng: random.Random, texts: list[str]) -> list[str]:
    """The paragraphs after a few random edits: reword, reorder, remove, insert, join two."""
    texts = list(texts)
    for _ in range(rng.randint(1, 4)):
        move = rng.choice(["reword", "swap", "remove", "insert", "join"])
        i = rng.randrange(len(texts))
        if move == "reword":
            texts[i] = texts[i].replace(".", f", {rng.choice(WORDS)} aside.", 1)
        elif move == "swap" and len(texts) > 1:
            j = rng.randrange(len(texts))
            texts[i], texts[j] = texts[j], texts[i]
        elif move == "remove" and len(texts) > 1:
            texts.pop(i)
        elif move == "join" and i + 1 < len(texts):
            texts[i:i + 2] = [f"{texts[i]} {texts[i + 1]}"]
        else:
            texts.insert(i, sentence(rng))
    return texts


def random_matching(rng: random.Random, old: int, new: int) -> Matching:
    """A valid matching of `old` blocks to `new`: kept, split, merged and added blocks, and the rest removed."""
    free = list(range(old))
    rng.shuffle(free)
    placements, kept = [], set()
    for j in range(new):
        roll = rng.random()
        if free and roll < 0.5:
            i = free.pop()
            kept.add(i)
            sources = (i,)
            change = Change.EDITED
            if free and rng.random() < 0.3:
                sources, change = (i, free.pop()), Change.MERGED
            placements.append(Placement(j, change, i, sources, 0.9))
        elif kept and roll < 0.7:
            placements.append(Placement(j, Change.SPLIT, None, (rng.choice(sorted(kept)),), 0.8))
        else:
            placements.append(Placement(j, Change.ADDED, None, (), 1.0))
    merged = {s for p in placements for s in p.sources}
    return Matching(tuple(placements), tuple(sorted(i for i in free if i not in merged)), ())


def reachable(app, article_id: int) -> tuple[set[int], set[int]]:
    """Every argument of the database, and those the article reaches through its threads and removed paragraphs."""
    with app.app_context():
        session = get_session()
        view = article_page.article_view(session, article_id)
        threads = {b.id for b in view.blocks if b.is_thread} | {b.id for b in view.removed}
        everything = set(session.scalars(sa.select(Argument.id)))
        reached = set(session.scalars(sa.select(Argument.id).where(Argument.block_id.in_(threads))))
        return everything, reached


@pytest.mark.parametrize("seed", range(4))
def test_no_argument_is_lost_through_random_revisions(app, make_user, seed, monkeypatch):
    ids = make_discussed_article(app, make_user)
    rng = random.Random(seed)
    for step in range(3):
        with app.app_context():
            session = get_session()
            current = revisions.current_blocks(session, ids["article"])
            paragraphs = [b.text for b in current if b.is_thread]
            texts = random_edit(rng, paragraphs)
            blocks = [ParsedBlock("heading", "Who pays", []), *(ParsedBlock("paragraph", t, []) for t in texts)]
            if step == 2:
                # A matching of random splits and merges, as a cleverer matcher might find.
                matching = random_matching(rng, len(current), len(blocks))
                monkeypatch.setattr(revisions, "match_revision", lambda old, new, m=matching: m)
            try:
                revisions.revise_article(session, ids["article"], revised(*blocks))
            except revisions.SameText:
                session.rollback()
                continue
            session.commit()
        everything, reached = reachable(app, ids["article"])
        assert everything == reached and len(everything) == 4
