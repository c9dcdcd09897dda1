"""The page cache: whole pages keyed by their path and the versions of their data.

A write moves the version of every page it changes in its own transaction (`forum.invalidation`),
so a reader's request reads the version (one indexed query), answers 304 to a matching `If-None-Match`,
or the cached page, before any other work. The thread and article pages and their API twins are kept.
Anonymous readers share one copy. A signed-in member (or a bearer token's) gets a copy of their own,
keyed also by who they are (`forum.quickviewer`), kept split at its CSRF token so that this request's
token is joined in. Pages that carry a flash message or set a cookie, errors and anything but GET are
never cached.
"""

from __future__ import annotations

import gzip
import hashlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from cachelib import BaseCache, NullCache
from flask import Response, current_app, g, request, session
from werkzeug.datastructures import MultiDict

from forum.cacheverify import RENDER_FRESH, check_held_hit, hold_hit, verifying
from forum.freshness import FRESH
from forum.models import Article, Block, BlockKind
from forum.pagestores import MemoryPages, RedisPages
from forum.quickread import read_one
from forum.quickviewer import UNKNOWN, Question, is_anonymous, question_for_request, slow_material
from forum.routing import parse_id
from forum.services.threads import SORT_KEYS

# Where the WSGI fast path leaves the versions it read for the app, on a miss.
VERSIONS_READ = "forum.page_versions"
CACHE_CONTROL = "no-cache"  # browsers may keep the page, and ask with If-None-Match each time
# A member's page is theirs alone, and holds a CSRF token: no shared cache keeps it.
MEMBER_CACHE_CONTROL = "private, no-store"
HTML = "text/html; charset=utf-8"
JSON = "application/json"
# A shared page is kept twice: as it is, and gzip-compressed once for every reader whose browser takes it.
GZIP = ":gzip"
GZIP_MIN = 1024  # smaller pages gain too little from it


SCHEMES = {"memory", "redis", "rediss", "unix", "none"}


def check_cache_url(url: str) -> None:
    """Refuse a `FORUM_CACHE_URL` naming no store the forum knows."""
    if url.partition("://")[0].lower() not in SCHEMES or "://" not in url:
        raise ValueError(
            f"FORUM_CACHE_URL must be memory://, redis://HOST:PORT/DB or none://, not {url!r}."
        )


def make_cache(url: str, *, size: int, max_bytes: int, timeout: int, prefix: str) -> BaseCache:
    """The store `FORUM_CACHE_URL` names: `memory://` (this process), `redis://...` (shared) or `none://`.

    Each keeps at most `size` entries and `max_bytes` bytes (`forum.pagestores`).
    """
    scheme = url.partition("://")[0].lower()
    if scheme == "memory":
        return MemoryPages(size, max_bytes, default_timeout=timeout)
    if scheme in ("redis", "rediss", "unix"):
        import redis

        # A Redis that stops answering must not hold pages: after a second, the page is rendered instead.
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return RedisPages(client, prefix=prefix, size=size, max_bytes=max_bytes, default_timeout=timeout)
    if scheme == "none":
        return NullCache()
    raise ValueError(f"FORUM_CACHE_URL must be memory://, redis://HOST:PORT/DB or none://, not {url!r}.")


# Built once: a request only binds the URL's values and runs them (compiled once per process).
THREAD_VERSIONS = (
    sa.select(Block.version, Article.version, Block.kind)
    .join(Article, Article.id == Block.article_id)
    .where(Block.id == sa.bindparam("block_id"))
)
ARTICLE_VERSIONS = sa.select(Article.version, Article.slug).where(Article.id == sa.bindparam("article_id"))
INDEX_VERSIONS = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Article.version), 0))


