"""The revision matcher: the hand-written corpus mapped exactly, random revisions mapped to their true lineage,
nothing lost, and a long article matched in linear time. Pure: no database."""

from __future__ import annotations

import random

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from forum.revisions import REVIEW_CONFIDENCE, Change, Matching, Piece, match_revision
from tests.growth import LINEAR_BOUND, growth
from tests.revision_corpus import CASES, NIGHT_TRAINS, Case
from tests.revision_generator import landing, revise


def assert_nothing_lost(matching: Matching, old_count: int, new_count: int) -> None:
    """One placement per new block in order; each old block kept at most once, and kept, a source, or removed."""
    assert [placement.new for placement in matching.placements] == list(range(new_count))
    kept = [placement.keeps for placement in matching.placements if placement.keeps is not None]
    assert len(kept) == len(set(kept))
    sources = {old for placement in matching.placements for old in placement.sources}
    assert set(kept) <= sources
    assert not sources & set(matching.removed)
    assert sources | set(matching.removed) == set(range(old_count))
    for placement in matching.placements:
        assert 0.0 <= placement.confidence <= 1.0
        assert (placement.change is Change.ADDED) == (not placement.sources)
    for candidate in matching.candidates:
        assert candidate.old in matching.removed
        assert matching.placements[candidate.new].change is Change.ADDED
        assert candidate.confidence < REVIEW_CONFIDENCE


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_corpus_mapping(case: Case) -> None:
    matching = match_revision(case.old, case.new)
    assert [(p.change, p.keeps, p.sources) for p in matching.placements] == case.placements
    assert matching.removed == case.removed
    assert tuple((c.old, c.new) for c in matching.candidates) == case.candidates
    assert_nothing_lost(matching, len(case.old), len(case.new))


def test_counts_name_every_change() -> None:
    case = next(case for case in CASES if case.name == "everything at once")
    counts = match_revision(case.old, case.new).counts()
    assert counts == {"unchanged": 4, "edited": 1, "moved": 1, "split": 2, "merged": 0, "added": 1, "removed": 2}


def test_sure_pairings_are_confident() -> None:
    case = next(case for case in CASES if case.name == "a sentence edited")
    placements = match_revision(case.old, case.new).placements
    assert all(placement.confidence >= REVIEW_CONFIDENCE for placement in placements)
    assert placements[0].confidence == 1.0


def test_empty_revisions() -> None:
    assert match_revision([], []).counts()["added"] == 0
    everything_new = match_revision([], NIGHT_TRAINS)
    assert [p.change for p in everything_new.placements] == [Change.ADDED] * len(NIGHT_TRAINS)
    assert match_revision(NIGHT_TRAINS, []).removed == tuple(range(len(NIGHT_TRAINS)))


def test_blocks_without_words_do_not_break_matching() -> None:
    old = [Piece("paragraph", "* * *"), Piece("paragraph", "—"), *NIGHT_TRAINS]
    new = [*NIGHT_TRAINS, Piece("paragraph", "* * *")]
    assert_nothing_lost(match_revision(old, new), len(old), len(new))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 2**32 - 1), paragraphs=st.integers(1, 40), edits=st.integers(0, 12))
def test_random_revisions_land_on_their_descendants(seed: int, paragraphs: int, edits: int) -> None:
    revision = revise(random.Random(seed), paragraphs, edits)
    matching = match_revision(revision.old, revision.new)
    assert_nothing_lost(matching, len(revision.old), len(revision.new))
    for old, truth in revision.lands.items():
        found = landing(matching, old)
        if old in revision.twins and found not in (None, truth):
            # Near duplicates may be taken for each other when one of the two was split or removed: then the thread
            # lands on a descendant of one of them, never on an unrelated block.
            assert set(matching.placements[found].sources) <= revision.twins
            continue
        if old in revision.destroyed:
            # Most of its words changed: it may be reported removed, and a split's smaller, untouched part may
            # then hold more of its old text than the rewritten larger one.
            assert found is None or found == truth or old in matching.placements[found].sources
        else:
            assert found == truth, f"old block {old} should land on {truth}, found {found}"


def test_accuracy_over_many_revisions() -> None:
    landed = orphaned = wrong = total = 0
    for seed in range(30):
        revision = revise(random.Random(seed), 30, 8)
        matching = match_revision(revision.old, revision.new)
        for old, truth in revision.lands.items():
            found = landing(matching, old)
            total += 1
            landed += found == truth
            orphaned += found is None and truth is not None
            wrong += found is not None and found != truth
    assert landed / total >= 0.98
    assert wrong / total <= 0.005


def test_a_long_article_matches_in_linear_time() -> None:
    short, long = revise(random.Random(3), 30, 3), revise(random.Random(3), 3000, 300)
    assert_nothing_lost(match_revision(long.old, long.new), len(long.old), len(long.new))
    ratio = growth(lambda: match_revision(short.old, short.new), lambda: match_revision(long.old, long.new))
    assert ratio < LINEAR_BOUND, f"a hundred times the paragraphs took {ratio:.1f} times as long"
