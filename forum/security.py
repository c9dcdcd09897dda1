"""Guards on the forum's own routes: a cap on request bodies, a strict Content-Security-Policy and more."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import RequestURITooLarge
from werkzeug.urls import iri_to_uri

from forum.errors import ForumError
from forum.jsonbody import strings_in

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# JSON is never a document to render, so it may load nothing at all.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def limit_request_size() -> None:
    """Refuse bodies over `FORUM_MAX_CONTENT_LENGTH` with 413, on the forum's routes only."""
    request.max_content_length = current_app.config["FORUM_MAX_CONTENT_LENGTH"]


def request_target_length() -> int:
    """The length of the address as the client sent it (path and query string), in bytes.

    Servers that keep the request line's target say so (`RAW_URI` in gunicorn, `REQUEST_URI` in Werkzeug's);
    otherwise the address is quoted again from what the server decoded.
    """
    environ = request.environ
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        return len(str(raw))
    target = iri_to_uri(request.script_root + request.path)
    query = environ.get("QUERY_STRING", "")
    return len(target) + (len(query) + 1 if query else 0)


def refuse_long_urls() -> None:
    """Refuse an address longer than `FORUM_MAX_REQUEST_URL` with 414, on the forum's routes only.

    The forum's own limit, below the server's (gunicorn's `limit_request_line`), so that an address too long is
    answered as the forum answers every error: in JSON on the API, as a page elsewhere.
    """
    limit = current_app.config["FORUM_MAX_REQUEST_URL"]
    if request_target_length() > limit:
        raise RequestURITooLarge(f"The address is longer than the {limit:,} characters the forum reads.")


class NulCharacter(ForumError):
    """A text field holds a NUL character, which no database column stores."""

    status = 400
    code = "bad_request"


def holds_nul(value: Any) -> bool:
    """Whether a form or JSON value holds a NUL character anywhere, keys included."""
    return any("\x00" in text for text in strings_in(value))


# Importing reads raw text itself and refuses binary input with its own, clearer message.
NUL_CHECKED_BY_VIEW = frozenset({"forum.import_article", "forum.api.create_article"})


def refuse_nul_characters() -> None:
    """Refuse a request whose text holds NUL: PostgreSQL cannot store it or compare with it, and no one types it.

    The query string is checked on every request (a filter compared in SQL fails as a stored text
    would); the body on writes, JSON or form, names and values alike.
    """
    if holds_nul(list(request.args.items(multi=True))):
        raise NulCharacter("The address may not contain NUL characters (%00).")
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in NUL_CHECKED_BY_VIEW:
        return
    if request.is_json:
        data = request.get_json(silent=True) if request.get_data(cache=True) else None
    else:
        data = list(request.form.items(multi=True))
    if holds_nul(data):
        raise NulCharacter("Text may not contain NUL characters.")


# A forum answer is one person's unless the page cache marks it as the page every anonymous reader shares
# (`Cache-Control: no-cache` and an ETag, `forum.caching.pages`): it may hold a CSRF token, someone's own data
# or a moderator's view, which neither a shared cache nor the browser's history may keep.
PRIVATE = "private, no-store"


def security_headers(config: Mapping[str, Any], *, json: bool, secure: bool) -> list[tuple[str, str]]:
    """The forum's security headers for an answer: its content policy (the API's for JSON) and the rest.

    Used by every forum answer, and by the WSGI middleware that answers kept pages before Flask runs.
    """
    policy = API_POLICY if json else config["FORUM_CONTENT_SECURITY_POLICY"] or PAGE_POLICY
    headers = [
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if secure:
        headers.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    return headers


def add_security_headers(response: Response) -> Response:
    """Add the forum's security headers (and `Cache-Control: private, no-store`), leaving alone any set already."""
    headers = response.headers
    # One pass over the names already there (a missing header costs werkzeug an exception per look-up).
    present = {name.lower() for name, _ in headers}
    if "x-content-type-options" in present and "content-security-policy" in present:
        return response  # set already, by the forum's blueprint or the host
    json = response.mimetype == "application/json"
    wanted = security_headers(current_app.config, json=json, secure=request.is_secure)
    # Static files and the page cache's shared pages set their own, which stays.
    wanted.append(("Cache-Control", PRIVATE))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response
