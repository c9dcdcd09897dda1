"""What every writer shares: the formats and their media types, what each cannot carry, and small text helpers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from forum.exporting.model import ArgumentItem, BlockItem

FORMATS = ("json", "aif", "sadface", "argdown")
MEDIA_TYPES = {
    "json": "application/json",
    "aif": "application/json",
    "sadface": "application/json",
    "argdown": "text/plain; charset=utf-8",
}
EXTENSIONS = {"json": "json", "aif": "json", "sadface": "json", "argdown": "argdown"}

# What the forum holds and no export carries: listed in every export.
NEVER = [
    "who voted which way: only each argument's up and down counts and score",
    "earlier texts of edited arguments",
    "flags, the audit log and members' roles",
]
# What each format cannot carry besides, in the format's own words where it has them.
LOSSES: dict[str, list[str]] = {
    "json": list(NEVER),
    "aif": [
        *NEVER,
        "headings and sections (AIF has statements only)",
        "sources and quotes, scores, helpfulness and verdicts (kept only in this export's `forum` object)",
        "a question is a locution questioning the statement it asks about (YA 'Pure Questioning'); its text is "
        "also an I-node, so that replies can support or attack it",
        "the order of paragraphs and of arguments",
    ],
    "sadface": [
        *NEVER,
        "headings are no atoms: the article resource keeps them as text",
        "questions are atoms marked `question` in their metadata: SADFace has no scheme for asking",
        "verdicts and their history, scores and helpfulness are in each node's `forum` metadata",
    ],
    "argdown": [
        *NEVER,
        "authors, dates, scores, helpfulness and quotes of sources",
        "verdicts are tags (#supported, #contested, #refuted, #needs-sources, #open); their notes and history",
        "questions are statements tagged #question that mention what they ask about: Argdown has no asking relation",
        "citation slots and their references",
    ],
}


def iso(moment: datetime | None) -> str | None:
    """A time as ISO 8601 in UTC, or None."""
    return None if moment is None else moment.astimezone(UTC).isoformat()


def dumps(value: Any) -> str:
    """One JSON value, compact, Unicode kept as it is."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def argument_text(argument: ArgumentItem) -> str:
    """What a statement of an argument says: its body, or what became of it; a hidden one is marked."""
    text = argument.body if argument.body or not argument.withdrawn else "(withdrawn by its author)"
    if argument.withdrawn and argument.body:
        text = f"[withdrawn by its author] {text}"
    if argument.hidden:
        text = f"[hidden by a moderator: {argument.hidden_reason or 'no reason given'}] {text}"
    return text


def threads(blocks: list[BlockItem]) -> list[BlockItem]:
    """The blocks that are threads."""
    return [block for block in blocks if block.is_thread]
