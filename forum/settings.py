"""The current app's forum settings, as the plain values services take."""

from __future__ import annotations

from flask import current_app

from forum.mail_transport import SmtpSettings
from forum.services.arguments import Limits
from forum.services.mail_links import Site
from forum.services.outbox import MailSettings


def content_limits() -> Limits:
    """How much one argument may hold, from `FORUM_MAX_*`."""
    config = current_app.config
    return Limits(
        body=config["FORUM_MAX_BODY"],
        sources=config["FORUM_MAX_SOURCES"],
        url=config["FORUM_MAX_URL"],
        title=config["FORUM_MAX_TITLE"],
        quote=config["FORUM_MAX_QUOTE"],
        duplicate_window=config["FORUM_DUPLICATE_POST_WINDOW"],
    )


def template(page: str) -> str:
    """The template a host chose for a forum page (`FORUM_TEMPLATE_<PAGE>`)."""
    return str(current_app.config[f"FORUM_TEMPLATE_{page.upper()}"])


def site_url() -> str:
    """The site's own address for links in mail: `FORUM_SITE_URL`, else where the standalone site serves by
    default. Never the Host a request named, which a stranger chooses."""
    return str(current_app.config["FORUM_SITE_URL"] or "http://127.0.0.1:5000").rstrip("/")


def mail_settings() -> MailSettings:
    """What writing and sending mail needs, from `FORUM_MAIL_*`, `FORUM_SITE_URL` and the secret key."""
    config = current_app.config
    return MailSettings(
        site=Site(site_url(), current_app.url_map),
        secret=str(config["SECRET_KEY"]),
        site_name=str(config["FORUM_SITE_NAME"]),
        sender=str(config["FORUM_MAIL_SENDER"]),
        reset_seconds=int(config["FORUM_PASSWORD_RESET_SECONDS"]),
        claim_seconds=int(config["FORUM_MAIL_CLAIM_SECONDS"]),
        retry_seconds=float(config["FORUM_MAIL_RETRY_SECONDS"]),
        retry_max_seconds=float(config["FORUM_MAIL_RETRY_MAX_SECONDS"]),
        max_attempts=int(config["FORUM_MAIL_MAX_ATTEMPTS"]),
        batch=int(config["FORUM_MAIL_BATCH"]),
        accounts="forum_accounts" in current_app.blueprints,
    )


def smtp_settings() -> SmtpSettings:
    """The mail server, from `FORUM_MAIL_SERVER`, `_PORT`, `_USE_TLS`, `_USERNAME`, `_PASSWORD`, `_TIMEOUT`."""
    config = current_app.config
    return SmtpSettings(
        server=str(config["FORUM_MAIL_SERVER"]),
        port=int(config["FORUM_MAIL_PORT"]),
        use_tls=bool(config["FORUM_MAIL_USE_TLS"]),
        username=config["FORUM_MAIL_USERNAME"] or None,
        password=config["FORUM_MAIL_PASSWORD"] or None,
        timeout=float(config["FORUM_MAIL_TIMEOUT"]),
    )
