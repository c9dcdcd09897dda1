"""Blocks as the matcher compares them: normalised text, words, sentences."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

# Which kinds may turn into one another: the importer tells a caption from a paragraph, or a quote from a
# paragraph, by the look of the text, so the same text may come back as another text-like kind. A heading
# stays a heading.
FAMILIES = {"heading": "heading", "paragraph": "text", "caption": "text", "quote": "text", "list": "text"}

# Footnote markers as the importer writes them ([3], [^3], <sup>3</sup>) and superscript digits: a renumbered
# footnote is not an edit. 1..999 only, so that a year such as [2022] stays text, as in the importer.
# The space before a marker goes with it, so that "cars [3]." and "cars." read the same.
FOOTNOTE = re.compile(r"\s*(?:<sup>\s*\[?\^?[1-9][0-9]{0,2}\]?\s*</sup>|\[\^?[1-9][0-9]{0,2}\]|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)")
QUOTES_AND_DASHES = str.maketrans(
    {
        **dict.fromkeys("‘’‚‛′`", "'"),
        **dict.fromkeys("“”„‟″«»", '"'),
        **dict.fromkeys("‐‑‒–—―−", "-"),
    }
)
# A sentence ends at . ! or ? (and any closing quote or bracket) before a space and a capital or a digit.
SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])")
WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class Prepared:
    """A block ready for comparison: its family of kinds, its normalised text (the key of an exact match), its
    words and its sentences as tuples of words."""

    kind: str
    family: str
    key: str
    words: tuple[str, ...]
    sentences: tuple[tuple[str, ...], ...]


def normalise(text: str) -> str:
    """The text without footnote markers, in NFKC, with one style of quotes and dashes and single spaces (case kept:
    sentences are cut where a capital follows)."""
    text = FOOTNOTE.sub("", text)
    return " ".join(unicodedata.normalize("NFKC", text).translate(QUOTES_AND_DASHES).split())


def prepare(kind: str, text: str) -> Prepared:
    """The block prepared for matching."""
    plain = normalise(text)
    found = (tuple(WORD.findall(sentence.casefold())) for sentence in SENTENCE_END.split(plain))
    sentences = tuple(sentence for sentence in found if sentence)
    words = tuple(word for sentence in sentences for word in sentence)
    return Prepared(kind, FAMILIES.get(kind, kind), plain.casefold(), words, sentences)
