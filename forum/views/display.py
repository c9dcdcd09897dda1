"""Small helpers the forum's pages share: times, domains, citation markers, list items."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import cast

from flask import get_flashed_messages, url_for
from markupsafe import Markup, escape

from forum.models import ConsensusStatus, FlagReason
from forum.plurals import plural
from forum.services.citation_slots import SlotView
from forum.services.thread_page import ThreadView
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
# Why a member may flag an argument, as the flag forms offer it.
FLAG_REASONS = [
    (FlagReason.SPAM.value, "Spam"),
    (FlagReason.ABUSE.value, "Abuse"),
    (FlagReason.OFF_TOPIC.value, "Off topic"),
    (FlagReason.OTHER.value, "Other"),
]


def ago(moment: datetime, now: datetime | None = None) -> str:
    """How long ago a moment was, in words a reader takes in at a glance."""
    return words_since(int(((now or datetime.now(UTC)) - moment).total_seconds()))


def words_since(seconds: int) -> str:
    """`ago`'s words for a moment `seconds` ago."""
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


def thread_marker(thread: ThreadView, open_href: str = "#post") -> Callable[[int], Markup | None]:
    """The function that turns a paragraph's footnote numbers into links, on its thread and its pages; an open
    slot's marker leads to `open_href` (the thread's composer)."""
    slots = {slot.number: slot for slot in thread.slots}
    article = thread.block.article

    def marker(number: int) -> Markup | None:
        slot = slots.get(number)
        if slot is None:
            return None
        footnote = url_for(
            "forum.article", article_id=article.id, slug=article.slug, _anchor=f"cite-{number}"
        )
        return slot_marker(slot, footnote, open_href)

    return marker


# Flashed in this category (with the argument's id), a message is said beside that argument, where the
# reader is, rather than at the top of the page.
ARGUMENT_NOTICE = "argument-"


def notice_beside(argument_id: int) -> str:
    """The flash category of a message to be said beside an argument."""
    return f"{ARGUMENT_NOTICE}{argument_id}"


def argument_notices() -> dict[int, str]:
    """The messages this request says beside an argument, by the argument's id."""
    notices: dict[int, str] = {}
    flashed = cast(list[tuple[str, str]], get_flashed_messages(with_categories=True))
    for category, message in flashed:
        number = category.removeprefix(ARGUMENT_NOTICE)
        if category.startswith(ARGUMENT_NOTICE) and number.isdigit():
            notices[int(number)] = message
    return notices


def list_items(text: str) -> list[str]:
    """The items of a list block, one per line, without their bullets or numbers."""
    lines = [line for line in text.splitlines() if line.strip()]
    return [LIST_BULLET.sub("", line, count=1).strip() for line in lines]


OPENING_WORDS = 10


def opening_words(text: str, count: int = OPENING_WORDS) -> str:
    """The first words of a block's text, to tell its thread apart: footnote markers and list bullets
    left out, an ellipsis when there is more."""
    plain = " ".join(LIST_BULLET.sub("", line, count=1) for line in text.splitlines() if line.strip())
    words = MARKER.sub("", plain).split()
    if len(words) <= count:
        return " ".join(words)
    return " ".join(words[:count]).rstrip(",;:–—-") + "…"


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
        "opening_words": opening_words,
        "plural": plural,
        "consensus_labels": CONSENSUS_LABELS,
        "flag_reasons": FLAG_REASONS,
    }
