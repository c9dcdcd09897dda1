"""Who is asking: the viewer of a request, from a bearer token or Flask-Login's `current_user`.

The rules here are the only ones: the cached pages' one-statement read of who asks (`forum.caching.viewer_key`)
is built from the same pieces (a live token, an account's session, `Member.acting_role`, `Account.user_key`)
and says what of a viewer their pages show with `page_identity`.
"""

from __future__ import annotations

import hmac
import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, request
from flask_login import current_user

from forum.db import get_session
from forum.errors import Forbidden, NotAuthenticated
from forum.flask_internals import signed_in_user
from forum.models import Account, Member, Role
from forum.services import members, tokens


@dataclass(frozen=True)
class Viewer:
    """The person behind a request; anonymous when `user_id` is None."""

    user_id: str | None = None
    name: str = ""
    role: Role | None = None
    member: Member | None = None
    via_token: bool = False
    # The bell's count: the member's unread notification lines, read with the member.
    unread: int = 0

    @property
    def is_authenticated(self) -> bool:
        """Whether the request comes from a signed-in user or a valid token."""
        return self.user_id is not None

    def has_role(self, role: Role) -> bool:
        """Whether the viewer holds `role` or one above it."""
        return self.role is not None and self.role.rank >= role.rank


ANONYMOUS = Viewer()


def page_identity(member_id: int, role: Role | str | None, name: str, unread: int | None) -> tuple[Any, ...]:
    """What of a member their pages show, as part of a kept page's key: id, acting role ('' once removed), name
    and the bell's unread count.

    The count is in the key, not in any page's version: a new notification (or one read) moves the copies of
    that member alone, at once, and no member's copy is ever another's.
    """
    return ("member", member_id, role or "", name, unread or 0)


ACCOUNT_ID = re.compile(r"[1-9][0-9]{0,9}")
MAX_ACCOUNT_ID = 2**31 - 1  # the largest id an integer column holds on every database


def parse_account_id(text: str) -> int | None:
    """The account id `text` names, if any."""
    # Only an id written as the account writes its own ("7", not "007" or "²") names an account.
    if not ACCOUNT_ID.fullmatch(text) or int(text) > MAX_ACCOUNT_ID:
        return None
    return int(text)


def split_session_id(session_id: str) -> tuple[int | None, str]:
    """The account id and session token a session's user id holds (`Account.get_id` writes both)."""
    text, _, token = session_id.partition(":")
    return parse_account_id(text), token


def session_is_current(session_token: str | None, token: str) -> bool:
    """Whether a session's token is still the account's (a password change or sign-out elsewhere ends it)."""
    return session_token is not None and hmac.compare_digest(session_token, token)


def account_key(account: Account) -> str:
    """The lasting id of an account, under which the forum keeps its member."""
    return account.user_key


def display_name(user: Any) -> str:
    """The name shown for a host's user: `FORUM_DISPLAY_NAME(user)`, else its usual name attributes."""
    custom = current_app.config.get("FORUM_DISPLAY_NAME")
    if custom is not None:
        return str(custom(user))
    for attribute in ("display_name", "name", "username"):
        value = getattr(user, attribute, None)
        if value:
            return str(value)
    return str(user)


API_BLUEPRINT = "forum.api"


def is_api_request() -> bool:
    """Whether the request is for the JSON API, the only part of the forum that takes bearer tokens."""
    return request.blueprint == API_BLUEPRINT


def user_key(user: Any) -> str:
    """The lasting id of a host's user: `FORUM_USER_ID(user)`, else Flask-Login's `get_id()`."""
    custom = current_app.config.get("FORUM_USER_ID")
    return str(custom(user) if custom is not None else user.get_id())


def bearer_secret() -> str | None:
    """The token of an `Authorization: Bearer` header, if the request carries one."""
    header = request.headers.get("Authorization", "")
    scheme, _, secret = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return secret.strip()


def require_login_manager() -> None:
    """Fail loudly when the host app never set up Flask-Login, which the forum reads users from."""
    if not hasattr(current_app, "login_manager"):
        raise RuntimeError(
            "The forum reads the signed-in user from Flask-Login, but this app has no login "
            "manager: create one with LoginManager(app) (or use forum.accounts.Accounts(app) "
            "for the forum's own accounts) before serving forum pages."
        )


def current_viewer() -> Viewer:
    """The viewer of this request, resolved once and kept on `g`."""
    if "forum_viewer" not in g:
        g.forum_viewer = _resolve_viewer()
    viewer: Viewer = g.forum_viewer
    return viewer


def _resolve_viewer() -> Viewer:
    """Resolve the viewer: on the API a bearer token wins over the browser session; pages use the session."""
    session = get_session()
    secret = bearer_secret() if is_api_request() else None
    if secret is not None:
        holder = tokens.member_for_token(session, secret)
        return Viewer(holder.user_id, holder.name, holder.acting_role, holder, via_token=True,
                      unread=holder.unread_notifications)

    require_login_manager()
    if not current_user or not current_user.is_authenticated:
        return ANONYMOUS
    user_id = user_key(current_user)
    user = signed_in_user()
    if isinstance(user, Account) and user_id == user.user_key:
        member = user.member  # loaded with the account
    else:
        member = session.scalar(
            sa.select(Member).where(Member.user_id == user_id).options(so.undefer(Member.unread_notifications))
        )
    # A signed-in user the forum has not stored yet is a member; the row comes with their first write.
    role = member.acting_role if member else Role.MEMBER
    unread = member.unread_notifications if member else 0
    return Viewer(user_id, display_name(current_user), role, member, unread=unread)


def require_role(viewer: Viewer, role: Role = Role.MEMBER) -> None:
    """Raise unless the viewer is signed in and holds `role`."""
    if not viewer.is_authenticated:
        raise NotAuthenticated("Sign in to do this.")
    if viewer.role is None:
        raise Forbidden(members.REMOVED)
    if not viewer.has_role(role):
        raise Forbidden(f"Only {role.with_article} may do this.")


def acting_member(viewer: Viewer) -> Member:
    """The stored member behind a signed-in viewer, created (with their current name) on first write."""
    require_role(viewer)
    assert viewer.user_id is not None
    return members.ensure_member(get_session(), viewer.user_id, viewer.name)
