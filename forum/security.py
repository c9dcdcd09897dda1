"""Guards on the forum's own routes: a cap on request bodies, a strict Content-Security-Policy and more."""

from __future__ import annotations

from flask import Response, current_app, request

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# JSON is never a document to render, so it may load nothing at all.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


def limit_request_size() -> None:
    """Refuse bodies over `FORUM_MAX_CONTENT_LENGTH` with 413, on the forum's routes only."""
    request.max_content_length = current_app.config["FORUM_MAX_CONTENT_LENGTH"]


def add_security_headers(response: Response) -> Response:
    """Add the forum's security headers, leaving alone any the host set already."""
    json = response.mimetype == "application/json"
    policy = API_POLICY if json else current_app.config["FORUM_CONTENT_SECURITY_POLICY"] or PAGE_POLICY
    headers = response.headers
    headers.setdefault("Content-Security-Policy", policy)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    return response
