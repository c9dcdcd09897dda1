"""The forum's reading pages."""

from __future__ import annotations

from flask import current_app, render_template

from forum.views import blueprint


@blueprint.get("/")
def index() -> str:
    """The home page: the forum's articles."""
    return render_template(current_app.config["FORUM_TEMPLATE_INDEX"], articles=[])
