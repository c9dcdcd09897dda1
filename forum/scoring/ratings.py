"""Votes as the scorer reads them: validated, in one canonical order, with dense rater and argument indices."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# Community Notes reads "helpful" as 1.0 and "not helpful" as 0.0; a withdrawn vote (0) is no rating.
HELPFUL = 1.0
NOT_HELPFUL = 0.0


@dataclass(frozen=True)
class Ratings:
    """One rating per (rater, argument), sorted by rater then argument; `rater` and `argument` index the id arrays."""

    rater: IntArray
    argument: IntArray
    value: FloatArray
    rater_ids: IntArray
    argument_ids: IntArray

    @property
    def count(self) -> int:
        """How many ratings there are."""
        return int(self.value.size)

    @property
    def raters(self) -> int:
        """How many distinct raters there are."""
        return int(self.rater_ids.size)

    @property
    def arguments(self) -> int:
        """How many distinct arguments there are."""
        return int(self.argument_ids.size)


def canonical_triples(
    voters: Sequence[int], arguments: Sequence[int], values: Sequence[int]
) -> tuple[IntArray, IntArray, IntArray]:
    """The votes as three int64 arrays sorted by (voter, argument, value); refuses bad lengths, values or duplicates."""
    voter = np.asarray(voters, dtype=np.int64).reshape(-1)
    argument = np.asarray(arguments, dtype=np.int64).reshape(-1)
    value = np.asarray(values, dtype=np.int64).reshape(-1)
    if not voter.size == argument.size == value.size:
        raise ValueError("voters, arguments and values differ in length")
    if value.size and not np.isin(value, (-1, 0, 1)).all():
        raise ValueError("a vote is +1 (helpful), -1 (not helpful) or 0 (withdrawn)")
    order = np.lexsort((value, argument, voter))
    voter, argument, value = voter[order], argument[order], value[order]
    if voter.size > 1:
        repeated = (voter[1:] == voter[:-1]) & (argument[1:] == argument[:-1])
        if repeated.any():
            raise ValueError("a voter votes at most once on an argument")
    return voter, argument, value


def input_digest(voters: Sequence[int], arguments: Sequence[int], values: Sequence[int]) -> str:
    """SHA-256 (hex) of the sorted (voter, argument, value) triples: the same for the same votes in any order."""
    voter, argument, value = canonical_triples(voters, arguments, values)
    digest = hashlib.sha256(b"votes/1\n")
    # Little-endian int64 rows of three: one layout on every machine.
    digest.update(np.stack((voter, argument, value), axis=1).astype("<i8").tobytes())
    return digest.hexdigest()


def read_ratings(voters: Sequence[int], arguments: Sequence[int], values: Sequence[int]) -> Ratings:
    """The votes as ratings: withdrawn votes dropped, +1 as 1.0 and -1 as 0.0, ids mapped to dense indices."""
    voter, argument, value = canonical_triples(voters, arguments, values)
    kept = value != 0
    voter, argument, value = voter[kept], argument[kept], value[kept]
    rater_ids, rater = np.unique(voter, return_inverse=True)
    argument_ids, argument_index = np.unique(argument, return_inverse=True)
    rating = np.where(value > 0, HELPFUL, NOT_HELPFUL)
    return Ratings(
        rater=rater.astype(np.int64),
        argument=argument_index.astype(np.int64),
        value=rating,
        rater_ids=rater_ids,
        argument_ids=argument_ids,
    )
