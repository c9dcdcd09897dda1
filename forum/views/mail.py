"""Unsubscribing from mail by the link every mail carries: a page with one button, and the one-click POST of
RFC 8058 that mail clients send on their own (no cookie, no CSRF token: the signed link is the authority)."""

from __future__ import annotations

from flask import current_app, render_template, request
from flask.typing import ResponseReturnValue

from forum.db import get_session
from forum.errors import ForumError
from forum.services import mail_accounts
from forum.services.mail_links import read_unsubscribe_token
from forum.settings import mail_settings
from forum.views.site import blueprint, render_error


@blueprint.route("/mail/unsubscribe/<token>", methods=["GET", "POST"])
def unsubscribe(token: str) -> ResponseReturnValue:
    """GET: confirm with one button (so that a link checker opening it changes nothing). POST: no more digests."""
    settings = mail_settings()
    template = current_app.config["FORUM_TEMPLATE_UNSUBSCRIBE"]
    try:
        if request.method == "GET":
            read_unsubscribe_token(settings.secret, token)
            return render_template(template, done=False)
        session = get_session()
        mail_accounts.unsubscribe(session, settings, token)
        session.commit()
    except ForumError as error:
        return render_error(error.status, "This link does not work", error.message)
    return render_template(template, done=True)