def thread_versions(row: Sequence[Any], _values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The versions a thread shows: its block's and its article's (None for a heading, which has none)."""
    return None if row[2] == BlockKind.HEADING.value else (row[0], row[1])


def article_versions(row: Sequence[Any], values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The version an article page shows (None when the URL's slug is not the article's: it redirects)."""
    return (row[0],) if row[1] == values.get("slug") else None


def article_json_versions(row: Sequence[Any], _values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The version an article's JSON shows."""
    return (row[0],)


def index_versions(row: Sequence[Any], _values: dict[str, Any]) -> tuple[Any, ...]:
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

    statement: sa.Select
    versions: Callable[[Sequence[Any], dict[str, Any]], tuple[Any, ...] | None]
    content_type: str = HTML
    params: Mapping[str, Param] = {}


# The cached pages, by endpoint; their statements bind the URL's values by name.
PAGES: dict[str, Page] = {
    "forum.thread": Page(THREAD_VERSIONS, thread_versions, params={"sort": SORT, "reply_to": an_id}),
    "forum.article": Page(ARTICLE_VERSIONS, article_versions),
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


def read_versions(engine: sa.Engine, page: Page, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The versions of the page at a URL with these values (None for nothing to keep: no such thread ...)."""
    row = read_one(engine, page.statement, values)
    return None if row is None else page.versions(row, values)


_with_viewer: dict[tuple[int, int], sa.Select] = {}


def read_versions_and_viewer(
    engine: sa.Engine, page: Page, values: dict[str, Any], question: Question
) -> tuple[tuple[Any, ...] | None, Any]:
    """The page's versions and the answer to `question`, in one statement: (None, UNKNOWN) for no page."""
    key = (id(page.statement), id(question.statement))
    statement = _with_viewer.get(key)
    if statement is None:
        # The page's row beside the viewer's (or beside nulls): a join on nothing but true.
        versions, viewer = page.statement.subquery("page"), question.statement.subquery("viewer")
        statement = _with_viewer.setdefault(
            key, sa.select(versions, viewer).select_from(versions.outerjoin(viewer, sa.true()))
        )
    row = read_one(engine, statement, {**values, **question.values})
    if row is None:
        return None, UNKNOWN
    width = len(page.statement.selected_columns)
    return page.versions(row[:width], values), question.answer(row[width:])


def vary(content_type: str) -> str:
    """What a kept page's answer varies with: the session cookie, the encoding, and on the API the token."""
    return "Cookie, Accept-Encoding, Authorization" if content_type == JSON else "Cookie, Accept-Encoding"


def kept_copy(cache: BaseCache, key: str, takes_gzip: bool) -> tuple[bytes, bool] | None:
    """A kept shared page, gzip-compressed if the reader takes that: (body, compressed), or None."""
    if takes_gzip:
        body = cache.get(key + GZIP)
        if body is not None:
            return body, True
    body = cache.get(key)
    return None if body is None else (body, False)


def keep_copy(cache: BaseCache, key: str, body: bytes) -> None:
    """Keep a shared page, and its gzip copy beside it (compressed once per version, not per request)."""
    copies = {key: body}
    if len(body) >= GZIP_MIN:
        copies[key + GZIP] = gzip.compress(body, compresslevel=6, mtime=0)
    cache.set_many(copies)


def page_key(
    prefix: str, page: Page, script_root: str, path: str, args: MultiDict[str, str], versions: tuple[Any, ...]
) -> str | None:
    """A page's key: the forum's key prefix, then a digest of the path, the query parameters the page reads
    and the versions it shows; None for a query with anything else (the page is then not kept).

    The WSGI fast path (`forum.fastpath`) computes the same key before Flask runs.
    """
    query = query_key(page, args)
    if query is None:
        return None
    material = f"{script_root}{path}?{query}|{'.'.join(map(str, versions))}"
    return prefix + hashlib.sha256(material.encode()).hexdigest()[:40]


def cache_key(page: Page, versions: tuple[Any, ...]) -> str | None:
    """This request's page key, if its page may be kept."""
    prefix = current_app.config["FORUM_CACHE_KEY_PREFIX"]
    return page_key(prefix, page, request.script_root, request.path, request.args, versions)


def do_not_keep() -> None:
    """This answer shows less than its key says (a query value that names nothing here): it is not kept."""
    g.pop("forum_page_key", None)
    g.pop("forum_page_etag", None)
    g.pop("forum_member_key", None)


def serve_cached() -> Response | None:
    """For a GET of a cached page: 304 or the shared page, or a member's own copy; else note what to store."""
    page = PAGES.get(request.endpoint or "")
    FRESH.set(bool(request.environ.get(RENDER_FRESH)))  # the fast path asks for its hit rendered afresh
    if request.method not in ("GET", "HEAD") or page is None or "_flashes" in session or FRESH.get():
        return None
    if query_key(page, request.args) is None:
        return None  # answered, never kept: see `query_key`
    state = current_app.extensions["forum"]
    values = request.view_args or {}
    question = question_for_request()
    if question is not None:
        versions, member = read_versions_and_viewer(state.read_engine, page, values, question)
        if member is UNKNOWN:
            member = slow_material()
    else:
        member = slow_material()
        read = request.environ.get(VERSIONS_READ)
        if read is not None and read[0] == request.endpoint and read[1] == values:
            versions = read[2]  # read already, by `forum.fastpath.CachedPages`, on a miss
        else:
            versions = read_versions(state.read_engine, page, values)
    if versions is None or member == ():
        return None
    key = cache_key(page, versions if member is None else versions + member)
    if key is None:
        return None
    if member is not None:
        return serve_member_copy(state.page_cache, key, page)
    etag = key[len(current_app.config["FORUM_CACHE_KEY_PREFIX"]):]
    if request.if_none_match.contains_weak(etag):
        shown = kept_copy(state.page_cache, key, False) if verifying() else None
        return hold_hit(page_response(b"", page, etag, 304), shown[0] if shown else None)
    kept = kept_copy(state.page_cache, key, request.accept_encodings["gzip"] > 0)
    if kept is not None:
        return hold_hit(page_response(kept[0], page, etag, 200, compressed=kept[1]), kept[0])
    g.forum_page_key, g.forum_page_etag = key, etag
    return None


def serve_member_copy(cache: BaseCache, key: str, page: Page) -> Response | None:
    """A member's own copy of the page, this request's CSRF token joined in; else note what to store."""
    parts = cache.get(key)
    if not isinstance(parts, list):  # not kept (or kept whole, by an earlier release: rendered afresh)
        g.forum_member_key = key
        return None
    if len(parts) > 1:
        from forum.csrf import csrf_token

        body = csrf_token().encode().join(parts)
    else:
        body = parts[0]
    response = Response(body, content_type=page.content_type)
    response.headers["Cache-Control"] = MEMBER_CACHE_CONTROL
    response.headers["Vary"] = vary(page.content_type)
    return hold_hit(response, body)


def page_response(body: bytes, page: Page, etag: str, status: int, compressed: bool = False) -> Response:
    """An anonymous page (or its 304), with its validator."""
    response = Response(body, status=status, content_type=page.content_type)
    if compressed:
        response.headers["Content-Encoding"] = "gzip"
    mark_cacheable(response, page, etag)
    return response


def mark_cacheable(response: Response, page: Page, etag: str) -> None:
    """The headers of a page every anonymous reader shares."""
    # Weak: the page sent as it is and gzip-compressed are the same page, and share one validator.
    response.set_etag(etag, weak=True)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = vary(page.content_type)


def store_page(response: Response) -> Response:
    """Keep the page rendered for `serve_cached`'s miss, if it is one every anonymous reader may share."""
    page = PAGES.get(request.endpoint or "")
    if page is None:
        return response
    if "forum_held_hit" in g:
        return check_held_hit(response, request.full_path)
    # Signed in or not, the same URL answers differently: shared caches must tell them apart.
    for header in vary(page.content_type).split(", "):
        response.vary.add(header)
    member_key = g.pop("forum_member_key", None)
    if member_key is not None:
        store_member_copy(member_key, response)
    key = g.pop("forum_page_key", None)
    if key is None:
        return response
    etag = g.pop("forum_page_etag")
    if keepable(response) and is_anonymous():
        keep_copy(current_app.extensions["forum"].page_cache, key, response.get_data())
        mark_cacheable(response, page, etag)
    return response


def store_member_copy(key: str, response: Response) -> None:
    """Keep a member's page, split at its CSRF token, unless it carries something of this request only."""
    if not keepable(response):
        return
    body = response.get_data()
    token = g.get("csrf_token")  # Flask-WTF keeps the token it made for this request there
    parts = body.split(token.encode()) if token else [body]
    current_app.extensions["forum"].page_cache.set(key, parts)
    response.headers["Cache-Control"] = MEMBER_CACHE_CONTROL


def keepable(response: Response) -> bool:
    """Whether a page answered to a GET holds nothing of this request alone, and so may be kept."""
    return (
        request.method == "GET"
        and response.status_code == 200
        and response.mimetype in ("text/html", JSON)
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        # A flash shown or a token made on this request is the reader's own, and sets the session cookie.
        and not session.modified
        and not session.get("_flashes")
    )
