"""The forum's reading pages."""

from __future__ import annotations

from flask import render_template

from forum.db import get_session
from forum.services import articles
from forum.settings import template
from forum.views import blueprint


@blueprint.get("/")
def index() -> str:
    """The home page: the forum's articles, each with a one-line summary."""
    return render_template(template("index"), articles=articles.list_articles(get_session()))
