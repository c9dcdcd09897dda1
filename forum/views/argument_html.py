"""A thread's arguments as HTML, written in Python: the same markup as `forum/_argument.html` made fast.

A 200-argument thread would cost some 2,000 macro calls, includes and `url_for`s per request in Jinja.
Here each URL is built once per page and then only takes an id, and the part of an argument that no
viewer changes (head, body, sources) is kept per argument state, so a page is mostly joined strings.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from urllib.parse import quote

from flask import url_for
from markupsafe import Markup, escape

from forum.auth import Viewer
from forum.models import Argument, Block
from forum.services.threads import Node
from forum.views.display import ago, domain, exact

STANCE_LABELS = {"counter": "Counter", "support": "Support", "question": "Question"}
# An id no row has, put in a URL once and then replaced by each argument's id.
SLOT = 2**31 - 1
# Stand for what a kept fragment leaves open: the relative time ("3 minutes ago", written at each
# request from the timestamp inside the mark) and the session's CSRF token.
CSRF = "\x00csrf\x00"
OPEN_PARTS = re.compile("\x00(?:ago:([0-9.]+)|csrf)\x00")
KEPT_LIMIT = 50_000


def id_url(endpoint: str, **values: object) -> Callable[[int], str]:
    """`url_for(endpoint, ...)`, escaped for HTML, as a function of the one id left out, built once."""
    before, _, after = str(escape(url_for(endpoint, **values))).partition(str(SLOT))
    return lambda argument_id: f"{before}{argument_id}{after}"


class FragmentStore:
    """Arguments' HTML by the thread's page version and what the viewer changes in it; one per app and process.

    The page version moves with every change to the thread's arguments, so a fragment is never used
    for a later state than its own; readers alike (not the author, not voted) share one.
    """

    def __init__(self, limit: int = KEPT_LIMIT) -> None:
        self.limit = limit
        self.items: dict[tuple, str] = {}
        self.lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        """The fragment kept for `key`, if any."""
        return self.items.get(key)

    def put(self, key: tuple, fragment: str) -> None:
        """Keep a fragment; when full, start afresh (states that are gone are never asked for again)."""
        with self.lock:
            if len(self.items) >= self.limit:
                self.items.clear()
            self.items[key] = fragment



def walk_flat(node: Node) -> Iterator[tuple[Node, Node]]:
    """Every reply under `node`, in reading order, each with the node it answers."""
    stack = [(reply, node) for reply in reversed(node.replies)]
    while stack:
        child, parent = stack.pop()
        yield child, parent
        stack.extend((reply, child) for reply in reversed(child.replies))


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
        now: datetime | None = None,
    ) -> None:
        self.block = block
        self.viewer = viewer
        self.member_id = viewer.member.id if viewer.member is not None else None
        self.moderator = moderator
        self.login_url = login_url
        self.max_depth = max_depth
        self.now = now
        self._csrf_token = csrf_token
        self.fragments = fragments
        self.sort_arg = sort_arg = sort if sort != "best" else None
        self.versions_url = id_url("forum.argument_versions", argument_id=SLOT)
        self.reply_url = id_url(
            "forum.thread", block_id=block.id, reply_to=SLOT, sort=sort_arg, _anchor="reply"
        )
        self.edit_url = id_url("forum.edit_argument", argument_id=SLOT)
        self.withdraw_url = id_url("forum.withdraw_argument", argument_id=SLOT)
        self.vote_url = id_url("forum.vote", argument_id=SLOT, sort=sort_arg)
        self.flag_url = id_url("forum.flag_argument", argument_id=SLOT)
        self.hide_url = id_url("forum.hide_argument", argument_id=SLOT)
        self.restore_url = id_url("forum.restore_argument", argument_id=SLOT)
        here = url_for("forum.thread", block_id=block.id, sort=sort_arg, _anchor=f"argument-{SLOT}")
        before, _, after = quote(here, safe="/").partition(str(SLOT))
        sign_in = escape(login_url or "")
        self.sign_in_url = lambda argument_id: f"{sign_in}?next={before}{argument_id}{after}"

    @staticmethod
    def csrf_input() -> str:
        """The hidden CSRF field of this session's forms (its value filled in when the page is done)."""
        return f'<input type="hidden" name="csrf_token" value="{CSRF}">'

    def render(self, nodes: list[Node]) -> Markup:
        """The whole tree, its relative times and CSRF tokens written in last."""
        out: list[str] = []
        for node in nodes:
            self.argument(node, 1, out)
        now = self.now or datetime.now(UTC)
        token: list[str] = []

        def fill(mark: re.Match) -> str:
            if mark[1] is not None:
                return ago(datetime.fromtimestamp(float(mark[1]), UTC), now)
            if not token:
                token.append(str(escape(self._csrf_token())))
            return token[0]

        return Markup(OPEN_PARTS.sub(fill, "".join(out)))

    def argument(self, node: Node, depth: int, out: list[str]) -> None:
        """One argument and its replies, folding those deeper than `max_depth` into a box."""
        a = node.argument
        self.item(a, None, node.my_vote, depth, out)
        if node.replies:
            if depth < self.max_depth:
                out.append('<div class="replies">')
                for reply in node.replies:
                    self.argument(reply, depth + 1, out)
                out.append("</div>")
            else:
                deeper = list(walk_flat(node))
                out.append(
                    f'<details class="deep-replies"><summary>Show {len(deeper)} more '
                    f'repl{"y" if len(deeper) == 1 else "ies"}</summary>'
                )
                for child, parent in deeper:
                    self.item(child.argument, parent.argument, child.my_vote, 0, out)
                    out.append("</article>")
                out.append("</details>")
        out.append("</article>")

    @staticmethod
    def states(a: Argument) -> str:
        """The extra classes of a withdrawn or hidden argument."""
        return (" withdrawn" if a.withdrawn_at else "") + (" hidden" if a.hidden else "")

    def item(self, a: Argument, parent: Argument | None, my_vote: int, depth: int, out: list[str]) -> None:
        """An argument's opening tag, head, body, sources and actions (depth 0: a folded, flat reply)."""
        mine = self.member_id is not None and self.member_id == a.author_id
        key = (
            self.block.id, self.block.version, a.id, parent.id if parent else None, depth, my_vote, mine,
            self.moderator, self.viewer.is_authenticated, self.sort_arg,
        )
        kept = self.fragments.get(key)
        if kept is None:
            kept = self.write_item(a, parent, my_vote, mine, depth)
            self.fragments.put(key, kept)
        out.append(kept)

    def write_item(self, a: Argument, parent: Argument | None, my_vote: int, mine: bool, depth: int) -> str:
        """The HTML `item` keeps."""
        if depth:
            opening = (
                f'<article class="argument stance-{a.stance}{self.states(a)}" id="argument-{a.id}" '
                f'data-depth="{depth}">'
            )
        else:
            opening = f'<article class="argument flat stance-{a.stance}{self.states(a)}" id="argument-{a.id}">'
        shown = not (a.hidden or a.withdrawn_at) or self.moderator
        parts = [opening, self.fixed_part(a, parent, shown), '<div class="argument-actions">']
        self.actions(a, my_vote, mine, parts)
        parts.append("</div>")
        return "".join(parts)

    def fixed_part(self, a: Argument, parent: Argument | None, shown: bool) -> str:
        """An argument's head, body and sources, the relative time left open."""
        created = exact(a.created_at)
        parts = [
            '<header class="argument-head">',
            f'<span class="badge stance stance-{a.stance}">{STANCE_LABELS[a.stance]}</span> ',
            f'<strong class="author">{escape(a.author.name)}</strong> ',
        ]
        if parent is not None:
            parts.append(
                f'<span class="in-reply">in reply to <a href="#argument-{parent.id}">'
                f"{escape(parent.author.name)}</a></span> "
            )
        parts.append(
            f'<time datetime="{a.created_at.isoformat()}" title="{created}">\x00ago:{a.created_at.timestamp()}\x00</time> '
            f'<span class="exact-time">({created})</span> '
        )
        if a.edited_at:
            parts.append(f'<a class="edited" href="{self.versions_url(a.id)}">edited</a> ')
        parts.append(
            f'<a class="permalink" href="#argument-{a.id}">#<span class="visually-hidden">'
            "Link to this argument</span></a></header>"
        )
        if a.withdrawn_at:
            parts.append('<p class="placeholder">Withdrawn by its author.</p>')
        if a.hidden:
            reason = f": {escape(a.hidden_reason)}" if a.hidden_reason else ""
            parts.append(f'<p class="placeholder">Hidden by a moderator{reason}.</p>')
        if shown:
            concealed = " concealed" if (a.hidden or a.withdrawn_at) else ""
            parts.append(f'<div class="argument-body{concealed}">{a.html}</div>')
            parts.append(self.sources(a))
        return "".join(parts)

    @staticmethod
    def sources(a: Argument) -> str:
        """An argument's list of sources."""
        if not a.sources:
            return ""
        items = []
        for s in a.sources:
            fills = f'<span class="fills">fills footnote [{s.citation}]</span>' if s.citation else ""
            quote_ = f'<blockquote class="source-quote">{escape(s.quote)}</blockquote>' if s.quote else ""
            items.append(
                f'<li class="source"><a href="{escape(s.url)}" rel="nofollow ugc noopener">'
                f"{escape(s.title or s.url)}</a> "
                f'<span class="domain">({escape(domain(s.url))})</span> {fills}{quote_}</li>'
            )
        return f'<ul class="sources" aria-label="Sources">{"".join(items)}</ul>'

    def actions(self, a: Argument, my_vote: int, mine: bool, out: list[str]) -> None:
        """The vote widget, reply, edit, withdraw, flag and moderators' tools, as this viewer may use them."""
        self.vote_widget(a, my_vote, mine, out)
        name = escape(a.author.name)
        if not self.block.locked and not a.withdrawn_at:
            out.append(f'<a href="{self.reply_url(a.id)}">Reply<span class="visually-hidden"> to {name}</span></a>')
        if (mine or self.moderator) and not a.withdrawn_at:
            out.append(f'<a href="{self.edit_url(a.id)}">Edit</a>')
        if mine and not a.withdrawn_at:
            out.append(
                f'<details class="confirm"><summary>Withdraw</summary>'
                f'<form method="post" action="{self.withdraw_url(a.id)}">{self.csrf_input()}'
                "<p>Withdraw this argument? Its replies stay.</p>"
                '<button type="submit" class="danger">Withdraw</button></form></details>'
            )
        if self.viewer.is_authenticated and not mine and not a.withdrawn_at and not a.hidden:
            out.append(
                f'<details class="confirm flag-tool"><summary>Flag<span class="visually-hidden"> the argument by '
                f'{name}</span></summary><form method="post" action="{self.flag_url(a.id)}">{self.csrf_input()}'
                f'<label for="flag-reason-{a.id}">Reason</label><select id="flag-reason-{a.id}" name="reason">'
                '<option value="spam">Spam</option><option value="abuse">Abuse</option>'
                '<option value="off_topic">Off topic</option><option value="other">Other</option></select>'
                f'<label for="flag-note-{a.id}">Note (needed for “Other”)</label>'
                f'<input id="flag-note-{a.id}" name="note" maxlength="1000">'
                '<button type="submit">Send flag</button></form></details>'
            )
        if self.moderator and not a.withdrawn_at:
            hidden = bool(a.hidden)
            action = self.restore_url(a.id) if hidden else self.hide_url(a.id)
            danger = "" if hidden else ' class="danger"'
            out.append(
                f'<details class="confirm hide-tool"><summary>{"Restore" if hidden else "Hide"}'
                f'<span class="visually-hidden"> the argument by {name}</span></summary>'
                f'<form method="post" action="{action}">{self.csrf_input()}'
                f'<label for="hide-reason-{a.id}">Reason{"" if hidden else " (shown to members)"}</label>'
                f'<input id="hide-reason-{a.id}" name="reason" required maxlength="500">'
                f'<button type="submit"{danger}>'
                f'{"Restore argument" if hidden else "Hide argument"}</button></form></details>'
            )

    def vote_widget(self, a: Argument, my_vote: int, mine: bool, out: list[str]) -> None:
        """The argument's counts for everyone, and up and down buttons for those who may vote."""
        open_to_votes = not (self.block.locked or a.hidden or a.withdrawn_at)
        out.append(f'<div class="vote" id="vote-{a.id}">')
        if open_to_votes and self.viewer.is_authenticated and not mine:
            action = self.vote_url(a.id)
            up_label = "Take back your up-vote" if my_vote == 1 else "Vote up: this argument is convincing"
            down_label = (
                "Take back your down-vote" if my_vote == -1 else "Vote down: this argument is not convincing"
            )
            out.append(
                f'<form class="vote-form" method="post" action="{action}" hx-post="{action}" '
                f'hx-target="#vote-{a.id}" hx-swap="outerHTML">{self.csrf_input()}'
                f'<button type="submit" class="vote-button vote-up" id="vote-up-{a.id}" name="value" '
                f'value="{0 if my_vote == 1 else 1}" aria-pressed="{"true" if my_vote == 1 else "false"}" '
                f'title="{up_label}"><span class="vote-arrow" aria-hidden="true">{"▲" if my_vote == 1 else "△"}'
                f'</span><span class="visually-hidden">{up_label}</span></button>'
                f'<button type="submit" class="vote-button vote-down" id="vote-down-{a.id}" name="value" '
                f'value="{0 if my_vote == -1 else -1}" aria-pressed="{"true" if my_vote == -1 else "false"}" '
                f'title="{down_label}"><span class="vote-arrow" aria-hidden="true">'
                f'{"▼" if my_vote == -1 else "▽"}</span><span class="visually-hidden">{down_label}</span>'
                "</button></form>"
            )
        out.append(
            f'<span class="vote-tally"><strong class="vote-score">Score {a.score}</strong> '
            f'<span class="vote-split">({a.up} up, {a.down} down)</span></span>'
        )
        if open_to_votes and not self.viewer.is_authenticated:
            link = (
                f'<a href="{self.sign_in_url(a.id)}">Sign in to vote</a>' if self.login_url else "Sign in to vote"
            )
            out.append(f'<span class="vote-hint">{link}</span>')
        out.append(
            f'</div><p class="vote-news visually-hidden" id="vote-news-{a.id}" role="status"></p>'
        )
