"""Revised articles in the API: importing an article's next revision, and a block's wordings across revisions."""

from __future__ import annotations

from flask import current_app
from flask.typing import ResponseReturnValue

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.schemas import ArticleIn, BlockRevisionsOut, RevisionOut
from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import Invalid
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
    if bool(body.text) == bool(body.url):
        raise Invalid("Send the revised text or its URL (one of them).", field="text")
    session = get_session()
    report = imports.revise_from(
        session,
        article_id,
        data=body.text.encode("utf-8", "surrogatepass") if body.text else None,
        url=body.url,
        format=body.format,
        title=body.title,
        revised_by=acting_member(viewer),
        max_bytes=current_app.config["FORUM_IMPORT_MAX_BYTES"],
        timeout=current_app.config["FORUM_IMPORT_TIMEOUT"],
        allow_private_addresses=current_app.config["FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES"],
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
