"""The admins' import page: paste, upload or fetch an article, review its blocks, then publish it."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from flask import current_app, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer, require_role
from forum.db import get_session
from forum.errors import ForumError, Invalid
from forum.importing import ParsedArticle
from forum.models import Role
from forum.services import imports
from forum.services.articles import DuplicateArticle
from forum.settings import template
from forum.views import blueprint

FORMATS = [("", "Detect it"), ("text", "Plain text"), ("markdown", "Markdown"), ("html", "HTML")]


@dataclass
class ImportDraft:
    """The import form as the admin filled it; an uploaded file is kept (base64) for publishing."""

    text: str = ""
    url: str = ""
    format: str = ""
    title: str = ""
    upload: str = ""
    upload_name: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    # The published article whose text this is, when publishing was refused as a duplicate.
    duplicate: DuplicateArticle | None = None

    @classmethod
    def from_request(cls, max_bytes: int) -> ImportDraft:
        """The draft as posted; a new upload replaces the kept one."""
        form = request.form
        fmt = form.get("format", "")
        draft = cls(
            text=form.get("text", ""),
            url=form.get("url", "").strip(),
            format=fmt if fmt in dict(FORMATS) else "",
            title=form.get("title", "").strip(),
        )
        if not form.get("drop_upload"):
            draft.upload, draft.upload_name = form.get("upload", ""), form.get("upload_name", "")
        file = request.files.get("file")
        if file is not None and file.filename:
            # One byte over the limit is enough for the parser to refuse the file as too large.
            data = file.read(max_bytes + 1)
            draft.upload = base64.b64encode(data).decode("ascii")
            draft.upload_name = file.filename
        return draft

    def source(self) -> dict:
        """The article's input for the import service: its bytes or its URL, exactly one of them."""
        given = [bool(self.text.strip()), bool(self.upload), bool(self.url)]
        if sum(given) != 1:
            raise Invalid(
                "Give the article one way: paste its text, upload a file, or give its URL.",
                field="text",
            )
        if self.url:
            return {"url": self.url}
        if self.upload:
            try:
                data = base64.b64decode(self.upload, validate=True)
            except (binascii.Error, ValueError):
                raise Invalid("The uploaded file was lost; upload it again.", field="file") from None
            return {"data": data, "filename": self.upload_name or None}
        return {"data": self.text.encode("utf-8")}

    def service_arguments(self) -> dict:
        """What both import services take from this form, with the forum's limits."""
        config = current_app.config
        return {
            **self.source(),
            "format": self.format or None,
            "title": self.title or None,
            "max_bytes": config["FORUM_IMPORT_MAX_BYTES"],
            "timeout": config["FORUM_IMPORT_TIMEOUT"],
            "allow_private_addresses": config["FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES"],
        }

    def show(self, error: ForumError) -> None:
        """Put a refusal beside the input it concerns (the source, unless it names another field)."""
        name = error.field if error.field in ("text", "url", "file", "format", "title") else "source"
        self.errors[name] = error.message
        if isinstance(error, DuplicateArticle):
            self.duplicate = error


@blueprint.url_value_preprocessor
def allow_large_imports(endpoint: str | None, _values: dict | None) -> None:
    """Let the import form carry a whole article; this runs before the CSRF hook reads the form."""
    if endpoint == "forum.import_article":
        # Text fields of a multipart form are capped at 500 kB by default, below an article's limit.
        limit = current_app.config["FORUM_IMPORT_MAX_BYTES"]
        request.max_form_memory_size = limit * 2 + 65_536


def render_import(draft: ImportDraft, parsed: ParsedArticle | None = None, status: int = 200):
    """The import page with the form, and the review of a parsed article when there is one."""
    page = render_template(template("import"), draft=draft, parsed=parsed, formats=FORMATS)
    return page, status


@blueprint.route("/import", methods=["GET", "POST"])
def import_article() -> ResponseReturnValue:
    """Import an article (admins): Review parses and shows it, Publish stores it."""
    viewer = current_viewer()
    if not viewer.is_authenticated and getattr(current_app, "login_manager", None):
        login_view = current_app.login_manager.login_view
        if login_view:
            return redirect(url_for(login_view, next=request.full_path.rstrip("?")))
    require_role(viewer, Role.ADMIN)
    if request.method == "GET":
        return render_import(ImportDraft())
    draft = ImportDraft.from_request(current_app.config["FORUM_IMPORT_MAX_BYTES"])
    session = get_session()
    try:
        if request.form.get("action") == "publish":
            article = imports.import_from(
                session, imported_by=acting_member(viewer), **draft.service_arguments()
            )
        else:
            return render_import(draft, imports.parse_source(**draft.service_arguments()))
    except ForumError as error:
        session.rollback()
        draft.show(error)
        return render_import(draft, status=error.status)
    session.commit()
    return redirect(url_for("forum.article", article_id=article.id, slug=article.slug), 303)
