"""One page of matches on PostgreSQL: the newest candidates of each kind, the exact query among them, ranked.

A GIN index finds documents as a set: the newest matches of a common word would otherwise be fetched from
every one of its hundreds of thousands of rows before the first could be kept. Arguments are therefore asked
for an era at a time, newest first (see `eras`), each candidate checked against the exact query (phrases,
excluded phrases) and ranked by `ts_rank_cd` as it is read; a search that finds few in the newest eras, and
so will find few anywhere, asks the index once for all the rest. Paragraphs and article titles, thousands
rather than millions, are left to the planner.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.search.eras import ERA, article_lexeme, newest_stretch, stretch_below
from forum.search.query import Query, Term

# The newest candidate arguments, whether each matches the exact query, and its rank. {matching} is the loose
# query, within a stretch of eras (bound as tsquery text) or below an id; {exact} the exact query; {filters}
# fixed fragments. Whether the article is unpublished is looked up only for the rows the index gave, and only
# the rows kept are ranked.
ARGUMENT_CANDIDATES = """SELECT c.argument_id, c.article_id, c.block_id, c.document @@ {exact} AS exact,
        -ts_rank_cd(c.document, {exact}) AS rank
    FROM (SELECT d.argument_id, d.article_id, d.block_id, d.document FROM forum_search_arguments d
        WHERE {matching} {filters}
        AND NOT EXISTS (SELECT 1 FROM forum_articles r WHERE r.id = d.article_id AND r.unpublished_at IS NOT NULL)
        ORDER BY d.argument_id DESC LIMIT :wanted) c"""
IN_STRETCH = "d.document @@ (CAST(:stretch AS tsquery){article})"
BELOW = "d.document @@ ({loose}{article}) AND d.argument_id < :below"
IN_ARTICLE = " && CAST(:article AS tsquery)"
VISIBLE = "AND d.visible"
# Each kind's candidates that match the exact query, as (kind, id, article_id, block_id, rank); the arguments
# come ranked already, only those that may make the page.
ARMS = {
    "argument": """SELECT 'argument' AS kind, a.id, a.article_id, a.block_id, a.rank
        FROM unnest(CAST(:argument_ids AS integer[]), CAST(:argument_articles AS integer[]),
            CAST(:argument_blocks AS integer[]), CAST(:argument_ranks AS real[]))
            AS a(id, article_id, block_id, rank)""",
    "block": """SELECT 'block' AS kind, c.id, c.article_id, c.id AS block_id, -ts_rank_cd(c.document, {exact}) AS rank
        FROM (SELECT b.id AS id, b.article_id AS article_id, s.document AS document
            FROM forum_search_blocks s JOIN forum_blocks b ON b.id = s.block_id
            JOIN forum_articles r ON r.id = b.article_id
            WHERE s.document @@ {loose} AND b.kind <> 'heading' AND r.unpublished_at IS NULL {article}
            ORDER BY s.block_id DESC LIMIT :candidates) c
        WHERE c.document @@ {exact}""",
    "article": """SELECT 'article' AS kind, c.id, c.id AS article_id, CAST(NULL AS integer) AS block_id,
            -ts_rank_cd(forum_search_vector(c.title), {exact}) AS rank
        FROM (SELECT r.id AS id, r.title AS title FROM forum_articles r
            WHERE forum_search_vector(r.title) @@ {loose} AND r.unpublished_at IS NULL {article}
            ORDER BY r.id DESC LIMIT :candidates) c
        WHERE forum_search_vector(c.title) @@ {exact}""",
}
AFTER = ("WHERE rank > CAST(:rank AS real) "
         "OR (rank = CAST(:rank AS real) AND (kind > :kind OR (kind = :kind AND id > :id)))")


def tsquery(query: Query, params: dict[str, Any], name: str) -> str:
    """The query as a tsquery expression, every term's text bound as a parameter (never parsed as syntax)."""

    def term(term: Term, index: int) -> str:
        key = f"{name}{index}"
        params[key] = term.text
        function = "phraseto_tsquery" if term.ordered else "plainto_tsquery"
        return f"{function}('english'::regconfig, forum_search_fold(CAST(:{key} AS text)))"

    terms = iter(range(10**6))
    groups = ["(" + " || ".join(term(t, next(terms)) for t in group) + ")" for group in query.groups]
    excluded = [f"!!({term(t, next(terms))})" for t in query.excluded]
    return "(" + " && ".join(groups + excluded) + ")"


