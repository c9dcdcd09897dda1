"""Notifications and watching in the API: your lines and the bell's count, marking them read, watch levels."""

from __future__ import annotations

from flask.typing import ResponseReturnValue

from forum.api.blueprint import registry
from forum.api.openapi import ErrorBody
from forum.api.schemas import (
    ArticleWatchOut,
    MarkReadIn,
    MarkReadOut,
    NotificationsOut,
    NotificationsQuery,
    ThreadWatchOut,
    WatchIn,
)
from forum.auth import acting_member, current_viewer
from forum.db import get_session
from forum.errors import NotAuthenticated
from forum.services import notifications, watching
from forum.services.notifications import Line


def line_json(line: Line) -> dict[str, object]:
    """One notification as the API answers it."""
    actor = {"id": line.actor_id, "name": line.actor_name} if line.actor_id is not None and line.actor_name else None
    return {
        "id": line.id, "kind": line.kind, "created_at": line.created_at.isoformat(), "read": line.read,
        "count": line.count, "block_id": line.block_id, "argument_id": line.argument_id, "actor": actor,
        "text": line.text,
    }


@registry.route("/notifications", "GET", query=NotificationsQuery, responses={200: NotificationsOut}, auth=True)
def list_notifications(query: NotificationsQuery) -> ResponseReturnValue:
    """Your notifications, latest first, and how many are unread; `next` pages on.

    Who may call it: members, each their own; a removed member still reads theirs.
    """
    viewer = current_viewer()
    if not viewer.is_authenticated:
        raise NotAuthenticated("Sign in to read your notifications.")
    if viewer.member is None:  # signed in, not stored yet: told nothing so far
        return {"notifications": [], "unread": 0, "next": None}
    session = get_session()
    after = notifications.parse_cursor(query.after)
    found = notifications.lines(
        session, viewer.member, unread_only=query.unread, after=after, limit=query.limit + 1
    )
    shown = found[: query.limit]
    return {
        "notifications": [line_json(line) for line in shown],
        "unread": notifications.unread_count(session, viewer.member.id),
        "next": notifications.cursor_of(shown[-1]) if len(found) > query.limit else None,
    }


@registry.route(
    "/notifications/read", "POST", body=MarkReadIn, responses={200: MarkReadOut, 403: ErrorBody}, auth=True,
    limited="read",
)
def mark_read(body: MarkReadIn) -> ResponseReturnValue:
    """Mark some of your notifications read (`ids`), or all of them (`all: true`).

    Who may call it: members, on their own; ids of lines not yours are passed over. A removed member may not.
    """
    session = get_session()
    member = acting_member(current_viewer())
    marked = notifications.mark_read(session, member, body.ids, everything=body.all is True)
    session.commit()
    return {"marked": marked, "unread": notifications.unread_count(session, member.id)}


@registry.route(
    "/blocks/<id:block_id>/watch", "PUT", body=WatchIn,
    responses={200: ThreadWatchOut, 403: ErrorBody, 410: ErrorBody}, auth=True, limited="watch",
)
def watch_thread(block_id: int, body: WatchIn) -> ResponseReturnValue:
    """Watch a thread (told of its verdict changes too), keep it normal, or mute it (told nothing from it).

    Who may call it: members. The thread's own level wins over its article's.
    """
    session = get_session()
    member = acting_member(current_viewer())
    block, level = watching.watch_thread(session, member, block_id, body.level)
    session.commit()
    effective = watching.levels_for(session, member, block).effective
    return {"block_id": block.id, "level": level.value, "effective": effective.value}


@registry.route(
    "/articles/<id:article_id>/watch", "PUT", body=WatchIn,
    responses={200: ArticleWatchOut, 403: ErrorBody, 410: ErrorBody}, auth=True, limited="watch",
)
def watch_article(article_id: int, body: WatchIn) -> ResponseReturnValue:
    """Watch, keep normal or mute every thread of an article that has no level of its own.

    Who may call it: members.
    """
    session = get_session()
    article, level = watching.watch_article(session, acting_member(current_viewer()), article_id, body.level)
    session.commit()
    return {"article_id": article.id, "level": level.value}
