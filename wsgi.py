"""The standalone site: the forum mounted at "/", with the forum's own accounts and this site's layout."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from forum import Forum
from forum.accounts import Accounts
from forum.caching.middleware import CachedPages
from forum.security import add_security_headers
from forum.static_versions import version_static_urls

if TYPE_CHECKING:
    from collections.abc import Iterable

    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def secret_key(instance_path: str) -> str:
    """`SECRET_KEY` from the environment, else one made once and kept in the instance folder."""
    if key := os.environ.get("SECRET_KEY"):
        return key
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


class SecureCookies:
    """Over HTTPS every cookie the site sets is `Secure`; over plain HTTP (local runs) it cannot be.

    A WSGI middleware rather than an `after_request` hook: Flask saves the session, and Flask-Login
    sets its remember cookie, only after the app's own `after_request` hooks have run.
    """

    def __init__(self, wsgi_app: WSGIApplication) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("wsgi.url_scheme") != "https":
            return self.wsgi_app(environ, start_response)

        def start_secure_response(status: str, headers: list[tuple[str, str]], *args: Any) -> Any:
            headers = [
                (name, f"{value}; Secure")
                if name.lower() == "set-cookie" and "; secure" not in value.lower()
                else (name, value)
                for name, value in headers
            ]
            return start_response(status, headers, *args)

        return self.wsgi_app(environ, start_secure_response)


def mail_environment() -> dict[str, Any]:
    """The mail settings the environment gives (`FORUM_MAIL_*`, `FORUM_SITE_URL`); unset ones keep their defaults."""
    env = os.environ
    found: dict[str, Any] = {}
    for name in ("FORUM_MAIL_SERVER", "FORUM_MAIL_USERNAME", "FORUM_MAIL_PASSWORD", "FORUM_MAIL_SENDER",
                 "FORUM_SITE_URL"):
        if env.get(name):
            found[name] = env[name]
    if env.get("FORUM_MAIL_PORT"):
        found["FORUM_MAIL_PORT"] = int(env["FORUM_MAIL_PORT"])
    if env.get("FORUM_MAIL_USE_TLS"):
        found["FORUM_MAIL_USE_TLS"] = env["FORUM_MAIL_USE_TLS"].strip().lower() in ("1", "true", "yes", "on")
    return found


def create_app(config: dict | None = None) -> Flask:
    """Build the standalone site; `config` overrides settings (tests use it)."""
    app = Flask(__name__, instance_path=os.environ.get("FORUM_INSTANCE_PATH") or None)
    app.config.update(
        FORUM_URL_PREFIX="",
        FORUM_DATABASE_URL=os.environ.get("DATABASE_URL"),
        FORUM_SITE_NAME=os.environ.get("FORUM_SITE_NAME", "Paragraphs"),
        # With several workers or hosts, point this at Redis so that they share one count.
        FORUM_RATELIMIT_STORAGE_URI=os.environ.get("FORUM_RATELIMIT_STORAGE_URI", "memory://"),
        # Likewise the anonymous readers' page cache (redis://...), else each worker keeps its own.
        FORUM_CACHE_URL=os.environ.get("FORUM_CACHE_URL", "memory://"),
        # Live threads' events (redis://...), else each process tells only its own streams.
        FORUM_EVENTS_URL=os.environ.get("FORUM_EVENTS_URL") or None,
        FORUM_BASE_TEMPLATE="layout.html",
        # The site's layout shows nothing of the member but the forum's account menu.
        FORUM_SHARED_MEMBER_PAGES=True,
        **mail_environment(),
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)
    Forum(app)
    Accounts(app)
    # The site's own stylesheet is linked by its content's hash too, as the forum's files are.
    version_static_urls(app, "static", str(app.static_folder))
    # Readers without cookies get cached pages before the app runs; see forum/caching/middleware.py.
    app.wsgi_app = CachedPages(app, app.wsgi_app)  # type: ignore[method-assign]
    app.wsgi_app = SecureCookies(app.wsgi_app)  # type: ignore[method-assign]
    # The whole site is the forum, so its own pages (a 404 for an unknown path, /static) get the headers too.
    app.after_request(add_security_headers)
    if proxies := int(os.environ.get("FORUM_TRUSTED_PROXIES", "0")):
        # Behind a reverse proxy, trust its X-Forwarded-* headers (for HTTPS and client addresses).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


app = create_app()
