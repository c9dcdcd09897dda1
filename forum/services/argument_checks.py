"""What an argument may hold: its body's length and rendering, its sources' addresses, titles and quotes, its
stance, each checked before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.member_links import member_url
from forum.models import (
    Block,
    CitationSlot,
    Source,
    Stance,
    block_citations,
)
from forum.plurals import plural
from forum.rendering import is_blank, renders_blank
from forum.services.mentions import render_with_mentions
from forum.urls import is_web_url

T = TypeVar("T")


@dataclass(frozen=True)
class Limits:
    """How much one argument may hold (each configurable through `FORUM_MAX_*`)."""

    body: int = 10_000
    sources: int = 10
    url: int = 2_000
    title: int = 300
    quote: int = 2_000
    # The same body by the same member in the same thread within this many seconds is a duplicate.
    duplicate_window: int = 600


@dataclass(frozen=True)
class SourceInput:
    """A source as a member gave it."""

    url: str
    title: str | None = None
    quote: str | None = None
    citation: int | None = None


@dataclass
class Checks:
    """Runs an input's checks one after another and keeps every `Invalid`, so that all are reported at once."""

    problems: list[Invalid] = field(default_factory=list)

    def __call__(self, check: Callable[..., T], *args: object) -> T | None:
        """`check(*args)`, or None when it finds a mistake (kept)."""
        try:
            return check(*args)
        except Invalid as problem:
            self.problems.append(problem)
            return None

    def done(self) -> None:
        """Raise every mistake found, as one `Invalid`."""
        if self.problems:
            raise Invalid.all_of(self.problems)


def check_length(body: str, limits: Limits) -> str:
    """The body stripped, or `Invalid` when it is longer than an argument may be."""
    body = body.strip()
    if len(body) > limits.body:
        raise Invalid(
            f"An argument has at most {plural(limits.body, 'character')}; this one has {len(body):,}.",
            field="body",
        )
    return body


def render_body(session: so.Session, body: str, limits: Limits) -> tuple[str, str, set[int]]:
    """The body stripped, its HTML and the members it mentions, or `Invalid` when it is too long or shows a
    reader nothing."""
    body = check_length(body, limits)
    html, mentioned = render_with_mentions(session, body, limits.body, member_url)
    # Judged by what a reader would see: zero-width spaces, `&#8203;` or an empty link are no argument.
    if renders_blank(html):
        raise Invalid("Write the argument before posting it.", field="body")
    return body, html, mentioned


def preview_html(session: so.Session, body: str, limits: Limits) -> str:
    """The body's HTML as a post would show it (empty for an empty body), or `Invalid` when it is too long."""
    body = check_length(body, limits)
    return render_with_mentions(session, body, limits.body, member_url)[0]


def check_url(url: str, limits: Limits, where: str) -> str:
    """The URL stripped, or `Invalid` unless it is a complete http or https address within the limit."""
    url = url.strip()
    if len(url) > limits.url:
        raise Invalid(f"A source URL has at most {plural(limits.url, 'character')}.", field=where)
    # Spaces and invisible characters inside an address are a paste gone wrong, or a disguise.
    if not url.isprintable() or any(c.isspace() for c in url) or not is_web_url(url):
        raise Invalid("A source needs a full http:// or https:// address.", field=where)
    return url


def clean_optional(value: str | None, limit: int, label: str, where: str) -> str | None:
    """An optional text stripped (empty or blank to the eye: None), or `Invalid` when it is over the limit."""
    value = (value or "").strip()
    if len(value) > limit:
        raise Invalid(f"A source's {label} has at most {plural(limit, 'character')}.", field=where)
    return None if is_blank(value) else value


@dataclass(frozen=True)
class CheckedSource:
    """A source as checked, ready to be stored."""

    position: int
    url: str
    title: str | None
    quote: str | None
    citation: int | None
    slot_id: int | None


def check_sources(
    session: so.Session, block_id: int, inputs: list[SourceInput], limits: Limits
) -> list[CheckedSource]:
    """Checked sources for a thread; a footnote number must be one that its paragraph cites."""
    if len(inputs) > limits.sources:
        raise Invalid(f"An argument has at most {plural(limits.sources, 'source')}.", field="sources")
    # The block's footnotes, read only when a source names one.
    slots = dict(
        session.execute(
            sa.select(CitationSlot.number, CitationSlot.id)
            .join(block_citations, block_citations.c.slot_id == CitationSlot.id)
            .where(block_citations.c.block_id == block_id)
        ).all()
    ) if any(given.citation is not None for given in inputs) else {}
    checked = []
    checks = Checks()
    for position, given in enumerate(inputs):
        where = f"sources.{position}"
        slot_id = None
        if given.citation is not None:
            slot_id = checks(footnote_slot, slots, given.citation, f"{where}.citation")
        url = checks(check_url, given.url, limits, f"{where}.url")
        title = checks(clean_optional, given.title, limits.title, "title", f"{where}.title")
        quote = checks(clean_optional, given.quote, limits.quote, "quote", f"{where}.quote")
        checked.append(CheckedSource(position, url or "", title, quote, given.citation, slot_id))
    checks.done()
    return checked


def build_sources(session: so.Session, block: Block, inputs: list[SourceInput], limits: Limits) -> list[Source]:
    """Checked `Source` rows for a block (`check_sources`)."""
    return [
        Source(position=s.position, url=s.url, title=s.title, quote=s.quote, citation=s.citation, slot_id=s.slot_id)
        for s in check_sources(session, block.id, inputs, limits)
    ]


def footnote_slot(slots: dict[int, int], number: int, where: str) -> int:
    """The id of the slot of footnote `number` among the block's `slots`, or `Invalid`."""
    slot_id = slots.get(number)
    if slot_id is None:
        cited = ", ".join(f"[{n}]" for n in sorted(slots)) or "none"
        raise Invalid(f"This paragraph has no footnote [{number}] (it cites: {cited}).", field=where)
    return slot_id


def parse_stance(value: str) -> Stance:
    """The `Stance` named by `value`, or `Invalid`."""
    if not value.strip():
        raise Invalid("Choose a stance: counter, support or question.", field="stance")
    try:
        return Stance(value)
    except ValueError:
        raise Invalid("The stance is counter, support or question.", field="stance") from None

