"""The bridging scorer: measured against synthetic communities with a known truth, and its contract in small cases."""

from __future__ import annotations

import random
from typing import Any

import numpy as np
import pytest

from forum.scoring import ALGORITHM, ArgumentScore, input_digest, score_votes
from forum.scoring.coordination import coordinated_ratings
from forum.scoring.helpfulness import MIN_RATERS
from forum.scoring.ratings import read_ratings
from tests.simulation import (
    FIRST_ARGUMENT_ID,
    FIRST_MEMBER_ID,
    THREE_CAMPS,
    TWO_CAMPS,
    Community,
    add_brigade,
    add_sybils,
    auc,
    make_community,
    make_paragraphs,
    paragraph_of,
    rank_of,
    raw_scores,
    score,
    statuses_from,
    weak_partisan_target,
    wilson_scores,
)

BRIGADE_TRIALS = 20
SYBIL_TARGETS = 50


def separation(community: Community, seed: int = 0) -> float:
    """AUC of helpfulness for bridging against partisan arguments."""
    scored = score(community, seed)
    good, partisan = community.bridging(), community.partisan()
    return auc(scored.helpfulness[good], scored.helpfulness[partisan & ~good])


@pytest.mark.parametrize("camps", [TWO_CAMPS, THREE_CAMPS], ids=["two camps", "three camps"])
@pytest.mark.parametrize("seed", [1, 2])
def test_helpfulness_ranks_bridging_arguments_above_partisan_ones(camps: tuple[tuple[float, float], ...], seed: int) -> None:
    community = make_community(seed, camps=camps)
    assert separation(community) >= 0.9


def test_what_is_called_helpful_is_mostly_truly_bridging() -> None:
    community = make_community(3)
    scored = score(community)
    bridging = community.bridging()
    assert scored.helpful.sum() >= 0.3 * bridging.sum()
    assert (scored.helpful & bridging).sum() >= 0.9 * scored.helpful.sum()
    assert not (scored.helpful & community.partisan() & ~bridging).any()


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5])
def test_a_one_camp_brigade_does_not_make_its_weak_argument_helpful(share: float) -> None:
    """Raw score and Wilson put the brigade's target first in its paragraph; the scorer does not call it helpful."""
    helpful = raw_top = wilson_top = 0
    for trial in range(BRIGADE_TRIALS):
        community, target = add_brigade(make_community(100 + trial), seed=trial, share=share, camp=trial % 2)
        paragraph = paragraph_of(make_paragraphs(community, seed=trial), target)
        helpful += bool(score(community).helpful[target])
        raw_top += rank_of(raw_scores(community), target, paragraph) == 1
        wilson_top += rank_of(wilson_scores(community), target, paragraph) == 1
    assert helpful <= 0.05 * BRIGADE_TRIALS
    if share >= 0.3:
        assert raw_top >= 0.9 * BRIGADE_TRIALS
        assert wilson_top >= 0.75 * BRIGADE_TRIALS


def flipped_paragraphs(plain: Community, attacked: Community, seed: int) -> tuple[int, int]:
    """How many paragraphs' suggestions (by the rules, from the helpful flags) the attack changed, of how many."""
    paragraphs = make_paragraphs(plain, seed=seed)
    before, after = statuses_from(paragraphs, score(plain).helpful), statuses_from(paragraphs, score(attacked).helpful)
    return sum(a != b for a, b in zip(before, after)), len(paragraphs)


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5])
def test_a_brigade_of_identical_accounts_flips_no_paragraph(share: float) -> None:
    """Accounts casting the same votes together are a coordinated group: its down-votes of the other side's good
    arguments count for nothing, the rest of its record counts once (lock-step accounts are one rater), and no
    paragraph's suggestion flips."""
    plain = make_community(7)
    community, target = add_brigade(plain, seed=7, share=share, identical=True)
    before, after = score(plain), score(community)
    natural = {int(v) for v, a in zip(plain.voters, plain.arguments) if plain.argument_index(int(a)) == target}
    assert after.scores[FIRST_ARGUMENT_ID + target].raters <= len(natural) + 1
    assert not after.helpful[target]
    side = np.sign(plain.camps[0][1])
    aimed = plain.bridging() & (plain.slant * side <= 0)
    assert (after.helpful[aimed] == before.helpful[aimed]).all()
    assert flipped_paragraphs(plain, community, seed=7)[0] == 0


