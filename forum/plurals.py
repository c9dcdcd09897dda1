"""Counts written out in words: "1 thread", "2 threads", wherever the forum says how many."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """`count` and the word, singular for exactly one: plural(1, "thread") is "1 thread"; `many` for an
    irregular plural (plural(2, "reply", "replies"))."""
    return f"{count:,} {word if count == 1 else many or word + 's'}"
