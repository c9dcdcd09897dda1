"""Searching arguments, paragraphs and article titles: ranked best first, paged by a cursor.

Each database ranks with its own measure (`bm25` on SQLite, `ts_rank_cd` on PostgreSQL), both turned so that a
lower rank is better; a page ends at the (rank, kind, id) of its last result, and the next one starts after it.
Hidden and withdrawn arguments are found by moderators only; an unpublished article's text by nobody.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup

from forum.errors import Invalid
from forum.models import Argument, Article, Block, Source
from forum.search.query import Query, parse
from forum.search.snippets import snippet

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


# Each kind's matches, as (kind, id, article_id, block_id, rank). Only the newest CANDIDATES matches of each kind
# (those that the reader may see) are ranked: ranking every match of a word found in most of a million arguments
# takes seconds, while the newest thousand rank in milliseconds and a forum's readers mostly look for recent
# debate. {visible} and {article} are fixed fragments.
CANDIDATES = 1000
SQLITE_ARMS = {
    "argument": """SELECT * FROM (SELECT 'argument' AS kind, a.id AS id, b.article_id AS article_id,
        a.block_id AS block_id, bm25(forum_search_arguments) AS rank
        FROM forum_search_arguments JOIN forum_arguments a ON a.id = forum_search_arguments.rowid
        JOIN forum_blocks b ON b.id = a.block_id JOIN forum_articles r ON r.id = b.article_id
        WHERE forum_search_arguments MATCH :match AND r.unpublished_at IS NULL {visible} {article}
        ORDER BY forum_search_arguments.rowid DESC LIMIT :candidates)""",
    "block": """SELECT * FROM (SELECT 'block' AS kind, b.id AS id, b.article_id AS article_id, b.id AS block_id,
        bm25(forum_search_blocks) AS rank
        FROM forum_search_blocks JOIN forum_blocks b ON b.id = forum_search_blocks.rowid
        JOIN forum_articles r ON r.id = b.article_id
        WHERE forum_search_blocks MATCH :match AND b.kind <> 'heading' AND r.unpublished_at IS NULL {article}
        ORDER BY forum_search_blocks.rowid DESC LIMIT :candidates)""",
    "article": """SELECT * FROM (SELECT 'article' AS kind, r.id AS id, r.id AS article_id, NULL AS block_id,
        bm25(forum_search_articles) AS rank
        FROM forum_search_articles JOIN forum_articles r ON r.id = forum_search_articles.rowid
        WHERE forum_search_articles MATCH :match AND r.unpublished_at IS NULL {article}
        ORDER BY forum_search_articles.rowid DESC LIMIT :candidates)""",
}
POSTGRESQL_ARMS = {
    "argument": """SELECT 'argument' AS kind, c.id, c.article_id, c.block_id, -ts_rank_cd(c.document, {query}) AS rank
        FROM (SELECT a.id AS id, b.article_id AS article_id, a.block_id AS block_id, d.document AS document
            FROM forum_search_arguments d JOIN forum_arguments a ON a.id = d.argument_id
            JOIN forum_blocks b ON b.id = a.block_id JOIN forum_articles r ON r.id = b.article_id
            WHERE d.document @@ {query} AND r.unpublished_at IS NULL {visible} {article}
            ORDER BY d.argument_id DESC LIMIT :candidates) c""",
    "block": """SELECT 'block' AS kind, c.id, c.article_id, c.id AS block_id,
        -ts_rank_cd(forum_search_vector(c.text), {query}) AS rank
        FROM (SELECT b.id AS id, b.article_id AS article_id, b.text AS text
            FROM forum_blocks b JOIN forum_articles r ON r.id = b.article_id
            WHERE forum_search_vector(b.text) @@ {query} AND b.kind <> 'heading' AND r.unpublished_at IS NULL
            {article} ORDER BY b.id DESC LIMIT :candidates) c""",
    "article": """SELECT 'article' AS kind, c.id, c.id AS article_id, CAST(NULL AS integer) AS block_id,
        -ts_rank_cd(forum_search_vector(c.title), {query}) AS rank
        FROM (SELECT r.id AS id, r.title AS title FROM forum_articles r
            WHERE forum_search_vector(r.title) @@ {query} AND r.unpublished_at IS NULL {article}
            ORDER BY r.id DESC LIMIT :candidates) c""",
}
VISIBLE = "AND NOT a.hidden AND a.withdrawn_at IS NULL"
AFTER = "WHERE rank > :rank OR (rank = :rank AND (kind > :kind OR (kind = :kind AND id > :id)))"


def tsquery(query: Query, params: dict[str, Any]) -> str:
    """The query as a PostgreSQL tsquery expression, every term's text bound as a parameter (never parsed as syntax)."""

    def term(text: str, phrase: bool) -> str:
        name = f"t{len(params)}"
        params[name] = text
        function = "phraseto_tsquery" if phrase else "plainto_tsquery"
        return f"{function}('english'::regconfig, forum_search_fold(CAST(:{name} AS text)))"

    groups = ["(" + " || ".join(term(t.text, len(t.words) > 1) for t in group) + ")" for group in query.groups]
    excluded = [f"!!({term(t.text, len(t.words) > 1)})" for t in query.excluded]
    return " && ".join(groups + excluded)


