"""The JSON API under /api/v1: importing the package declares every operation on the blueprint's registry."""

from __future__ import annotations

# Each of these declares its operations on the registry as it is imported.
from forum.api import arguments, articles, moderation, tokens, votes  # noqa: F401
from forum.api.blueprint import api, registry

__all__ = ["api", "registry"]
