"""The current app's forum settings, as the plain values services take."""

from __future__ import annotations

from flask import current_app

from forum.services.arguments import Limits


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
