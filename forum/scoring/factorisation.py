"""The matrix factorisation r̂(u, n) = μ + i_u + i_n + f_u·f_n with one-dimensional factors, fitted by alternating
least squares.

The loss is Σ (r - r̂)² + λ_i (μ² + Σ i_u² + Σ i_n²) + λ_f (Σ f_u² + Σ f_n²). With the arguments' parameters fixed,
each rater's (i_u, f_u) is the solution of a 2×2 linear system, and the other way round; the sums those systems need
are per-row sums over the ratings, taken for all rows at once with `numpy.bincount`. Every step lowers the loss, so
the fit stops when an iteration lowers it by less than a tiny share.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from forum.scoring.ratings import FloatArray, IntArray

# Community Notes' regularisation: intercepts about five times more than factors, so that what one camp likes is
# explained by the factor and only what everyone likes lands in the intercept.
INTERCEPT_REGULARISATION = 0.15
FACTOR_REGULARISATION = 0.03
MAX_ITERATIONS = 400
RELATIVE_TOLERANCE = 1e-7
INITIAL_FACTOR_SCALE = 0.1


@dataclass(frozen=True)
class Factorisation:
    """The fitted model: global intercept μ, and an intercept and a factor for each rater and each argument."""

    mean: float
    rater_intercept: FloatArray
    rater_factor: FloatArray
    argument_intercept: FloatArray
    argument_factor: FloatArray
    iterations: int
    loss: float


def solve_rows(
    rows: IntArray, target: FloatArray, other_factor: FloatArray, size: int
) -> tuple[FloatArray, FloatArray]:
    """Each row's (intercept, factor) minimising Σ (target - i - f·other)² + λ_i i² + λ_f f² over its ratings."""
    count = np.bincount(rows, minlength=size).astype(np.float64)
    sum_factor = np.bincount(rows, weights=other_factor, minlength=size)
    sum_square = np.bincount(rows, weights=other_factor * other_factor, minlength=size)
    sum_target = np.bincount(rows, weights=target, minlength=size)
    sum_product = np.bincount(rows, weights=target * other_factor, minlength=size)
    a = count + INTERCEPT_REGULARISATION
    d = sum_square + FACTOR_REGULARISATION
    determinant = a * d - sum_factor * sum_factor  # > 0: Cauchy-Schwarz and positive regularisation
    intercept = (d * sum_target - sum_factor * sum_product) / determinant
    factor = (a * sum_product - sum_factor * sum_target) / determinant
    return intercept, factor


def loss_of(
    value: FloatArray,
    prediction: FloatArray,
    mean: float,
    intercepts: tuple[FloatArray, FloatArray],
    factors: tuple[FloatArray, FloatArray],
) -> float:
    """The regularised squared error the fit minimises."""
    error = float(np.dot(value - prediction, value - prediction))
    intercept_norm = mean * mean + sum(float(np.dot(i, i)) for i in intercepts)
    factor_norm = sum(float(np.dot(f, f)) for f in factors)
    return error + INTERCEPT_REGULARISATION * intercept_norm + FACTOR_REGULARISATION * factor_norm


def fit(
    rater: IntArray,
    argument: IntArray,
    value: FloatArray,
    raters: int,
    arguments: int,
    *,
    seed: int,
    start: tuple[float, FloatArray, FloatArray] | None = None,
) -> Factorisation:
    """Fit the model to ratings `value[k]` (0.0 to 1.0) given by `rater[k]` to `argument[k]`; seeded, deterministic.

    `start` is (μ, i_u, f_u) to begin from, such as a fit of nearly the same ratings; else the raters' factors are
    drawn from the seed.
    """
    if start is None:
        mean = float(value.mean()) if value.size else 0.0
        rater_intercept = np.zeros(raters)
        rater_factor = np.random.default_rng(seed).normal(0.0, INITIAL_FACTOR_SCALE, raters)
    else:
        mean, rater_intercept, rater_factor = start
    argument_intercept = np.zeros(arguments)
    argument_factor = np.zeros(arguments)
    previous = np.inf
    loss = np.inf
    iterations = 0
    while iterations < MAX_ITERATIONS:
        iterations += 1
        fu = rater_factor[rater]
        argument_intercept, argument_factor = solve_rows(
            argument, value - mean - rater_intercept[rater], fu, arguments
        )
        fn = argument_factor[argument]
        rater_intercept, rater_factor = solve_rows(rater, value - mean - argument_intercept[argument], fn, raters)
        fu = rater_factor[rater]
        rest = rater_intercept[rater] + argument_intercept[argument] + fu * fn
        mean = float((value - rest).sum() / (value.size + INTERCEPT_REGULARISATION))
        loss = loss_of(
            value, mean + rest, mean, (rater_intercept, argument_intercept), (rater_factor, argument_factor)
        )
        if previous - loss <= RELATIVE_TOLERANCE * max(loss, 1.0):
            break
        previous = loss
    return Factorisation(
        mean=mean,
        rater_intercept=rater_intercept,
        rater_factor=rater_factor,
        argument_intercept=argument_intercept,
        argument_factor=argument_factor,
        iterations=iterations,
        loss=float(loss),
    )
