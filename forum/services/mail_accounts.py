"""What mail does for the standalone site's accounts: an address confirmed by a link, password reset by mail,
and unsubscribing from digests by one click. Every mail goes to the outbox, in the caller's transaction."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid, TooManyRequests
from forum.models import Account, DigestFrequency, MailKind, Member, utcnow
from forum.services import accounts, outbox
from forum.services.mail_links import (
    LinkRefused,
    address_fingerprint,
    confirm_token,
    password_fingerprint,
    read_confirm_token,
    read_reset_token,
    read_unsubscribe_token,
    reset_token,
)
from forum.services.outbox import MailSettings

ADDRESS_MAX_LENGTH = 254  # RFC 5321's longest path, less its angle brackets
LOCAL_PART = re.compile(r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]{1,64}")
DOMAIN_LABEL = re.compile(r"(?!-)[A-Za-z0-9-]{1,63}(?<!-)")
# A stranger may ask this many mails of one kind for one account in an hour; past it, no more are written.
RESETS_PER_HOUR = 3
CONFIRMATIONS_PER_HOUR = 5
# Accounts mailed for one address asked about (people may share one).
ACCOUNTS_PER_ADDRESS = 5


def check_address(text: str) -> str:
    """The address as kept (its domain in lower case, IDNA-encoded), or `Invalid` saying what is wrong."""
    address = text.strip()
    problem = Invalid("Give a mail address such as name@example.org.", field="email")
    local, at, domain = address.rpartition("@")
    if not at or not LOCAL_PART.fullmatch(local) or local.startswith(".") or local.endswith(".") or ".." in local:
        raise problem
    try:
        domain = domain.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise problem from None
    labels = domain.split(".")
    if len(labels) < 2 or not all(DOMAIN_LABEL.fullmatch(label) for label in labels):
        raise problem
    address = f"{local}@{domain}"
    if len(address) > ADDRESS_MAX_LENGTH:
        raise Invalid(f"A mail address has at most {ADDRESS_MAX_LENGTH} characters.", field="email")
    return address


def send_confirmation(session: so.Session, settings: MailSettings, account: Account, member: Member) -> None:
    """Mail a link that confirms the account's address (a few an hour at most)."""
    assert account.email is not None
    hour_ago = utcnow() - timedelta(hours=1)
    if outbox.sent_recently(session, member.id, MailKind.CONFIRM, hour_ago) >= CONFIRMATIONS_PER_HOUR:
        raise TooManyRequests("Too many confirmation mails this hour. Try again in an hour.", retry_after=3600)
    link = settings.site.link("forum_accounts.confirm_email", token=confirm_token(settings.secret, account.id,
                                                                                   account.email))
    outbox.queue(
        session, settings, MailKind.CONFIRM, member, account.email, f"Confirm your address for {settings.site_name}",
        "confirm", username=account.username, confirm_url=link,
    )


def change_address(
    session: so.Session, settings: MailSettings, account: Account, member: Member, text: str
) -> bool:
    """Set (or, given nothing, remove) the account's address; a new one is unconfirmed and mailed a link.

    Whether a confirmation link was sent.
    """
    if not text.strip():
        account.email, account.email_confirmed_at = None, None
        return False
    address = check_address(text)
    if address == account.email and account.email_confirmed_at is not None:
        return False
    account.email, account.email_confirmed_at = address, None
    session.flush()
    send_confirmation(session, settings, account, member)
    return True


def confirm_address(session: so.Session, settings: MailSettings, token: str) -> Account:
    """Confirm the address a link names, if it is still the account's."""
    account_id, address = read_confirm_token(settings.secret, token)
    account = session.get(Account, account_id)
    if account is None or account.email != address:
        raise LinkRefused("This link confirms an address the account no longer has.")
    if account.email_confirmed_at is None:
        account.email_confirmed_at = utcnow()
    return account


