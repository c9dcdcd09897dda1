"""The forum's pages, on one blueprint (with the JSON API under /api/v1); importing the package registers them."""

from __future__ import annotations

from forum.views import (
    argument_page,
    arguments,
    articles,
    consensus,
    imports,
    mail,
    member_page,
    moderation,
    notifications,
    pages,
    report,
    revisions,
    search,
    threads,
    votes,
)
from forum.views.site import blueprint, share_hooks

__all__ = [
    "blueprint", "share_hooks", "argument_page", "arguments", "articles", "consensus", "imports", "mail", "member_page",
    "moderation", "notifications", "pages", "report", "revisions", "search", "threads", "votes",
]
