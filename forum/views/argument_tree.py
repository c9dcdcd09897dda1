"""A thread's argument tree as HTML: each argument written once by `forum/_argument.html`, then kept.

A 200-argument thread costs Jinja some 2,000 macro calls, includes and `url_for`s. So each argument's
HTML (the template's `argument_item`) is kept per page version and per what the viewer changes in it,
and a page is mostly kept strings joined around the tree's structure. What differs from request to
request is left open in a kept fragment and written in last: the relative time and the CSRF token.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from flask import current_app
from jinja2 import Environment
from markupsafe import Markup

from forum.auth import Viewer
from forum.freshness import rendering_fresh
from forum.models import Argument, Block
from forum.services.threads import Node, descendants
from forum.views.display import ago, when

if TYPE_CHECKING:
    from forum.views.moderation import Refusal

ARGUMENT_TEMPLATE = "forum/_argument.html"
# Marks for what a kept fragment leaves open: NUL never reaches stored text (requests holding it are refused).
CSRF = "\x00csrf\x00"
OPEN_PARTS = re.compile("\x00(?:ago:([0-9.]+)|csrf)\x00")
KEPT_LIMIT = 50_000
# Characters the kept fragments of one process hold at most (a post's HTML may run to tens of thousands).
KEPT_CHARS = 32_000_000


class FragmentStore:
    """Arguments' HTML by the thread's page version and what the viewer changes in it; one per app and process.

    The page version moves with every change to the thread's arguments, so a fragment is never used
    for a later state than its own; readers alike (not the author, not voted) share one.
    """

    def __init__(self, limit: int = KEPT_LIMIT, max_chars: int = KEPT_CHARS) -> None:
        self.limit, self.max_chars = limit, max_chars
        self.items: dict[tuple, str] = {}
        self.chars = 0
        self.lock = threading.Lock()
        self.trimmed: tuple[Environment, Environment] | None = None

    def environment(self, app_environment: Environment) -> Environment:
        """The app's Jinja environment with block tags' own lines and indentation trimmed.

        Kept fragments are joined into every page: the blank lines and indentation the templates' layout
        leaves around `{% if %}`s would be sent 200 times over (some 20 KB of a member's page). The overlay
        shares the app's loader, filters and globals (so a host's own `_argument.html` is used) and
        compiles templates once.
        """
        if self.trimmed is None or self.trimmed[0] is not app_environment:
            self.trimmed = (app_environment, app_environment.overlay(trim_blocks=True, lstrip_blocks=True))
        return self.trimmed[1]

    def get(self, key: tuple) -> str | None:
        """The fragment kept for `key`, if any (none while verify mode renders afresh)."""
        return None if rendering_fresh() else self.items.get(key)

    def put(self, key: tuple, fragment: str) -> None:
        """Keep a fragment; when full (by count or characters), start afresh (states that are gone are never
        asked for again)."""
        with self.lock:
            if key in self.items:
                return
            if len(self.items) >= self.limit or self.chars + len(fragment) > self.max_chars:
                self.items.clear()
                self.chars = 0
            self.items[key] = fragment
            self.chars += len(fragment)


def open_time(moment: datetime) -> Markup:
    """`when(moment)` with its relative words left open, to be written at each request."""
    return when(moment, words=f"\x00ago:{moment.timestamp()}\x00")


def open_csrf_token() -> str:
    """The CSRF token's place in a kept fragment."""
    return CSRF


