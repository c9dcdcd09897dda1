"""Coordinated groups: accounts that cast the same votes together far more often than chance are a brigade, and
the votes they cast together are left out of the fit.

Merging lock-step raters (lockstep.py) stops copies of one record; a brigade that hides among ordinary votes (each
account down-voting most, not all, of the other side's good arguments, and voting like its camp elsewhere) is not in
lock-step. It is a quasi-clique, as Community Notes' scorer calls it: a group of accounts and a set of common actions
(an argument and a value) such that

- each common action is taken by at least half of the group (by all of a group of up to four), and VALUE_LIFT
  times as often as by everyone else who voted on the same argument (judged once the group has grown, so that a
  large brigade is not its own alibi),
- each account takes at least MEMBER_SHARE of the common actions, and at least MEMBER_LIFT times as many as its
  own rate of voting would give by chance (members of a small, busy community vote on much of everything),
- there are at least MIN_COMMON_ACTIONS common actions and MIN_GROUP_SIZE accounts.

Groups are grown greedily from the pairs of accounts that share the most votes beyond chance, as in Community Notes'
quasi-clique detection. Only the common actions are left out: what each account did alone still counts, like any
member's votes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from forum.scoring.ratings import BoolArray, FloatArray, IntArray, Ratings

MIN_GROUP_SIZE = 8
MIN_COMMON_ACTIONS = 8
MEMBER_SHARE = 0.65
MEMBER_LIFT = 3.0
# A common action counts only when the group takes it this many times more often than the others who voted on the
# same argument: a camp that agrees on a weak argument is not a brigade.
VALUE_LIFT = 2.5
# A pair of accounts seeds a group when it shares this many votes, and this many times what chance would give.
SEED_SHARED = 6
SEED_LIFT = 1.5
# Accounts with fewer votes than a group's smallest set of common actions cannot be in one.
MIN_VOTES = MIN_COMMON_ACTIONS
# Pairs are counted this many accounts at a time, to bound memory on a large forum.
PAIR_CHUNK = 2_000


def action_matrix(ratings: Ratings) -> sparse.csr_matrix:
    """Raters × actions (argument and value): 1 where the rater took the action."""
    actions = ratings.argument * 2 + (ratings.value >= 0.5).astype(np.int64)
    return sparse.csr_matrix(
        (np.ones(ratings.count, dtype=np.int32), (ratings.rater, actions)),
        shape=(ratings.raters, 2 * ratings.arguments),
    )


def seed_pairs(matrix: sparse.csr_matrix, votes: IntArray, arguments: int) -> IntArray:
    """Pairs (a, b) of eligible raters sharing enough actions beyond chance, the most shared first."""
    eligible = np.flatnonzero(votes >= MIN_VOTES)
    if eligible.size < 2:
        return np.empty((0, 2), dtype=np.int64)
    rows = matrix[eligible]
    found: list[tuple[IntArray, IntArray, IntArray]] = []
    for start in range(0, eligible.size, PAIR_CHUNK):
        shared = (rows[start : start + PAIR_CHUNK] @ rows.T).tocoo()
        a, b, count = shared.row + start, shared.col, shared.data.astype(np.int64)
        expected = votes[eligible[a]] * votes[eligible[b]] / max(arguments, 1)
        keep = (a < b) & (count >= SEED_SHARED) & (count >= SEED_LIFT * expected)
        found.append((eligible[a[keep]], eligible[b[keep]], count[keep]))
    a = np.concatenate([f[0] for f in found])
    b = np.concatenate([f[1] for f in found])
    count = np.concatenate([f[2] for f in found])
    order = np.lexsort((b, a, -count))
    return np.stack((a[order], b[order]), axis=1).astype(np.int64)


@dataclass(frozen=True)
class Actions:
    """Who took which action, both ways round, as index arrays: fast to read one rater's or one action's list."""

    by_rater: sparse.csr_matrix
    by_action: sparse.csc_matrix
    votes: IntArray
    rate: FloatArray

    def of_rater(self, rater: int) -> IntArray:
        """The actions one rater took."""
        start, end = self.by_rater.indptr[rater], self.by_rater.indptr[rater + 1]
        return np.asarray(self.by_rater.indices[start:end], dtype=np.int64)

    def taken(self, actions: IntArray) -> IntArray:
        """Per rater: how many of these actions they took."""
        indptr, indices = self.by_action.indptr, self.by_action.indices
        takers = [indices[indptr[action] : indptr[action + 1]] for action in actions.tolist()]
        flat = np.concatenate(takers) if takers else np.empty(0, dtype=np.int64)
        return np.bincount(flat, minlength=self.votes.size).astype(np.int64)


def common_actions(by_group: IntArray, size: int) -> IntArray:
    """The actions taken by at least half of a group of `size`, and by every member of a group of up to four: a
    small group's chance overlaps would otherwise be taken for common actions and stop it growing."""
    return np.flatnonzero(by_group >= max(min(size, 4), int(np.ceil(size / 2)))).astype(np.int64)


