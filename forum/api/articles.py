"""Articles in the API: the list, one article with its threads, and importing."""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue

from forum.api import registry
from forum.api.openapi import ErrorBody
from forum.api.present import article_json, listing_json
from forum.api.schemas import ArticleIn, ArticleOut, ArticlesOut, ArticlesQuery
from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import Invalid
from forum.models import Role
from forum.services import articles, imports


@registry.route("/articles", "GET", query=ArticlesQuery, responses={200: ArticlesOut})
def list_articles(query: ArticlesQuery) -> ResponseReturnValue:
    """The articles, newest first, with their thread, argument and open-citation counts; `next` pages on.

    Who may call it: anyone.
    """
    found = articles.list_articles(get_session(), query.limit + 1, query.after)
    page = found[: query.limit]
    more = len(found) > query.limit
    return {"articles": [listing_json(a) for a in page], "next": page[-1].article.id if more else None}


@registry.route("/articles/<id:article_id>", "GET", responses={200: ArticleOut})
def get_article(article_id: int) -> ResponseReturnValue:
    """An article with its blocks, their citations and their threads' summaries.

    Who may call it: anyone.
    """
    return article_json(articles.article_view(get_session(), article_id))


@registry.route(
    "/articles", "POST", body=ArticleIn,
    responses={201: ArticleOut, 403: ErrorBody, 413: ErrorBody}, auth=True,
)
def create_article(body: ArticleIn) -> ResponseReturnValue:
    """Import an article from its text or a URL (admins).

    Who may call it: admins.
    """
    viewer = current_viewer()
    require_role(viewer, Role.ADMIN)
    if bool(body.text) == bool(body.url):
        raise Invalid("Send the article's text or its URL (one of them).", field="text")
    session = get_session()
    article = imports.import_from(
        session,
        # A lone surrogate from JSON's \ud800 is kept, for the parser to refuse as it refuses any bad UTF-8.
        data=body.text.encode("utf-8", "surrogatepass") if body.text else None,
        url=body.url,
        format=body.format,
        title=body.title,
        imported_by=acting_member(viewer),
        max_bytes=current_app.config["FORUM_IMPORT_MAX_BYTES"],
        timeout=current_app.config["FORUM_IMPORT_TIMEOUT"],
        allow_private_addresses=current_app.config["FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES"],
    )
    session.commit()
    return article_json(articles.article_view(session, article.id)), 201
