"""Raters who vote in lock-step are one rater: accounts that cast (nearly) the same votes are merged before fitting.

Two raters vote in lock-step when at least LOCKSTEP_SHARED of their votes are the same (argument and value) and the
same votes are at least LOCKSTEP_AGREEMENT of all the votes either cast (Jaccard similarity of their vote sets).
Members of one camp often agree on the few arguments both voted on; only accounts whose whole vote records are alike
are merged, and a merged rater's rating of an argument is the mean of its members' ratings.

The pairs are found without comparing every rater with every other: identical records by their bytes, nearly
identical ones by prefix filtering (two sets this alike must share one of the first few of their rarest votes).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

from forum.scoring.ratings import IntArray, Ratings

LOCKSTEP_AGREEMENT = Fraction(19, 20)
LOCKSTEP_SHARED = 5
# Candidate pairs are checked this many at a time, to bound memory on a large brigade.
VERIFY_CHUNK = 250_000


def vote_tokens(ratings: Ratings) -> IntArray:
    """Each rating as one integer naming its argument and its value (helpful or not)."""
    return ratings.argument * 2 + (ratings.value > 0.5).astype(np.int64)


def row_starts(rater: IntArray, raters: int) -> IntArray:
    """Where each rater's ratings start in arrays sorted by rater (and where the last ends)."""
    starts = np.zeros(raters + 1, dtype=np.int64)
    np.cumsum(np.bincount(rater, minlength=raters), out=starts[1:])
    return starts


def identical_records(tokens: IntArray, starts: IntArray, eligible: IntArray) -> tuple[IntArray, IntArray]:
    """Edges (rater, first rater with the same record) among the eligible raters whose records are identical."""
    first: dict[bytes, int] = {}
    sources: list[int] = []
    targets: list[int] = []
    for rater in eligible.tolist():
        key = tokens[starts[rater] : starts[rater + 1]].tobytes()
        seen = first.setdefault(key, rater)
        if seen != rater:
            sources.append(rater)
            targets.append(seen)
    return np.asarray(sources, dtype=np.int64), np.asarray(targets, dtype=np.int64)


def prefix_length(count: IntArray) -> IntArray:
    """How many of a record's rarest votes another record this alike must share one of (AllPairs prefix)."""
    agreement = LOCKSTEP_AGREEMENT
    needed = -((-count * agreement.numerator) // agreement.denominator)  # ceil(agreement * count)
    return count - needed + 1


def candidate_pairs(rater: IntArray, tokens: IntArray, count: IntArray, raters: int, vocabulary: int) -> IntArray:
    """Pairs (a < b) of raters whose prefixes of rarest votes share a vote and whose record sizes could match."""
    frequency = np.bincount(tokens, minlength=vocabulary)
    order = np.lexsort((tokens, frequency[tokens], rater))
    rater, tokens = rater[order], tokens[order]
    starts = row_starts(rater, raters)
    position = np.arange(rater.size, dtype=np.int64) - starts[rater]
    in_prefix = position < prefix_length(count)[rater]
    prefix = sparse.csr_matrix(
        (np.ones(int(in_prefix.sum()), dtype=np.int32), (rater[in_prefix], tokens[in_prefix])),
        shape=(raters, vocabulary),
    )
    shared = sparse.triu(prefix @ prefix.T, k=1).tocoo()
    a, b = shared.row.astype(np.int64), shared.col.astype(np.int64)
    small, large = np.minimum(count[a], count[b]), np.maximum(count[a], count[b])
    agreement = LOCKSTEP_AGREEMENT
    sizes_fit = small * agreement.denominator >= large * agreement.numerator
    return np.stack((a[sizes_fit], b[sizes_fit]), axis=1)


def nearly_identical(pairs: IntArray, records: sparse.csr_matrix, count: IntArray) -> IntArray:
    """The candidate pairs whose records really are alike enough to merge."""
    kept: list[IntArray] = []
    agreement = LOCKSTEP_AGREEMENT
    for start in range(0, len(pairs), VERIFY_CHUNK):
        chunk = pairs[start : start + VERIFY_CHUNK]
        a, b = chunk[:, 0], chunk[:, 1]
        same = np.asarray(records[a].multiply(records[b]).sum(axis=1), dtype=np.int64).reshape(-1)
        union = count[a] + count[b] - same
        alike = (same >= LOCKSTEP_SHARED) & (same * agreement.denominator >= union * agreement.numerator)
        kept.append(chunk[alike])
    return np.concatenate(kept) if kept else np.empty((0, 2), dtype=np.int64)


def lockstep_groups(ratings: Ratings) -> IntArray:
    """For each rater, the index of its merged rater; groups are numbered by their first member."""
    raters = ratings.raters
    if raters == 0:
        return np.empty(0, dtype=np.int64)
    tokens = vote_tokens(ratings)
    vocabulary = 2 * ratings.arguments
    starts = row_starts(ratings.rater, raters)
    count = np.diff(starts)
    eligible = np.flatnonzero(count >= LOCKSTEP_SHARED).astype(np.int64)
    duplicate, original = identical_records(tokens, starts, eligible)
    # Prefix filtering runs over one record of each identical set: a brigade of copies costs one row, not a square.
    distinct = np.ones(raters, dtype=bool)
    distinct[duplicate] = False
    distinct &= count >= LOCKSTEP_SHARED
    kept = distinct[ratings.rater]
    pairs = candidate_pairs(ratings.rater[kept], tokens[kept], count, raters, vocabulary)
    if len(pairs):
        records = sparse.csr_matrix(
            (np.ones(ratings.count, dtype=np.int32), (ratings.rater, tokens)), shape=(raters, vocabulary)
        )
        pairs = nearly_identical(pairs, records, count)
    sources = np.concatenate((duplicate, pairs[:, 0]))
    targets = np.concatenate((original, pairs[:, 1]))
    graph = sparse.coo_matrix((np.ones(sources.size, dtype=np.int8), (sources, targets)), shape=(raters, raters))
    _, labels = csgraph.connected_components(graph, directed=False)
    # Number the groups by their first member, whatever order the graph search visited them in.
    _, first_member, dense = np.unique(labels, return_index=True, return_inverse=True)
    order = np.argsort(first_member, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(order.size)
    return rank[dense].astype(np.int64)


def merge_groups(ratings: Ratings, groups: IntArray) -> Ratings:
    """The ratings with each group of lock-step raters as one rater rating each argument by its members' mean."""
    group = groups[ratings.rater]
    key = group * ratings.arguments + ratings.argument
    unique, inverse = np.unique(key, return_inverse=True)
    total = np.bincount(inverse, weights=ratings.value, minlength=unique.size)
    members = np.bincount(inverse, minlength=unique.size)
    group_count = int(groups.max()) + 1 if groups.size else 0
    return Ratings(
        rater=(unique // max(ratings.arguments, 1)).astype(np.int64),
        argument=(unique % max(ratings.arguments, 1)).astype(np.int64),
        value=total / members,
        rater_ids=np.arange(group_count, dtype=np.int64),
        argument_ids=ratings.argument_ids,
    )
