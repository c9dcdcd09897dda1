"""The search page: a form that works without JavaScript, and a page of results linking to their threads."""

from __future__ import annotations

from flask import render_template, request
from flask.typing import ResponseReturnValue

from forum.auth import current_viewer
from forum.db import get_session
from forum.errors import Invalid
from forum.models import Role
from forum.ratelimit import counted
from forum.routing import parse_id
from forum.services import search as searching
from forum.settings import template
from forum.views.site import blueprint

PAGE = 20
KIND_NAMES = {"argument": "Arguments", "block": "Paragraphs", "article": "Articles"}


@blueprint.get("/search")
def search() -> ResponseReturnValue:
    """Search results for `?q=` (none asked: the empty form), filtered by `kind` and `article`; `after` pages on.

    Never kept by the page cache (it is no page of `forum.caching.pages`), so one viewer's results, a
    moderator's with hidden arguments, are never served to another.
    """
    text = request.args.get("q", "")
    kind = request.args.get("kind") or None
    article_id = parse_id(request.args.get("article"))
    after = request.args.get("after") or None
    shown = {"text": text, "search_text": text, "kind": kind, "article_id": article_id, "kinds": KIND_NAMES}
    if not text.strip():
        return render_template(template("search"), page=None, problem=None, **shown)
    try:
        with counted("search"):
            page = searching.search(
                get_session(), text, kind=kind, article_id=article_id,
                moderator=current_viewer().has_role(Role.MODERATOR), limit=PAGE, after=after,
            )
    except Invalid as problem:
        return render_template(template("search"), page=None, problem=problem.message, **shown), 422
    return render_template(template("search"), page=page, problem=None, **shown)
