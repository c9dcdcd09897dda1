"""The forum's reading pages."""

from __future__ import annotations

from flask import render_template, request

from forum.db import get_session
from forum.routing import parse_id
from forum.services import article_list
from forum.settings import template
from forum.views.site import blueprint

PAGE = 100


@blueprint.get("/")
def index() -> str:
    """The home page: the forum's articles, newest first, each with a one-line summary; `?after=` pages on."""
    found = article_list.list_articles(get_session(), PAGE + 1, parse_id(request.args.get("after")))
    page = found[:PAGE]
    older = page[-1].article.id if len(found) > PAGE else None
    return render_template(template("index"), articles=page, older=older)
