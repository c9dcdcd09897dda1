"""What a process keeps to render a page cheaply: threads' arguments and arguments' HTML, by page version.

Each memo is keyed by the version of the page it serves, which moves with every change to that page's data,
so an entry is never used for a later state than its own. Both are per process and per app, and bounded
by count and by the characters their entries hold: a vote makes a version, and an attacker who reads a long
thread after each vote would otherwise fill a process with copies of it. When full, a memo starts afresh
(states that are gone are never asked for again).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Hashable
from contextvars import ContextVar
from typing import Any, Generic, TypeVar

# Whether this request renders its page afresh, past every memo: verify mode's second rendering of a hit
# (`forum.caching.verify`). The memos are keyed by page versions as the kept pages are: a write that moved no
# version would leave them as stale as the page, and the comparison would see nothing.
FRESH: ContextVar[bool] = ContextVar("forum_render_fresh", default=False)

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

# An argument's HTML by page version and what the viewer changes in it (a post's HTML may run to tens of KB).
FRAGMENT_LIMIT = 50_000
FRAGMENT_CHARS = 32_000_000


class Memo(Generic[K, V]):
    """Values by a key naming a page version, at most `limit` of them and `max_chars` characters in all."""

    def __init__(self, size_of: Callable[[V], int], limit: int, max_chars: int) -> None:
        self.size_of, self.limit, self.max_chars = size_of, limit, max_chars
        self.items: dict[K, V] = {}
        self.chars = 0
        self.lock = threading.Lock()

    def get(self, key: K) -> V | None:
        """The value kept for `key`, if any (none while verify mode renders afresh; the memo is still filled)."""
        return None if FRESH.get() else self.items.get(key)

    def put(self, key: K, value: V) -> None:
        """Keep a value (not one larger than the whole memo); when full, start afresh."""
        size = self.size_of(value)
        with self.lock:
            if key in self.items or size > self.max_chars:
                return
            if len(self.items) >= self.limit or self.chars + size > self.max_chars:
                self.items.clear()
                self.chars = 0
            self.items[key] = value
            self.chars += size


Fragments = Memo[tuple[Any, ...], str]


def argument_fragments() -> Fragments:
    """Arguments' HTML by page version and what the viewer changes in it, written once in this process."""
    return Memo(len, FRAGMENT_LIMIT, FRAGMENT_CHARS)
