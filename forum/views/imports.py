"""The admins' import page: paste, upload or fetch an article (or a revision of one), review it, then publish it."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError, Invalid
from forum.importing import ParsedArticle
from forum.models import Article, Role
from forum.routing import parse_id
from forum.services import imports, revisions
from forum.settings import template
from forum.views.forms import IMPORT_FORMATS, ImportDraft, show_again
from forum.views.revision_review import Review, review_of
from forum.views.site import blueprint


@blueprint.url_value_preprocessor
def allow_large_imports(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Let the import form carry a whole article; this runs before the CSRF hook reads the form."""
    if endpoint == "forum.import_article":
        # Text fields of a multipart form are capped at 500 kB by default, below an article's limit.
        limit = current_app.config["FORUM_IMPORT_MAX_BYTES"]
        request.max_form_memory_size = limit * 2 + 65_536


def import_page(draft: ImportDraft, parsed: ParsedArticle | None = None, review: Review | None = None) -> str:
    """The import page with the form, and the review of a parsed article (or of a revision) when there is one."""
    return render_template(
        template("import"), draft=draft, parsed=parsed, review=review, formats=IMPORT_FORMATS
    )


def revised_article(draft: ImportDraft) -> int | None:
    """The id of the article the draft revises, if it names one."""
    if not draft.revises:
        return None
    article_id = parse_id(draft.revises)
    if article_id is None:
        raise Invalid("Name the article to revise by its number.", field="revises")
    return article_id


def reviewed_revision(draft: ImportDraft) -> int:
    """The revision the draft's review was made against: a revision is published only after its review."""
    reviewed = parse_id(draft.reviewed) if draft.reviewed else None
    if reviewed is None:
        raise Invalid("Review the revision first: see what becomes of each paragraph, then publish it.",
                      field="revises")
    return reviewed


@blueprint.route("/import", methods=["GET", "POST"])
def import_article() -> ResponseReturnValue:
    """Import an article or a revision of one (admins): Review parses and shows it, Publish stores it."""
    viewer = current_viewer()
    manager = getattr(current_app, "login_manager", None)
    if not viewer.is_authenticated and manager:
        login_view = manager.login_view
        if login_view:
            return redirect(url_for(login_view, next=request.full_path.rstrip("?")))
    require_role(viewer, Role.ADMIN)
    if request.method == "GET":
        return import_page(ImportDraft(revises=request.args.get("revises", "")[:20]))
    draft = ImportDraft.from_request(current_app.config["FORUM_IMPORT_MAX_BYTES"])
    session = get_session()
    try:
        article_id = revised_article(draft)
        publish = request.form.get("action") == "publish"
        if article_id is not None and publish:
            imports.revise_from(
                session, article_id, revised_by=acting_member(viewer), reviewed_revision=reviewed_revision(draft),
                **draft.service_arguments(),
            )
        elif publish:
            article_id = imports.import_from(
                session, imported_by=acting_member(viewer), **draft.service_arguments()
            ).id
        else:
            parsed = imports.parse_source(**draft.service_arguments())
            if article_id is None:
                return import_page(draft, parsed)
            # The review writes nothing: the publish button sends the text again, with the revision it saw.
            review = review_of(revisions.plan_revision(session, article_id, parsed))
            draft.reviewed = str(review.plan.article.revision)
            return import_page(draft, parsed, review)
    except ForumError as error:
        return show_again(error, lambda refusal: import_page(draft.show(refusal)))
    session.commit()
    slug = session.scalar(sa.select(Article.slug).where(Article.id == article_id))
    return redirect(url_for("forum.article", article_id=article_id, slug=slug), 303)
