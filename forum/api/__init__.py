"""The JSON API under /api/v1: operations declared in `forum.api.openapi`; importing the package declares them."""

from __future__ import annotations

from forum.api.blueprint import api, registry

# The order declares the operations, and so orders the OpenAPI document and its reference (docs/api.md).
# isort: off
from forum.api import (
    articles, exports, revisions, arguments, members, moderation, suggestions, search, notifications, tokens, votes,
    events,
)
# isort: on

__all__ = [
    "api", "registry", "articles", "exports", "revisions", "arguments", "members", "moderation", "suggestions",
    "search", "notifications", "tokens", "votes", "events",
]
