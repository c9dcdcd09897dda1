"""The page cache: whole pages keyed by their path and the versions of their data.

A write moves the version of every page it changes in its own transaction (`forum.services.versions`),
so a reader's request reads the version (one indexed query), answers 304 to a matching `If-None-Match`,
or the cached page, before any other work. Anonymous readers share one copy. A signed-in member gets a
copy of their own, keyed also by who they are (id, role, name), whose CSRF token is written in at each
request. Pages that carry a flash message or set a cookie, errors and anything but GET are never cached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from cachelib import BaseCache, NullCache, RedisCache, SimpleCache
from flask import Response, current_app, g, request, session

from forum.models import Article, Block, BlockKind

# Where the WSGI fast path leaves the versions it read for the app, on a miss.
VERSIONS_READ = "forum.page_versions"
CACHE_CONTROL = "no-cache"  # browsers may keep the page, and ask with If-None-Match each time
# A member's page is theirs alone, and holds a CSRF token: no shared cache keeps it.
MEMBER_CACHE_CONTROL = "private, no-store"
# Where a member's kept page had its CSRF token; NUL never reaches stored text (requests holding it are refused).
CSRF_MARK = b"\x00csrf-token\x00"
HTML = "text/html; charset=utf-8"


SCHEMES = {"memory", "redis", "rediss", "unix", "none"}


def check_cache_url(url: str) -> None:
    """Refuse a `FORUM_CACHE_URL` naming no store the forum knows."""
    if url.partition("://")[0].lower() not in SCHEMES or "://" not in url:
        raise ValueError(
            f"FORUM_CACHE_URL must be memory://, redis://HOST:PORT/DB or none://, not {url!r}."
        )


def make_cache(url: str, *, size: int, timeout: int) -> BaseCache:
    """The store `FORUM_CACHE_URL` names: `memory://` (this process), `redis://...` (shared) or `none://`."""
    scheme = url.partition("://")[0].lower()
    if scheme == "memory":
        return SimpleCache(threshold=size, default_timeout=timeout)
    if scheme in ("redis", "rediss", "unix"):
        import redis

        return RedisCache(host=redis.Redis.from_url(url), default_timeout=timeout)
    if scheme == "none":
        return NullCache()
    raise ValueError(f"FORUM_CACHE_URL must be memory://, redis://HOST:PORT/DB or none://, not {url!r}.")


# Built once: the fast path only binds an id and runs them (SQLAlchemy caches their compiled form).
THREAD_VERSIONS = (
    sa.select(Block.version, Article.version, Block.kind)
    .join(Article, Article.id == Block.article_id)
    .where(Block.id == sa.bindparam("id"))
)
ARTICLE_VERSIONS = sa.select(Article.version, Article.slug).where(Article.id == sa.bindparam("id"))
INDEX_VERSIONS = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(Article.version), 0))


# Listeners called with each statement `read_one` sends past SQLAlchemy's events (the tests count them).
statement_listeners: list[Callable[[str], None]] = []
_compiled: dict[tuple[str, int], Any] = {}


def read_one(engine: sa.Engine, statement: sa.Select, values: dict[str, Any]) -> tuple[Any, ...] | None:
    """The first row of a one-statement read, outside any transaction.

    On SQLite the query itself takes microseconds and SQLAlchemy's connection and result machinery
    several times that, so the statement, compiled once, runs on the pooled DBAPI connection (which
    SQLite's driver leaves in autocommit). Over a network the round trips dominate: there a plain
    connection in AUTOCOMMIT (no BEGIN, no ROLLBACK) does.
    """
    if engine.dialect.name != "sqlite":
        with engine.execution_options(isolation_level="AUTOCOMMIT").connect() as connection:
            return connection.execute(statement, values).first()
    key = (engine.dialect.name, id(statement))
    compiled = _compiled.get(key) or _compiled.setdefault(key, statement.compile(dialect=engine.dialect))
    params = compiled.construct_params(values)
    sql = str(compiled)
    for listener in statement_listeners:
        listener(sql)
    raw = engine.raw_connection()
    try:
        cursor = raw.cursor()
        try:
            cursor.execute(sql, tuple(params[name] for name in compiled.positiontup))
            return cursor.fetchone()
        finally:
            cursor.close()
    finally:
        raw.close()


def thread_versions(engine: sa.Engine, block_id: int) -> tuple[Any, ...] | None:
    """The versions a thread page shows: its block's and its article's (None for no thread)."""
    row = read_one(engine, THREAD_VERSIONS, {"id": block_id})
    if row is None or row[2] == BlockKind.HEADING.value:
        return None
    return row[0], row[1]


def article_versions(engine: sa.Engine, article_id: int, slug: str | None = None) -> tuple[Any, ...] | None:
    """The version an article page shows (None when the URL redirects or names no article)."""
    row = read_one(engine, ARTICLE_VERSIONS, {"id": article_id})
    if row is None or row[1] != slug:
        return None
    return (row[0],)


def index_versions(engine: sa.Engine) -> tuple[Any, ...]:
    """The home page's versions: how many articles there are and the sum of their versions."""
    row = read_one(engine, INDEX_VERSIONS, {})
    assert row is not None  # an aggregate always answers one row
    return row[0], row[1]


# The cached pages, each with what gives its versions from the URL's values.
PAGES: dict[str, Callable[..., tuple[Any, ...] | None]] = {
    "forum.thread": thread_versions,
    "forum.article": article_versions,
    "forum.index": index_versions,
}


def is_anonymous() -> bool:
    """Whether nobody is signed in (nor remembered) on this request.

    Without a user id in the session, a remember-me cookie or a loader of the host's that reads the
    request itself, Flask-Login has nobody to load: that is answered without asking it.
    """
    manager = getattr(current_app, "login_manager", None)
    if manager is None:
        return False  # the forum's own check then says what the host is missing
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if (
        "_user_id" not in session
        and remember not in request.cookies
        and manager._request_callback is None
        and getattr(manager, "_header_callback", None) is None
    ):
        return True
    from flask_login import current_user

    return not current_user.is_authenticated


def page_key(prefix: str, script_root: str, path: str, query: bytes, versions: tuple[Any, ...]) -> str:
    """A page's key: the forum's key prefix, then a digest of the full path and query and the versions it shows."""
    material = f"{script_root}{path}?{query.decode('latin-1')}|{'.'.join(map(str, versions))}"
    return prefix + hashlib.sha256(material.encode()).hexdigest()[:40]


def cache_key(versions: tuple[Any, ...]) -> str:
    """This request's page key."""
    prefix = current_app.config["FORUM_CACHE_KEY_PREFIX"]
    return page_key(prefix, request.script_root, request.path, request.query_string, versions)


def serve_cached() -> Response | None:
    """For a GET of a cached page: 304 or the shared page, or a member's own copy; else note what to store."""
    if request.method not in ("GET", "HEAD") or request.endpoint not in PAGES or "_flashes" in session:
        return None
    member = None if is_anonymous() else member_material()
    if member == ():
        return None
    state = current_app.extensions["forum"]
    read = request.environ.get(VERSIONS_READ)
    if read is not None and read[0] == request.endpoint and read[1] == request.view_args:
        versions = read[2]  # read already, by `forum.fastpath.CachedPages`, on a miss
    else:
        versions = PAGES[request.endpoint](state.engine, **(request.view_args or {}))
    if versions is None:
        return None
    if member is not None:
        return serve_member_copy(state.page_cache, cache_key(versions + member))
    key = cache_key(versions)
    etag = key[len(current_app.config["FORUM_CACHE_KEY_PREFIX"]):]
    if request.if_none_match.contains_weak(etag):
        return page_response(b"", etag, 304)
    body = state.page_cache.get(key)
    if body is not None:
        return page_response(body, etag, 200)
    g.forum_page_key, g.forum_page_etag = key, etag
    return None


def member_material() -> tuple[Any, ...]:
    """What of a signed-in member their pages show: id, role and name (empty for a viewer with no member)."""
    from forum.auth import current_viewer

    viewer = current_viewer()
    if viewer.member is None:
        return ()
    return ("member", viewer.member.id, viewer.role.value if viewer.role else "", viewer.name)


def serve_member_copy(cache: BaseCache, key: str) -> Response | None:
    """A member's own copy of the page, with this request's CSRF token written in; else note what to store."""
    body = cache.get(key)
    if body is None:
        g.forum_member_key = key
        return None
    from forum.csrf import csrf_token

    response = Response(body.replace(CSRF_MARK, csrf_token().encode()), content_type=HTML)
    response.headers["Cache-Control"] = MEMBER_CACHE_CONTROL
    return response


def page_response(body: bytes, etag: str, status: int) -> Response:
    """An anonymous page (or its 304), with its validator."""
    response = Response(body, status=status, content_type=HTML)
    mark_cacheable(response, etag)
    return response


def mark_cacheable(response: Response, etag: str) -> None:
    """The headers of a page every anonymous reader shares."""
    response.set_etag(etag)
    response.headers["Cache-Control"] = CACHE_CONTROL
    response.headers["Vary"] = "Cookie"


def store_page(response: Response) -> Response:
    """Keep the page rendered for `serve_cached`'s miss, if it is one every anonymous reader may share."""
    key = g.pop("forum_page_key", None)
    if request.endpoint in PAGES and "Cookie" not in response.headers.get("Vary", ""):
        # Signed in or not, the same URL answers differently: shared caches must tell them apart.
        response.vary.add("Cookie")
    member_key = g.pop("forum_member_key", None)
    if member_key is not None:
        store_member_copy(member_key, response)
    if key is None:
        return response
    etag = g.pop("forum_page_etag")
    if keepable(response) and is_anonymous():
        current_app.extensions["forum"].page_cache.set(key, response.get_data())
        mark_cacheable(response, etag)
    return response


def store_member_copy(key: str, response: Response) -> None:
    """Keep a member's page, its CSRF token replaced by a mark, unless it carries something of this request only."""
    token = g.get("csrf_token")  # Flask-WTF keeps the token it made for this request there
    if not (token and keepable(response)):
        return
    body = response.get_data().replace(token.encode(), CSRF_MARK)
    current_app.extensions["forum"].page_cache.set(key, body)
    response.headers["Cache-Control"] = MEMBER_CACHE_CONTROL


def keepable(response: Response) -> bool:
    """Whether a page answered to a GET holds nothing of this request alone, and so may be kept."""
    return (
        request.method == "GET"
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and "Set-Cookie" not in response.headers
        # A flash shown or a token made on this request is the reader's own, and sets the session cookie.
        and not session.modified
        and not session.get("_flashes")
    )