def test_a_camouflaged_brigade_is_found_and_its_common_votes_left_out() -> None:
    """Each account down-votes a different 80 % of the other side's good arguments and votes like its camp on 20
    others: the votes the brigade cast together are left out, every natural member's votes are kept."""
    plain = make_community(8)
    community, target = add_brigade(plain, seed=8, share=0.3)
    ratings = read_ratings(community.voters.tolist(), community.arguments.tolist(), community.values.tolist())
    left_out = coordinated_ratings(ratings)
    voters = ratings.rater_ids[ratings.rater[left_out]]
    brigade = voters >= FIRST_MEMBER_ID + plain.members
    assert brigade.all()
    side = np.sign(plain.camps[0][1])
    aimed = np.flatnonzero(plain.bridging() & (plain.slant * side <= 0)).tolist() + [target]
    by_brigade = community.voters >= FIRST_MEMBER_ID + plain.members
    attack = by_brigade & np.isin(community.arguments - FIRST_ARGUMENT_ID, aimed)
    assert left_out.sum() >= 0.9 * attack.sum()


@pytest.mark.parametrize(
    "shape",
    [{}, {"camps": THREE_CAMPS}, {"members": 40, "arguments": 30, "votes_per_member": 15},
     {"members": 200, "arguments": 150, "votes_per_member": 25}, {"members": 600, "arguments": 400}],
    ids=["two camps", "three camps", "small and busy", "two hundred", "six hundred"],
)
@pytest.mark.parametrize("seed", [21, 22])
def test_no_natural_community_is_taken_for_a_brigade(shape: dict[str, Any], seed: int) -> None:
    community = make_community(seed, **shape)
    ratings = read_ratings(community.voters.tolist(), community.arguments.tolist(), community.values.tolist())
    assert not coordinated_ratings(ratings).any()


@pytest.mark.parametrize("share", [0.1, 0.3, 0.5])
def test_a_camouflaged_brigade_flips_few_paragraphs(share: float) -> None:
    flipped = seen = 0
    for trial in range(4):
        plain = make_community(300 + trial)
        community, _ = add_brigade(plain, seed=trial, share=share, camp=trial % 2)
        changed, paragraphs = flipped_paragraphs(plain, community, seed=trial)
        flipped += changed
        seen += paragraphs
    assert flipped <= 0.05 * seen


def test_the_two_phase_attack_with_ten_sybils_rarely_succeeds() -> None:
    succeeded = 0
    for trial in range(SYBIL_TARGETS):
        community = make_community(200 + trial % 10, members=200, arguments=150, votes_per_member=25)
        generator = np.random.default_rng(trial)
        target = weak_partisan_target(community, generator, side=1.0 if trial % 2 else -1.0)
        attacked = add_sybils(community, seed=trial, count=10, target=target)
        succeeded += bool(score(attacked).helpful[target])
    assert succeeded <= 0.02 * SYBIL_TARGETS


def test_paragraphs_cover_every_argument_once_with_a_true_status() -> None:
    community = make_community(4)
    paragraphs = make_paragraphs(community, seed=4)
    ids = [argument for paragraph in paragraphs for argument, _ in paragraph.arguments]
    assert sorted(ids) == list(range(FIRST_ARGUMENT_ID, FIRST_ARGUMENT_ID + community.quality.size))
    statuses = {paragraph.status for paragraph in paragraphs}
    assert statuses <= {"supported", "refuted", "contested", "needs_sources", "open"}
    assert {"supported", "refuted", "open"} <= statuses


# The contract in small cases.

