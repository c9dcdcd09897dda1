"""Security headers on the forum's own responses: a strict Content-Security-Policy and its companions."""

from __future__ import annotations

from flask import Response, current_app, request

PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
# JSON is never a document to render, so it may load nothing at all.
API_POLICY = "default-src 'none'; frame-ancestors 'none'"


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
