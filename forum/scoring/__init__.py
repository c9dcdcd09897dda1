"""PLACEHOLDER scorer, to be replaced by the bridging scorer of its own branch: the interface only.

Helpfulness here is the plain mean of an argument's votes once it has `MIN_RATERS` of them; it resists no
brigade. It exists so that what is built around the scorer runs until the real one is merged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

ALGORITHM = "placeholder-mean-1"
MIN_RATERS = 5
HELPFUL_AT = 0.4


@dataclass(frozen=True, slots=True)
class ArgumentScore:
    """An argument's helpfulness (None: too few votes), whether it is helpful, and how many rated it."""

    helpfulness: float | None
    helpful: bool | None
    raters: int


def score_votes(
    voters: Sequence[int], arguments: Sequence[int], values: Sequence[int], *, seed: int = 0
) -> dict[int, ArgumentScore]:
    """Each voted argument's score from parallel sequences of votes (+1 helpful, -1 not)."""
    sums: dict[int, list[int]] = {}
    for argument, value in zip(arguments, values, strict=True):
        sums.setdefault(argument, []).append(value)
    scores: dict[int, ArgumentScore] = {}
    for argument, given in sums.items():
        if len(given) < MIN_RATERS:
            scores[argument] = ArgumentScore(None, None, len(given))
            continue
        mean = sum(given) / len(given)
        scores[argument] = ArgumentScore(mean, mean >= HELPFUL_AT, len(given))
    return scores


def input_digest(voters: Sequence[int], arguments: Sequence[int], values: Sequence[int]) -> str:
    """A sha256 of the votes, whatever their order."""
    rows = sorted(zip(voters, arguments, values, strict=True))
    return hashlib.sha256("\n".join(f"{v},{a},{x}" for v, a, x in rows).encode()).hexdigest()
