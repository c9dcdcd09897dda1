"""A WSGI middleware answering cookie-less readers' cached pages before the Flask app runs at all.

Inside Flask, `forum.caching.serving.serve_cached` already answers anonymous readers from the cache, but only
after the request context, the session, the host's and the rate limiter's hooks. A request that carries no
cookie and no bearer token (and cannot be signed in by a host's request loader) is anonymous whatever those
would say, so this middleware reads the page's versions, answers 304 or the cached page (gzip-compressed
if the reader takes it) with the forum's own headers (`forum.security`, `forum.requestid`), and leaves every
other request, and every miss, to the app. It is app-wide, and a host's hooks do not run for its answers, so
the site (or a host) chooses it: `app.wsgi_app = CachedPages(app, app.wsgi_app)`.

Its own work is kept to the least a hit needs, since it is all a hit costs besides the read: which page a path
is (Flask's URL map asked once per path and remembered, the map being fixed once the app serves), whether
a browser takes gzip (once per distinct header) and the headers every answer of a content type carries (once per
scheme and content policy) are looked up, and the rest of the answer's headers are written straight from the
environ, without a request object.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from flask import Request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_accept_header, parse_etags

from forum.caching.pages import CACHE_CONTROL, JSON, PAGES, Page, page_key, query_key, read_versions, vary
from forum.caching.serving import VERSIONS_READ, kept_copy
from forum.caching.verify import verify_fast_hit
from forum.flask_internals import csrf_field_name, signs_in_from_request
from forum.requestid import request_id_from
from forum.security import security_headers

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment
    from flask import Flask


# A remembered match: the kept page's endpoint, the URL's values, and the request's script root and path.
Match = tuple[str, Mapping[str, Any], str, str]
# What the fast path remembers stays small whatever the paths asked for: each memo starts afresh when full.
PATHS_REMEMBERED = 2048
LONGEST_PATH_REMEMBERED = 256  # a kept page's path is far shorter; a longer one is matched each time
ENCODINGS_REMEMBERED = 256
HEADERS_REMEMBERED = 16
NO_QUERY: MultiDict[str, str] = MultiDict()


class CachedPages:
    """Answer a cookie-less GET of a cached forum page from the cache; pass everything else on."""

    def __init__(self, app: Flask, wsgi_app: WSGIApplication) -> None:
        self.app = app
        self.wsgi_app = wsgi_app
        # By method, host, script root, path and scheme: the kept page a URL names, or None for any other.
        self.matches: dict[tuple[Any, ...], Match | None] = {}
        # By Accept-Encoding header: whether it takes gzip.
        self.takes_gzip: dict[str, bool] = {}
        # By content type, scheme and content policy: the headers every such answer carries.
        self.headers: dict[tuple[str, bool, Any], tuple[tuple[str, str], ...]] = {}
        self.lock = threading.Lock()

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
        match = self.match(environ)
        if match is None:
            return self.wsgi_app(environ, start_response)
        endpoint, values, script_root, path = match
        page = PAGES[endpoint]
        args = Request(environ).args if environ.get("QUERY_STRING") else NO_QUERY
        # A query the page does not read is answered by the app and never kept: no need to look.
        if query_key(page, args) is None:
            return self.wsgi_app(environ, start_response)
        state = self.app.extensions["forum"]
        versions = read_versions(state.read_engine, page, values)
        if versions is None:
            return self.wsgi_app(environ, start_response)
        prefix = self.app.config["FORUM_CACHE_KEY_PREFIX"]
        key = page_key(prefix, page, script_root, path, args, versions)
        if key is None:
            return self.wsgi_app(environ, start_response)
        etag = key[len(prefix):]
        verify = self.app.config.get("FORUM_CACHE_VERIFY")
        field = csrf_field_name(self.app) if verify else ""
        if_none_match = environ.get("HTTP_IF_NONE_MATCH")
        if if_none_match and parse_etags(if_none_match).contains_weak(etag):
            shown = kept_copy(state.page_cache, key, False) if verify else None
            if verify and (problem := verify_fast_hit(self.wsgi_app, environ, shown[0] if shown else None, field)):
                return self.stale(start_response, problem)
            return self.answer(start_response, environ, page, etag, "304 Not Modified", b"")
        kept = kept_copy(state.page_cache, key, self.accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")))
        if kept is None:
            environ[VERSIONS_READ] = (endpoint, values, versions)
            return self.wsgi_app(environ, start_response)
        if verify and (problem := verify_fast_hit(self.wsgi_app, environ, kept[0], field)):
            return self.stale(start_response, problem)
        return self.answer(start_response, environ, page, etag, "200 OK", *kept)

    def match(self, environ: WSGIEnvironment) -> Match | None:
        """The kept page this request's URL names, as Flask's URL map says (asked once per URL); else None."""
        where = (
            environ.get("REQUEST_METHOD"), environ.get("HTTP_HOST"), environ.get("SERVER_NAME"),
            environ.get("SERVER_PORT"), environ.get("SCRIPT_NAME"), environ.get("PATH_INFO"),
            environ.get("wsgi.url_scheme"),
        )
        try:
            return self.matches[where]
        except KeyError:
            pass
        request = Request(environ)
        found: Match | None = None
        try:
            adapter = self.app.create_url_adapter(request)
            if adapter is not None:
                endpoint, values = adapter.match()
                if endpoint in PAGES:
                    found = (endpoint, values, request.script_root, request.path)
        except HTTPException:  # no such page, a redirect, or a host the app does not trust: the app answers
            pass
        if len(environ.get("PATH_INFO", "")) <= LONGEST_PATH_REMEMBERED:
            with self.lock:
                if len(self.matches) >= PATHS_REMEMBERED:
                    self.matches.clear()
                self.matches[where] = found
        return found

    def accepts_gzip(self, header: str) -> bool:
        """Whether an Accept-Encoding header takes gzip (each distinct header parsed once)."""
        try:
            return self.takes_gzip[header]
        except KeyError:
            pass
        takes = parse_accept_header(header)["gzip"] > 0
        with self.lock:
            if len(self.takes_gzip) >= ENCODINGS_REMEMBERED:
                self.takes_gzip.clear()
            self.takes_gzip[header] = takes
        return takes

    def stale(self, start_response: StartResponse, problem: str) -> list[bytes]:
        """Verify mode's answer to a hit that differs from its page rendered afresh (`forum.caching.verify`)."""
        start_response("500 INTERNAL SERVER ERROR", [("Content-Type", "text/plain; charset=utf-8")])
        return [f"Stale cached page:\n{problem}\n".encode()]

    def fixed_headers(self, page: Page, secure: bool) -> tuple[tuple[str, str], ...]:
        """The headers every answer of this kind of page carries, built once per content type, scheme and policy."""
        policy = self.app.config["FORUM_CONTENT_SECURITY_POLICY"]
        where = (page.content_type, secure, policy)
        try:
            return self.headers[where]
        except KeyError:
            pass
        headers = (
            ("Content-Type", page.content_type),
            ("Cache-Control", CACHE_CONTROL),
            ("Vary", vary(page.content_type)),
            *security_headers(self.app.config, json=page.content_type == JSON, secure=secure),
        )
        with self.lock:
            if len(self.headers) >= HEADERS_REMEMBERED:  # only a host changing its policy again and again
                self.headers.clear()
            self.headers[where] = headers
        return headers

    def answer(
        self, start_response: StartResponse, environ: WSGIEnvironment, page: Page, etag: str, status: str,
        body: bytes, compressed: bool = False,
    ) -> list[bytes]:
        """The cached page (or its 304) with the headers the forum gives its pages."""
        headers: list[tuple[str, Any]] = [
            *self.fixed_headers(page, environ.get("wsgi.url_scheme") == "https"),
            ("ETag", f'W/"{etag}"'),
            ("X-Request-ID", request_id_from(environ.get("HTTP_X_REQUEST_ID", ""))),
        ]
        if compressed:
            headers.append(("Content-Encoding", "gzip"))
        ok = status.startswith("200")
        if ok:
            headers.append(("Content-Length", str(len(body))))
        start_response(status, headers)
        return [b""] if environ.get("REQUEST_METHOD") == "HEAD" or not ok else [body]