class ArgumentTree:
    """Writes a thread's argument tree for one viewer and one sort."""

    def __init__(
        self,
        *,
        block: Block,
        viewer: Viewer,
        moderator: bool,
        sort: str,
        login_url: str | None,
        max_depth: int,
        csrf_token: Callable[[], str],
        fragments: FragmentStore,
        posted: int | None = None,
        refused: Refusal | None = None,
        notices: dict[int, str] | None = None,
        now: datetime | None = None,
    ) -> None:
        self.block = block
        self.viewer = viewer
        self.member_id = viewer.member.id if viewer.member is not None else None
        self.moderator = moderator
        self.sort = sort
        self.login_url = login_url
        self.max_depth = max_depth
        self.posted = posted
        self.refused = refused
        # What this request says beside an argument ("Thank you" for a flag), by argument id.
        self.notices = notices or {}
        self.now = now
        self._csrf_token = csrf_token
        self.fragments = fragments
        self._macros = None
        self.composer: tuple[int, str] | None = None

    def render(self, nodes: list[Node], composer: tuple[int, str] | None = None) -> Markup:
        """The tree of `nodes`, its relative times and CSRF tokens written in last.

        `composer` (an argument's id and the HTML of the reply form) opens that form under the argument.
        """
        out: list[str] = []
        self.composer = composer
        for node in nodes:
            self.argument(node, None, 1, out)
        now = self.now or datetime.now(UTC)
        token: list[str] = []

        def fill(mark: re.Match) -> str:
            if mark[1] is not None:
                return ago(datetime.fromtimestamp(float(mark[1]), UTC), now)
            if not token:
                token.append(str(Markup.escape(self._csrf_token())))
            return token[0]

        return Markup(OPEN_PARTS.sub(fill, "".join(out)))

    def argument(self, node: Node, parent: Node | None, depth: int, out: list[str]) -> None:
        """One argument and its replies, folding those deeper than `max_depth` into a box."""
        self.item(node, parent, depth, out)
        if node.replies:
            if depth < self.max_depth:
                out.append('<div class="replies">')
                for reply in node.replies:
                    self.argument(reply, node, depth + 1, out)
                out.append("</div>")
            else:
                deeper = list(descendants(node))
                shown = {self.posted, self.composer[0] if self.composer else None}
                opened = " open" if any(child.argument.id in shown for child, _ in deeper) else ""
                out.append(
                    f'<details class="deep-replies"{opened}><summary>Show {len(deeper)} more '
                    f'repl{"y" if len(deeper) == 1 else "ies"}</summary>'
                )
                for child, parent_node in deeper:
                    self.item(child, parent_node, 0, out)
                    out.append("</article>")
                out.append("</details>")
        out.append("</article>")

    def item(self, node: Node, parent: Node | None, depth: int, out: list[str]) -> None:
        """An argument's opening tag and content, kept unless this request changes it (just posted, a refused
        form, a notice beside it); then the reply form, when it is open under this argument."""
        a, my_vote, flagged = node.argument, node.my_vote, node.flagged
        answered = parent.argument if parent is not None else None
        if a.id == self.posted or self.refused is not None or a.id in self.notices:
            out.append(self.write_item(a, answered, my_vote, depth, flagged))
        else:
            mine = self.member_id is not None and self.member_id == a.author_id
            key = (
                self.block.id, self.block.version, a.id, answered.id if answered else None, depth, my_vote,
                flagged, mine, self.moderator, self.viewer.is_authenticated, self.sort,
            )
            kept = self.fragments.get(key)
            if kept is None:
                kept = self.write_item(a, answered, my_vote, depth, flagged)
                self.fragments.put(key, kept)
            out.append(kept)
        if self.composer is not None and self.composer[0] == a.id:
            out.append(self.composer[1])

    def write_item(self, a: Argument, parent: Argument | None, my_vote: int, depth: int, flagged: bool) -> str:
        """The template's `argument_item`, with the relative time and the CSRF token left open."""
        if self._macros is None:
            context = {
                "block": self.block, "viewer": self.viewer, "moderator": self.moderator, "sort": self.sort,
                "login_url": self.login_url, "posted": self.posted, "refused": self.refused,
                "notices": self.notices, "when": open_time, "csrf_token": open_csrf_token,
            }
            current_app.update_template_context(context)
            template = self.fragments.environment(current_app.jinja_env).get_template(ARGUMENT_TEMPLATE)
            self._macros = template.make_module(context)
        return str(self._macros.argument_item(a, parent, my_vote, depth, flagged))
