"""Who is asking for a kept page, as part of its key: nobody, a member (by what of them a page shows), or a
viewer whose pages are not kept.

Who the viewer is, is `forum.auth`'s to say, and the usual way asks it (`viewer_key`). For the two sign-ins
the forum issues itself, a bearer token on the API and a session of the forum's own accounts, the same
answer is read in the statement that reads the page's versions, so a kept page costs one query: that
statement is built from `forum.auth`'s own pieces (a live token, `Account.user_key`, `Member.acting_role`,
`split_session_id`, `session_is_current`, `page_identity`), so the two ways cannot disagree. Any other
case (a host's own users, a remember-me cookie, a session whose browser changed) asks `forum.auth`.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from typing import Any, Final, NamedTuple

import sqlalchemy as sa
from flask import current_app, request
from flask_login import current_user

from forum.auth import (
    account_key,
    bearer_secret,
    current_viewer,
    is_api_request,
    page_identity,
    session_is_current,
    split_session_id,
)
from forum.flask_internals import same_browser, session_signed_in, session_user_id, signs_in_from_request
from forum.models import Account, ApiToken, Member
from forum.services.tokens import digest, live_token

# What of a viewer a kept page's key holds: `page_identity`, or one of the two values below.
ViewerKey = tuple[Any, ...] | None
# An anonymous reader: every one shares the one copy of a page.
ANONYMOUS: Final = None
# A viewer whose pages are rendered each time: a signed-in user the forum has not stored yet, or an unknown token.
PAGES_NOT_KEPT: ViewerKey = ()


class Undecided(enum.Enum):
    """What the one-statement read says when it cannot tell who asks."""

    ASK_AUTH = "ask forum.auth"


# The one-statement read could not tell (signed out elsewhere, a member not stored yet): `forum.auth` says.
ASK_AUTH = Undecided.ASK_AUTH

# What the forum's own sign-ins need to name a member: built once, compiled once per process.
TOKEN_MEMBER = (
    sa.select(Member.id, Member.acting_role, Member.name, Member.unread_notifications)
    .join(ApiToken, ApiToken.member_id == Member.id)
    .where(live_token(sa.bindparam("digest")))
)
ACCOUNT_MEMBER = (
    sa.select(Account.session_token, Account.username, Member.id, Member.acting_role, Member.unread_notifications)
    .select_from(Account)
    .outerjoin(Member, Member.user_id == Account.user_key)
    .where(Account.id == sa.bindparam("account_id"))
)


class ViewerRead(NamedTuple):
    """A read of who is asking, to join to a page's versions: its statement, the values it binds, and
    the viewer key its row says."""

    statement: sa.Select  # type: ignore[type-arg]
    values: dict[str, Any]
    key: Callable[[Sequence[Any]], ViewerKey | Undecided]


def token_viewer_key(row: Sequence[Any]) -> ViewerKey:
    """A live token's member, or `PAGES_NOT_KEPT` for an unknown or revoked token (the API answers it 401)."""
    member_id, role, name, unread = row
    return PAGES_NOT_KEPT if member_id is None else page_identity(member_id, role, name, unread)


def account_viewer_key(token: str) -> Callable[[Sequence[Any]], ViewerKey | Undecided]:
    """What a row of `ACCOUNT_MEMBER` says of a session holding `token`."""

    def key(row: Sequence[Any]) -> ViewerKey | Undecided:
        session_token, username, member_id, role, unread = row
        if not session_is_current(session_token, token) or member_id is None:
            return ASK_AUTH  # signed out, or a member not stored yet: `forum.auth` says which
        return page_identity(member_id, role, username, unread)

    return key


def account_viewer_read() -> ViewerRead | None:
    """The read for a session of the forum's own accounts, if this is one (and its browser's own)."""
    # Flask-Login's manager carries no type information: both are Any.
    manager: Any = current_app.extensions.get("forum_accounts")
    app_manager: Any = getattr(current_app, "login_manager", None)
    config = current_app.config
    if (
        manager is None
        or manager is not app_manager
        or config["FORUM_USER_ID"] is not account_key
        or config["FORUM_DISPLAY_NAME"] is not None
    ):
        return None
    # A session from another browser is Flask-Login's to mark (or end): it is not read here.
    protection = config.get("SESSION_PROTECTION", manager.session_protection)
    if protection in ("basic", "strong") and not same_browser(manager):
        return None
    account_id, token = split_session_id(session_user_id())
    if account_id is None:
        return None
    return ViewerRead(ACCOUNT_MEMBER, {"account_id": account_id}, account_viewer_key(token))


def viewer_read_for_request() -> ViewerRead | None:
    """The one-statement read of who asks, for a bearer token (API) or a forum account's session; else None."""
    secret = bearer_secret() if is_api_request() else None
    if secret is not None:
        return ViewerRead(TOKEN_MEMBER, {"digest": digest(secret)}, token_viewer_key)
    if session_signed_in():
        return account_viewer_read()
    return None


def is_anonymous() -> bool:
    """Whether nobody is signed in (nor remembered) on this request.

    Without a user id in the session, a remember-me cookie or a loader of the host's that reads the
    request itself, Flask-Login has nobody to load: that is answered without asking it.
    """
    manager = getattr(current_app, "login_manager", None)
    if manager is None:
        return False  # the forum's own check then says what the host is missing
    remember = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    if not session_signed_in() and remember not in request.cookies and not signs_in_from_request(manager):
        return True
    return not current_user.is_authenticated


def viewer_key() -> ViewerKey:
    """Who asks, as `forum.auth` resolves every request: `ANONYMOUS`, a member's identity, or `PAGES_NOT_KEPT`."""
    if is_anonymous():
        return ANONYMOUS
    viewer = current_viewer()
    if viewer.member is None:
        return PAGES_NOT_KEPT
    return page_identity(viewer.member.id, viewer.role, viewer.name, viewer.unread)
