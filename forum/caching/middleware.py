"""A WSGI middleware answering cookie-less readers' cached pages before the Flask app runs at all.

Inside Flask, `forum.caching.serving.serve_cached` already answers anonymous readers from the cache, but only
after the request context, the session, the host's and the rate limiter's hooks. A request that carries no
cookie and no bearer token (and cannot be signed in by a host's request loader) is anonymous whatever those
would say, so this middleware reads the page's versions, answers 304 or the cached page (gzip-compressed
if the reader takes it) with the forum's own headers (`forum.security`, `forum.requestid`), and leaves every
other request, and every miss, to the app. It is app-wide, and a host's hooks do not run for its answers, so
the site (or a host) chooses it: `app.wsgi_app = CachedPages(app, app.wsgi_app)`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from flask import Request
from werkzeug.exceptions import HTTPException

from forum.caching.pages import CACHE_CONTROL, JSON, PAGES, Page, page_key, query_key, read_versions, vary
from forum.caching.serving import VERSIONS_READ, kept_copy
from forum.caching.verify import verify_fast_hit
from forum.flask_internals import csrf_field_name, signs_in_from_request
from forum.requestid import request_id_from
from forum.security import security_headers

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
        return manager is None or signs_in_from_request(manager)

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if (
            environ.get("REQUEST_METHOD") not in ("GET", "HEAD")
            or environ.get("HTTP_COOKIE")
            or environ.get("HTTP_AUTHORIZATION")  # a bearer token: the API's reader is its member
            or self.signs_in_without_cookies()
        ):
            return self.wsgi_app(environ, start_response)
        request = Request(environ)
        adapter = self.app.create_url_adapter(request)
        if adapter is None:
            return self.wsgi_app(environ, start_response)
        try:
            endpoint, values = adapter.match()
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
        field = csrf_field_name(self.app)
        if request.if_none_match.contains_weak(etag):
            shown = kept_copy(state.page_cache, key, False) if verify else None
            if verify and (problem := verify_fast_hit(self.wsgi_app, environ, shown[0] if shown else None, field)):
                return self.stale(start_response, problem)
            return self.answer(start_response, request, page, etag, "304 Not Modified", b"")
        kept = kept_copy(state.page_cache, key, request.accept_encodings["gzip"] > 0)
        if kept is None:
            environ[VERSIONS_READ] = (endpoint, values, versions)
            return self.wsgi_app(environ, start_response)
        if verify and (problem := verify_fast_hit(self.wsgi_app, environ, kept[0], field)):
            return self.stale(start_response, problem)
        return self.answer(start_response, request, page, etag, "200 OK", *kept)

    def stale(self, start_response: StartResponse, problem: str) -> list[bytes]:
        """Verify mode's answer to a hit that differs from its page rendered afresh (`forum.caching.verify`)."""
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"Stale cached page:\n{problem}\n".encode()]

    def answer(
        self, start_response: StartResponse, request: Request, page: Page, etag: str, status: str, body: bytes,
        compressed: bool = False,
    ) -> list[bytes]:
        """The cached page (or its 304) with the headers the forum gives its pages."""
        headers: list[tuple[str, Any]] = [
            ("Content-Type", page.content_type),
            ("ETag", f'W/"{etag}"'),
            ("Cache-Control", CACHE_CONTROL),
            ("Vary", vary(page.content_type)),
            *security_headers(self.app.config, json=page.content_type == JSON, secure=request.is_secure),
            ("X-Request-ID", request_id_from(request.headers.get("X-Request-ID", ""))),
        ]
        if compressed:
            headers.append(("Content-Encoding", "gzip"))
        if status.startswith("200"):
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [b""] if request.method == "HEAD" or not status.startswith("200") else [body]
