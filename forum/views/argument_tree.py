"""A thread's argument tree as HTML: each argument written once by `forum/_argument.html`, then kept.

A 200-argument thread costs Jinja some 2,000 macro calls, includes and `url_for`s. So each argument's
HTML (the template's `argument_item`) is kept, keyed by the argument's own state and what the viewer changes
in it, never by the thread's version: a vote moves the thread's version, and the next reader then writes no
argument again but the one whose state the vote changed for them (their own vote's buttons). What differs
from request to request is left open in a kept fragment and written in at each request: the vote counts,
the relative time and the CSRF token (`forum.caching.memos.Fragment`).
"""

from __future__ import annotations

import dataclasses
import operator
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from flask import current_app
from jinja2 import Environment
from markupsafe import Markup

from forum.auth import Viewer
from forum.caching.memos import Fragment, Fragments, StateNumbers, compile_fragment
from forum.models import Block
from forum.services.threads import ArgumentRecord, Node, descendants
from forum.views.display import when, words_since
from forum.views.forms import RefusedForm

ARGUMENT_TEMPLATE = "forum/_argument.html"
# Marks for what a kept fragment leaves open (`forum.caching.memos.HOLE`): NUL never reaches stored text
# (requests holding it are refused).
CSRF = "\x00csrf\x00"
UP, DOWN, SCORE = "\x00up\x00", "\x00down\x00", "\x00score\x00"
# A kept argument left open in a tree written with `slots`: its index among them.
SLOT = "\x00slot:{}\x00"
# What of an argument its HTML shows: every field of the snapshot but the counts, which are written in last.
COUNTS = {"up", "down", "score"}
# (The author by their id and name: a dataclass's own hash is Python code, theirs are not.)
SHOWN = operator.attrgetter(*(
    name for f in dataclasses.fields(ArgumentRecord) if f.name not in COUNTS
    for name in (("author.id", "author.name") if f.name == "author" else (f.name,))
))
# The app's environment and its trimmed overlay (`trimmed_environment`), made once per app.
_trimmed: tuple[Environment, Environment] | None = None


def trimmed_environment(app_environment: Environment) -> Environment:
    """The app's Jinja environment with block tags' own lines and indentation trimmed.

    Kept fragments are joined into every page: the blank lines and indentation the templates' layout
    leaves around `{% if %}`s would be sent 200 times over (some 20 KB of a member's page). The overlay
    shares the app's loader, filters and globals (so a host's own `_argument.html` is used) and
    compiles templates once.
    """
    global _trimmed
    trimmed = _trimmed
    if trimmed is None or trimmed[0] is not app_environment:
        trimmed = _trimmed = (app_environment, app_environment.overlay(trim_blocks=True, lstrip_blocks=True))
    return trimmed[1]


def open_time(moment: datetime) -> Markup:
    """`when(moment)` with its relative words left open, to be written at each request."""
    return when(moment, words=f"\x00ago:{moment.timestamp()}\x00")


def open_csrf_token() -> str:
    """The CSRF token's place in a kept fragment."""
    return CSRF


def with_open_counts(a: ArgumentRecord) -> ArgumentRecord:
    """The argument with its counts left open, to be written in at each request."""
    return dataclasses.replace(a, up=cast(int, UP), down=cast(int, DOWN), score=cast(int, SCORE))


def shown_state(a: ArgumentRecord) -> tuple[Any, ...]:
    """What of an argument its kept HTML depends on: all of its snapshot but the counts."""
    state: tuple[Any, ...] = SHOWN(a)
    return state


class Slot(NamedTuple):
    """A kept argument left open in a tree (`ArgumentTree.slots`): the argument, its place in the key (the numbers
    of its state and of the one it answers, its depth), and what the writing viewer had done to it (their vote,
    their flag, whether it is theirs)."""

    argument: ArgumentRecord
    place: tuple[int, int, int]
    marks: tuple[int, bool, bool]


def fragment_key(
    place: tuple[int, int, int], my_vote: int, flagged: bool, mine: bool, full: bool, shared: int
) -> tuple[Any, ...]:
    """The key of an argument's kept HTML: its place, what the viewer did to it and changes in it, and the tree's
    shared number."""
    return (*place, my_vote, flagged, mine, full, shared)


