"""Small helpers the forum's pages share: times, domains, citation markers, list items."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime

from markupsafe import Markup, escape

from forum.models import ConsensusStatus
from forum.services.articles import SlotView
from forum.urls import host_of, is_web_url

# The markers an imported text may still carry: [3], [^3] or <sup>[3]</sup>. ASCII digits, few enough
# to be a footnote's number: `int()` refuses thousands, and reads other scripts' digits too.
MARKER = re.compile(r"<sup>\s*\[\^?([0-9]{1,9})\]\s*</sup>|\[\^?([0-9]{1,9})\]")
LIST_BULLET = re.compile(r"^\s*(?:[-*+•◦▪–]|\d+[.)])\s+")

CONSENSUS_LABELS = {
    ConsensusStatus.OPEN.value: "Open",
    ConsensusStatus.SUPPORTED.value: "Supported",
    ConsensusStatus.CONTESTED.value: "Contested",
    ConsensusStatus.REFUTED.value: "Refuted",
    ConsensusStatus.NEEDS_SOURCES.value: "Needs sources",
}


def ago(moment: datetime, now: datetime | None = None) -> str:
    """How long ago a moment was, in words a reader takes in at a glance."""
    seconds = int(((now or datetime.now(UTC)) - moment).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86_400 * 365, "year"), (86_400 * 30, "month"), (86_400, "day"),
                       (3_600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"


def exact(moment: datetime) -> str:
    """A moment written out in full, in UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def when(moment: datetime, words: str | None = None) -> Markup:
    """A moment as a reader takes it in ("3 hours ago"), the exact time on hover and in `datetime`.

    The relative words are written here so that they read right without JavaScript; forum.js rewrites them
    when the page loads, because a page served from a cache was written earlier than it is read.
    """
    return Markup('<time class="ago" datetime="{iso}" title="{title}">{words}</time>').format(
        iso=moment.astimezone(UTC).isoformat(timespec="seconds"), title=exact(moment), words=words or ago(moment)
    )


def long_date(day: date) -> str:
    """A date as readers write it: 14 March 2023."""
    return f"{day.day} {day.strftime('%B %Y')}"


def domain(url: str) -> str:
    """The host of a URL without a leading www.; "" for a stored value that is no valid address."""
    return host_of(url)


def web_url(url: str | None) -> str | None:
    """`url` if it is a valid http or https address, else None: imported links are never trusted as links."""
    url = (url or "").strip()
    return url if is_web_url(url) else None


def with_citations(text: str, marker: Callable[[int], Markup | None]) -> Markup:
    """Plain text escaped, with each citation marker that `marker` knows replaced by its link."""
    parts: list[str] = []
    last = 0
    for match in MARKER.finditer(text):
        link = marker(int(match.group(1) or match.group(2)))
        if link is None:
            continue
        parts += [escape(text[last : match.start()]), link]
        last = match.end()
    parts.append(escape(text[last:]))
    return Markup("").join(parts)


def slot_marker(slot: SlotView, filled_href: str, open_href: str) -> Markup:
    """A citation marker: a filled slot names its source, an open one invites one."""
    if slot.is_open:
        return Markup(
            '<sup class="cite cite-open"><a href="{href}" title="Source missing — propose one">'
            '[{n}]<span class="visually-hidden"> (source missing — propose one)</span></a></sup>'
        ).format(href=open_href, n=slot.number)
    accepted = slot.accepted.url if slot.accepted else None
    title = " — ".join(part for part in (slot.reference_text, slot.url or accepted) if part)
    return Markup('<sup class="cite cite-filled"><a href="{href}" title="{title}">[{n}]</a></sup>').format(
        href=filled_href, title=title, n=slot.number
    )


def list_items(text: str) -> list[str]:
    """The items of a list block, one per line, without their bullets or numbers."""
    lines = [line for line in text.splitlines() if line.strip()]
    return [LIST_BULLET.sub("", line, count=1).strip() for line in lines]


def helpers() -> dict[str, object]:
    """The helpers as template globals of the forum's pages."""
    return {
        "ago": ago,
        "exact_time": exact,
        "when": when,
        "long_date": long_date,
        "domain": domain,
        "web_url": web_url,
        "list_items": list_items,
        "consensus_labels": CONSENSUS_LABELS,
    }
