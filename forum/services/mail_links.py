"""The signed links mail carries: confirming an address, resetting a password, unsubscribing.

Each kind is signed with the app's secret under a salt of its own, so that no link stands in for another.
A reset link also carries a fingerprint of the password hash it was made for: once the password changes (by
this link or any other way) every reset link made before dies, which makes each one single-use.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer
from werkzeug.routing import Map

from forum.errors import ForumError

CONFIRM_SALT = "forum-mail-confirm"
RESET_SALT = "forum-password-reset"
UNSUBSCRIBE_SALT = "forum-mail-unsubscribe"
# An address confirmation link lives a week: long enough for a mail read late, short enough to go stale.
CONFIRM_SECONDS = 7 * 24 * 3600


class LinkRefused(ForumError):
    """A mailed link that is not ours, was changed, ran out, or was used already."""

    status = 400
    code = "link_refused"


class LinkExpired(LinkRefused):
    """A mailed link past its time."""

    status = 410
    code = "link_expired"


@dataclass(frozen=True)
class Site:
    """Where links in mail point: the site's own address (`FORUM_SITE_URL`), never the Host a request named."""

    url: str
    url_map: Map

    def link(self, endpoint: str, **values: Any) -> str:
        """The absolute address of `endpoint` on the site."""
        parts = urlsplit(self.url)
        adapter = self.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "http")
        return adapter.build(endpoint, values, force_external=True)

    @property
    def host(self) -> str:
        """The site's host name, for Message-IDs."""
        return urlsplit(self.url).hostname or "localhost"


def password_fingerprint(password_hash: str) -> str:
    """A short digest of the password hash: it changes with every new password (Argon2 salts each hash)."""
    return hashlib.sha256(password_hash.encode()).hexdigest()[:24]


def _load(serializer: URLSafeSerializer | URLSafeTimedSerializer, token: str, max_age: int | None = None) -> Any:
    """The payload of a signed token, or `LinkRefused` / `LinkExpired` saying what is wrong with it."""
    try:
        if isinstance(serializer, URLSafeTimedSerializer):
            return serializer.loads(token, max_age=max_age)
        return serializer.loads(token)
    except SignatureExpired:
        raise LinkExpired("This link has expired. Ask for a new one.") from None
    except (BadSignature, ValueError, TypeError, UnicodeError):
        raise LinkRefused("This link is not valid: it may have been cut short or changed. Ask for a new one.") from None


def confirm_token(secret: str, account_id: int, email: str) -> str:
    """The token of a link that confirms `email` for the account."""
    return URLSafeTimedSerializer(secret, salt=CONFIRM_SALT).dumps([account_id, email])


def read_confirm_token(secret: str, token: str) -> tuple[int, str]:
    """The account id and address a confirmation link names."""
    payload = _load(URLSafeTimedSerializer(secret, salt=CONFIRM_SALT), token, CONFIRM_SECONDS)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise LinkRefused("This link is not valid. Ask for a new one.")
    return payload[0], payload[1]


def reset_token(secret: str, account_id: int, password_hash: str) -> str:
    """The token of a password reset link for the account, good while its password stays `password_hash`."""
    return URLSafeTimedSerializer(secret, salt=RESET_SALT).dumps([account_id, password_fingerprint(password_hash)])


def read_reset_token(secret: str, token: str, max_age: int) -> tuple[int, str]:
    """The account id and password fingerprint a reset link names, if it is younger than `max_age` seconds."""
    payload = _load(URLSafeTimedSerializer(secret, salt=RESET_SALT), token, max_age)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise LinkRefused("This link is not valid. Ask for a new one.")
    return payload[0], payload[1]


def address_fingerprint(address: str) -> str:
    """A short digest of an address: a link names the address it was mailed to without showing it to whoever
    the mail is forwarded to (the payload of a signed token is readable)."""
    return hashlib.sha256(address.casefold().encode()).hexdigest()[:24]


def unsubscribe_token(secret: str, member_id: int, address: str) -> str:
    """The token of a one-click unsubscribe link: it never expires, as a mail may be read years later."""
    return URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT).dumps([member_id, address_fingerprint(address)])


def read_unsubscribe_token(secret: str, token: str) -> tuple[int, str]:
    """The member id an unsubscribe link names, and the fingerprint of the address it was mailed to."""
    payload = _load(URLSafeSerializer(secret, salt=UNSUBSCRIBE_SALT), token)
    if not (isinstance(payload, list) and len(payload) == 2 and isinstance(payload[0], int)
            and isinstance(payload[1], str)):
        raise LinkRefused("This unsubscribe link is not valid.")
    return payload[0], payload[1]