def accounts_to_reset(session: so.Session, name_or_address: str) -> list[Account]:
    """The accounts a reset request names: by confirmed address, or by name when that account has one."""
    text = name_or_address.strip()
    if "@" in text:
        try:
            address = check_address(text)
        except Invalid:
            return []
        return list(session.scalars(
            sa.select(Account)
            .where(sa.func.lower(Account.email) == address.lower(), Account.email_confirmed_at.is_not(None))
            .order_by(Account.id)
            .limit(ACCOUNTS_PER_ADDRESS)
        ))
    if not accounts.USERNAME_PATTERN.fullmatch(text) or len(text) > accounts.USERNAME_MAX_LENGTH:
        return []
    account = accounts.find_account(session, text)
    if account is None or account.email is None or account.email_confirmed_at is None:
        return []
    return [account]


def request_reset(session: so.Session, settings: MailSettings, name_or_address: str) -> None:
    """Mail a reset link to each account the request names; say nothing of whether any exists."""
    hour_ago = utcnow() - timedelta(hours=1)
    for account in accounts_to_reset(session, name_or_address):
        member = accounts.member_of(session, account)
        if member is None or account.email is None:
            continue
        if outbox.sent_recently(session, member.id, MailKind.RESET, hour_ago) >= RESETS_PER_HOUR:
            continue  # the answer stays the same: a flood of requests mails nobody more
        link = settings.site.link(
            "forum_accounts.reset_password", token=reset_token(settings.secret, account.id, account.password_hash)
        )
        outbox.queue(
            session, settings, MailKind.RESET, member, account.email, f"Reset your password on {settings.site_name}",
            "reset", username=account.username, reset_url=link, minutes=settings.reset_seconds // 60,
        )


def account_for_reset(session: so.Session, settings: MailSettings, token: str) -> Account:
    """The account a reset link is for, while the link is young and its password unchanged since."""
    account_id, fingerprint = read_reset_token(settings.secret, token, settings.reset_seconds)
    account = session.get(Account, account_id)
    if account is None or password_fingerprint(account.password_hash) != fingerprint:
        raise LinkRefused(
            "This link was used already, or the password changed since it was sent. Ask for a new one."
        )
    return account


def reset_password(
    session: so.Session, settings: MailSettings, token: str, new: str, *, min_length: int = 10
) -> Account:
    """Set a new password by a reset link: the link dies with the old password, and every session and API
    token of the account ends."""
    account = account_for_reset(session, settings, token)
    accounts.check_password(new, account.username, min_length)
    account.password_hash = accounts.hasher.hash(new)
    accounts.sign_out_everywhere(session, account)
    return account


def unsubscribe(session: so.Session, settings: MailSettings, token: str) -> Member:
    """Stop the digests of the member a link names, if it was mailed to the account's address as it is now; an
    address never confirmed is let go of as well."""
    member_id, mailed_to = read_unsubscribe_token(settings.secret, token)
    member = session.get(Member, member_id)
    if member is None:
        raise LinkRefused("This unsubscribe link names nobody the forum knows.")
    account = session.scalar(sa.select(Account).where(Account.user_key == member.user_id))
    # A link mailed to an address the account has since left (a forwarded mail, an address given up) no
    # longer speaks for the account.
    if account is not None and (account.email is None or address_fingerprint(account.email) != mailed_to):
        raise LinkRefused("This link was sent to an address this account no longer uses; nothing was changed.")
    member.digest = DigestFrequency.NEVER.value
    if (account is not None and account.email is not None and account.email_confirmed_at is None
            and address_fingerprint(account.email) == mailed_to):
        # Someone typed this address by mistake: its owner asked for no more mail.
        account.email = None
    return member


def set_digest(member: Member, frequency: str) -> None:
    """Choose how often the digest comes: never, daily or weekly."""
    try:
        member.digest = DigestFrequency(frequency).value
    except ValueError:
        raise Invalid("Choose never, daily or weekly.", field="digest") from None
