"""The standalone site: the forum mounted at "/", with the forum's own accounts and this site's layout."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from flask import Flask, Response, request
from werkzeug.middleware.proxy_fix import ProxyFix

from forum import Forum
from forum.accounts import Accounts


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


def mark_cookies_secure(response: Response) -> Response:
    """Over HTTPS every cookie the site sets is `Secure`; over plain HTTP (local runs) it cannot be."""
    if request.is_secure:
        cookies = response.headers.getlist("Set-Cookie")
        response.headers.remove("Set-Cookie")
        for cookie in cookies:
            secure = "; secure" in cookie.lower()
            response.headers.add("Set-Cookie", cookie if secure else f"{cookie}; Secure")
    return response


def create_app(config: dict | None = None) -> Flask:
    """Build the standalone site; `config` overrides settings (tests use it)."""
    app = Flask(__name__, instance_path=os.environ.get("FORUM_INSTANCE_PATH") or None)
    app.config.update(
        FORUM_URL_PREFIX="",
        FORUM_DATABASE_URL=os.environ.get("DATABASE_URL"),
        FORUM_SITE_NAME=os.environ.get("FORUM_SITE_NAME", "Paragraphs"),
        FORUM_BASE_TEMPLATE="layout.html",
        SESSION_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_SAMESITE="Lax",
        REMEMBER_COOKIE_HTTPONLY=True,
    )
    app.config.update(config or {})
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key(app.instance_path)
    Forum(app)
    Accounts(app)
    app.after_request(mark_cookies_secure)
    if proxies := int(os.environ.get("FORUM_TRUSTED_PROXIES", "0")):
        # Behind a reverse proxy, trust its X-Forwarded-* headers (for HTTPS and client addresses).
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)
    return app


app = create_app()
