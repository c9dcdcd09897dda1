"""The forum's own accounts, for a site whose host app has no users of its own (the standalone site)."""

from __future__ import annotations

import sqlalchemy.orm as so
from flask import Flask
from flask_login import LoginManager

from forum.accounts.views import blueprint
from forum.auth import account_key, parse_account_id, session_is_current, split_session_id
from forum.db import get_session
from forum.models import Account, Member
from forum.ratelimit import apply_limits
from forum.usernames import require_icu

# The account rules themselves live with the other sign-in rules, in `forum.auth`; named here as before.
__all__ = ["Accounts", "account_key", "load_account", "load_session_user", "parse_account_id"]


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
        # Without ICU, look-alike names could not be told apart: better not to start.
        require_icu()
        manager = LoginManager(app)
        manager.login_view = "forum_accounts.login"
        manager.login_message = "Sign in to continue."
        manager.user_loader(load_session_user)
        # Sessions name an account by id and session token; the forum keeps members by id alone.
        app.config["FORUM_USER_ID"] = app.config["FORUM_USER_ID"] or account_key
        app.config["FORUM_LOAD_USER"] = app.config["FORUM_LOAD_USER"] or load_account
        app.extensions["forum_accounts"] = manager
        app.register_blueprint(blueprint, url_prefix=app.config["FORUM_URL_PREFIX"] or None)
        apply_limits(app, app.extensions["forum"].limiter)


def load_account(user_id: str) -> Account | None:
    """The account with that id, if any."""
    account_id = parse_account_id(user_id)
    return None if account_id is None else get_session().get(Account, account_id)


def load_session_user(session_id: str) -> Account | None:
    """Flask-Login's user loader: the account, while the session token in its id is still current."""
    account_id, token = split_session_id(session_id)
    # The member comes in the same statement, with the bell's count (`Member.unread_notifications`).
    loaded = [so.joinedload(Account.member).undefer(Member.unread_notifications)]
    account = None if account_id is None else get_session().get(Account, account_id, options=loaded)
    if account is None or not session_is_current(account.session_token, token):
        return None
    return account
