"""Verify mode (`FORUM_CACHE_VERIFY`): every cache hit is also rendered afresh, and the two must agree.

A hit found by `forum.caching.serving.serve_cached` (a shared page, its 304, or a member's own copy) is held
while the view renders the page past every cache and memo; `check_held_hit` then compares the two and
answers the hit, or a 500 with the difference logged. The WSGI fast path (`forum.caching.middleware`) asks the app
for the fresh rendering itself (`fresh_rendering`). What may differ between two renderings of one state is
set aside: CSRF tokens and the relative words of times ("3 days ago"). Off by default: it renders every hit.
"""

from __future__ import annotations

import difflib
import gzip
import logging
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from flask import Response, current_app, g

from forum.caching.memos import FRESH
from forum.flask_internals import csrf_field_name

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIApplication, WSGIEnvironment

log = logging.getLogger(__name__)
# Set by the fast path in the environ of the request it sends on to be rendered afresh.
RENDER_FRESH = "forum.render_fresh"
DEFAULT_CSRF_FIELD = "csrf_token"
AGO = re.compile(r'(<time class="ago" [^>]*>)[^<]*(</time>)')


def verifying() -> bool:
    """Whether this app renders its cache hits afresh to compare them."""
    return bool(current_app.config.get("FORUM_CACHE_VERIFY"))


def hold_hit(hit: Response, kept: bytes | None) -> Response | None:
    """In verify mode, keep the hit (and the body it stands for) for `check_held_hit` and let the page be
    rendered afresh (None); else the hit itself."""
    if not verifying():
        return hit
    g.forum_held_hit = (hit, kept)
    FRESH.set(True)
    return None


def csrf_pattern(field: str) -> re.Pattern[str]:
    """The CSRF token in a page: in forms (under the app's field name) and in the page's meta tag."""
    return re.compile(rf'(name="{re.escape(field)}" value="|<meta name="csrf-token" content=")[^"]*"')


def comparable(body: bytes, field: str = DEFAULT_CSRF_FIELD) -> str:
    """A page's body with what two renderings of one state may differ in set aside."""
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    text = body.decode("utf-8", "replace")
    return AGO.sub(r"\1\2", csrf_pattern(field).sub(r'\1"', text))


def difference(kept: bytes, fresh: bytes, field: str = DEFAULT_CSRF_FIELD) -> str | None:
    """None when a kept page and a fresh rendering agree; else the first lines where they differ."""
    a, b = comparable(kept, field), comparable(fresh, field)
    if a == b:
        return None
    lines = difflib.unified_diff(a.splitlines(), b.splitlines(), "cached", "fresh", n=1, lineterm="")
    return "\n".join(list(lines)[:40])


def stale(path: str, diff: str) -> Response:
    """The answer to a hit that differs from its page rendered afresh: logged, and a 500."""
    log.error("The cached page of %s is not the page as rendered now:\n%s", path, diff)
    return Response(f"Stale cached page at {path}:\n{diff}\n", status=500, content_type="text/plain; charset=utf-8")


def check_held_hit(response: Response, path: str) -> Response:
    """After the fresh rendering of a held hit: the hit when both agree, else a 500 (`stale`)."""
    FRESH.set(False)
    held = g.pop("forum_held_hit", None)
    if held is None:
        return response
    hit, kept = held
    if response.status_code != 200:
        return stale(path, f"rendered afresh: {response.status}")
    diff = difference(kept, response.get_data(), csrf_field_name()) if kept is not None else None
    return hit if diff is None else stale(path, diff)


def fresh_rendering(wsgi_app: WSGIApplication, environ: WSGIEnvironment) -> tuple[str, bytes]:
    """The app's answer to this request rendered past the cache: its status line and body."""
    given = dict(environ, **{RENDER_FRESH: True})
    given.pop("HTTP_IF_NONE_MATCH", None)
    given.pop("HTTP_ACCEPT_ENCODING", None)
    status: list[str] = []

    def start_response(line: str, _headers: list[tuple[str, str]], _exc_info: Any = None) -> Callable[[bytes], Any]:
        status.append(line)
        return lambda _data: None

    answer: Iterable[bytes] = wsgi_app(given, start_response)
    try:
        body = b"".join(answer)
    finally:
        close = getattr(answer, "close", None)
        if close is not None:
            close()
    return status[0], body


def verify_fast_hit(
    wsgi_app: WSGIApplication, environ: WSGIEnvironment, kept: bytes | None, field: str = DEFAULT_CSRF_FIELD
) -> str | None:
    """For a hit the fast path found: None when the page rendered afresh agrees with it, else the difference.
    `field` is the app's CSRF field name (the fast path runs outside the app context)."""
    status, body = fresh_rendering(wsgi_app, environ)
    if not status.startswith("200"):
        return f"rendered afresh: {status}"
    diff = difference(kept, body, field) if kept is not None else None
    if diff is not None:
        log.error("The cached page of %s is not the page as rendered now:\n%s", environ.get("PATH_INFO"), diff)
    return diff
