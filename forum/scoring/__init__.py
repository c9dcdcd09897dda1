"""Bridging-based helpfulness: which arguments members who usually disagree both find helpful.

`score_votes` fits all of the forum's votes (+1 helpful, -1 not) with the matrix factorisation
r̂(u, n) = μ + i_u + i_n + f_u·f_n. The one-dimensional factor f absorbs what divides the members into camps; the
argument's intercept i_n keeps what is left, the helpfulness that both sides agree on. Guardrails keep a brigade from
buying the verdict: lock-step voters count once, an argument needs helpful ratings from both sides of the factor, and
it must stay helpful when the most active raters are left out.

The algorithm is that of Community Notes' matrix factorisation scorer (Apache-2.0), as published in Wojcik et al.
2022, "Birdwatch: crowd wisdom and bridging algorithms can inform understanding and reduce the spread of
misinformation"; this is an independent implementation written from that description, with its regularisation
(0.15 on intercepts, 0.03 on factors) and its thresholds (intercept at least 0.40, factor below 0.5 in size, at
least 5 raters).
"""

from forum.scoring.helpfulness import ALGORITHM, ArgumentScore, score_votes
from forum.scoring.ratings import input_digest

__all__ = ["ALGORITHM", "ArgumentScore", "input_digest", "score_votes"]
