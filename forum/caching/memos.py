"""What a process keeps to render a page cheaply: threads' arguments by page version, arguments' HTML by state.

A thread's snapshot (`forum.services.threads`) is keyed by the version of the page it serves, which moves with
every change to that page's data, so an entry is never used for a later state than its own. An argument's
kept HTML (a `Fragment`) is keyed by the number of the argument's own state (`StateNumbers`: the same number
for the same state, a new one for any other) and what the viewer changes in it, so it is never used for
another state either, and a vote elsewhere in the thread leaves it kept. Each store is per process and per
app, and bounded by count and by the characters its entries hold: a vote makes a version, and an attacker
who reads a long thread after each vote would otherwise fill a process with copies of it. When full, a store
starts afresh (states that are gone are never asked for again; a number is never given twice).
"""

from __future__ import annotations

import itertools
import re
import threading
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

# Whether this request renders its page afresh, past every memo: verify mode's second rendering of a hit
# (`forum.caching.verify`), and the tests that hold kept fragments to a fresh rendering.
FRESH: ContextVar[bool] = ContextVar("forum_render_fresh", default=False)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# An argument's HTML by its state and what the viewer changes in it (a post's HTML may run to tens of KB).
FRAGMENT_LIMIT = 50_000
FRAGMENT_CHARS = 32_000_000
# Arguments' states, numbered: at most this many, and characters of text held in them.
STATE_LIMIT = 200_000
STATE_CHARS = 32_000_000
# What a fragment leaves open (NUL never reaches stored text: requests holding it are refused): the vote
# counts, the relative words of a moment (its POSIX time given), and the CSRF token.
HOLE = re.compile("\x00(up|down|score|csrf|ago:(-?[0-9.]+(?:e[-+]?[0-9]+)?))\x00")


class Memo(Generic[K, V]):
    """Values by a key naming a state, at most `limit` of them and `max_chars` characters in all."""

    def __init__(self, size_of: Callable[[V], int], limit: int, max_chars: int) -> None:
        self.size_of, self.limit, self.max_chars = size_of, limit, max_chars
        self.items: dict[K, V] = {}
        self.chars = 0
        self.lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for `key`, if any (none while verify mode renders afresh; the memo is still filled)."""
        return None if FRESH.get() else self.items.get(key)

    def put(self, key: K, value: V, replace: bool = False) -> None:
        """Keep a value (not one larger than the whole memo), in place of the one kept for `key` if `replace`;
        when full, start afresh."""
        size = self.size_of(value)
        with self.lock:
            if (key in self.items and not replace) or size > self.max_chars:
                return
            old = self.items.pop(key, None)
            if old is not None:
                self.chars -= self.size_of(old)
            if len(self.items) >= self.limit or self.chars + size > self.max_chars:
                self.items.clear()
                self.chars = 0
            self.items[key] = value
            self.chars += size


@dataclass(frozen=True, slots=True)
class Fragment:
    """An argument's kept HTML as a `str.format_map` template: `{up}`, `{down}`, `{score}`, `{csrf}` and
    `{ago0}`, `{ago1}` ... (the relative words of the moments `times`, POSIX times) are written in at each
    request."""

    text: str
    times: tuple[tuple[str, float], ...]
    csrf: bool


def compile_fragment(html: str) -> Fragment:
    """A fragment from an argument's HTML with its holes marked (`HOLE`)."""
    times: list[tuple[str, float]] = []
    csrf = False

    def field(mark: re.Match[str]) -> str:
        nonlocal csrf
        if mark[2] is not None:
            times.append((f"ago{len(times)}", float(mark[2])))
            return f"{{{times[-1][0]}}}"
        csrf = csrf or mark[1] == "csrf"
        return f"{{{mark[1]}}}"

    text = HOLE.sub(field, html.replace("{", "{{").replace("}", "}}"))
    return Fragment(text, tuple(times), csrf)


Fragments = Memo[tuple[Any, ...], Fragment]


def argument_fragments() -> Fragments:
    """Arguments' HTML by state and what the viewer changes in it, written once in this process."""
    return Memo(lambda fragment: len(fragment.text), FRAGMENT_LIMIT, FRAGMENT_CHARS)


def characters_in(state: tuple[Any, ...]) -> int:
    """The characters of text an argument's state holds (its strings, and its sources')."""
    size = 0
    for value in state:
        if isinstance(value, str):
            size += len(value)
        elif isinstance(value, tuple):
            size += sum(len(str(part)) for part in value)
        else:
            size += 8
    return size


class StateNumbers:
    """A number for each state of an argument that a page shows: equal states get the same number, and a
    number is never given to another state, even after the table starts afresh (it then numbers anew)."""

    def __init__(self, limit: int = STATE_LIMIT, max_chars: int = STATE_CHARS) -> None:
        self.limit, self.max_chars = limit, max_chars
        self.numbers: dict[tuple[Any, ...], int] = {}
        self.chars = 0
        self.next = itertools.count(1)
        self.lock = threading.Lock()

    def number(self, state: tuple[Any, ...]) -> int:
        """The number of `state`, given now if it has none."""
        found = self.numbers.get(state)
        if found is not None:
            return found
        size = characters_in(state)
        with self.lock:
            found = self.numbers.get(state)
            if found is None:
                if len(self.numbers) >= self.limit or self.chars + size > self.max_chars:
                    self.numbers.clear()
                    self.chars = 0
                found = self.numbers[state] = next(self.next)
                self.chars += size
        return found
