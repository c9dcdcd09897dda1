"""Request ids: one per request, in the log beside a failure and in the answer, so that a report can be traced."""

from __future__ import annotations

import os
import re

from flask import Response, current_app, g, request

# A proxy's id is kept only when it is a plain token; anything else could forge log lines.
GIVEN_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def request_id_from(given: str) -> str:
    """The proxy's `X-Request-ID` when it is a plain token, else a new id."""
    return given if GIVEN_ID.fullmatch(given) else os.urandom(16).hex()


def assign_request_id() -> None:
    """Take the proxy's `X-Request-ID` when it is a plain token, else make one."""
    g.forum_request_id = request_id_from(request.headers.get("X-Request-ID", ""))


def request_id() -> str:
    """This request's id, taken or made when first asked for (a cached page needs it only in its answer)."""
    if "forum_request_id" not in g:
        assign_request_id()
    return str(g.forum_request_id)


def add_request_id_header(response: Response) -> Response:
    """Answer with the request's id."""
    response.headers.setdefault("X-Request-ID", request_id())
    return response


def log_failure(error: BaseException | None) -> str:
    """Log an unexpected failure with its request id (never shown to the user); return the id."""
    current_app.logger.error(
        "Request %s %s %s failed", request_id(), request.method, request.path, exc_info=error
    )
    return request_id()
