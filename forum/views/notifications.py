"""The notifications page and its forms, and watching a thread or an article from its page."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from forum.auth import acting_member, current_viewer
from forum.db import get_session
from forum.errors import Invalid, NotAuthenticated
from forum.ratelimit import counted
from forum.routing import parse_id
from forum.services import notifications, watching
from forum.settings import template
from forum.urls import is_local_path
from forum.views.site import blueprint

LEVEL_NEWS = {
    "watching": "You are watching this {}: you will hear of its verdicts, replies and mentions.",
    "normal": "This {} is back to normal: you will hear of replies to you and mentions.",
    "muted": "This {} is muted: it will tell you nothing.",
}


@blueprint.get("/notifications", endpoint="notifications")
def notifications_page() -> ResponseReturnValue:
    """The member's notifications, latest first (`?unread=1`: the unread ones; `?after=` pages on)."""
    viewer = current_viewer()
    if not viewer.is_authenticated:
        login_view = getattr(getattr(current_app, "login_manager", None), "login_view", None)
        if login_view:
            return redirect(url_for(login_view, next=request.full_path.rstrip("?")))
        raise NotAuthenticated("Sign in to read your notifications.")
    unread_only = request.args.get("unread") == "1"
    found: list[notifications.Line] = []
    if viewer.member is not None:
        try:
            after = notifications.parse_cursor(request.args.get("after"))
        except Invalid:
            after = None  # a page that is no page: the first
        found = notifications.lines(
            get_session(), viewer.member, unread_only=unread_only, after=after, limit=notifications.PAGE_SIZE + 1
        )
    shown = found[: notifications.PAGE_SIZE]
    more = notifications.cursor_of(shown[-1]) if len(found) > notifications.PAGE_SIZE else None
    return render_template(template("notifications"), lines=shown, unread_only=unread_only, more=more)


@blueprint.post("/notifications/read")
def mark_notifications_read() -> ResponseReturnValue:
    """Mark one notification read (`id`), or all (`all`); back to the page, or on to what it is about (`next`)."""
    session = get_session()
    member = acting_member(current_viewer())
    everything = request.form.get("all") == "1"
    ids = [] if everything else [parse_id(value) for value in request.form.getlist("id")]
    with counted("read"):
        marked = notifications.mark_read(session, member, ids, everything=everything)
        session.commit()
    target = request.form.get("next", "")
    # Only a path of this site: a form cannot send a reader elsewhere.
    if is_local_path(target):
        return redirect(target, 303)
    if everything:
        flash(f"All read ({marked} marked)." if marked else "Nothing was unread.")
    return redirect(url_for("forum.notifications", unread="1" if request.form.get("unread") == "1" else None), 303)


@blueprint.post("/blocks/<id:block_id>/watch", endpoint="watch_thread")
def watch_thread(block_id: int) -> ResponseReturnValue:
    """Set the member's level for a thread; back to the thread."""
    session = get_session()
    member = acting_member(current_viewer())
    with counted("watch"):
        block, level = watching.watch_thread(session, member, block_id, request.form.get("level", ""))
        session.commit()
    flash(LEVEL_NEWS[level.value].format("thread"))
    return redirect(url_for("forum.thread", block_id=block.id), 303)


@blueprint.post("/articles/<id:article_id>/watch", endpoint="watch_article")
def watch_article(article_id: int) -> ResponseReturnValue:
    """Set the member's level for a whole article; back to the article."""
    session = get_session()
    member = acting_member(current_viewer())
    with counted("watch"):
        article, level = watching.watch_article(session, member, article_id, request.form.get("level", ""))
        session.commit()
    flash(LEVEL_NEWS[level.value].format("article"))
    return redirect(url_for("forum.article", article_id=article.id), 303)
