"""Web addresses that members and articles give, read without letting a malformed one raise."""

from __future__ import annotations

from urllib.parse import SplitResult, urlsplit

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


def is_web_address(url: str) -> bool:
    """Whether `url` is a complete http or https address: a scheme, a host, nothing unreadable."""
    parts = split_url(url)
    return parts is not None and parts.scheme.lower() in WEB_SCHEMES and bool(parts.hostname)


def host_of(url: str) -> str:
    """The host of a URL without a leading www., as shown beside a source ('' when there is none)."""
    parts = split_url(url)
    return ((parts.hostname if parts else None) or "").removeprefix("www.")
