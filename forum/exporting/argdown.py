"""Argdown: the article's sections as headings, each paragraph a statement `[P<id>]` with the arguments answering
it indented beneath (`<+` supports, `<-` attacks), each argument `<A<id>>`; a question is a statement `[Q<id>]`
tagged #question that mentions what it asks about, with its own replies beneath it. Text is escaped so that
nothing in it reads as Argdown syntax."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from forum.exporting.common import LOSSES, argument_text, dumps
from forum.exporting.model import ArgumentItem, BlockItem, Header

ARROWS = {"counter": "<-", "support": "<+"}
# Every ASCII mark that Argdown (or the Markdown inside it) may read as syntax is escaped with a backslash.
SPECIAL = re.compile(r"([\\\[\]<>#@*_/{}()+\-=:!`~|^$%&'\";,.?])")
INDENT = "  "
# A source URL written as a Markdown link as it is: nothing in it ends the link early.
PLAIN_URL = re.compile(r"https?://[A-Za-z0-9._~:/?#@!$&'*+,;=%-]+")


def clean(text: str) -> str:
    """Text on one line, every mark Argdown would read escaped."""
    return SPECIAL.sub(r"\\\1", " ".join(text.split()))


def links(a: ArgumentItem) -> str:
    """An argument's sources as Markdown links, where their URLs need no escaping."""
    return "".join(f" [{clean(s.title or 'source')}]({s.url})" for s in a.sources if PLAIN_URL.fullmatch(s.url))


def statements(title: str, text: str, tags: list[str], replies: list[ArgumentItem]) -> Iterator[str]:
    """A statement with its tags and the arguments answering it indented beneath; then each question asked in
    that tree, as a statement of its own that mentions what it asks about, with its own replies beneath it."""
    pending = [(title, clean(text), tags, replies)]
    while pending:
        title, text, tags, replies = pending.pop(0)
        yield ""
        yield f"{title}: {text}" + "".join(f" #{tag}" for tag in tags)
        stack = [(a, 1, title) for a in reversed(replies)]
        while stack:
            a, level, parent = stack.pop()
            if a.stance == "question":
                asked = f"{clean(argument_text(a))} (asks about @{parent})"
                pending.append((f"[Q{a.id}]", asked, ["question"], a.replies))
                continue
            yield f"{INDENT * level}{ARROWS[a.stance]} <A{a.id}>: {clean(argument_text(a))}{links(a)}"
            stack.extend((reply, level + 1, f"<A{a.id}>") for reply in reversed(a.replies))


def write(header: Header, blocks: Iterable[BlockItem]) -> Iterator[str]:
    """The Argdown export as chunks of text: front matter with the losses, then one chunk per block."""
    losses = ", ".join(dumps(loss) for loss in LOSSES["argdown"])
    yield f"===\ntitle: {dumps(header.title)}\nforum-article: {header.id}\nlosses: [{losses}]\n===\n"
    for block in blocks:
        if not block.is_thread:
            yield f"\n# {clean(block.text)}\n"
            continue
        verdict = (block.verdict.status if block.verdict else "open").replace("_", "-")
        tags = [verdict] + (["removed"] if block.removed_in is not None else [])
        yield "\n".join(statements(f"[P{block.id}]", block.text, tags, block.arguments)) + "\n"
