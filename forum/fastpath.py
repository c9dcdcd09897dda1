"""A WSGI middleware answering cookie-less readers' cached pages before the Flask app runs at all.

Inside Flask, `forum.pagecache.serve_cached` already answers anonymous readers from the cache, but only
after the request context, the session, the host's and the rate limiter's hooks. A request that carries no
cookie and no bearer token (and cannot be signed in by a host's request loader) is anonymous whatever those
would say, so this middleware reads the page's versions, answers 304 or the cached page (gzip-compressed
if the reader takes it) with the forum's headers, and leaves every other request, and every miss, to the
app. It is app-wide, so the site (or a host) installs it: `app.wsgi_app = CachedPages(app, app.wsgi_app)`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Request

from forum.cacheverify import verify_fast_hit
from forum.pagecache import (
    CACHE_CONTROL,
    JSON,
    PAGES,
    VERSIONS_READ,
    Page,
    kept_copy,
    page_key,
    query_key,
    read_versions,
    vary,
)
from forum.requestid import GIVEN_ID
from forum.security import API_POLICY, PAGE_POLICY

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask


class CachedPages:
    """Answer a cookie-less GET of a cached forum page from the cache; pass everything else on."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app

    def signs_in_without_cookies(self) -> bool:
        """Whether the host's login manager can sign a request in from its headers alone."""
        manager = getattr(self.app, "login_manager", None)
        return manager is None or manager._request_callback is not None or getattr(
            manager, "_header_callback", None
        ) is not None

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or environ.get("HTTP_COOKIE")
            or environ.get("HTTP_AUTHORIZATION")  # a bearer token: the API's reader is its member
            or self.signs_in_without_cookies()
        ):
            return self.wsgi_app(environ, start_response)
        request = Request(environ)
        try:
            endpoint, values = self.app.create_url_adapter(request).match()
        except HTTPException:
            return self.wsgi_app(environ, start_response)
        page = PAGES.get(endpoint)
        # A query the page does not read is answered by the app and never kept: no need to look.
        if page is None or query_key(page, request.args) is None:
            return self.wsgi_app(environ, start_response)
        state = self.app.extensions["forum"]
        versions = read_versions(state.read_engine, page, values)
        if versions is None:
            return self.wsgi_app(environ, start_response)
        prefix = self.app.config["FORUM_CACHE_KEY_PREFIX"]
        key = page_key(prefix, page, request.script_root, request.path, request.args, versions)
        if key is None:
            return self.wsgi_app(environ, start_response)
        etag = key[len(prefix):]
        verify = self.app.config.get("FORUM_CACHE_VERIFY")
        if request.if_none_match.contains_weak(etag):
            shown = kept_copy(state.page_cache, key, False) if verify else None
            if verify and (problem := verify_fast_hit(self.wsgi_app, environ, shown[0] if shown else None)):
                return self.stale(start_response, problem)
            return self.answer(start_response, request, page, etag, "304 Not Modified", b"")
        kept = kept_copy(state.page_cache, key, request.accept_encodings["gzip"] > 0)
        if kept is None:
            environ[VERSIONS_READ] = (endpoint, values, versions)
            return self.wsgi_app(environ, start_response)
        if verify and (problem := verify_fast_hit(self.wsgi_app, environ, kept[0])):
            return self.stale(start_response, problem)
        return self.answer(start_response, request, page, etag, "200 OK", *kept)

    def stale(self, start_response: StartResponse, problem: str) -> list[bytes]:
        """Verify mode's answer to a hit that differs from its page rendered afresh (`forum.cacheverify`)."""
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"Stale cached page:\n{problem}\n".encode()]

    def answer(
        self, start_response: StartResponse, request: Request, page: Page, etag: str, status: str, body: bytes,
        compressed: bool = False,
    ) -> list[bytes]:
        """The cached page (or its 304) with the headers the forum gives its pages."""
        given = request.headers.get("X-Request-ID", "")
        json = page.content_type == JSON
        headers: list[tuple[str, Any]] = [
            ("Content-Type", page.content_type),
            ("ETag", f'W/"{etag}"'),
            ("Cache-Control", CACHE_CONTROL),
            ("Vary", vary(page.content_type)),
            ("Content-Security-Policy",
             API_POLICY if json else self.app.config["FORUM_CONTENT_SECURITY_POLICY"] or PAGE_POLICY),
            ("X-Content-Type-Options", "nosniff"),
            ("X-Frame-Options", "DENY"),
            ("Referrer-Policy", "strict-origin-when-cross-origin"),
            ("X-Request-ID", given if GIVEN_ID.fullmatch(given) else uuid.uuid4().hex),
        ]
        if request.is_secure:
            headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
        if compressed:
            headers.append(("Content-Encoding", "gzip"))
        if status.startswith("200"):
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [b""] if request.method == "HEAD" or not status.startswith("200") else [body]
