"""Searching in the API: arguments, paragraphs and article titles, best first, paged by a cursor."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from forum.api.blueprint import registry
from forum.api.schemas import SearchOut, SearchQuery
from forum.auth import current_viewer
from forum.db import get_session
from forum.models import Role
from forum.services import search as searching


@registry.route("/search", "GET", query=SearchQuery, responses={200: SearchOut}, limited="search")
def search(query: SearchQuery) -> ResponseReturnValue:
    """Search arguments (their sources' titles and quotes too), paragraphs and article titles; `next` pages on.

    Who may call it: anyone; moderators also find hidden and withdrawn arguments. Unpublished articles are
    found by nobody. Limited per member (per address before sign-in) by `FORUM_RATELIMIT_SEARCH`.
    """
    page = searching.search(
        get_session(), query.q, kind=query.kind, article_id=query.article,
        moderator=current_viewer().has_role(Role.MODERATOR), limit=query.limit, after=query.after,
    )
    results = [
        {"kind": r.kind, "id": r.id, "article_id": r.article_id, "block_id": r.block_id, "title": r.title,
         "snippet": str(r.snippet)}
        for r in page.results
    ]
    return {"results": results, "next": page.next}
