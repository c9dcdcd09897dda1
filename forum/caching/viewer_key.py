"""Who is asking for a cached page: nobody, a member (by what of them a page shows), or someone not kept.

A member's cached copy is keyed by their `material`. Through Flask-Login that takes an ORM load of
their account and member; for the two kinds of sign-in the forum issues itself, a bearer token on the
API and a session of the forum's own accounts, one Core statement says the same, checked as strictly:
a revoked token or a session signed out elsewhere is never taken for a member. Any other case (a host's
own users, a remember-me cookie, a session whose browser changed) goes through Flask-Login.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import sqlalchemy as sa
from flask import current_app, request, session

from forum.auth import bearer_secret, is_api_request
from forum.models import Account, ApiToken, Member
from forum.services.tokens import digest

# What the forum's own sign-ins need to name a member: built once, compiled once per process.
# A member's role is always read as `Member.acting_role` (None once removed), the rule every other path asks.
TOKEN_MEMBER = (
    sa.select(Member.id, Member.acting_role, Member.name)
    .join(ApiToken, ApiToken.member_id == Member.id)
    .where(ApiToken.digest == sa.bindparam("digest"), ApiToken.revoked_at.is_(None))
)
ACCOUNT_MEMBER = (
    sa.select(Account.session_token, Account.username, Member.id, Member.acting_role)
    .select_from(Account)
    .outerjoin(Member, Member.user_id == sa.cast(Account.id, sa.String))
    .where(Account.id == sa.bindparam("account_id"))
)
# Cannot be told here: Flask-Login's own load decides.
UNKNOWN = None
# A viewer whose pages are not kept: a signed-in user the forum has not stored yet, or an unknown token.
NOT_KEPT: tuple[Any, ...] = ()


class Question(NamedTuple):
    """A read of who is asking: its statement, the values it binds, and what its row says."""

    statement: sa.Select
    values: dict[str, Any]
    answer: Callable[[Sequence[Any]], tuple[Any, ...] | None]


def material(member_id: int, role: str | None, name: str) -> tuple[Any, ...]:
    """What of a member their pages show, as part of a cache key: id, acting role ('' once removed) and name."""
    return ("member", member_id, role or "", name)


def token_answer(row: Sequence[Any]) -> tuple[Any, ...]:
    """A live token's member, or `NOT_KEPT` for an unknown or revoked token (the API answers it 401)."""
    member_id, role, name = row
    return NOT_KEPT if member_id is None else material(member_id, role, name)


def account_answer(token: str) -> Callable[[Sequence[Any]], tuple[Any, ...] | None]:
    """What a row of `ACCOUNT_MEMBER` says of a session holding `token`."""

    def answer(row: Sequence[Any]) -> tuple[Any, ...] | None:
        session_token, username, member_id, role = row
        if session_token is None or not hmac.compare_digest(session_token, token) or member_id is None:
            return UNKNOWN  # signed out, or a member not stored yet: Flask-Login's load says which
        return material(member_id, role, username)

    return answer


def account_question() -> Question | None:
    """The question for a session of the forum's own accounts, if this is one (and its browser's own)."""
    from forum.accounts import account_key, parse_account_id

    manager = current_app.extensions.get("forum_accounts")
    config = current_app.config
    if (
        manager is None
        or manager is not getattr(current_app, "login_manager", None)
        or config["FORUM_USER_ID"] is not account_key
        or config["FORUM_DISPLAY_NAME"] is not None
    ):
        return None
    # A session from another browser is Flask-Login's to mark (or end): it is not read here.
    protection = config.get("SESSION_PROTECTION", manager.session_protection)
    if protection in ("basic", "strong") and session.get("_id") != manager._session_identifier_generator():
        return None
    text, _, token = str(session.get("_user_id", "")).partition(":")
    account_id = parse_account_id(text)
    if account_id is None:
        return None
    return Question(ACCOUNT_MEMBER, {"account_id": account_id}, account_answer(token))


def question_for_request() -> Question | None:
    """The one-statement read of who asks, for a bearer token (API) or a forum account's session; else None."""
    secret = bearer_secret() if is_api_request() else None
    if secret is not None:
        return Question(TOKEN_MEMBER, {"digest": digest(secret)}, token_answer)
    if "_user_id" in session:
        return account_question()
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
    if (
        "_user_id" not in session
        and remember not in request.cookies
        and manager._request_callback is None
        and getattr(manager, "_header_callback", None) is None
    ):
        return True
    from flask_login import current_user

    return not current_user.is_authenticated


def slow_material() -> tuple[Any, ...] | None:
    """Who asks, through Flask-Login: None for nobody, a member's material, or `NOT_KEPT`."""
    if is_anonymous():
        return None
    from forum.auth import current_viewer

    viewer = current_viewer()
    if viewer.member is None:
        return NOT_KEPT
    return material(viewer.member.id, viewer.role, viewer.name)
