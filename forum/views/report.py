"""The printable report of an article: its text with each paragraph's verdict, key arguments, strongest counter
and support, sources and open citations, and the verdict map."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue

from forum.auth import current_viewer
from forum.db import get_session
from forum.models import Role
from forum.services import article_page
from forum.services.report import ThreadReport, thread_reports
from forum.settings import template
from forum.views.articles import sections, verdict_map
from forum.views.site import blueprint


@blueprint.get("/articles/<id:article_id>/report")
def report(article_id: int) -> ResponseReturnValue:
    """The article's report for print (A4 or Letter), 410 once unpublished but to moderators."""
    moderator = current_viewer().has_role(Role.MODERATOR)
    session = get_session()
    view = article_page.article_view(session, article_id, moderator=moderator)
    reports = thread_reports(session, article_id, view.blocks)
    return render_template(
        template("report"),
        view=view,
        article=view.article,
        sections=sections(view.blocks),
        verdict_map=verdict_map(view),
        reports=reports,
        empty=ThreadReport(),
        footnotes=sorted(view.slots.values(), key=lambda slot: slot.number),
    )
