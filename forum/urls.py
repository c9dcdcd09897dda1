"""Web addresses: the one test of an http or https URL the forum stores, links to or fetches."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# The width of every URL column (`forum_articles.source_url`, `forum_citation_slots.url`, `forum_sources.url`).
MAX_LENGTH = 2_000
# C0 and C1 controls, DEL and lone surrogates: no URL holds them, and PostgreSQL refuses NUL outright.
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
NOT_WEB = "is not an http or https address"


def url_problem(url: str, *, max_length: int = MAX_LENGTH) -> str | None:
    """What keeps `url` from being a web address the forum keeps and links to, said after "The address"; or None."""
    if len(url) > max_length:
        return f"is longer than {max_length:,} characters"
    if UNSAFE.search(url):
        return "holds control characters"
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname, parts.port  # both raise ValueError on `http://[oops/` or `:99999`
    except ValueError:
        return "is not a valid web address"
    if parts.scheme.lower() not in ("http", "https"):
        return NOT_WEB
    if not host:
        return "has no host name"
    return None


def is_web_url(url: str | None) -> bool:
    """Whether `url` is a web address the forum can link to."""
    if not url:
        return False
    return url_problem(url) is None


def host_of(url: str) -> str:
    """The host of a URL without a leading `www.`, or "" when it has none or is not a valid address."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    return host.removeprefix("www.")
