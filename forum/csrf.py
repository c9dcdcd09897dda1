"""CSRF protection for the forum's own routes, hung on its blueprints rather than on the whole app."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Flask, current_app, request
from flask_wtf.csrf import generate_csrf, validate_csrf
from wtforms import ValidationError

from forum.auth import bearer_secret, current_viewer, is_api_request
from forum.errors import ForumError
from forum.flask_internals import replace_csrf_secret

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
# Forms that a signed link authorises by itself: a mail client's one-click unsubscribe (RFC 8058) posts with no
# cookie and no token, and all it can do is stop that member's digests.
SIGNED_LINK_ENDPOINTS = frozenset({"forum.unsubscribe"})


class CsrfFailed(ForumError):
    """A write riding on the browser session came without a valid CSRF token."""

    status = 400
    code = "csrf_failed"


def csrf_token() -> str:
    """The CSRF token of this session, for forms and the `csrf-token` meta tag."""
    return str(generate_csrf())


def rotate_csrf(_app: Flask, **_extra: Any) -> None:
    """Give the session a new CSRF secret at sign-in and sign-out, so that a token read before is refused after.

    Connected to Flask-Login's `user_logged_in` and `user_logged_out` signals, whoever signs the user in
    (the forum's accounts or a host's own pages). Flask-WTF keeps the secret in the session, and this
    request's signed token on `g`, both under `WTF_CSRF_FIELD_NAME`. The new secret is set at once (not
    merely dropped), so that the first page after signing in leaves the session as it is and may be kept.
    """
    replace_csrf_secret(secrets.token_hex(20))


def protect() -> None:
    """Refuse a session write whose form field or `X-CSRFToken` header does not carry the session's token."""
    if request.method in SAFE_METHODS or not current_app.config.get("WTF_CSRF_ENABLED", True):
        return
    if request.endpoint in SIGNED_LINK_ENDPOINTS:
        return
    # Only the API takes bearer tokens; the HTML forms act on the browser session whatever else is sent.
    if is_api_request():
        # A bearer token is not sent by browsers on their own, so it cannot be forged across sites.
        if bearer_secret() is not None:
            return
        # An API call with no signed-in session (a script trading a password for a token) rides on nothing.
        if not current_viewer().is_authenticated:
            return
    token = request.headers.get("X-CSRFToken") or request.form.get("csrf_token")
    try:
        validate_csrf(token, time_limit=current_app.config["FORUM_CSRF_TIME_LIMIT"])
    except ValidationError as error:
        raise CsrfFailed(
            f"{error} Reload the page and try again (API clients: send the X-CSRFToken header "
            "or use a bearer token)."
        ) from None
