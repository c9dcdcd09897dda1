"""Revised articles in the API: importing an article's next revision, and a block's wordings across revisions."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from forum.api.articles import source_arguments
from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.schemas import ArticleIn, BlockRevisionsOut, RevisionOut
from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.models import Role
from forum.services import imports, paragraph_history, revisions


@registry.route(
    "/articles/<id:article_id>/revisions", "POST", body=ArticleIn,
    responses={201: RevisionOut, 403: ErrorBody, 409: ErrorBody, 410: ErrorBody, 413: ErrorBody}, auth=True,
)
def revise_article(article_id: int, body: ArticleIn) -> ResponseReturnValue:
    """Import the article's next revision: every thread follows its paragraph into it.

    Who may call it: admins. The body is as for importing an article. It answers what the revision made:
    the import's counts, the new `revision`, `changes` (blocks by what became of them) and `review` (the
    blocks whose verdict a moderator should review). 409 for the text of the current revision or of another
    published article, 410 for an unpublished article.
    """
    viewer = current_viewer()
    require_role(viewer, Role.ADMIN)
    session = get_session()
    report = imports.revise_from(
        session, article_id, revised_by=acting_member(viewer), **source_arguments(body, "the revised text")
    )
    session.commit()
    return revisions.revision_summary(session, report), 201


@registry.route("/blocks/<id:block_id>/revisions", "GET", responses={200: BlockRevisionsOut, 410: ErrorBody})
def block_revisions(block_id: int) -> ResponseReturnValue:
    """A block's wordings, oldest first: one for each revision of its article that gave it a new text.

    Who may call it: anyone; moderators also read those of an unpublished article.
    """
    moderator = current_viewer().has_role(Role.MODERATOR)
    rows = paragraph_history.block_revisions(get_session(), block_id, moderator=moderator)
    return {"revisions": [{"revision": row.revision, "text": row.text} for row in rows]}
