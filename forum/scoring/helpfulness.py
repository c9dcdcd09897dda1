"""Each argument's helpfulness from all the votes: the factorisation's intercept, and the guardrails that decide
when it may be called helpful."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from forum.scoring.coordination import coordinated_ratings
from forum.scoring.factorisation import Factorisation, fit
from forum.scoring.lockstep import lockstep_groups, merge_groups
from forum.scoring.ratings import BoolArray, FloatArray, IntArray, Ratings, read_ratings

# Changes whenever the same votes could score differently: stored suggestions name the version they came from.
ALGORITHM = "bridging-mf/2"

# Community Notes' thresholds: an intercept this high, a factor this small, this many raters.
HELPFUL_INTERCEPT = 0.40
HELPFUL_FACTOR = 0.5
MIN_RATERS = 5
# A rater enters the fit once they have rated this many arguments: too few ratings place no one on the factor.
MIN_RATINGS_PER_RATER = 5
# Helpful ratings needed from each side of the factor before an argument may be helpful.
HELPFUL_RATINGS_PER_SIDE = 2
# The share of the most active raters left out of the second fit; an argument helpful only thanks to them is not.
MOST_ACTIVE_SHARE = 0.01


@dataclass(frozen=True)
class ArgumentScore:
    """An argument's score: `helpfulness` is the intercept i_n, None without enough raters on both sides.

    `helpful` is None exactly when `helpfulness` is. `raters` counts distinct raters in the fit (lock-step voters
    merged, members with too few votes left out); `sides` splits them by the sign of their factor, the side with
    more raters overall first; `factor` is the argument's f_n, how much it divides the sides.
    """

    helpfulness: float | None
    helpful: bool | None
    raters: int
    factor: float | None = None
    sides: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class Standing:
    """Per-argument tallies from one fit, by argument index."""

    raters: IntArray
    raters_first_side: IntArray
    raters_second_side: IntArray
    helpful_first_side: IntArray
    helpful_second_side: IntArray
    passes_thresholds: BoolArray


def active_raters(ratings: Ratings) -> Ratings:
    """The ratings of raters with at least MIN_RATINGS_PER_RATER ratings, raters re-indexed densely."""
    count = np.bincount(ratings.rater, minlength=ratings.raters)
    return keep_raters(ratings, count >= MIN_RATINGS_PER_RATER)


def without(ratings: Ratings, left_out: BoolArray) -> Ratings:
    """The ratings but those marked in `left_out`; raters and arguments keep their indices."""
    kept = ~left_out
    return Ratings(
        rater=ratings.rater[kept],
        argument=ratings.argument[kept],
        value=ratings.value[kept],
        rater_ids=ratings.rater_ids,
        argument_ids=ratings.argument_ids,
    )


def keep_raters(ratings: Ratings, keep: BoolArray) -> Ratings:
    """The ratings of the raters marked in `keep`, raters re-indexed densely in their order."""
    index = np.cumsum(keep) - 1
    chosen = keep[ratings.rater]
    return Ratings(
        rater=index[ratings.rater[chosen]].astype(np.int64),
        argument=ratings.argument[chosen],
        value=ratings.value[chosen],
        rater_ids=ratings.rater_ids[keep],
        argument_ids=ratings.argument_ids,
    )


def fit_ratings(
    ratings: Ratings, seed: int, start: tuple[float, FloatArray, FloatArray] | None = None
) -> Factorisation:
    """The factorisation of these ratings, its factor turned so that most raters have a positive one."""
    model = fit(
        ratings.rater, ratings.argument, ratings.value, ratings.raters, ratings.arguments, seed=seed, start=start
    )
    if int((model.rater_factor > 0).sum()) >= int((model.rater_factor < 0).sum()):
        return model
    return Factorisation(
        mean=model.mean,
        rater_intercept=model.rater_intercept,
        rater_factor=-model.rater_factor,
        argument_intercept=model.argument_intercept,
        argument_factor=-model.argument_factor,
        iterations=model.iterations,
        loss=model.loss,
    )


def standing(ratings: Ratings, model: Factorisation) -> Standing:
    """Raters and helpful ratings per argument on each side of the factor, and whether the thresholds are met."""
    arguments = ratings.arguments
    first = model.rater_factor[ratings.rater] > 0
    second = model.rater_factor[ratings.rater] < 0
    helpful = ratings.value >= 0.5

    def tally(mask: BoolArray) -> IntArray:
        return np.bincount(ratings.argument[mask], minlength=arguments).astype(np.int64)

    raters = np.bincount(ratings.argument, minlength=arguments).astype(np.int64)
    passes = (
        (model.argument_intercept >= HELPFUL_INTERCEPT)
        & (np.abs(model.argument_factor) < HELPFUL_FACTOR)
        & (raters >= MIN_RATERS)
    )
    return Standing(
        raters=raters,
        raters_first_side=tally(first),
        raters_second_side=tally(second),
        helpful_first_side=tally(first & helpful),
        helpful_second_side=tally(second & helpful),
        passes_thresholds=passes,
    )


def most_active(ratings: Ratings) -> BoolArray:
    """Per rater: whether they are among the MOST_ACTIVE_SHARE who rated most (ties broken by index)."""
    count = np.bincount(ratings.rater, minlength=ratings.raters)
    leave_out = int(np.ceil(MOST_ACTIVE_SHARE * ratings.raters))
    order = np.lexsort((np.arange(ratings.raters), -count))
    chosen = np.zeros(ratings.raters, dtype=bool)
    chosen[order[:leave_out]] = True
    return chosen


def robustness_fit(ratings: Ratings, model: Factorisation, seed: int) -> Standing:
    """The standing of each argument in a second fit without the most active raters, begun from the first fit."""
    keep = ~most_active(ratings)
    rest = keep_raters(ratings, keep)
    start = (model.mean, model.rater_intercept[keep], model.rater_factor[keep])
    return standing(rest, fit_ratings(rest, seed, start))


def score_votes(
    voters: Sequence[int], arguments: Sequence[int], values: Sequence[int], *, seed: int = 0
) -> dict[int, ArgumentScore]:
    """Score every argument that has votes. voters[i] voted values[i] (+1 helpful / -1 not) on arguments[i]."""
    everything = read_ratings(voters, arguments, values)
    if everything.count == 0:
        return {}
    honest = without(everything, coordinated_ratings(everything))
    fitted = active_raters(merge_groups(honest, lockstep_groups(honest)))
    model = fit_ratings(fitted, seed)
    main = standing(fitted, model)
    robust = robustness_fit(fitted, model, seed)
    known = (main.raters >= MIN_RATERS) & (main.raters_first_side > 0) & (main.raters_second_side > 0)
    helpful = (
        known
        & main.passes_thresholds
        & (main.helpful_first_side >= HELPFUL_RATINGS_PER_SIDE)
        & (main.helpful_second_side >= HELPFUL_RATINGS_PER_SIDE)
        & robust.passes_thresholds
    )
    return scores(everything.argument_ids, model, main, known, helpful)


def scores(
    argument_ids: IntArray, model: Factorisation, main: Standing, known: BoolArray, helpful: BoolArray
) -> dict[int, ArgumentScore]:
    """The scores by argument id, for every argument that has a (non-withdrawn) vote."""
    intercept: FloatArray = model.argument_intercept
    factor: FloatArray = model.argument_factor
    result: dict[int, ArgumentScore] = {}
    for index, argument_id in enumerate(argument_ids.tolist()):
        is_known = bool(known[index])
        result[argument_id] = ArgumentScore(
            helpfulness=round(float(intercept[index]), 6) if is_known else None,
            helpful=bool(helpful[index]) if is_known else None,
            raters=int(main.raters[index]),
            factor=round(float(factor[index]), 6) if is_known else None,
            sides=(int(main.raters_first_side[index]), int(main.raters_second_side[index])),
        )
    return result
