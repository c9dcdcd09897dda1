"""Articles in the API: the list, one article with its threads, importing, unpublishing, and citation slots."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.typing import ResponseReturnValue

from forum.api.blueprint import api, registry
from forum.api.openapi import ErrorBody
from forum.api.present import article_json, listing_json, slot_json
from forum.api.schemas import (
    ArticleIn,
    ArticleOut,
    ArticlesOut,
    ArticlesQuery,
    CitationIn,
    CitationOut,
    UnpublishQuery,
)
from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import Invalid
from forum.models import Role
from forum.services import article_list, article_page, article_storage, citations, imports, publication


@api.errorhandler(article_storage.DuplicateArticle)
def duplicate_article(error: article_storage.DuplicateArticle) -> ResponseReturnValue:
    """A repeated import: the usual error, naming the published article whose text it is."""
    detail = {"code": error.code, "message": error.message, "article": {"id": error.article_id, "title": error.title}}
    return {"error": detail}, error.status


@registry.route("/articles", "GET", query=ArticlesQuery, responses={200: ArticlesOut})
def list_articles(query: ArticlesQuery) -> ResponseReturnValue:
    """The published articles, newest first, with their thread, argument and open-citation counts; `next` pages on.

    Who may call it: anyone.
    """
    found = article_list.list_articles(get_session(), query.limit + 1, query.after)
    page = found[: query.limit]
    more = len(found) > query.limit
    return {"articles": [listing_json(a) for a in page], "next": page[-1].article.id if more else None}


@registry.route("/articles/<id:article_id>", "GET", responses={200: ArticleOut, 410: ErrorBody})
def get_article(article_id: int) -> ResponseReturnValue:
    """An article with its blocks, their citations and their threads' summaries (410 once unpublished).

    Who may call it: anyone; moderators also read an unpublished article.
    """
    moderator = current_viewer().has_role(Role.MODERATOR)
    return article_json(article_page.article_view(get_session(), article_id, moderator=moderator))


def source_arguments(body: ArticleIn, what: str) -> dict[str, Any]:
    """What the import services take from an import's body (its text or its URL, not both), with the limits."""
    if bool(body.text) == bool(body.url):
        raise Invalid(f"Send {what} or its URL (one of them).", field="text")
    return {
        # A lone surrogate from JSON's \ud800 is kept, for the parser to refuse as it refuses any bad UTF-8.
        "data": body.text.encode("utf-8", "surrogatepass") if body.text else None,
        "url": body.url,
        "format": body.format,
        "title": body.title,
        **imports.import_limits(current_app.config),
    }


@registry.route(
    "/articles", "POST", body=ArticleIn,
    responses={201: ArticleOut, 403: ErrorBody, 409: ErrorBody, 413: ErrorBody}, auth=True,
)
def create_article(body: ArticleIn) -> ResponseReturnValue:
    """Import an article from its text or a URL; 409 when the same text is published already.

    Who may call it: admins. The 409's error names that article in `article`: `{"id", "title"}`.
    """
    viewer = current_viewer()
    require_role(viewer, Role.ADMIN)
    session = get_session()
    article = imports.import_from(
        session, imported_by=acting_member(viewer), **source_arguments(body, "the article's text")
    )
    session.commit()
    return article_json(article_page.article_view(session, article.id)), 201


@registry.route(
    "/articles/<id:article_id>", "DELETE", query=UnpublishQuery,
    responses={200: ArticleOut, 403: ErrorBody, 409: ErrorBody}, auth=True,
)
def unpublish_article(article_id: int, query: UnpublishQuery) -> ResponseReturnValue:
    """Unpublish an article: gone from lists, 410 to readers, kept for moderators and exports.

    Who may call it: admins.
    """
    viewer = current_viewer()
    require_role(viewer, Role.ADMIN)
    session = get_session()
    publication.unpublish_article(session, article_id, acting_member(viewer), query.reason or "")
    session.commit()
    return article_json(article_page.article_view(session, article_id, moderator=True))


@registry.route(
    "/articles/<id:article_id>/citations/<id:number>", "PUT", body=CitationIn,
    responses={200: CitationOut, 403: ErrorBody, 409: ErrorBody}, auth=True,
)
def accept_citation(article_id: int, number: int, body: CitationIn) -> ResponseReturnValue:
    """Accept a member's proposed source for a footnote, or null to leave the slot open again.

    Who may call it: moderators.
    """
    viewer = current_viewer()
    require_role(viewer, Role.MODERATOR)
    session = get_session()
    slot = citations.accept_citation(session, article_id, number, acting_member(viewer), body.source_id)
    session.commit()
    return slot_json(slot)
