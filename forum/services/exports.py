"""Exporting an article's debate: who may, what the export is keyed by, and its text in chunks."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator

import sqlalchemy.orm as so

from forum.errors import Invalid, NotFound
from forum.exporting import aif, argdown, debate_json, sadface
from forum.exporting.common import FORMATS
from forum.exporting.model import BlockItem, Header, export_version, iter_blocks, read_header

# A writer reads the blocks once, as `iter_blocks` yields them a batch at a time.
Writer = Callable[[Header, Iterable[BlockItem]], Iterator[str]]
WRITERS: dict[str, Writer] = {
    "json": debate_json.write, "aif": aif.write, "sadface": sadface.write, "argdown": argdown.write,
}
# Bumped when a writer changes what it writes, so that no validator of an older export matches a newer one.
WRITERS_VERSION = 1


def check_format(name: str) -> str:
    """The format named, or `Invalid` listing the formats."""
    if name not in WRITERS:
        raise Invalid(f"The format is one of: {', '.join(FORMATS)}.", field="format")
    return name


def export_tag(session: so.Session, article_id: int, name: str, *, moderator: bool) -> str:
    """The validator of an export: a digest of the article's versions, the format and whose export it is."""
    versions = export_version(session, article_id)
    if versions is None:
        raise NotFound("There is no such article.")
    named = f"{article_id}|{'.'.join(map(str, versions))}|{name}|{'moderator' if moderator else 'reader'}"
    return hashlib.sha256(f"{named}|{WRITERS_VERSION}".encode()).hexdigest()[:40]


def open_export(session: so.Session, article_id: int, name: str, *, moderator: bool) -> Iterator[str]:
    """The export's text in chunks. Who may read it is checked first (`NotFound`, `Gone` for readers of an
    unpublished article), so that a refusal comes before anything is written."""
    writer = WRITERS[check_format(name)]
    header = read_header(session, article_id, moderator=moderator)
    return writer(header, iter_blocks(session, article_id, moderator=moderator))


def export_text(session: so.Session, article_id: int, name: str, *, moderator: bool) -> str:
    """The whole export as one text (for small articles and tests)."""
    return "".join(open_export(session, article_id, name, moderator=moderator))
