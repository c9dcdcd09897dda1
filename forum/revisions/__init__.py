"""Revisions of an article: which block of the new revision descends from which block of the old one.

`match_revision` is pure (no database): it takes the old and new blocks as `Piece`s and answers a `Matching`.
"""

from forum.revisions.matching import REVIEW_CONFIDENCE, match_revision
from forum.revisions.results import Candidate, Change, Matching, Piece, Placement

__all__ = ["REVIEW_CONFIDENCE", "Candidate", "Change", "Matching", "Piece", "Placement", "match_revision"]
