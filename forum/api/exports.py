"""Exports in the API: an article's whole debate in an open format, streamed, with a validator."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from typing import Literal

import sqlalchemy.orm as so
from flask import Response, request, stream_with_context
from flask.typing import ResponseReturnValue
from pydantic import BaseModel, ConfigDict, Field

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.auth import current_viewer
from forum.db import get_session
from forum.exporting.common import EXTENSIONS, MEDIA_TYPES
from forum.exporting.debate_import import schema
from forum.models import Role
from forum.security import PRIVATE
from forum.services import exports


class ExportQuery(BaseModel):
    """Which format to export in."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["json", "aif", "sadface", "argdown"] = Field(
        default="json",
        description="`json` (the forum's own, with a JSON Schema), `aif` (AIFdb JSON), `sadface` or `argdown`.",
    )


def encoded(chunks: Iterator[str], session: so.Session) -> Iterator[bytes]:
    """The export's chunks as UTF-8, its session closed at the end, or when the client leaves half-way."""
    try:
        for chunk in chunks:
            yield chunk.encode()
    finally:
        if isinstance(chunks, Generator):
            chunks.close()  # its spooled sections go at once
        # The request's teardown closed this session before the stream began; reading the threads opened it
        # again, and nothing else would give its connection back.
        session.close()


@registry.route(
    "/articles/<id:article_id>/export", "GET", query=ExportQuery,
    responses={200: None, 304: None, 410: ErrorBody}, limited="export",
)
def export_article(article_id: int, query: ExportQuery) -> ResponseReturnValue:
    """The article's debate in an open format: blocks, threads, argument trees, verdicts and citation slots.

    Who may call it: anyone; a moderator's export also holds hidden arguments, marked. An unpublished article
    answers 410 but to moderators. The answer is streamed, with an `ETag` that changes with anything the
    export shows; `If-None-Match` with it answers 304. What the format cannot carry is listed in the export.
    Limited per member (per address before sign-in) by `FORUM_RATELIMIT_EXPORT`.
    """
    viewer = current_viewer()
    moderator = viewer.has_role(Role.MODERATOR)
    session = get_session()
    tag = exports.export_tag(session, article_id, query.format, moderator=moderator)
    headers = {
        # A reader's export is the same for every reader, and may be kept; a signed-in member's answer, as every
        # page of one person, is kept by no cache (a moderator's holds what readers may not see).
        "Cache-Control": PRIVATE if viewer.is_authenticated else "no-cache",
        "Vary": "Cookie, Authorization",
        "Content-Disposition": f'inline; filename="article-{article_id}.{query.format}.{EXTENSIONS[query.format]}"',
    }
    if request.if_none_match.contains_weak(tag):
        response = Response(status=304, headers=headers)
    else:
        chunks = exports.open_export(session, article_id, query.format, moderator=moderator)
        response = Response(stream_with_context(encoded(chunks, session)),
                            content_type=MEDIA_TYPES[query.format], headers=headers)
    response.set_etag(tag, weak=True)
    return response


@registry.route("/schemas/export.json", "GET", responses={200: None})
def export_schema() -> ResponseReturnValue:
    """The JSON Schema (draft 2020-12) of the forum's own export (`format=json`).

    Who may call it: anyone.
    """
    return schema()
