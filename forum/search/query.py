"""The search box's syntax, read by the forum itself: all words, `"exact phrase"`, `OR`, `-word`.

Nothing a reader types reaches a database's own query syntax: the text is cut into words the way both
indexes cut it (letters and digits; everything else separates), and each engine gets the words back as
quoted strings (FTS5) or as plain text bound to `plainto_tsquery` / `phraseto_tsquery` (PostgreSQL).
Words so common that PostgreSQL's English dictionary drops them are dropped on both databases alike.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from forum.errors import Invalid

MAX_LENGTH = 500  # characters of a query
MAX_TERMS = 16  # words and phrases, negated or not

# Letters and digits (no underscore): the characters both unicode61 and PostgreSQL's parser keep in a word.
WORD = re.compile(r"[^\W_]+")
# A quoted phrase (its closing quote optional), a word, or a lone OR; a '-' right before either negates it.
PIECE = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')

# PostgreSQL's English stop words: never indexed there, so never required here either.
STOP_WORDS = frozenset(
    "i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers "
    "herself it its itself they them their theirs themselves what which who whom this that these those am is are "
    "was were be been being have has had having do does did doing a an the and but if or because as until while "
    "of at by for with about against between into through during before after above below to from up down in out "
    "on off over under again further then once here there when where why how all any both each few more most "
    "other some such no nor not only own same so than too very s t can will just don should now".split()
)


@dataclass(frozen=True)
class Term:
    """A word, or a phrase of several words in that order, each lower-cased."""

    words: tuple[str, ...]
    phrase: bool = True

    @property
    def text(self) -> str:
        """The term as plain text: its words joined by spaces."""
        return " ".join(self.words)

    @property
    def loose_words(self) -> tuple[str, ...]:
        """The words a match holds wherever they stand: a phrase's words but the very common ones."""
        kept = tuple(word for word in self.words if word not in STOP_WORDS)
        return kept or self.words

    @property
    def ordered(self) -> bool:
        """Whether the term asks for several words next to each other, in order."""
        return self.phrase and len(self.words) > 1


@dataclass(frozen=True)
class Query:
    """What a search asks: every group must match (any one term of a group), and no excluded term may."""

    groups: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]

    @property
    def impossible(self) -> bool:
        """Whether nothing can match: every term of a group holds a term that is also excluded (`tax -tax`)."""
        return any(all(any(holds(term, out) for out in self.excluded) for term in group) for group in self.groups)

    @property
    def wanted_words(self) -> frozenset[str]:
        """The words a match holds, for marking them in snippets."""
        return frozenset(word for group in self.groups for term in group for word in term.words)

    @property
    def loose(self) -> Query:
        """The query without word order: each phrase's words anywhere (very common words left out, as
        PostgreSQL leaves them out), and no excluded phrase, since a phrase excludes only where its words stand
        together. What it finds holds every match of this query, and is cheap to find newest first."""
        groups = tuple(tuple(Term(term.loose_words, phrase=False) for term in group) for group in self.groups)
        return Query(groups, tuple(term for term in self.excluded if len(term.words) == 1))

    def fts5(self) -> str:
        """The query in FTS5's syntax, each word or phrase a quoted string, so that no input is read as an
        operator; a term of several words that are not a phrase (see `loose`) asks for each of them."""
        groups = [" OR ".join(fts5_term(term) for term in group) for group in self.groups]
        expression = " AND ".join(f"({group})" for group in groups)
        for term in self.excluded:
            expression = f"({expression}) NOT {quoted(term)}"
        return expression


def holds(term: Term, part: Term) -> bool:
    """Whether `part`'s words stand in `term`, together and in order."""
    size = len(part.words)
    return any(term.words[start : start + size] == part.words for start in range(len(term.words) - size + 1))


def fts5_term(term: Term) -> str:
    """A term in FTS5's syntax: a quoted phrase, or its words each quoted and all required."""
    if term.ordered or len(term.words) == 1:
        return quoted(term)
    return "(" + " AND ".join(quoted(Term((word,))) for word in term.words) + ")"


def quoted(term: Term) -> str:
    """A term as an FTS5 string (its words hold letters and digits only; quotes are doubled all the same)."""
    return '"' + term.text.replace('"', '""') + '"'


def words_of(text: str) -> tuple[str, ...]:
    """The words of `text` as the indexes cut them: NFKC-folded, lower-cased runs of letters and digits."""
    return tuple(WORD.findall(unicodedata.normalize("NFKC", text).casefold()))


def term_of(text: str, phrase: bool) -> Term | None:
    """The term a piece of input stands for; None when nothing in it can be searched for."""
    words = words_of(text)
    if not phrase and len(words) == 1 and words[0] in STOP_WORDS:
        return None
    if not words or all(word in STOP_WORDS for word in words):
        return None
    return Term(words)


def parse(text: str) -> Query:
    """Read a query; raise Invalid (422) with a reason a reader understands when nothing can be searched."""
    if len(text) > MAX_LENGTH:
        raise Invalid(f"A search is at most {MAX_LENGTH} characters long.", field="q")
    groups: list[list[Term]] = []
    excluded: list[Term] = []
    join_next = False
    for match in PIECE.finditer(text):
        negated = bool(match.group(1) or match.group(3))
        phrase = match.group(2) is not None
        raw = match.group(2) if phrase else match.group(4)
        if not phrase and not negated and raw == "OR":
            join_next = bool(groups)
            continue
        term = term_of(raw, phrase)
        if term is None:
            join_next = join_next and not negated
            continue
        if negated:
            excluded.append(term)
            join_next = False
        elif join_next:
            groups[-1].append(term)
            join_next = False
        else:
            groups.append([term])
    if len(excluded) + sum(len(group) for group in groups) > MAX_TERMS:
        raise Invalid(f"A search takes at most {MAX_TERMS} words and phrases.", field="q")
    if not groups:
        reason = "Only excluded words were given: say what to look for too." if excluded else (
            "Type a word to look for (very common words such as “the” are not searched for).")
        raise Invalid(reason, field="q")
    # A word asked for twice asks nothing more, yet would cost the index a second pass over its matches.
    unique_groups = dict.fromkeys(tuple(dict.fromkeys(group)) for group in groups)
    return Query(tuple(unique_groups), tuple(dict.fromkeys(excluded)))
