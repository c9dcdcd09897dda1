"""The address of a member's page, as a mention's link stores it."""

from __future__ import annotations

from flask import current_app, has_app_context, has_request_context, url_for


def member_url(member_id: int) -> str:
    """The path of member `member_id`'s page: as the request's app builds it, else under the forum's prefix."""
    if has_request_context():
        return url_for("forum.member_page", member_id=member_id)
    prefix = (current_app.config.get("FORUM_URL_PREFIX") or "") if has_app_context() else ""
    return f"{prefix}/members/{member_id}"