def argument_matches(
    session: so.Session, query: Query, *, article_id: int | None, moderator: bool, candidates: int,
) -> list[tuple[int, int, int, float]]:
    """Of the newest `candidates` arguments the reader may see that hold the query's words, those that match it
    exactly, as ranked (id, article_id, block_id, rank)."""
    params: dict[str, Any] = {}
    loose = tsquery(query.loose, params, "w")
    newest, text = session.execute(
        sa.text(f"SELECT (SELECT max(argument_id) FROM forum_search_arguments), CAST({loose} AS text)"), params).one()
    if newest is None or not text:  # no arguments, or only words PostgreSQL leaves out (`à` is `a`)
        return []
    article = ""
    if article_id is not None:
        article = IN_ARTICLE
        params["article"] = f"'{article_lexeme(article_id)}'"
    fragments = {"exact": tsquery(query, params, "e"), "filters": "" if moderator else VISIBLE}
    in_stretch = sa.text(ARGUMENT_CANDIDATES.format(matching=IN_STRETCH.format(article=article), **fragments))
    below = sa.text(ARGUMENT_CANDIDATES.format(matching=BELOW.format(loose=loose, article=article), **fragments))
    stretch = newest_stretch(newest)
    found = list(session.execute(in_stretch, {**params, "stretch": stretch.tsquery(text), "wanted": candidates}))
    while len(found) < candidates and stretch.low > 0:
        # The next stretch is as long as the matches so far say the rest of the candidates need (a fifth more);
        # when that is most of what is left, one ask without eras takes all the rest.
        wanted = candidates - len(found)
        walked = newest + 1 - stretch.low * ERA
        ids = wanted * walked * 6 // (5 * (len(found) + 1))
        if ids >= stretch.low * ERA // 2:
            found += session.execute(below, {**params, "below": stretch.low * ERA, "wanted": wanted})
            break
        stretch = stretch_below(stretch.low, ids)
        found += session.execute(in_stretch, {**params, "stretch": stretch.tsquery(text), "wanted": wanted})
    return [(id, article, block, rank) for id, article, block, exact, rank in found if exact]


def postgresql_matches(
    session: so.Session, query: Query, *, kinds: tuple[str, ...], article_id: int | None, moderator: bool,
    candidates: int, limit: int, after: tuple[float, str, int] | None,
) -> list[tuple[str, int, int, int | None, float]]:
    """The ranked (kind, id, article_id, block_id, rank) rows of one page, one more than `limit` if there are more."""
    params: dict[str, Any] = {"limit": limit, "candidates": candidates}
    with custom_plan(session):
        if "argument" in kinds:
            arguments = argument_matches(
                session, query, article_id=article_id, moderator=moderator, candidates=candidates)
            # The page is cut here from the arguments as it is below from everything: by (rank, kind, id), after
            # the cursor; of the arguments only as many as the page holds can be on it.
            ordered = sorted((rank, "argument", id, article, block) for id, article, block, rank in arguments)
            kept = [row for row in ordered if after is None or row[:3] > after][:limit]
            params.update(argument_ranks=[row[0] for row in kept], argument_ids=[row[2] for row in kept],
                          argument_articles=[row[3] for row in kept], argument_blocks=[row[4] for row in kept])
        fragments = {"exact": tsquery(query, params, "e"), "loose": tsquery(query.loose, params, "l"), "article": ""}
        if article_id is not None:
            fragments["article"] = "AND r.id = :article_id"
            params["article_id"] = article_id
        union = " UNION ALL ".join(ARMS[kind].format(**fragments) for kind in kinds)
        where = ""
        if after is not None:
            params.update(rank=after[0], kind=after[1], id=after[2])
            where = AFTER
        statement = (f"WITH hits AS MATERIALIZED ({union}) SELECT kind, id, article_id, block_id, rank "
                     f"FROM hits {where} ORDER BY rank, kind, id LIMIT :limit")
        return [tuple(row) for row in session.execute(sa.text(statement), params)]


@contextmanager
def custom_plan(session: so.Session) -> Iterator[None]:
    """Have PostgreSQL plan the next statements for their own values: psycopg prepares a statement run often,
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
