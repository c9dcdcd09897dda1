"""The vote widget an htmx vote answers with, kept as the template rendered it and filled in with each vote's numbers.

After a vote the widget differs from one vote to the next only in the argument's id and counters and in the
news for the live region: its buttons follow the voter's vote, the thread's sort and whether votes are offered.
So the template (`forum/_vote.html`, the one source of its markup) is rendered once per such shape with stand-in
numbers, and kept with them as places to fill in; each answer is then a `str.format` of that, rather than a
template render with the whole template context. Where templates reload (debugging), it is rendered each time.
"""

from __future__ import annotations

import weakref
from dataclasses import replace
from typing import Any

from flask import Flask, current_app, request
from markupsafe import escape

from forum.auth import current_viewer
from forum.models import Role
from forum.services import policy
from forum.services.votes import Voted
from forum.views.fragments import render_fragment
from forum.views.thread_page import sort_choice

# Numbers no real widget shows, each written once per place it fills: none is part of another.
STAND_INS = {"id": 2147480001, "score": -2147480002, "up": 2147480003, "down": 2147480004}
NEWS = "vote-news-stand-in"
MOST_KEPT = 256  # shapes kept at once per app; more would be hosts nobody links to
_kept: weakref.WeakKeyDictionary[Flask, dict[tuple[Any, ...], str | None]] = weakref.WeakKeyDictionary()


def render(argument: Any, my_vote: int, sort: str, news: str, error: str | None = None) -> str:
    """The widget rendered by its template, with what happened for the page's live region."""
    return render_fragment(
        "forum/_vote.html",
        a=argument, block=argument.block, my_vote=my_vote, sort=sort, vote_news=news, vote_error=error,
    )


def kept_form(argument: Voted, my_vote: int, sort: str) -> str | None:
    """The widget of this shape rendered with stand-in numbers and news, as a `str.format` string (None should
    a stand-in not come out as written)."""
    stand_in = replace(argument, id=STAND_INS["id"], score=STAND_INS["score"], up=STAND_INS["up"],
                       down=STAND_INS["down"])
    html = render(stand_in, my_vote, sort, NEWS).replace("{", "{{").replace("}", "}}")
    for name, number in [*STAND_INS.items(), ("news", NEWS)]:
        if str(number) not in html:
            return None
        html = html.replace(str(number), f"{{{name}}}")
    return html


def voted_widget(argument: Voted, my_vote: int, news: str) -> str:
    """The argument's widget after the voter's vote, with `news` for the live region."""
    sort = sort_choice()
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    if app.jinja_env.auto_reload:
        return render(argument, my_vote, sort, news)
    viewer = current_viewer()
    thread: Any = argument.block  # what the policy reads of a thread, as the vote read it
    offered = policy.allows("vote", **policy.state(
        thread, argument, member_id=viewer.member_id, moderator=viewer.has_role(Role.MODERATOR),
    ))
    # What the template's output depends on besides the numbers: the root for its links, and the host only where
    # routes match by host or subdomain (links elsewhere are relative), lest made-up Host headers churn the shapes.
    host = request.host if app.url_map.host_matching or app.subdomain_matching else None
    key = (host, request.script_root, viewer.is_authenticated, offered, my_vote, sort)
    kept = _kept.setdefault(app, {})
    if key not in kept:
        if len(kept) >= MOST_KEPT:
            kept.clear()
        kept[key] = kept_form(argument, my_vote, sort)
    form = kept[key]
    if form is None:
        return render(argument, my_vote, sort, news)
    return form.format(id=argument.id, score=argument.score, up=argument.up, down=argument.down, news=escape(news))