def filled(fragment: Fragment, a: ArgumentRecord, now: float, token: str | None) -> str:
    """A fragment with the argument's counts, the relative words of its times (at POSIX time `now`) and the
    CSRF token (needed when the fragment holds one) written in."""
    values: dict[str, Any] = {"up": a.up, "down": a.down, "score": a.score}
    for name, moment in fragment.times:
        values[name] = words_since(int(now - moment))
    if fragment.csrf:
        values["csrf"] = token
    return fragment.text.format_map(values)


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
        fragments: Fragments,
        states: StateNumbers,
        posted: int | None = None,
        refused: RefusedForm | None = None,
        notices: dict[int, str] | None = None,
        full_for: int | None = None,
        now: datetime | None = None,
        slots: list[Slot] | None = None,
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
        # The argument whose every form is written in (its own page); elsewhere "Flag" is a link to that page.
        self.full_for = full_for
        self.now = now
        self._now_posix = 0.0
        self._csrf_token = csrf_token
        self._token: str | None = None
        self.fragments = fragments
        self.states = states
        # The numbers of the arguments' states this request (`number`), by argument id.
        self._numbers: dict[int, int] = {}
        # What every kept fragment of this tree shares in its key, numbered as a state: the thread as the policy
        # reads it, the viewer's kind, the sort.
        self._shared = states.number((
            "tree", block.id, block.locked, block.removed_in, block.article.unpublished_at, self.moderator,
            viewer.is_authenticated, sort, login_url,
        ))
        # The template module whose macros (attributes made as it renders) write each argument.
        self._macros: Any = None
        self.composer: tuple[int, str] | None = None
        # How many arguments this tree wrote rather than took from the kept ones.
        self.written = 0
        # Where given, each kept argument is left as a mark (`SLOT`) and noted here, for the page every member
        # shares (`forum.views.member_thread_page`) to be filled for each member.
        self.slots = slots

    def render(self, nodes: list[Node], composer: tuple[int, str] | None = None) -> Markup:
        """The tree of `nodes`, with their counts, relative times and CSRF tokens written in.

        `composer` (an argument's id and the HTML of the reply form) opens that form under the argument.
        """
        out: list[str] = []
        self.composer = composer
        if self.now is None:
            self.now = datetime.now(UTC)
        self._now_posix = self.now.timestamp()
        for node in nodes:
            self.argument(node, None, 1, out)
        return Markup("".join(out))

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

    def number(self, a: ArgumentRecord) -> int:
        """The number of an argument's state as its HTML shows it (`forum.caching.memos.StateNumbers`)."""
        found = self._numbers.get(a.id)
        if found is None:
            found = self._numbers[a.id] = self.states.number(shown_state(a))
        return found

    def item(self, node: Node, parent: Node | None, depth: int, out: list[str]) -> None:
        """An argument's opening tag and content, kept unless this request changes it (just posted, a refused
        form, a notice beside it); then the reply form, when it is open under this argument."""
        a, my_vote, flagged = node.argument, node.my_vote, node.flagged
        answered = parent.argument if parent is not None else None
        if a.id == self.posted or self.refused is not None or a.id in self.notices:
            # Written in full, the flag form too: the refused form comes back open, a notice takes focus.
            self.written += 1
            out.append(self.fill(compile_fragment(self.write_item(a, answered, my_vote, depth, flagged, True)), a))
        else:
            full = a.id == self.full_for
            mine = self.member_id is not None and self.member_id == a.author_id
            place = (self.number(a), self.number(answered) if answered is not None else 0, depth)
            key = fragment_key(place, my_vote, flagged, mine, full, self._shared)
            kept = self.fragments.get(key)
            if kept is None:
                self.written += 1
                kept = compile_fragment(self.write_item(with_open_counts(a), answered, my_vote, depth, flagged, full))
                self.fragments.put(key, kept)
            if self.slots is not None and not full:
                out.append(SLOT.format(len(self.slots)))
                self.slots.append(Slot(a, place, (my_vote, flagged, mine)))
            else:
                out.append(self.fill(kept, a))
        if self.composer is not None and self.composer[0] == a.id:
            out.append(self.composer[1])

    @property
    def shared(self) -> int:
        """The number of what every kept argument of this tree shares in its key (thread, viewer's kind, sort)."""
        return self._shared

    def fill(self, fragment: Fragment, a: ArgumentRecord) -> str:
        """A fragment with the argument's counts, the relative words of its times and the CSRF token written in."""
        token = None
        if fragment.csrf:
            if self._token is None:
                self._token = str(Markup.escape(self._csrf_token()))
            token = self._token
        return filled(fragment, a, self._now_posix, token)

    def write_item(
        self, a: ArgumentRecord, parent: ArgumentRecord | None, my_vote: int, depth: int, flagged: bool, full: bool
    ) -> str:
        """The template's `argument_item`, with the relative time and the CSRF token left open."""
        if self._macros is None:
            context = {
                "block": self.block, "viewer": self.viewer, "moderator": self.moderator, "sort": self.sort,
                "login_url": self.login_url, "posted": self.posted, "refused": self.refused,
                "notices": self.notices, "when": open_time, "csrf_token": open_csrf_token,
            }
            current_app.update_template_context(context)
            template = trimmed_environment(current_app.jinja_env).get_template(ARGUMENT_TEMPLATE)
            self._macros = template.make_module(context)
        return str(self._macros.argument_item(a, parent, my_vote, depth, flagged, full))
