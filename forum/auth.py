"""Who is asking: the viewer of a request, from a bearer token or Flask-Login's `current_user`.

The rules here are the only ones: the cached pages' one-statement read of who asks (`forum.caching.viewer_key`)
is built from the same pieces (a live token, an account's session, `Member.acting_role`, `Account.user_key`)
and says what of a viewer their pages show with `page_identity`.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app, g, request
from flask_login import current_user

from forum.caching.raw_reads import read_one, typed
from forum.db import SAFE_METHODS, get_session
from forum.errors import Forbidden, NotAuthenticated
from forum.flask_internals import same_browser, session_user_id, signed_in_user
from forum.models import Account, ApiToken, Member, Role
from forum.services import members, policy, tokens


@dataclass(frozen=True)
class Viewer:
    """The person behind a request; anonymous when `user_id` is None.

    A stored member comes with what their requests ask of them besides their row (its id, stored name, when they
    joined and last came), so that asking needs no attribute of a row another statement may have expired. Their
    row (`member`) is the one loaded with them, or, where their sign-in was read in one statement, made from that
    statement's columns when first asked for.
    """

    user_id: str | None = None
    name: str = ""
    role: Role | None = None
    loaded: Member | None = field(default=None, repr=False, compare=False)
    via_token: bool = False
    # The bell's count: the member's unread notification lines, read with the member.
    unread: int = 0
    member_id: int | None = None
    stored_name: str | None = None
    joined_at: datetime | None = None
    last_seen_at: datetime | None = None
    # The member's columns as read (`MEMBER_ROW`), for the row to be made from when asked for.
    columns: tuple[Any, ...] | None = field(default=None, repr=False, compare=False)

    @property
    def is_authenticated(self) -> bool:
        """Whether the request comes from a signed-in user or a valid token."""
        return self.user_id is not None

    @property
    def member(self) -> Member | None:
        """The stored member's row (None for a viewer not stored yet)."""
        if self.loaded is None and self.columns is not None:
            object.__setattr__(self, "loaded", _stored_member(self.columns))
        return self.loaded

    def has_role(self, role: Role) -> bool:
        """Whether the viewer holds `role` or one above it."""
        return self.role is not None and self.role.rank >= role.rank


def member_viewer(user_id: str, name: str, member: Member, unread: int) -> Viewer:
    """The viewer of a stored member, loaded."""
    return Viewer(user_id, name, member.acting_role, member, False, unread, member_id=member.id,
                  stored_name=member.name, joined_at=member.created_at, last_seen_at=member.last_seen_at)


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


# The member's row as a request needs it, read with the sign-in that names them, and the role they act with.
MEMBER_ROW = (Member.id, Member.user_id, Member.name, Member.role, Member.removed_at, Member.created_at,
              Member.last_seen_at, Member.unread_notifications)
ACTING = len(MEMBER_ROW)
# A bearer token's member, and a session of the forum's own accounts with its member: one statement each, run
# outside any transaction (`forum.caching.raw_reads`), so that a write's own transaction begins with the write.
TOKEN_HOLDER = sa.select(*MEMBER_ROW, Member.acting_role).join(ApiToken, ApiToken.member_id == Member.id).where(
    tokens.live_token(sa.bindparam("digest"))
)
ACCOUNT_HOLDER = (
    sa.select(Account.session_token, Account.username, *MEMBER_ROW, Member.acting_role)
    .select_from(Account)
    .join(Member, Member.user_id == Account.user_key)
    .where(Account.id == sa.bindparam("account_id"))
)
def _read(statement: sa.Select[*tuple[Any, ...]], values: dict[str, Any]) -> Sequence[Any] | None:
    """One row of `statement` read outside the session, its values as the ORM would give them."""
    engine = current_app.extensions["forum"].read_engine
    row = read_one(engine, statement, values)
    return None if row is None else typed(engine, statement, row)


def _stored_member(fields: Sequence[Any]) -> Member:
    """The member row read as `MEMBER_ROW`, in the request's session as if loaded there, without a query."""
    session = get_session()
    found = session.identity_map.get(session.identity_key(Member, fields[0]))
    if isinstance(found, Member):
        return found
    member = Member(**{column.key: value for column, value in zip(MEMBER_ROW, fields)})
    so.make_transient_to_detached(member)  # as stored: nothing to write, the columns not read loaded on use
    session.add(member)
    return member


