"""Guards on the forum's own routes: a cap on request bodies, a strict Content-Security-Policy and more."""

from __future__ import annotations

from typing import Any

from flask import Response, current_app, request

from forum.errors import ForumError

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# JSON is never a document to render, so it may load nothing at all.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def limit_request_size() -> None:
    """Refuse bodies over `FORUM_MAX_CONTENT_LENGTH` with 413, on the forum's routes only."""
    request.max_content_length = current_app.config["FORUM_MAX_CONTENT_LENGTH"]


class NulCharacter(ForumError):
    """A text field holds a NUL character, which no database column stores."""

    status = 400
    code = "bad_request"


def holds_nul(value: Any) -> bool:
    """Whether a form or JSON value holds a NUL character anywhere."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(holds_nul(k) or holds_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(holds_nul(v) for v in value)
    return False


# Importing reads raw text itself and refuses binary input with its own, clearer message.
NUL_CHECKED_BY_VIEW = frozenset({"forum.import_article", "forum.api.create_article"})


def refuse_nul_characters() -> None:
    """Refuse a write whose text holds NUL: PostgreSQL cannot store it, and no one types it."""
    if request.method in ("GET", "HEAD", "OPTIONS") or request.endpoint in NUL_CHECKED_BY_VIEW:
        return
    data = request.get_json(silent=True) if request.is_json else list(request.form.values())
    if holds_nul(data):
        raise NulCharacter("Text may not contain NUL characters.")


# A forum answer is one person's unless the page cache marks it as the page every anonymous reader shares
# (`Cache-Control: no-cache` and an ETag, `forum.pagecache`): it may hold a CSRF token, someone's own data
# or a moderator's view, which neither a shared cache nor the browser's history may keep.
PRIVATE = "private, no-store"


def add_security_headers(response: Response) -> Response:
    """Add the forum's security headers (and `Cache-Control: private, no-store`), leaving alone any set already."""
    headers = response.headers
    # One pass over the names already there (a missing header costs werkzeug an exception per look-up).
    present = {name.lower() for name, _ in headers}
    if "x-content-type-options" in present and "content-security-policy" in present:
        return response  # set already, by the forum's blueprint or the host
    json = response.mimetype == "application/json"
    policy = API_POLICY if json else current_app.config["FORUM_CONTENT_SECURITY_POLICY"] or PAGE_POLICY
    wanted = [
        ("Content-Security-Policy", policy),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
        # Static files and the page cache's shared pages set their own, which stays.
        ("Cache-Control", PRIVATE),
    ]
    if request.is_secure:
        wanted.append(("Strict-Transport-Security", "max-age=31536000; includeSubDomains"))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response
