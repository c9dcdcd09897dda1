"""The one module that reads or writes private state of Flask, Flask-Login and Flask-WTF.

The read path answers before Flask-Login loads anyone and splits kept pages at Flask-WTF's token, so it
must know where those libraries keep things. Each function here says, in the forum's words, what is read;
every other module calls these. `pyproject.toml` bounds the three releases this was checked against
(`tests/test_dependency_bounds.py` holds the installed ones to them): read this module again before
widening a bound.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Flask, current_app, g, session
from flask_login import LoginManager, current_user
from flask_login.utils import _user_context_processor

# Flask keeps flashed messages in the session under this key until a page shows them.
FLASHES = "_flashes"
# Flask-Login keeps the signed-in user's id in the session under this key ...
USER_ID = "_user_id"
# ... and, under this one, an identifier of the browser the session was signed in from.
BROWSER_ID = "_id"


def flash_waiting() -> bool:
    """Whether the session holds a flashed message that a page has not shown yet."""
    return FLASHES in session and bool(session[FLASHES])


def session_signed_in() -> bool:
    """Whether Flask-Login keeps a user id in this session (someone signed in on it)."""
    return USER_ID in session


def session_user_id() -> str:
    """The user id Flask-Login keeps in this session ("" when none)."""
    return str(session.get(USER_ID, ""))


def same_browser(manager: LoginManager) -> bool:
    """Whether the session was signed in from this browser, as Flask-Login's session protection tells it."""
    return bool(session.get(BROWSER_ID) == manager._session_identifier_generator())


def signs_in_from_request(manager: LoginManager) -> bool:
    """Whether the host gave the login manager a loader that signs a request in from the request itself."""
    return manager._request_callback is not None or getattr(manager, "_header_callback", None) is not None


def user_loader(manager: LoginManager | None) -> Callable[[str], Any] | None:
    """The user loader a host gave its login manager, if any."""
    return getattr(manager, "_user_callback", None)


def puts_current_user(processor: Callable[..., Any]) -> bool:
    """Whether a template context processor is Flask-Login's, which puts (and so loads) `current_user`."""
    return processor is _user_context_processor


def signed_in_user() -> Any:
    """The signed-in user itself rather than Flask-Login's proxy to it (for `isinstance` and identity)."""
    return current_user._get_current_object()


def csrf_field_name(app: Flask | None = None) -> str:
    """The name under which Flask-WTF keeps the CSRF secret in the session and this request's token on `g`."""
    return str((app or current_app).config.get("WTF_CSRF_FIELD_NAME", "csrf_token"))


def request_csrf_token() -> str | None:
    """The signed CSRF token Flask-WTF made for this request, if a page asked for one."""
    token = g.get(csrf_field_name())
    return None if token is None else str(token)


def replace_csrf_secret(secret: str) -> None:
    """Give the session a new CSRF secret, and forget the token this request signed with the old one."""
    name = csrf_field_name()
    session[name] = secret
    g.pop(name, None)


def run_first_on_blueprint(
    app: Flask, blueprint: str, before: Callable[[], Any], after: Callable[[Any], Any]
) -> None:
    """Run `before` first of the blueprint's request hooks on `app`, and `after` last of its response hooks."""
    # Flask runs a blueprint's after-request hooks in reverse order of registration: first in runs last.
    app.before_request_funcs.setdefault(blueprint, []).insert(0, before)
    app.after_request_funcs.setdefault(blueprint, []).insert(0, after)
