"""What every writer shares: the formats and their media types, what each cannot carry, and small text helpers."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from types import TracebackType
from typing import IO, Any

from forum.exporting.model import ArgumentItem, BlockItem

FORMATS = ("json", "aif", "sadface", "argdown")
MEDIA_TYPES = {
    "json": "application/json",
    "aif": "application/json",
    "sadface": "application/json",
    "argdown": "text/plain; charset=utf-8",
}
EXTENSIONS = {"json": "json", "aif": "json", "sadface": "json", "argdown": "argdown"}
# A later section of an export is held in memory up to this many bytes, then on disk.
SPOOL_IN_MEMORY = 1_000_000
# How much of a spooled section is read back at a time.
SPOOL_CHUNK = 64_000

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


# One encoder for every export: `json.dumps` with options builds a new one at each call, which the writers make
# hundreds of thousands of on a long debate.
ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> str:
    """One JSON value, compact, Unicode kept as it is."""
    return ENCODER.encode(value)


def items(values: list[Any]) -> str:
    """Values as the items of a JSON list, comma-separated without the brackets: a thread's worth at one call."""
    return ENCODER.encode(values)[1:-1]


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


class Section:
    """A later section of an export (a JSON list's items), written while an earlier one streams and read back
    after it, so that the threads are read once and memory stays flat: past `SPOOL_IN_MEMORY` it goes to disk.

    Use it as a context manager: the temporary file is closed however the export ends (a client may leave).
    """

    def __init__(self) -> None:
        """An empty section."""
        self.file: IO[str] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, mode="w+", encoding="utf-8")
        self.empty = True

    def __enter__(self) -> Section:
        """The section, its file open."""
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        """Close (and so delete) its file."""
        self.file.close()

    def add(self, values: list[Any]) -> None:
        """Append values to the list, with the commas between them."""
        if values:
            self.file.write(("" if self.empty else ",") + items(values))
            self.empty = False

    def chunks(self) -> Iterator[str]:
        """What was added, from the start, a chunk at a time."""
        self.file.seek(0)
        while chunk := self.file.read(SPOOL_CHUNK):
            yield chunk
