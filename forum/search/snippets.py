"""Snippets of found text: a window around the first matched word, escaped, with matched words in <mark>.

The indexes stem words (English), so a word of the text is marked when its light stem is a query word's: a
reader looking for "taxes" sees "tax" and "taxed" marked too. Marking is for the eye; what matched is the index's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection
from functools import lru_cache

from markupsafe import Markup, escape

from forum.search.query import WORD

SPACES = re.compile(r"\s+")
WINDOW = 24  # words shown around the first match
SUFFIXES = ("ational", "ations", "ation", "ities", "ity", "ness", "ments", "ment", "ingly", "ing", "edly", "ed",
            "ies", "es", "ly", "s", "e")


def folded(word: str) -> str:
    """A word without case or accents, as both indexes read it."""
    decomposed = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", word).casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def stem(word: str) -> str:
    """A light English stem of a folded word (good enough to mark what a stemming index matched)."""
    for suffix in SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


@lru_cache(maxsize=65536)
def marking_key(word: str) -> str:
    """What a word of a text is compared by: its light stem, folded (kept, since a page's words repeat)."""
    return stem(folded(word))


def snippet(text: str, wanted: Collection[str]) -> Markup:
    """Safe HTML: up to WINDOW words of `text` around its first wanted word, each wanted word marked."""
    words = WORD.findall(text)
    if not words:
        return escape(SPACES.sub(" ", text)[:200])
    stems = {stem(folded(word)) for word in wanted}
    first = next((index for index, word in enumerate(words) if marking_key(word) in stems), 0)
    start = max(0, first - WINDOW // 3)
    end = min(len(words), start + WINDOW)
    parts = WORD.split(text)
    # The text between marks is escaped a run at a time: escaping word by word costs more than the search.
    pieces: list[str] = ["…" if start > 0 else ""]
    run = [parts[0]] if start == 0 else []
    for index in range(start, end):
        if index > start:
            run.append(parts[index])
        if marking_key(words[index]) in stems:
            pieces += [escape(SPACES.sub(" ", "".join(run))), f"<mark>{escape(words[index])}</mark>"]
            run = []
        else:
            run.append(words[index])
    if end == len(words):
        run.append(parts[end])
    pieces.append(escape(SPACES.sub(" ", "".join(run))))
    if end < len(words):
        pieces.append("…")
    return Markup("".join(pieces).strip())
