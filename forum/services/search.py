"""Searching arguments, paragraphs and article titles: ranked best first, paged by a cursor.

Each database ranks with its own measure (see `forum.search.sqlite_matches` and `postgresql_matches`), both
turned so that a lower rank is better; a page ends at the (rank, kind, id) of its last result, and the next one
starts after it. Hidden and withdrawn arguments are found by moderators only; an unpublished article's text by
nobody.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup

from forum.errors import Invalid
from forum.models import Argument, Article, Block, Source
from forum.search.postgresql_matches import postgresql_matches
from forum.search.query import Query, parse
from forum.search.snippets import snippet
from forum.search.sqlite_matches import sqlite_matches

KINDS = ("argument", "block", "article")
MAX_LIMIT = 50
BAD_CURSOR = "This `after` is not one a search answered; start again from the first page."


@dataclass(frozen=True)
class Result:
    """One thing found: what it is, where it lives, and a snippet with the matched words marked."""

    kind: str
    id: int
    article_id: int
    block_id: int | None
    title: str
    snippet: Markup


@dataclass(frozen=True)
class Page:
    """A page of results and the cursor of the next one (None on the last page)."""

    results: list[Result]
    next: str | None


def encode_cursor(rank: float, kind: str, id: int) -> str:
    """The cursor after a result: its rank, kind and id, opaque to callers."""
    return base64.urlsafe_b64encode(json.dumps([rank, kind, id]).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[float, str, int]:
    """The (rank, kind, id) a cursor holds; Invalid for anything this service did not write."""
    try:
        rank, kind, id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (ValueError, binascii.Error, TypeError):
        raise Invalid(BAD_CURSOR, field="after") from None
    if not (isinstance(rank, float | int) and math.isfinite(rank) and kind in KINDS and isinstance(id, int)
            and not isinstance(id, bool) and 0 <= id < 2**31):
        raise Invalid(BAD_CURSOR, field="after")
    return float(rank), kind, id


# Of each kind, only the newest CANDIDATES that hold the query's words (in any order) and that the reader may see
# are looked at: ranking every match of a word found in most of a million arguments takes seconds, while the
# newest thousand rank in milliseconds and a forum's readers mostly look for recent debate. Phrases and
# excluded phrases are checked among them.
CANDIDATES = 1000


def matches(
    session: so.Session, query: Query, *, kinds: tuple[str, ...], article_id: int | None, moderator: bool,
    limit: int, after: tuple[float, str, int] | None,
) -> list[tuple[str, int, int, int | None, float]]:
    """The ranked (kind, id, article_id, block_id, rank) rows of one page, one more than `limit` if there are more."""
    find = sqlite_matches if session.get_bind().dialect.name == "sqlite" else postgresql_matches
    return find(session, query, kinds=kinds, article_id=article_id, moderator=moderator, candidates=CANDIDATES,
                limit=limit, after=after)


@dataclass(frozen=True)
class Found:
    """What the results of a page show besides their place: their searchable texts, articles' titles, sections."""

    texts: dict[tuple[str, int], str]
    titles: dict[int, str]
    sections: dict[int, str | None]


def found_texts(session: so.Session, rows: list[tuple[str, int, int, int | None, float]]) -> Found:
    """The searchable text of each row found (an argument's body and sources, a block's text, an article's
    title), the titles of their articles and the sections of their paragraphs, in one statement."""
    if not rows:
        return Found({}, {}, {})
    arguments = [row[1] for row in rows if row[0] == "argument"]
    blocks = [row[1] for row in rows if row[0] == "block"]
    # One row shape for all: (kind, id, text, section or a source's quote, position of a source, its id).
    parts: sa.CompoundSelect[Any] = sa.union_all(
        sa.select(sa.literal("argument"), Argument.id, Argument.body, sa.null(), sa.literal(0), sa.literal(0))
        .where(Argument.id.in_(arguments)),
        sa.select(sa.literal("source"), Source.argument_id, Source.title, Source.quote, Source.position, Source.id)
        .where(Source.argument_id.in_(arguments)),
        sa.select(sa.literal("block"), Block.id, Block.text, Block.section, sa.literal(0), sa.literal(0))
        .where(Block.id.in_(blocks)),
        sa.select(sa.literal("article"), Article.id, Article.title, sa.null(), sa.literal(0), sa.literal(0))
        .where(Article.id.in_({row[2] for row in rows})),
    )
    texts: dict[tuple[str, int], str] = {}
    titles: dict[int, str] = {}
    sections: dict[int, str | None] = {}
    sources: list[tuple[int, int, int, str | None, str | None]] = []
    for kind, id, text, extra, position, source_id in session.execute(parts):
        if kind == "source":
            sources.append((position, source_id, id, text, extra))
        elif kind == "article":
            titles[id] = texts["article", id] = text
        else:
            texts[kind, id] = text
            if kind == "block":
                sections[id] = extra
    for _position, _source_id, id, title, quote in sorted(sources, key=lambda source: source[:2]):
        texts["argument", id] += " " + " ".join(part for part in (title, quote) if part)
    return Found(texts, titles, sections)


def search(
    session: so.Session, text: str, *, kind: str | None = None, article_id: int | None = None,
    moderator: bool = False, limit: int = 20, after: str | None = None,
) -> Page:
    """One page of what matches `text`, best first; Invalid (422) for a query or cursor that cannot be used."""
    query = parse(text)
    if kind is not None and kind not in KINDS:
        raise Invalid(f"kind is one of {', '.join(KINDS)}.", field="kind")
    if not 1 <= limit <= MAX_LIMIT:
        raise Invalid(f"limit is between 1 and {MAX_LIMIT}.", field="limit")
    position = decode_cursor(after) if after is not None else None
    if query.impossible:  # answered at once: the indexes would look through every match of the word to say so
        return Page([], None)
    rows = matches(session, query, kinds=(kind,) if kind else KINDS, article_id=article_id, moderator=moderator,
                   limit=limit + 1, after=position)
    page = rows[:limit]
    found = found_texts(session, page)
    wanted = query.wanted_words
    results = [
        Result(kind, id, article, block,
               titled(found.titles[article], found.sections.get(id) if kind == "block" else None),
               snippet(found.texts[kind, id], wanted))
        for kind, id, article, block, _rank in page
    ]
    last = page[-1] if page and len(rows) > limit else None
    return Page(results, encode_cursor(last[4], last[0], last[1]) if last else None)


def titled(article_title: str, section: str | None) -> str:
    """A result's title: its article's, and the section a paragraph stands under."""
    return f"{article_title} — {section}" if section else article_title