def matches(
    session: so.Session, query: Query, *, kinds: tuple[str, ...], article_id: int | None, moderator: bool,
    limit: int, after: tuple[float, str, int] | None,
) -> list[tuple[str, int, int, int | None, float]]:
    """The ranked (kind, id, article_id, block_id, rank) rows of one page, one more than `limit` if there are more."""
    params: dict[str, Any] = {"limit": limit, "candidates": CANDIDATES}
    sqlite = session.get_bind().dialect.name == "sqlite"
    fragments = {"visible": "" if moderator else VISIBLE, "article": ""}
    if article_id is not None:
        fragments["article"] = "AND r.id = :article_id"
        params["article_id"] = article_id
    if sqlite:
        params["match"] = query.fts5()
    else:
        # Written out where it is used, not in a CTE of its own, so that the planner sees what is asked for
        # and weighs it by the index's statistics: a rare word goes through the GIN index, a common one down
        # the newest arguments until enough match.
        fragments["query"] = f"({tsquery(query, params)})"
    arms = SQLITE_ARMS if sqlite else POSTGRESQL_ARMS
    union = " UNION ALL ".join(arms[kind].format(**fragments) for kind in kinds)
    head = f"WITH hits AS MATERIALIZED ({union})"
    where = ""
    if after is not None:
        params.update(rank=after[0], kind=after[1], id=after[2])
        where = AFTER if sqlite else AFTER.replace(":rank", "CAST(:rank AS real)")
    columns = "kind, id, article_id, block_id, rank"
    statement = f"{head} SELECT {columns} FROM hits {where} ORDER BY rank, kind, id LIMIT :limit"
    with custom_plan(session):
        return [tuple(row) for row in session.execute(sa.text(statement), params)]


@contextmanager
def custom_plan(session: so.Session) -> Iterator[None]:
    """Have PostgreSQL plan the next statement for its own values: psycopg prepares a statement run often,
    and a prepared statement's generic plan guesses how many rows a search matches, so that a rare word
    could be looked for down a million arguments one by one."""
    connection = session.connection().connection.driver_connection
    if not isinstance(connection, psycopg.Connection):
        yield
        return
    threshold = connection.prepare_threshold
    connection.prepare_threshold = None
    try:
        yield
    finally:
        connection.prepare_threshold = threshold


@dataclass(frozen=True)
class Found:
    """What the results of a page show besides their place: their searchable texts, articles' titles, sections."""

    texts: dict[tuple[str, int], str]
    titles: dict[int, str]
    sections: dict[int, str | None]


def found_texts(session: so.Session, rows: list[tuple[str, int, int, int | None, float]]) -> Found:
    """The searchable text of each row found (an argument's body and sources, a block's text, an article's
    title), the titles of their articles and the sections of their paragraphs, in as few statements as kinds."""
    ids = {kind: [row[1] for row in rows if row[0] == kind] for kind in KINDS}
    texts: dict[tuple[str, int], str] = {}
    titles: dict[int, str] = {}
    sections: dict[int, str | None] = {}
    if ids["argument"]:
        for id, body in session.execute(sa.select(Argument.id, Argument.body).where(Argument.id.in_(ids["argument"]))):
            texts["argument", id] = body
        sources = sa.select(Source.argument_id, Source.title, Source.quote).where(
            Source.argument_id.in_(ids["argument"]))
        for id, title, quote in session.execute(sources.order_by(Source.position, Source.id)):
            texts["argument", id] += " " + " ".join(part for part in (title, quote) if part)
    if ids["block"]:
        blocks = sa.select(Block.id, Block.text, Block.section).where(Block.id.in_(ids["block"]))
        for id, text, section in session.execute(blocks):
            texts["block", id], sections[id] = text, section
    if rows:
        articles = sa.select(Article.id, Article.title).where(Article.id.in_({row[2] for row in rows}))
        for id, title in session.execute(articles):
            titles[id] = title
            texts["article", id] = title
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