def _read_viewer(columns: Sequence[Any], name: str, via_token: bool = False) -> Viewer:
    """The viewer of a stored member from `MEMBER_ROW` and their acting role, as read."""
    member_id, user_id, stored_name, _, _, joined_at, last_seen_at, unread = columns[:ACTING]
    role = columns[ACTING]
    return Viewer(user_id, name, Role(role) if role else None, None, via_token, unread or 0, member_id=member_id,
                  stored_name=stored_name, joined_at=joined_at, last_seen_at=last_seen_at,
                  columns=tuple(columns[:ACTING]))


def _token_viewer(secret: str) -> Viewer:
    """The viewer of a live bearer token, or `NotAuthenticated`."""
    row = _read(TOKEN_HOLDER, {"digest": tokens.digest(secret)})
    if row is None:
        raise NotAuthenticated("The API token is unknown or was revoked.")
    return _read_viewer(row, row[2], via_token=True)


def _account_viewer() -> Viewer | None:
    """The viewer of a session of the forum's own accounts, read in one statement; None where Flask-Login must
    say (another loader or name, a session from another browser, one signed out elsewhere, no member yet)."""
    manager: Any = current_app.extensions.get("forum_accounts")
    config = current_app.config
    if (
        manager is None
        or manager is not getattr(current_app, "login_manager", None)
        or config["FORUM_USER_ID"] is not account_key
        or config["FORUM_DISPLAY_NAME"] is not None
    ):
        return None
    protection = config.get("SESSION_PROTECTION", getattr(manager, "session_protection", None))
    if protection in ("basic", "strong") and not same_browser(manager):
        return None
    account_id, token = split_session_id(session_user_id())
    row = None if account_id is None else _read(ACCOUNT_HOLDER, {"account_id": account_id})
    if row is None or not session_is_current(row[0], token):
        return None
    return _read_viewer(row[2:], row[1])


def _resolve_viewer() -> Viewer:
    """Resolve the viewer: on the API a bearer token wins over the browser session; pages use the session."""
    secret = bearer_secret() if is_api_request() else None
    if secret is not None:
        return _token_viewer(secret)
    require_login_manager()
    # A page loads the account anyway (Flask-Login's `current_user` in every template): one statement either way.
    # A write answers with a redirect or a fragment, which shows no account, so it reads its viewer alone.
    if request.method not in SAFE_METHODS and session_user_id() and (viewer := _account_viewer()) is not None:
        return viewer
    if not current_user or not current_user.is_authenticated:
        return ANONYMOUS
    user_id = user_key(current_user)
    user = signed_in_user()
    if isinstance(user, Account) and user_id == user.user_key:
        member = user.member  # loaded with the account
    else:
        member = get_session().scalar(
            sa.select(Member).where(Member.user_id == user_id).options(so.undefer(Member.unread_notifications))
        )
    name = display_name(current_user)
    if member is None:
        # A signed-in user the forum has not stored yet is a member; the row comes with their first write.
        return Viewer(user_id, name, Role.MEMBER)
    return member_viewer(user_id, name, member, member.unread_notifications)


def require_role(viewer: Viewer, role: Role = Role.MEMBER) -> None:
    """Raise unless the viewer is signed in and holds `role`."""
    if not viewer.is_authenticated:
        raise NotAuthenticated("Sign in to do this.")
    if viewer.role is None:
        raise Forbidden(policy.REMOVED)
    if not viewer.has_role(role):
        raise Forbidden(f"Only {role.with_article} may do this.")


def acting_member(viewer: Viewer) -> Member:
    """The stored member behind a signed-in viewer, created (with their current name) on first write."""
    require_role(viewer)
    assert viewer.user_id is not None
    if viewer.member is not None and viewer.stored_name == viewer.name[:100]:
        return viewer.member  # stored, under the name they have now: nothing to read or write
    return members.ensure_member(get_session(), viewer.user_id, viewer.name)


def acting_member_id(viewer: Viewer) -> int:
    """The id of the stored member behind a signed-in viewer, stored (or renamed) first where needed."""
    require_role(viewer)
    if viewer.member_id is not None and viewer.stored_name == viewer.name[:100]:
        return viewer.member_id
    return acting_member(viewer).id


def acting_name(viewer: Viewer) -> tuple[int, str]:
    """The id of the stored member behind a signed-in viewer and the name their writes show, stored (or renamed)
    first where needed; no row of theirs is made for it when they are stored under their name already."""
    require_role(viewer)
    if viewer.member_id is not None and viewer.stored_name is not None and viewer.stored_name == viewer.name[:100]:
        return viewer.member_id, viewer.stored_name
    member = acting_member(viewer)
    get_session().flush()  # a new member's id
    return member.id, member.name
