"""A host app with users, sign-in, pages and templates of its own, mounting the forum at /community.

It imports nothing from the tests, so the wheel test can run it where only the installed wheel is.
`flask --app host forum db upgrade` finds `create_app`; HOST_FORUM_DATABASE_URL names the database.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, request
from flask_login import LoginManager, UserMixin, login_user

from forum import Forum


class User(UserMixin):
    """One of the host's own users; the forum only ever sees its id and its name."""

    def __init__(self, id: str, display_name: str, email: str) -> None:
        self.id = id
        self.display_name = display_name
        self.email = email


USERS = {
    "1": User("1", "Grace Hopper", "grace@host.example"),
    "2": User("2", "Alan Turing", "alan@host.example"),
}

OVERRIDE_MARKER = "host-override: the host's own forum home"
HOST_NOT_FOUND = "host-404: the host has no such page"


def create_app(
    config: dict[str, Any] | None = None,
    *,
    login_manager: bool = True,
    mount_forum: bool = True,
    instance_path: str | None = None,
) -> Flask:
    """Build the host; the tests switch off its login manager or mount the forum themselves."""
    app = Flask(__name__, instance_path=instance_path)
    app.config.update(
        SECRET_KEY="host secret",
        FORUM_URL_PREFIX="/community",
        FORUM_SITE_NAME="Host community",
    )
    if url := os.environ.get("HOST_FORUM_DATABASE_URL"):
        app.config["FORUM_DATABASE_URL"] = url
    app.config.update(config or {})

    if login_manager:
        manager = LoginManager(app)
        manager.user_loader(USERS.get)
        manager.login_view = "login"

    @app.get("/")
    def home() -> str:
        """The host's own home page."""
        return "host home"

    @app.route("/login", methods=["GET", "POST"])
    def login() -> tuple[str, int] | str:
        """The host's sign-in: no password, no CSRF token, just a user id."""
        user = USERS.get(request.values.get("user_id", ""))
        if user is None:
            return "no such user", 400
        login_user(user)
        return f"signed in as {user.display_name}"

    @app.post("/notes")
    def notes() -> str:
        """A write of the host's own, which knows nothing of the forum's CSRF tokens."""
        return f"noted: {request.form.get('text', '')}"

    @app.errorhandler(404)
    def not_found(_error: Exception) -> tuple[str, int]:
        """The host's own 404 page."""
        return HOST_NOT_FOUND, 404

    if mount_forum:
        Forum(app)
    return app
