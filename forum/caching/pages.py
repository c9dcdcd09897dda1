"""The kept pages and their keys: which pages are kept, what their versions are read from, and the key
a page is kept under (its path, the query parameters it reads and the versions of its data).

A write moves the version of every page it changes in its own transaction (`forum.caching.invalidation`), so
a key names one state of a page's data and a kept page can never be older than it. The thread, argument and
article pages, the home page and their API twins are kept; `forum.caching.serving` answers them inside Flask and
`forum.caching.middleware` before it, with the same keys.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from werkzeug.datastructures import MultiDict

from forum.caching.raw_reads import read_one
from forum.models import Argument, Article, Block, BlockKind
from forum.routing import parse_id
from forum.services.threads import SORT_KEYS

CACHE_CONTROL = "no-cache"  # browsers may keep the page, and ask with If-None-Match each time
HTML = "text/html; charset=utf-8"
JSON = "application/json"


# Built once: a request only binds the URL's values and runs them (compiled once per process).
THREAD_VERSIONS = (
    sa.select(Block.version, Article.version, Block.kind)
    .join(Article, Article.id == Block.article_id)
    .where(Block.id == sa.bindparam("block_id"))
)
# An argument's page shows part of its thread (its parents, itself, its replies, the paragraph): its versions.
ARGUMENT_VERSIONS = (
    sa.select(Block.version, Article.version, Block.kind)
    .join(Article, Article.id == Block.article_id)
    .join(Argument, Argument.block_id == Block.id)
    .where(Argument.id == sa.bindparam("argument_id"))
)
ARTICLE_VERSIONS = sa.select(Article.version, Article.slug).where(Article.id == sa.bindparam("article_id"))
INDEX_VERSIONS = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Article.version), 0))


def thread_versions(row: Sequence[Any], _values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The versions a thread shows: its block's and its article's (None for a heading, which has none)."""
    return None if row[2] == BlockKind.HEADING.value else (row[0], row[1])


def article_versions(row: Sequence[Any], values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The version an article page shows (None when the URL's slug is not the article's: it redirects)."""
    return (row[0],) if row[1] == values.get("slug") else None


def article_json_versions(row: Sequence[Any], _values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The version an article's JSON shows."""
    return (row[0],)


def index_versions(row: Sequence[Any], _values: Mapping[str, Any]) -> tuple[Any, ...]:
    """The home page's versions: how many articles there are and the sum of their versions."""
    return row[0], row[1]


# What a query parameter may hold, as a page's key writes it; None for a value the page would not honour.
Param = Callable[[str], str | None]


def an_id(text: str) -> str | None:
    """An id as the forum writes one ("7", never "07", " 7" or "²")."""
    number = parse_id(text)
    return text if number is not None and str(number) == text else None


def a_number(low: int, high: int) -> Param:
    """A whole number from `low` to `high`, written plainly."""

    def check(text: str) -> str | None:
        # Counted before `int()` reads it, which refuses more than 4,300 digits.
        plain = text.isascii() and text.isdigit() and len(text) <= len(str(high)) and str(int(text)) == text
        return text if plain and low <= int(text) <= high else None

    return check


def one_of(values: Sequence[str]) -> Param:
    """One of a few words."""
    return lambda text: text if text in values else None


SORT = one_of(list(SORT_KEYS))


class Page(NamedTuple):
    """A kept page: the statement reading its versions, what they are in its row, its content type, and
    the query parameters it reads (the only ones its key is made of)."""

    statement: sa.Select[*tuple[Any, ...]]
    versions: Callable[[Sequence[Any], Mapping[str, Any]], tuple[Any, ...] | None]
    content_type: str = HTML
    params: Mapping[str, Param] = {}


# The cached pages, by endpoint; their statements bind the URL's values by name.
PAGES: dict[str, Page] = {
    "forum.thread": Page(THREAD_VERSIONS, thread_versions, params={"sort": SORT, "reply_to": an_id}),
    "forum.article": Page(ARTICLE_VERSIONS, article_versions),
    "forum.argument_page": Page(ARGUMENT_VERSIONS, thread_versions, params={"sort": SORT}),
    "forum.index": Page(INDEX_VERSIONS, index_versions, params={"after": an_id}),
    "forum.api.list_articles": Page(
        INDEX_VERSIONS, index_versions, JSON, params={"limit": a_number(1, 100), "after": an_id}
    ),
    "forum.api.list_arguments": Page(
        THREAD_VERSIONS,
        thread_versions,
        JSON,
        params={"sort": SORT, "limit": a_number(1, 500), "after": an_id},
    ),
    "forum.api.get_article": Page(ARTICLE_VERSIONS, article_json_versions, JSON),
    "forum.api.get_argument": Page(ARGUMENT_VERSIONS, thread_versions, JSON),
    # A thread's suggestion moves its thread's version when a scoring changes it.
    "forum.api.get_suggestion": Page(THREAD_VERSIONS, thread_versions, JSON),
    # Not kept: the printable report (`forum.report`) shows the text, score and author of each thread's strongest
    # counter and support, which a vote or an edit changes while moving only its thread's version, not the
    # article's; and the export (`forum.api.export_article`) streams, and answers 304 to its own validator.
}


def query_key(page: Page, args: MultiDict[str, str]) -> str | None:
    """The query as the page's key holds it: the parameters the page reads, each once and valid, in order.

    None for any other query (an unknown parameter, a repeated one, a value the page would not honour):
    such a request is answered, but its page is not kept, so junk queries cannot fill the cache.
    """
    parts = []
    for name, values in args.lists():
        check = page.params.get(name)
        value = check(values[0]) if check is not None and len(values) == 1 else None
        if value is None:
            return None
        parts.append(f"{name}={value}")
    return "&".join(sorted(parts))


def read_versions(engine: sa.Engine, page: Page, values: Mapping[str, Any]) -> tuple[Any, ...] | None:
    """The versions of the page at a URL with these values (None for nothing to keep: no such thread ...)."""
    row = read_one(engine, page.statement, values)
    return None if row is None else page.versions(row, values)


def vary(content_type: str) -> str:
    """What a kept page's answer varies with: the session cookie, the encoding, and on the API the token."""
    return "Cookie, Accept-Encoding, Authorization" if content_type == JSON else "Cookie, Accept-Encoding"


def page_key(
    prefix: str, page: Page, script_root: str, path: str, args: MultiDict[str, str], versions: tuple[Any, ...]
) -> str | None:
    """A page's key: the forum's key prefix, then a digest of the path, the query parameters the page reads
    and the versions it shows; None for a query with anything else (the page is then not kept).

    The WSGI fast path (`forum.caching.middleware`) computes the same key before Flask runs.
    """
    query = query_key(page, args)
    if query is None:
        return None
    named = f"{script_root}{path}?{query}|{'.'.join(map(str, versions))}"
    return prefix + hashlib.sha256(named.encode()).hexdigest()[:40]
