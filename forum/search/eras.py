"""Eras: how PostgreSQL's index is asked for the newest arguments matching a search, a stretch at a time.

A GIN index answers "which documents hold these words" as a set, in no order, so "the newest thousand that
do" would otherwise read every match of a common word, and intersecting three common words reads the whole
list of the rarest. Each argument's document therefore also holds each of its words marked with its era, the
ten thousand ids it falls in (`tax#97` in the argument 972,345): a search asks for its words marked with the
eras of the newest stretch of ids, then of a stretch before it as long as the matches found so far suggest it
needs, and so on. The index then reads only lists as long as a word's uses in those eras. No word a reader
types can produce these lexemes, nor the one naming an argument's article (`#a:12`), which a search within
one article asks for beside its words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ERA = 10_000  # ids per era
MAX_ERAS = 8  # eras asked for at once: the index checks each of them for every document it reads
ARTICLE = "#a:"
# A lexeme in tsquery text: quoted, a quote inside doubled.
QUOTED_LEXEME = re.compile(r"'((?:[^']|'')*)'")


def article_lexeme(article_id: int) -> str:
    """The lexeme naming an article."""
    return f"{ARTICLE}{article_id}"


def in_era(tsquery: str, era: int) -> str:
    """A tsquery's text with each of its lexemes marked with `era`: what it matches among that era's documents."""
    return QUOTED_LEXEME.sub(lambda found: f"'{found.group(1)}#{era}'", tsquery)


@dataclass(frozen=True)
class Stretch:
    """The eras from `low` to `high - 1`, newest first."""

    low: int
    high: int

    def tsquery(self, loose: str) -> str:
        """What a tsquery matches among the documents of this stretch's eras."""
        return " | ".join(f"( {in_era(loose, era)} )" for era in range(self.high - 1, self.low - 1, -1))


def newest_stretch(newest: int) -> Stretch:
    """The eras holding the newest ten thousand ids up to `newest`."""
    high = newest // ERA + 1
    return Stretch(max(0, (newest + 1 - ERA) // ERA), high)


def stretch_below(high: int, ids: int) -> Stretch:
    """The eras below era `high` that hold about `ids` ids, at least one and at most MAX_ERAS."""
    return Stretch(max(0, high - min(MAX_ERAS, max(1, -(-ids // ERA)))), high)
