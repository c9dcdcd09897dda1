"""Where a member's mail goes: their account's confirmed address on the standalone site, or the address the
host gives for its user (`FORUM_USER_EMAIL(user)`; none by default, so that a host's users get no mail)."""

from __future__ import annotations

import sqlalchemy as sa
import sqlalchemy.orm as so
from flask import current_app

from forum.errors import Invalid
from forum.flask_internals import user_loader
from forum.models import Account, Member
from forum.services.mail_accounts import check_address


def member_address(session: so.Session, member: Member) -> str | None:
    """The address the member is mailed at, if any."""
    if "forum_accounts" in current_app.extensions:
        account = session.scalar(sa.select(Account).where(Account.user_key == member.user_id))
        if account is None or account.email_confirmed_at is None:
            return None
        return account.email
    user_email = current_app.config["FORUM_USER_EMAIL"]
    loader = current_app.config["FORUM_LOAD_USER"] or user_loader(getattr(current_app, "login_manager", None))
    if user_email is None or loader is None:
        return None
    user = loader(member.user_id)
    address = user_email(user) if user is not None else None
    if not address:
        return None
    try:
        # A host's address is checked as a member's own is: nothing else may reach a mail's headers.
        return check_address(str(address))
    except Invalid:
        return None
