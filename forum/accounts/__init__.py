"""The forum's own accounts, for a site whose host app has no users of its own (the standalone site)."""

from __future__ import annotations

from flask import Flask
from flask_login import LoginManager

from forum.db import get_session
from forum.models import Account


class Accounts:
    """Sign-in, registration and passwords: `Accounts(app)` after `Forum(app)`."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Give `app` a login manager that loads forum accounts, and the account pages."""
        if "forum" not in app.extensions:
            raise RuntimeError("Register the forum first: Forum(app), then Accounts(app).")
        if "forum_accounts" in app.extensions:
            raise RuntimeError("The forum's accounts are already registered on this app.")
        from forum.accounts.views import blueprint

        manager = LoginManager(app)
        manager.login_view = "forum_accounts.login"
        manager.login_message = "Sign in to continue."
        manager.user_loader(load_account)
        app.extensions["forum_accounts"] = manager
        app.register_blueprint(blueprint, url_prefix=app.config["FORUM_URL_PREFIX"] or None)


def load_account(user_id: str) -> Account | None:
    """Flask-Login's user loader: the account with that id, if any."""
    if not user_id.isdigit():
        return None
    return get_session().get(Account, int(user_id))
