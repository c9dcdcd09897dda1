"""Rate limits on the forum's writes with Flask-Limiter, counted per member (per address before sign-in).

Every limited endpoint is listed in `LIMITS`, in one place; `apply_limits` hangs them on the views, so
that the host's own routes are never counted.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask import Flask, current_app, request
from flask_limiter import Limiter

from forum.auth import current_viewer
from forum.models import utcnow

NEW_MEMBER_AGE = timedelta(days=1)


def client_address() -> str:
    """The client's address (behind a proxy, as ProxyFix reports it)."""
    return f"address:{request.remote_addr}"


def member_key() -> str:
    """The signed-in member, so that many members behind one address are not limited together."""
    viewer = current_viewer()
    return f"member:{viewer.user_id}" if viewer.is_authenticated else client_address()


def account_name_key() -> str:
    """The account a sign-in names, so that guessing one account's password is slow from anywhere."""
    data = request.get_json(silent=True) if request.is_json else request.form
    name = data.get("username") if isinstance(data, dict) else None
    return f"name:{str(name or '').strip().casefold()}"


def setting(name: str) -> Callable[[], str]:
    """The limit in `FORUM_RATELIMIT_<NAME>`, read at request time so a host may change it."""
    return lambda: current_app.config[f"FORUM_RATELIMIT_{name}"]


def posting_limits() -> str:
    """The posting limits of the member: stricter in their first day."""
    config = current_app.config
    member = current_viewer().member
    if member is None or utcnow() - member.created_at < NEW_MEMBER_AGE:
        return f"{config['FORUM_RATELIMIT_POST']}; {config['FORUM_RATELIMIT_POST_NEW_MEMBER']}"
    return config["FORUM_RATELIMIT_POST"]


# endpoint -> [(scope, limit, key, message)]; only POST, PUT, PATCH and DELETE requests count.
SIGN_IN = [
    ("login-address", setting("LOGIN"), client_address, "Too many sign-in attempts from here."),
    ("login-name", setting("LOGIN"), account_name_key, "Too many sign-in attempts for this name."),
]
POSTING = [("post", posting_limits, member_key, "You are posting faster than the forum allows.")]
EDITING = [("edit", setting("EDIT"), member_key, "You are editing faster than the forum allows.")]
VOTING = [("vote", setting("VOTE"), member_key, "You are voting faster than the forum allows.")]
FLAGGING = [("flag", setting("FLAG"), member_key, "You are flagging more than the forum allows in a day.")]
LIMITS = {
    "forum.api.create_token": SIGN_IN,
    "forum_accounts.login": SIGN_IN,
    "forum_accounts.register": [
        ("register", setting("REGISTER"), client_address, "Too many new accounts from here.")
    ],
    "forum.api.post_argument": POSTING,
    "forum.post_argument": POSTING,
    "forum.api.edit_argument": EDITING,
    "forum.save_argument": EDITING,
    "forum.api.vote": VOTING,
    "forum.vote": VOTING,
    "forum.api.flag_argument": FLAGGING,
    "forum.flag_argument": FLAGGING,
}
WRITES = ["POST", "PUT", "PATCH", "DELETE"]


def make_limiter(app: Flask) -> Limiter:
    """The forum's own limiter on `app`; `FORUM_RATELIMIT_STORAGE_URI` (Redis) shares counts between workers."""
    limiter = Limiter(
        key_func=client_address,
        storage_uri=app.config["FORUM_RATELIMIT_STORAGE_URI"],
        strategy="moving-window",
        headers_enabled=True,
        key_prefix=app.config["FORUM_RATELIMIT_KEY_PREFIX"],
        enabled=app.config["FORUM_RATELIMIT_ENABLED"],
    )
    limiter.init_app(app)
    # Reads are never limited: skip the limiter's per-request bookkeeping on them altogether.
    limiter.request_filter(lambda: request.method not in WRITES)
    return limiter


def apply_limits(app: Flask, limiter: Limiter) -> None:
    """Wrap those of the app's views that `LIMITS` names in their limits (this app's views only)."""
    for endpoint, limits in LIMITS.items():
        view = app.view_functions.get(endpoint)
        if view is None or getattr(view, "forum_limited", False):
            continue
        for scope, value, key, message in limits:
            view = limiter.limit(
                value, key_func=key, scope=scope, methods=WRITES,
                error_message=f"{message} Please wait a little and try again.",
            )(view)
        view.forum_limited = True
        app.view_functions[endpoint] = view
