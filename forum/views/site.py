"""The forum's blueprint and what every forum page shares: hooks, template context, error pages."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from flask import Blueprint, Response, current_app, g, render_template, url_for
from jinja2 import pass_context
from jinja2.runtime import Context
from werkzeug.exceptions import HTTPException, InternalServerError

from forum.api import api
from forum.auth import current_viewer, require_login_manager
from forum.csrf import csrf_token, protect
from forum.errors import ForumError, Gone
from forum.jsonbody import read_json_strictly
from forum.models import Role
from forum.requestid import add_request_id_header, log_failure
from forum.security import add_security_headers, limit_request_size, refuse_long_urls, refuse_nul_characters
from forum.services import policy, visits
from forum.views import display

# The static URL path is the forum's own, so that a site mounting the forum at "/" keeps its /static.
blueprint = Blueprint(
    "forum",
    __name__,
    template_folder="../templates",
    static_folder="../static",
    static_url_path="/forum-static",
)
blueprint.register_blueprint(api)


def template_context() -> dict[str, Any]:
    """What every forum template may use: the viewer, the CSRF token and the site's links."""
    manager = getattr(current_app, "login_manager", None)
    login_view = getattr(manager, "login_view", None)
    return {
        "viewer": current_viewer(),
        "csrf_token": csrf_token,
        "site_name": current_app.config["FORUM_SITE_NAME"],
        "base_template": current_app.config["FORUM_BASE_TEMPLATE"],
        "login_url": url_for(login_view) if login_view else None,
        "accounts": "forum_accounts" in current_app.blueprints,
        "may": may,
        "shows_content": policy.shows_content,
        "concealed": policy.concealed,
    }


@pass_context
def may(context: Context, action: str, argument: Any = None, block: Any = None) -> bool:
    """Whether a page offers `action` (on `argument`, in `block` or the page's thread) to its viewer.

    The same policy the services enforce (`forum.services.policy`); a reader who is not signed in is
    offered what a member would be, and meets the sign-in page on the way.
    """
    viewer = context["viewer"]
    block = block if block is not None else context["block"]
    moderator = context.get("moderator")
    return policy.allows(action, **policy.state(
        block, argument, member_id=viewer.member_id,
        moderator=viewer.has_role(Role.MODERATOR) if moderator is None else bool(moderator),
    ))


def render_error(status: int, title: str, message: str) -> tuple[str, int]:
    """An HTML error page in the forum's layout."""
    template = current_app.config["FORUM_TEMPLATE_ERROR"]
    return render_template(template, status=status, title=title, message=message), status


def forum_error_page(error: ForumError) -> tuple[str, int, dict[str, str]]:
    """A domain error as a page."""
    title = "This article was unpublished" if isinstance(error, Gone) else "That did not work"
    return *render_error(error.status, title, error.message), error.headers()


def http_error_page(error: HTTPException) -> tuple[str, int]:
    """An HTTP error (404, 405, 413 ...) as a page; a failure of ours is logged, never shown."""
    if isinstance(error, InternalServerError):
        reference = log_failure(error.original_exception)
        message = f"Something went wrong on our side. If you report it, quote {reference}."
        return render_error(500, "Something went wrong", message)
    return render_error(error.code or 500, error.name, error.description or "")


def note_visit(response: Response) -> Response:
    """Record a signed-in member's visit (at most every few minutes) once their page is made; never fail it."""
    viewer = g.get("forum_viewer")
    if viewer is not None and viewer.member_id is not None and not viewer.via_token and response.status_code < 400:
        try:
            visits.record_visit(current_app.extensions["forum"].engine, viewer.member_id, viewer.last_seen_at)
        except sa.exc.OperationalError:
            pass  # a busy database: the next page records it
    return response


def share_hooks(bp: Blueprint) -> None:
    """Give a forum blueprint the checks, template context and error pages every forum page has."""
    bp.url_value_preprocessor(read_json_strictly)
    bp.before_request(refuse_long_urls)
    bp.before_request(limit_request_size)
    bp.before_request(refuse_nul_characters)
    bp.before_request(require_login_manager)
    bp.before_request(protect)
    bp.after_request(add_security_headers)
    bp.after_request(add_request_id_header)
    bp.after_request(note_visit)
    bp.context_processor(template_context)
    bp.register_error_handler(ForumError, forum_error_page)
    bp.register_error_handler(HTTPException, http_error_page)


# An anonymous reader's kept page is answered before all of these (`forum.caching.install`).
share_hooks(blueprint)
blueprint.context_processor(display.helpers)
