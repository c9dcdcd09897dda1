"""The admins' import page: paste, upload or fetch an article, review its blocks, then publish it."""

from __future__ import annotations

from typing import Any

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError
from forum.importing import ParsedArticle
from forum.models import Role
from forum.services import imports
from forum.settings import template
from forum.views.forms import IMPORT_FORMATS, ImportDraft, show_again
from forum.views.site import blueprint


@blueprint.url_value_preprocessor
def allow_large_imports(endpoint: str | None, _values: dict[str, Any] | None) -> None:
    """Let the import form carry a whole article; this runs before the CSRF hook reads the form."""
    if endpoint == "forum.import_article":
        # Text fields of a multipart form are capped at 500 kB by default, below an article's limit.
        limit = current_app.config["FORUM_IMPORT_MAX_BYTES"]
        request.max_form_memory_size = limit * 2 + 65_536


def import_page(draft: ImportDraft, parsed: ParsedArticle | None = None) -> str:
    """The import page with the form, and the review of a parsed article when there is one."""
    return render_template(template("import"), draft=draft, parsed=parsed, formats=IMPORT_FORMATS)


@blueprint.route("/import", methods=["GET", "POST"])
def import_article() -> ResponseReturnValue:
    """Import an article (admins): Review parses and shows it, Publish stores it."""
    viewer = current_viewer()
    manager = getattr(current_app, "login_manager", None)
    if not viewer.is_authenticated and manager:
        login_view = manager.login_view
        if login_view:
            return redirect(url_for(login_view, next=request.full_path.rstrip("?")))
    require_role(viewer, Role.ADMIN)
    if request.method == "GET":
        return import_page(ImportDraft())
    draft = ImportDraft.from_request(current_app.config["FORUM_IMPORT_MAX_BYTES"])
    session = get_session()
    try:
        if request.form.get("action") == "publish":
            article = imports.import_from(
                session, imported_by=acting_member(viewer), **draft.service_arguments()
            )
        else:
            return import_page(draft, imports.parse_source(**draft.service_arguments()))
    except ForumError as error:
        return show_again(error, lambda refusal: import_page(draft.show(refusal)))
    session.commit()
    return redirect(url_for("forum.article", article_id=article.id, slug=article.slug), 303)
