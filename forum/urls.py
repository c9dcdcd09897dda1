"""Web addresses: the one reading of an http or https URL that the forum stores, links to or fetches."""

from __future__ import annotations

import re
from urllib.parse import SplitResult, urlsplit

# The width of every URL column (`forum_articles.source_url`, `forum_citation_slots.url`, `forum_sources.url`).
MAX_LENGTH = 2_000
# C0 and C1 controls, DEL and lone surrogates: no URL holds them, and PostgreSQL refuses NUL outright.
UNSAFE = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")
NOT_WEB = "is not an http or https address"
WEB_SCHEMES = ("http", "https")


def split_url(url: str) -> SplitResult | None:
    """The parts of `url`, or None when no URL can be read from it.

    `urlsplit` raises ValueError for a host in brackets that is no IPv6 address (`https://[oops/`),
    and reading `.port` does for a port that is no number or out of range; both are the writer's typo.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018  (reading it checks it)
    except ValueError:
        return None
    return parts


def url_problem(url: str, *, max_length: int = MAX_LENGTH) -> str | None:
    """What keeps `url` from being a web address the forum keeps and links to, said after "The address"; or None."""
    if len(url) > max_length:
        return f"is longer than {max_length:,} characters"
    if UNSAFE.search(url):
        return "holds control characters"
    parts = split_url(url)
    if parts is None:
        return "is not a valid web address"
    if parts.scheme.lower() not in WEB_SCHEMES:
        return NOT_WEB
    if not parts.hostname:
        return "has no host name"
    return None


def is_local_path(target: str | None) -> bool:
    """Whether `target` is a path on this site, as a browser would read it (never a way to another site:
    `//host`, `/\\host` and `/<tab>/host` all lead away once a browser has read them)."""
    if not target or not target.startswith("/"):
        return False
    parts = split_url(target.replace("\\", "/"))
    return parts is not None and not parts.scheme and not parts.netloc


def is_web_url(url: str | None) -> bool:
    """Whether `url` is a web address the forum can link to."""
    return url is not None and bool(url) and url_problem(url) is None


def host_of(url: str) -> str:
    """The host of a URL without a leading `www.`, or "" when it has none or is not a valid address."""
    parts = split_url(url)
    return ((parts.hostname if parts else None) or "").removeprefix("www.")
