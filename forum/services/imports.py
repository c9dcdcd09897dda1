"""Importing an article from text, an uploaded file or a URL, in one transaction."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy.orm as so

from forum.importing import ParsedArticle, fetch_url, parse_article
from forum.importing.network import any_address, is_public
from forum.models import Article, Member
from forum.services.article_storage import import_article
from forum.services.revisions import RevisionReport, revise_article


def import_limits(config: Mapping[str, Any]) -> dict[str, Any]:
    """The forum's limits on what an import reads, from its settings, as the import services take them."""
    return {
        "max_bytes": config["FORUM_IMPORT_MAX_BYTES"],
        "timeout": config["FORUM_IMPORT_TIMEOUT"],
        "allow_private_addresses": config["FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES"],
    }


def parse_source(
    *,
    data: bytes | None = None,
    url: str | None = None,
    format: str | None = None,
    title: str | None = None,
    filename: str | None = None,
    max_bytes: int = 2_000_000,
    timeout: float = 10,
    allow_private_addresses: bool = False,
) -> ParsedArticle:
    """Parse an article given as bytes or fetched from `url`; `ImportRefused` says what is wrong."""
    content_type = None
    if url:
        allow = any_address if allow_private_addresses else is_public
        data, content_type = fetch_url(url, timeout=timeout, max_bytes=max_bytes, allow=allow)
    return parse_article(
        data or b"",
        format,
        title=title,
        max_bytes=max_bytes,
        filename=filename,
        content_type=content_type,
    )


def import_from(
    session: so.Session,
    *,
    data: bytes | None = None,
    url: str | None = None,
    format: str | None = None,
    title: str | None = None,
    filename: str | None = None,
    imported_by: Member | None = None,
    max_bytes: int = 2_000_000,
    timeout: float = 10,
    allow_private_addresses: bool = False,
) -> Article:
    """Parse and store an article; nothing is stored when parsing fails, and the caller commits."""
    parsed = parse_source(
        data=data, url=url, format=format, title=title, filename=filename,
        max_bytes=max_bytes, timeout=timeout, allow_private_addresses=allow_private_addresses,
    )
    return import_article(session, parsed, imported_by=imported_by, source_url=url)


def revise_from(
    session: so.Session,
    article_id: int,
    *,
    data: bytes | None = None,
    url: str | None = None,
    format: str | None = None,
    title: str | None = None,
    filename: str | None = None,
    revised_by: Member | None = None,
    reviewed_revision: int | None = None,
    max_bytes: int = 2_000_000,
    timeout: float = 10,
    allow_private_addresses: bool = False,
) -> RevisionReport:
    """Parse a revised text of an article and make it the article's next revision; the caller commits."""
    parsed = parse_source(
        data=data, url=url, format=format, title=title, filename=filename,
        max_bytes=max_bytes, timeout=timeout, allow_private_addresses=allow_private_addresses,
    )
    return revise_article(
        session, article_id, parsed, revised_by=revised_by, source_url=url, reviewed_revision=reviewed_revision
    )
