"""API tokens: random secrets handed out once and stored only as a digest."""

from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Forbidden, NotAuthenticated
from forum.models import ApiToken, Member, utcnow

TOKEN_BYTES = 32


def digest(secret: str) -> str:
    """The stored form of a token; SHA-256 suffices since the secret is random, not a password."""
    return hashlib.sha256(secret.encode()).hexdigest()


class RemovedMember(Forbidden):
    """A removed member reads without a token: a token would be a way back in."""


def issue_token(session: so.Session, member: Member, label: str = "") -> tuple[ApiToken, str]:
    """Create a token for `member`; return the row and the secret, which is never stored.

    A removed member gets none (`RemovedMember`, 403): they may read, which needs no token.
    """
    if member.acting_role is None:
        raise RemovedMember(
            f"The membership of {member.name} was removed: they may read without a token, not take part."
        )
    secret = secrets.token_urlsafe(TOKEN_BYTES)
    token = ApiToken(member=member, digest=digest(secret), label=label[:100])
    session.add(token)
    session.flush()
    return token, secret


def live_token(secret_digest: str | sa.BindParameter[str]) -> sa.ColumnElement[bool]:
    """The one rule of a token that signs in: the digest of its secret, and not revoked."""
    return sa.and_(ApiToken.digest == secret_digest, ApiToken.revoked_at.is_(None))


def token_for_secret(session: so.Session, secret: str) -> ApiToken:
    """The live token whose secret is `secret`, or `NotAuthenticated`."""
    token = session.scalar(
        sa.select(ApiToken).where(live_token(digest(secret)))
        .options(so.joinedload(ApiToken.member).undefer(Member.unread_notifications))
    )
    if token is None:
        raise NotAuthenticated("The API token is unknown or was revoked.")
    return token


def member_for_token(session: so.Session, secret: str) -> Member:
    """The member a live token belongs to, or `NotAuthenticated`."""
    return token_for_secret(session, secret).member


def revoke(session: so.Session, secret: str) -> ApiToken:
    """Revoke the token whose secret is `secret`; it stops working at once."""
    token = token_for_secret(session, secret)
    token.revoked_at = utcnow()
    return token


def revoke_all(session: so.Session, member: Member) -> None:
    """Revoke every live token of `member` at once."""
    session.execute(
        sa.update(ApiToken)
        .where(ApiToken.member_id == member.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
