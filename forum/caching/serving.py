"""Kept pages answered inside Flask: first thing for a GET of a kept page, and kept after a miss.

A reader's request reads the page's versions (and who asks, in the same statement, `forum.caching.viewer_key`)
and is answered 304 for a matching `If-None-Match`, or the kept page, before any other work. Anonymous
readers share one copy, kept also gzip-compressed (the first reader that takes gzip is sent that too). A
signed-in member (or a bearer token's) gets a copy of their own, keyed also by who they are, kept split at its
CSRF token so that this request's token is joined in, and compressed once beside it so that a reader who takes
gzip is sent it compressed with their token (`forum.caching.member_copies`). Pages that carry a flash message
or set a cookie, errors and anything but GET are never kept.
"""

from __future__ import annotations

import gzip
from typing import Any

import sqlalchemy as sa
from cachelib import BaseCache, NullCache
from flask import Response, current_app, g, request, session

from forum.caching import member_copies
from forum.caching.member_copies import MemberCopy
from forum.caching.memos import FRESH
from forum.caching.pages import CACHE_CONTROL, JSON, PAGES, Page, page_key, query_key, read_versions, vary
from forum.caching.raw_reads import read_one
from forum.caching.verify import RENDER_FRESH, check_held_hit, hold_hit, verifying
from forum.caching.viewer_key import (
    ANONYMOUS,
    ASK_AUTH,
    PAGES_NOT_KEPT,
    Undecided,
    ViewerKey,
    ViewerRead,
    is_anonymous,
    viewer_key,
    viewer_read_for_request,
)
from forum.csrf import csrf_token
from forum.flask_internals import flash_waiting, request_csrf_token

# Where the WSGI middleware leaves the versions it read for the app, on a miss.
VERSIONS_READ = "forum.page_versions"
# A member's page is theirs alone, and holds a CSRF token: no shared cache keeps it.
MEMBER_CACHE_CONTROL = "private, no-store"
# A shared page is kept twice: as it is, and gzip-compressed once for every reader whose browser takes it.
GZIP = ":gzip"
GZIP_MIN = 1024  # smaller pages gain too little from it


_with_viewer: dict[tuple[int, int], sa.Select[Any]] = {}


def read_versions_and_viewer(
    engine: sa.Engine, page: Page, values: dict[str, Any], viewer_read: ViewerRead
) -> tuple[tuple[Any, ...] | None, ViewerKey | Undecided]:
    """The page's versions and the viewer key `viewer_read` says, in one statement: (None, ASK_AUTH) for no page."""
    key = (id(page.statement), id(viewer_read.statement))
    statement = _with_viewer.get(key)
    if statement is None:
        # The page's row beside the viewer's (or beside nulls): a join on nothing but true.
        versions, viewer = page.statement.subquery("page"), viewer_read.statement.subquery("viewer")
        statement = _with_viewer.setdefault(
            key, sa.select(versions, viewer).select_from(versions.outerjoin(viewer, sa.true()))
        )
    row = read_one(engine, statement, {**values, **viewer_read.values})
    if row is None:
        return None, ASK_AUTH
    width = len(page.statement.selected_columns)
    return page.versions(row[:width], values), viewer_read.key(row[width:])


def kept_copy(cache: BaseCache, key: str, takes_gzip: bool) -> tuple[bytes, bool] | None:
    """A kept shared page, gzip-compressed if the reader takes that: (body, compressed), or None."""
    if takes_gzip:
        body = cache.get(key + GZIP)
        if body is not None:
            return body, True
    body = cache.get(key)
    return None if body is None else (body, False)


def keep_copy(cache: BaseCache, key: str, body: bytes) -> bytes | None:
    """Keep a shared page, and its gzip copy beside it (compressed once per version, not per request);
    return that gzip copy, if one was made."""
    if isinstance(cache, NullCache):
        return None  # nothing is kept: compressing every answer afresh is left to the server in front
    copies = {key: body}
    if len(body) >= GZIP_MIN:
        copies[key + GZIP] = gzip.compress(body, compresslevel=6, mtime=0)
    cache.set_many(copies)
    return copies.get(key + GZIP)


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
    if request.method not in ("GET", "HEAD") or page is None or flash_waiting() or FRESH.get():
        return None
    if query_key(page, request.args) is None:
        return None  # answered, never kept: see `query_key`
    state = current_app.extensions["forum"]
    values = request.view_args or {}
    viewer_read = viewer_read_for_request()
    viewer: ViewerKey | Undecided
    if viewer_read is not None:
        versions, viewer = read_versions_and_viewer(state.read_engine, page, values, viewer_read)
        if viewer is ASK_AUTH:
            viewer = viewer_key()
    else:
        viewer = viewer_key()
        read = request.environ.get(VERSIONS_READ)
        if read is not None and read[0] == request.endpoint and read[1] == values:
            versions = read[2]  # read already, by `forum.caching.middleware.CachedPages`, on a miss
        else:
            versions = read_versions(state.read_engine, page, values)
    if versions is None or viewer == PAGES_NOT_KEPT or isinstance(viewer, Undecided):
        return None
    key = cache_key(page, versions if viewer is ANONYMOUS else versions + viewer)
    if key is None:
        return None
    if viewer is not ANONYMOUS:
        g.forum_page_versions = versions  # a member's page may be assembled from the one kept for this version
        return serve_member_copy(state.member_cache, key, page)
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
    """A member's own copy of the page, this request's CSRF token joined in (gzip-compressed if the reader takes
    it); else note what to store."""
    copy = cache.get(key)
    if not isinstance(copy, MemberCopy):  # not kept (or kept otherwise, by an earlier release: rendered afresh)
        g.forum_member_key = key
        return None
    token = csrf_token().encode() if len(copy.parts) > 1 else b""
    body = member_copies.gzipped(copy, token) if request.accept_encodings["gzip"] > 0 else None
    if body is None:
        response = Response(member_copies.plain(copy, token), content_type=page.content_type)
    else:
        response = Response(body, content_type=page.content_type)
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Cache-Control"] = MEMBER_CACHE_CONTROL
    response.headers["Vary"] = vary(page.content_type)
    return hold_hit(response, response.get_data())


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
        compressed = keep_copy(current_app.extensions["forum"].page_cache, key, response.get_data())
        mark_cacheable(response, page, etag)
        if compressed is not None and request.accept_encodings["gzip"] > 0:
            # The first reader gets what every later one will: the copy just compressed and kept.
            response.set_data(compressed)
            response.headers["Content-Encoding"] = "gzip"
    return response


def store_member_copy(key: str, response: Response) -> None:
    """Keep a member's page, split at its CSRF token and compressed, unless it carries something of this
    request only."""
    if not keepable(response):
        return
    token = request_csrf_token()
    body, joined = response.get_data(), token.encode() if token else b""
    copy = g.pop("forum_member_copy", None)  # assembled and compressed in pieces already, if it is this page
    if not isinstance(copy, MemberCopy) or member_copies.plain(copy, joined) != body:
        copy = member_copies.keep(body, token.encode() if token else None)
    current_app.extensions["forum"].member_cache.set(key, copy)
    response.headers["Cache-Control"] = MEMBER_CACHE_CONTROL
    if request.accept_encodings["gzip"] > 0:
        # The first reading is sent as every later one will be: the copy just compressed and kept.
        compressed = member_copies.gzipped(copy, token.encode() if token else b"")
        if compressed is not None:
            response.set_data(compressed)
            response.headers["Content-Encoding"] = "gzip"


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
        and not flash_waiting()
    )
