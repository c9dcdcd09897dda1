"""Live threads in the API: a thread's changes as a Server-Sent Events stream."""

from __future__ import annotations

from functools import partial

from flask import Response, current_app, request
from flask.typing import ResponseReturnValue

from forum.api.blueprint import error_response, registry
from forum.api.openapi import ErrorBody
from forum.auth import current_viewer
from forum.db import close_session, get_session
from forum.live.streams import StreamSettings, event_lines, start_after
from forum.models import Role
from forum.ratelimit import client_address
from forum.security import PRIVATE
from forum.services.lookup import readable_thread

# How long a client refused for want of room is asked to wait (seconds).
BUSY_RETRY = 15


@registry.route(
    "/blocks/<id:block_id>/events", "GET", responses={200: None, 410: ErrorBody, 503: ErrorBody}
)
def thread_events(block_id: int) -> ResponseReturnValue:
    """The thread's changes as they happen, as Server-Sent Events (`text/event-stream`).

    Who may call it: anyone who may read the thread. Events are `argument` (`argument_id`, `action`: posted,
    edited or withdrawn; a new one's `parent_id` and `stance`), `vote` (`argument_id`, `score`, `up`, `down`),
    `consensus` (`status`, `version`) and `hidden` (`argument_id`, `hidden`): ids and public counts only, so
    that a page fetches what its reader may see. Each has an `id:`; a client reconnecting with `Last-Event-ID`
    (or `?last_event_id=`) gets the events it missed, as far as the backlog (`FORUM_EVENTS_BACKLOG`) reaches.
    Comment lines keep the stream alive every `FORUM_EVENTS_HEARTBEAT` seconds; it ends after
    `FORUM_EVENTS_MAX_AGE` seconds and the browser reconnects. 503 with `Retry-After` when this server
    holds as many streams as it may (`FORUM_EVENTS_MAX_STREAMS`) or cannot reach its events broker. A client
    address holds at most `FORUM_EVENTS_MAX_STREAMS_PER_CLIENT` streams here: opening another ends its oldest.
    """
    session = get_session()
    readable_thread(session, block_id, current_viewer().has_role(Role.MODERATOR))
    # The stream holds no database connection while it waits.
    close_session()
    config = current_app.config
    state = current_app.extensions["forum"]
    client = client_address()
    stop = state.stream_gate.enter(
        int(config["FORUM_EVENTS_MAX_STREAMS"]), client, int(config["FORUM_EVENTS_MAX_STREAMS_PER_CLIENT"])
    )
    if stop is None:
        return error_response(503, "busy", "This server holds as many live streams as it may; try again soon.",
                              headers={"Retry-After": str(BUSY_RETRY)})
    leave = partial(state.stream_gate.leave, client, stop)
    try:
        last = request.headers.get("Last-Event-ID") or request.args.get("last_event_id")
        after = start_after(state.events, block_id, last)
    except Exception:  # noqa: BLE001 - a broker that cannot be reached is the server's trouble, said as 503
        leave()
        current_app.logger.warning("Live events broker unreachable", exc_info=True)
        return error_response(503, "events_unavailable", "Live updates are unavailable for now.",
                              headers={"Retry-After": str(BUSY_RETRY)})
    settings = StreamSettings(
        heartbeat=float(config["FORUM_EVENTS_HEARTBEAT"]),
        max_age=float(config["FORUM_EVENTS_MAX_AGE"]),
        serving=state.serving,
        stop=stop,
    )
    response = Response(event_lines(state.events, block_id, after, settings), mimetype="text/event-stream")
    response.call_on_close(leave)
    # Never kept by a cache (the forum's `private, no-store`, as every API answer), never held back by a
    # proxy's buffer (nginx reads X-Accel-Buffering).
    response.headers["Cache-Control"] = PRIVATE
    response.headers["X-Accel-Buffering"] = "no"
    return response
