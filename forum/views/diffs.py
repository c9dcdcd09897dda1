"""What changed between two versions of an argument, word by word, marked up for every reader.

Removed words are `<del>` and added ones `<ins>` (struck through and underlined, not only coloured),
each opened and closed with words that only screen readers read, since most of them say nothing of
`<del>` and `<ins>` themselves.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

# A word, or a mark of punctuation, with the spaces after it: the spaces are kept as written, the words
# compared ("twice." to "twice in May." adds two words, it does not replace one).
WORD = re.compile(r"\w+\s*|[^\w\s]\s*|\s+")


def words(text: str) -> list[str]:
    """The text cut into words, each with the spaces around it, so that joined they are the text again."""
    return WORD.findall(text)


def marked(tag: str, label: str, text: str) -> Markup:
    """Removed or added words, announced to screen readers where they start and end."""
    return Markup('<{tag} class="diff-{tag}"><span class="visually-hidden">[{label}: </span>{text}'
                  '<span class="visually-hidden">]</span></{tag}>').format(tag=tag, label=label, text=text)


def word_diff(before: str, after: str) -> Markup:
    """`after` with the words removed from `before` and those added to it marked."""
    old, new = words(before), words(after)
    matcher = difflib.SequenceMatcher(None, [w.strip() for w in old], [w.strip() for w in new], autojunk=False)
    parts: list[Markup] = []
    for op, a1, a2, b1, b2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(escape("".join(new[b1:b2])))
            continue
        if a2 > a1:
            parts.append(marked("del", "removed", "".join(old[a1:a2])))
        if b2 > b1:
            parts.append(marked("ins", "added", "".join(new[b1:b2])))
    return Markup("").join(parts)


@dataclass
class SourceChanges:
    """The sources one version added and removed, by address."""

    added: list[str]
    removed: list[str]


def source_changes(before: list[dict[str, Any]], after: list[dict[str, Any]]) -> SourceChanges:
    """The addresses `after` cites that `before` did not, and the other way round."""
    old = [s["url"] for s in before]
    new = [s["url"] for s in after]
    return SourceChanges([u for u in new if u not in old], [u for u in old if u not in new])
