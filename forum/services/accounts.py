"""The standalone site's accounts: registration, sign-in and passwords."""

from __future__ import annotations

import gzip
import re
from functools import cache
from importlib import resources

import sqlalchemy as sa
import sqlalchemy.orm as so
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from forum.errors import Conflict, Invalid, NotAuthenticated
from forum.models import Account, Member, Role
from forum.services.members import ensure_member
from forum.services.tokens import revoke_all
from forum.usernames import display_form, mixes_scripts, username_key, username_skeleton

USERNAME_PATTERN = re.compile(r"^[\w.-]+$")
PASSWORD_MAX_LENGTH = 1024
USERNAME_MAX_LENGTH = 30  # the width of the name columns
SKELETON_MAX_LENGTH = 120  # the width of the skeleton column: a letter may look like several ("m", "rn")

hasher = PasswordHasher()  # Argon2id with the library's current recommended parameters.


@cache
def common_passwords() -> frozenset[str]:
    """The 20,000 most common passwords, shipped with the package."""
    data = resources.files("forum.data").joinpath("common-passwords.txt.gz").read_bytes()
    return frozenset(gzip.decompress(data).decode().split())


def legacy_key(username: str) -> str:
    """The key of accounts made before names were NFKC-normalised: only stripped and case-folded."""
    return username.strip().casefold()


def check_username(username: str) -> str:
    """The name as stored (stripped, NFC), or `Invalid` when it is too short, too long, has odd
    characters or mixes scripts."""
    username = display_form(username)
    # Normalising and case-folding may lengthen a name ("ß" becomes "ss"), and the key must fit too.
    longest = USERNAME_MAX_LENGTH
    if not 3 <= len(username) <= longest or len(username_key(username)) > longest:
        raise Invalid(f"A user name has 3 to {longest} characters.", field="username")
    if not USERNAME_PATTERN.fullmatch(username):
        raise Invalid(
            "A user name may use letters, digits, '.', '-' and '_' only.", field="username"
        )
    if mixes_scripts(username):
        raise Invalid(
            "A user name keeps to one script (Latin, Cyrillic, Greek, ...), with one system of digits.",
            field="username",
        )
    if len(username_skeleton(username)) > SKELETON_MAX_LENGTH:
        raise Invalid(f"A user name has 3 to {longest} characters.", field="username")
    return username


def check_password(
    password: str, username: str, min_length: int = 10, *, field: str = "password"
) -> None:
    """Refuse a password that is short, very common, or the user name itself; `field` names the form field."""
    if len(password) < min_length:
        raise Invalid(f"A password needs at least {min_length} characters.", field=field)
    if len(password) > PASSWORD_MAX_LENGTH:
        raise Invalid(f"A password has at most {PASSWORD_MAX_LENGTH} characters.", field=field)
    if username_key(password) == username_key(username):
        raise Invalid("A password may not be your user name.", field=field)
    if password.casefold() in common_passwords():
        raise Invalid(
            "That password is among the most commonly used ones; choose another.", field=field
        )


def register(
    session: so.Session,
    username: str,
    password: str,
    *,
    role: Role = Role.MEMBER,
    min_length: int = 10,
) -> Account:
    """Create an account and its member; `Conflict` when the name is taken."""
    username = check_username(username)
    check_password(password, username, min_length)
    key, skeleton = username_key(username), username_skeleton(username)
    refusal = why_taken(session, key, skeleton)
    if refusal is not None:
        raise Conflict(refusal, field="username")
    account = Account(
        username=username,
        username_key=key,
        username_skeleton=skeleton,
        password_hash=hasher.hash(password),
    )
    try:
        # The unique indexes on both columns decide between two parallel registrations.
        with session.begin_nested():
            session.add(account)
    except sa.exc.IntegrityError:
        refusal = why_taken(session, key, skeleton) or "That user name is taken."
        raise Conflict(refusal, field="username") from None
    member = ensure_member(session, account.user_key, username)
    member.role = role.value
    return account


def why_taken(session: so.Session, key: str, skeleton: str) -> str | None:
    """Why a name cannot be had, if it cannot: taken, or too like a name that is (named: names are public)."""
    clash = session.execute(
        sa.select(Account.username_key, Account.username)
        .where((Account.username_key == key) | (Account.username_skeleton == skeleton))
        .order_by((Account.username_key == key).desc())
        .limit(1)
    ).first()
    if clash is None:
        return None
    if clash.username_key == key:
        return "That user name is taken."
    return f"That user name looks too much like {clash.username!r}, which is taken."


def authenticate(session: so.Session, username: str, password: str) -> Account:
    """The account whose name and password match, or `NotAuthenticated`."""
    # A name that registration refuses belongs to no account; PostgreSQL would even reject some (NUL).
    # The pattern is checked on the name as typed: its key may hold marks ("İ" folds to "i" + a dot).
    account = (
        find_account(session, username)
        if USERNAME_PATTERN.fullmatch(display_form(username))
        else None
    )
    if account is None:
        # Hash anyway, so that the answer takes as long for a missing name as for a wrong password.
        hasher.hash(password)
        raise NotAuthenticated("Wrong user name or password.")
    try:
        hasher.verify(account.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise NotAuthenticated("Wrong user name or password.") from None
    if hasher.check_needs_rehash(account.password_hash):
        account.password_hash = hasher.hash(password)
    return account


class WrongPassword(Invalid):
    """The current password, given to change it, is wrong: a guess, as far as the sign-in limits go."""


def find_account(session: so.Session, username: str) -> Account | None:
    """The account that signs in with this name: by its NFKC-folded key ("ＡＤＡ" is "ada")."""
    key, legacy = username_key(username), legacy_key(username)
    # An account from before the keys were normalised, whose new key a look-alike already held, kept
    # its old key: it answers to the very name it chose first.
    return session.scalars(
        sa.select(Account)
        .where(Account.username_key.in_({key, legacy}))
        .order_by((Account.username_key == legacy).desc())
        .limit(1)
    ).first()


def change_password(
    session: so.Session, account: Account, current: str, new: str, *, min_length: int = 10
) -> None:
    """Replace the password after checking the current one, and sign out everywhere (tokens too)."""
    verify_password(account, current)
    check_password(new, account.username, min_length, field="new_password")
    account.password_hash = hasher.hash(new)
    sign_out_everywhere(session, account)


def verify_password(account: Account, current: str) -> None:
    """Check the account's current password, given to change something that guards it; `WrongPassword` if not."""
    try:
        hasher.verify(account.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise WrongPassword("The current password is wrong.", field="current_password") from None


def sign_out_everywhere(session: so.Session, account: Account) -> None:
    """End every session, remember-me cookie and API token of the account: nothing signed in before stays in."""
    account.end_sessions()
    member = member_of(session, account)
    if member is not None:
        revoke_all(session, member)


def sign_out(account: Account) -> None:
    """End the account's sessions, so that no copy of this browser's cookies signs anyone in again.

    Every browser of the account is signed out with it: sessions share the account's one session token.
    Its API tokens, which scripts hold, stay.
    """
    account.end_sessions()


def member_of(session: so.Session, account: Account) -> Member | None:
    """The member row of an account."""
    return session.scalar(sa.select(Member).where(Member.user_id == account.user_key))
