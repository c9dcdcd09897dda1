"""One page of matches on SQLite: the newest candidates of each kind, the exact query among them, ranked.

FTS5 walks a word's documents newest first and stops at the last candidate, so finding the newest
`candidates` of a kind costs about as much as reading them. Its `bm25`, though, first counts every document
of every word and phrase of the query, whatever the page: a word found in a third of a million arguments
costs ten to twenty milliseconds before the first row, a phrase of two common words some thirty. The candidates are
ranked instead by what FTS5 marks in each of them (`highlight`): how often the query's words and phrases
occur, against how long the text is, as bm25 weighs a term's frequency (k1 = 1.2, b = 0.75), with no weight
for how rare each word is, as PostgreSQL's `ts_rank_cd` has none either.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.search.query import Query

K1 = 1.2  # how quickly more occurrences stop counting
B = 0.75  # how much a longer text is held against its occurrences

# Per kind: its candidates (id, article_id, block_id) newest first, where {measures} may add what the query marks
# in them; {visible} and {article} are fixed fragments.
CANDIDATES = {
    "argument": """SELECT a.id AS id, b.article_id AS article_id, a.block_id AS block_id {measures}
        FROM forum_search_arguments JOIN forum_arguments a ON a.id = forum_search_arguments.rowid
        JOIN forum_blocks b ON b.id = a.block_id JOIN forum_articles r ON r.id = b.article_id
        WHERE forum_search_arguments MATCH :{query} AND r.unpublished_at IS NULL {visible} {article}
        ORDER BY forum_search_arguments.rowid DESC LIMIT :candidates""",
    "block": """SELECT b.id AS id, b.article_id AS article_id, b.id AS block_id {measures}
        FROM forum_search_blocks JOIN forum_blocks b ON b.id = forum_search_blocks.rowid
        JOIN forum_articles r ON r.id = b.article_id
        WHERE forum_search_blocks MATCH :{query} AND b.kind <> 'heading' AND r.unpublished_at IS NULL {article}
        ORDER BY forum_search_blocks.rowid DESC LIMIT :candidates""",
    "article": """SELECT r.id AS id, r.id AS article_id, NULL AS block_id {measures}
        FROM forum_search_articles JOIN forum_articles r ON r.id = forum_search_articles.rowid
        WHERE forum_search_articles MATCH :{query} AND r.unpublished_at IS NULL {article}
        ORDER BY forum_search_articles.rowid DESC LIMIT :candidates""",
}
# Per kind: its FTS5 table, the length of a row's searchable text, and that text with FTS5's mark (char(1))
# before each occurrence of the query's words and phrases.
TABLES = {"argument": "forum_search_arguments", "block": "forum_search_blocks", "article": "forum_search_articles"}
SIZES = {
    "argument": "length(forum_search_arguments.body) + length(forum_search_arguments.sources)",
    "block": "length(forum_search_blocks.text)",
    "article": "length(forum_search_articles.title)",
}
MARKED = {
    "argument": ("highlight(forum_search_arguments, 0, char(1), '') "
                 "|| highlight(forum_search_arguments, 1, char(1), '')"),
    "block": "highlight(forum_search_blocks, 0, char(1), '')",
    "article": "highlight(forum_search_articles, 0, char(1), '')",
}
MEASURES = ", {size} AS size, length({marked}) - ({size}) AS occurrences"
# Where the query asks for words in order, its candidates are found by their words alone, and then the exact
# query is read among them only: FTS5 takes the lowest candidate as where to stop, the unary + keeps SQLite from
# asking FTS5 for each candidate by its rowid, one lookup after another.
MARKED_ROWS = """SELECT rowid AS id {measures} FROM {table} WHERE {table} MATCH :exact
    AND rowid >= (SELECT min(id) FROM {kind}_candidates) AND +rowid IN (SELECT id FROM {kind}_candidates)"""
EXACT = """SELECT c.id, c.article_id, c.block_id, m.size, m.occurrences
    FROM {kind}_marked m JOIN {kind}_candidates c ON c.id = m.id"""
VISIBLE = "AND NOT a.hidden AND a.withdrawn_at IS NULL"
# Each kind's lengths are weighed against that kind's own average: a title is short beside an argument.
RANKED = """SELECT '{kind}' AS kind, id, article_id, block_id,
    -(occurrences * (:k1 + 1) / (occurrences + :k1 * (1 - :b + :b * size
        / (SELECT max(avg(size), 1.0) FROM {kind}_found)))) AS rank
    FROM {kind}_found"""
AFTER = "WHERE rank > :rank OR (rank = :rank AND (kind > :kind OR (kind = :kind AND id > :id)))"


def sqlite_matches(
    session: so.Session, query: Query, *, kinds: tuple[str, ...], article_id: int | None, moderator: bool,
    candidates: int, limit: int, after: tuple[float, str, int] | None,
) -> list[tuple[str, int, int, int | None, float]]:
    """The ranked (kind, id, article_id, block_id, rank) rows of one page, one more than `limit` if there are more."""
    params: dict[str, Any] = {"limit": limit, "candidates": candidates, "loose": query.loose.fts5(),
                              "exact": query.fts5(), "k1": K1, "b": B}
    fragments = {"visible": "" if moderator else VISIBLE, "article": ""}
    if article_id is not None:
        fragments["article"] = "AND r.id = :article_id"
        params["article_id"] = article_id
    ordered = params["loose"] != params["exact"]  # a phrase or an excluded phrase: more than the words to check
    tables = []
    for kind in kinds:
        measures = MEASURES.format(size=SIZES[kind], marked=MARKED[kind])
        if ordered:
            tables.append(f"{kind}_candidates AS MATERIALIZED "
                          f"({CANDIDATES[kind].format(measures='', query='loose', **fragments)})")
            tables.append(f"{kind}_marked AS MATERIALIZED "
                          f"({MARKED_ROWS.format(kind=kind, table=TABLES[kind], measures=measures)})")
            found = EXACT.format(kind=kind)
        else:
            found = CANDIDATES[kind].format(measures=measures, query="exact", **fragments)
        tables.append(f"{kind}_found AS MATERIALIZED ({found})")
    ranked = " UNION ALL ".join(RANKED.format(kind=kind) for kind in kinds)
    where = ""
    if after is not None:
        params.update(rank=after[0], kind=after[1], id=after[2])
        where = AFTER
    statement = (f"WITH {', '.join(tables)}, hits AS ({ranked}) "
                 f"SELECT kind, id, article_id, block_id, rank FROM hits {where} ORDER BY rank, kind, id LIMIT :limit")
    return [tuple(row) for row in session.execute(sa.text(statement), params)]