def bridged_votes() -> tuple[list[int], list[int], list[int]]:
    """The votes of a small two-camp community (40 members, 30 arguments)."""
    community = make_community(11, members=40, arguments=30, votes_per_member=15)
    return community.voters.tolist(), community.arguments.tolist(), community.values.tolist()


def test_the_same_votes_score_the_same_in_any_order() -> None:
    voters, arguments, values = bridged_votes()
    order = list(range(len(voters)))
    random.Random(5).shuffle(order)
    shuffled = ([voters[i] for i in order], [arguments[i] for i in order], [values[i] for i in order])
    assert score_votes(voters, arguments, values) == score_votes(*shuffled)
    assert score_votes(voters, arguments, values, seed=3) == score_votes(voters, arguments, values, seed=3)
    assert input_digest(voters, arguments, values) == input_digest(*shuffled)


def test_the_digest_changes_with_any_vote() -> None:
    voters, arguments, values = bridged_votes()
    digest = input_digest(voters, arguments, values)
    assert len(digest) == 64 and int(digest, 16) >= 0
    flipped = [-values[0], *values[1:]]
    assert input_digest(voters, arguments, flipped) != digest
    assert input_digest(voters[1:], arguments[1:], values[1:]) != digest


def test_every_argument_with_votes_is_scored_and_helpful_is_none_exactly_with_helpfulness() -> None:
    voters, arguments, values = bridged_votes()
    scores = score_votes(voters, arguments, values)
    assert set(scores) == set(arguments)
    for result in scores.values():
        assert isinstance(result, ArgumentScore)
        assert (result.helpful is None) == (result.helpfulness is None)
        assert result.raters == sum(result.sides) or result.helpfulness is None


def test_too_few_raters_leave_the_helpfulness_unknown() -> None:
    voters, arguments, values = bridged_votes()
    few = list(range(9_000, 9_000 + MIN_RATERS - 1))
    scores = score_votes(voters + few, arguments + [777] * len(few), values + [1] * len(few))
    assert scores[777].helpfulness is None and scores[777].helpful is None


def test_no_votes_score_nothing_and_withdrawn_votes_do_not_count() -> None:
    assert score_votes([], [], []) == {}
    voters, arguments, values = bridged_votes()
    withdrawn = score_votes(voters + [1, 2], arguments + [888, 888], values + [0, 0])
    assert 888 not in withdrawn
    assert withdrawn == score_votes(voters, arguments, values)


def test_lockstep_accounts_are_merged_into_one_rater() -> None:
    """Six copies of the busiest member's votes change nothing; six nearly identical ones neither."""
    voters, arguments, values = bridged_votes()
    plain = score_votes(voters, arguments, values)
    busiest = max(set(voters), key=lambda voter: (voters.count(voter), -voter))
    own = [(a, v) for voter, a, v in zip(voters, arguments, values) if voter == busiest]
    assert len(own) >= 20
    copies = [(copy, a, v) for copy in range(50_000, 50_006) for a, v in own]
    merged = score_votes(
        voters + [c for c, _, _ in copies], arguments + [a for _, a, _ in copies], values + [v for _, _, v in copies]
    )
    assert merged == plain
    # Each near copy leaves out one vote of the busiest member's: still in lock-step with them.
    near = [(copy, a, v) for copy in range(60_000, 60_006) for k, (a, v) in enumerate(own) if k != copy - 60_000]
    nearly = score_votes(
        voters + [c for c, _, _ in near], arguments + [a for _, a, _ in near], values + [v for _, _, v in near]
    )
    assert all(nearly[argument].raters == plain[argument].raters for argument, _ in own)


def test_malformed_votes_are_refused() -> None:
    with pytest.raises(ValueError):
        score_votes([1, 2], [3], [1])
    with pytest.raises(ValueError):
        score_votes([1], [3], [2])
    with pytest.raises(ValueError):
        score_votes([1, 1], [3, 3], [1, -1])


def test_the_algorithm_names_its_version() -> None:
    assert ALGORITHM.startswith("bridging-mf/")