def grow(seed: tuple[int, int], actions: Actions, open_: BoolArray) -> list[int]:
    """The group grown from a seed pair, one account at a time (the one taking most common actions for its votes),
    while one takes enough of them."""
    group = list(seed)
    by_group = np.zeros(actions.by_rater.shape[1], dtype=np.int64)
    for member in group:
        by_group[actions.of_rater(member)] += 1
    while True:
        common = common_actions(by_group, len(group))
        # A seed pair's few shared actions are enough to grow from; the grown group must show MIN_COMMON_ACTIONS.
        if common.size < SEED_SHARED:
            return group
        taken = actions.taken(common)
        fits = (taken >= MEMBER_SHARE * common.size) & (taken >= MEMBER_LIFT * actions.rate * common.size) & open_
        fits[group] = False
        if not fits.any():
            return group
        best = int(np.argmax(np.where(fits, taken / np.maximum(actions.votes, 1), -1.0)))
        group.append(best)
        by_group[actions.of_rater(best)] += 1


def distinctive(common: IntArray, group: list[int], actions: Actions) -> IntArray:
    """The common actions the group takes VALUE_LIFT times more often than everyone else who voted on the same
    argument: down-voting what most others found helpful, not down-voting what most others down-voted too."""
    members = np.zeros(actions.votes.size, dtype=bool)
    members[group] = True
    indptr, indices = actions.by_action.indptr, actions.by_action.indices
    kept = []
    for action in common.tolist():
        same = members[indices[indptr[action] : indptr[action + 1]]]
        other = members[indices[indptr[action ^ 1] : indptr[(action ^ 1) + 1]]]
        group_share = same.sum() / max(int(same.sum() + other.sum()), 1)
        # Smoothed, so that an argument nobody else voted on tells nothing either way.
        others_share = (same.size - same.sum() + 1) / (same.size - same.sum() + other.size - other.sum() + 2)
        if group_share >= VALUE_LIFT * others_share:
            kept.append(action)
    return np.asarray(kept, dtype=np.int64)


def settle(group: list[int], actions: Actions) -> tuple[list[int], IntArray]:
    """The group without members who no longer take MEMBER_SHARE of its distinctive common actions, and those."""
    while True:
        by_group = np.zeros(actions.by_rater.shape[1], dtype=np.int64)
        for member in group:
            by_group[actions.of_rater(member)] += 1
        common = distinctive(common_actions(by_group, len(group)), group, actions)
        taken = actions.taken(common)
        staying = [member for member in group if taken[member] >= MEMBER_SHARE * common.size]
        if len(staying) == len(group) or len(staying) < 2:
            return staying, common
        group = staying


def coordinated_ratings(ratings: Ratings) -> BoolArray:
    """Per rating: whether it is one of a coordinated group's common actions, to be left out of the fit."""
    left_out = np.zeros(ratings.count, dtype=bool)
    if ratings.count == 0:
        return left_out
    matrix = action_matrix(ratings)
    votes = np.bincount(ratings.rater, minlength=ratings.raters).astype(np.int64)
    actions = Actions(matrix, matrix.tocsc(), votes, votes / max(ratings.arguments, 1))
    open_ = votes >= MIN_VOTES
    taken_by = ratings.argument * 2 + (ratings.value >= 0.5).astype(np.int64)
    for a, b in seed_pairs(matrix, votes, ratings.arguments).tolist():
        if not (open_[a] and open_[b]):
            continue
        group = grow((a, b), actions, open_)
        if len(group) < MIN_GROUP_SIZE:
            continue
        group, common = settle(group, actions)
        if len(group) < MIN_GROUP_SIZE or common.size < MIN_COMMON_ACTIONS:
            continue
        members = np.zeros(ratings.raters, dtype=bool)
        members[group] = True
        open_[group] = False
        left_out |= members[ratings.rater] & np.isin(taken_by, common)
    return left_out
