"""A member's thread page assembled from the page every plain member shares, written once per page version.

A vote moves the thread's version, and each member reading the thread then needs a page of their own: written
whole, that is a render and a compression per member per vote. Instead, the first member to read a version
writes the page once with each kept argument left open (`ArgumentTree.slots`), and it is kept, cut into pieces
each compressed on its own (`forum.caching.member_copies.deflated_piece`), as a `KindPage`: per process, by
thread, page versions, sort and role. Every member's page is then that page with what is theirs put back in:

- each argument as its kept HTML for what this member did to it (their vote, their flag, theirs or not), the
  pieces holding an argument that differs for them written and compressed again, the others taken as kept;
- the account menu (their name, the bell's count) and the thread's watch form (their level), written for them;
- their CSRF token, wherever the page holds one (kept apart, as in every member's copy).

The page is only assembled where it would be written exactly so: a plain member's GET of a kept thread page
(no reply form, notice or flash), the writing member's own menu and watch form found once each, their token
nowhere but where it is cut out, their name nowhere else, and every argument's HTML found kept; anything else
is rendered as before. Verify mode's fresh rendering never comes here.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from flask import current_app, g, render_template
from markupsafe import Markup

from forum.auth import Viewer
from forum.caching import member_copies
from forum.caching.member_copies import TOKEN, MemberCopy, deflated_piece
from forum.caching.memos import FRESH, Memo
from forum.models import Role
from forum.services.threads import ViewerMarks
from forum.services.watching import Levels
from forum.views.argument_tree import ArgumentTree, Slot, filled, fragment_key

# What a written page leaves open: an argument (its index), the account menu, the watch form.
OPEN = re.compile("\x00(?:slot:([0-9]+)|(nav|watch))\x00")
SLOTS = re.compile("\x00slot:([0-9]+)\x00")
NAV, WATCH = "nav", "watch"
ACCOUNT_NAV = "forum/_account_nav.html"
WATCH_FORM = "forum/_watch.html"
# Arguments are compressed together in pieces of about this many bytes: a vote of the reader's own then costs
# one piece compressed again, and a piece is large enough to compress nearly as well as the page whole.
PIECE_BYTES = 16_384
# Kept pages per process (each about 1 MB for a 200-argument thread): a vote makes a version.
PAGE_LIMIT = 16
PAGE_BYTES = 24_000_000
# Where the page versions a member's copy is keyed by are noted, by `forum.caching.serving`.
VERSIONS = "forum_page_versions"
# Where the assembled copy waits for `forum.caching.serving.store_member_copy`.
ASSEMBLED = "forum_member_copy"


class Ref(NamedTuple):
    """A thread or article as the watch form names it: by its id."""

    id: int


@dataclass(frozen=True)
class Piece:
    """Part of the page between its member's own parts: text and arguments (indexes into `KindPage.slots`), and,
    when every argument in it is kept for a reader who did nothing to it, that text and its deflate blocks."""

    items: tuple[bytes | int, ...]
    kept: tuple[bytes, bytes] | None


@dataclass(frozen=True)
class KindPage:
    """A thread page as every plain member is shown it, but for what is each one's own (see the module)."""

    items: tuple[Piece | str | None, ...]  # pieces, NAV, WATCH, and TOKEN (None) where the CSRF token goes
    slots: tuple[Slot, ...]
    # Each argument's HTML for a member who did nothing to it (None: not kept when the page was written).
    plain: tuple[bytes | None, ...]
    slot_of: dict[int, int]  # argument id -> slot
    by_author: dict[int, tuple[int, ...]]
    block_id: int
    article_id: int
    shared: int
    size: int


KindPages = Memo[tuple[Any, ...], KindPage]


def kind_pages() -> KindPages:
    """Member thread pages by thread, versions, sort and role, written once per version in this process."""
    return Memo(lambda page: page.size, PAGE_LIMIT, PAGE_BYTES)


# One writing of a kind page at a time per key and process: readers of a new version wait for it, not write it too.
_writing: dict[tuple[Any, ...], threading.Lock] = {}
_writing_lock = threading.Lock()


def writing_lock(key: tuple[Any, ...]) -> threading.Lock:
    """The lock that one writer of the kind page `key` holds while others wait."""
    with _writing_lock:
        if len(_writing) > 256:
            _writing.clear()  # a lock held meanwhile still guards its writer; only waiting is lost
        return _writing.setdefault(key, threading.Lock())


def assembled_for(viewer: Viewer) -> bool:
    """Whether this request's thread page may be assembled: a plain member's, with their copy to be kept."""
    return (
        current_app.config["FORUM_SHARED_MEMBER_PAGES"]
        and viewer.member_id is not None
        and viewer.role is Role.MEMBER
        and not viewer.via_token
        and not FRESH.get()
        and "forum_member_key" in g
        and VERSIONS in g
    )


def page_key(block_id: int, versions: tuple[Any, ...], sort: str, viewer: Viewer) -> tuple[Any, ...]:
    """The key of a kind page: the thread, its page versions, the sort and the viewer's role."""
    return (block_id, versions, sort, viewer.role)


def member_parts(viewer: Viewer, block_id: int, article_id: int, levels: Levels) -> dict[str, str]:
    """The account menu and the watch form, written for this member."""
    watch = watch_choice(viewer, levels)
    return {
        NAV: render_template(ACCOUNT_NAV),
        WATCH: render_template(WATCH_FORM, watch=watch, watch_target="thread", block=Ref(block_id),
                               article=Ref(article_id)),
    }


class WatchChoice(NamedTuple):
    """What a watch form shows: the level that counts, and where it comes from when not the page's own."""

    level: str
    note: str | None


def watch_choice(viewer: Viewer, levels: Levels) -> WatchChoice | None:
    """The member's watch level for the thread (read with it), as its form shows it (None for a reader)."""
    if viewer.member is None or viewer.role is None:
        return None
    note = None
    if levels.thread is None and levels.article is not None:
        note = f"As its article: {levels.article.value}."
    return WatchChoice(levels.effective.value, note)


def cut(
    html: str, slots: list[Slot], viewer: Viewer, token: str, parts: dict[str, str], shared: int,
    block_id: int, article_id: int,
) -> KindPage | None:
    """The kind page of a page written with its arguments left open, for `viewer` with their `parts` and `token`;
    None where anything of theirs could be left in it."""
    if any(not part or html.count(part) != 1 for part in parts.values()) or str(Markup.escape(token)) != token:
        return None
    for name, part in parts.items():
        html = html.replace(part, f"\x00{name}\x00")
    if viewer.name and re.search(rf"(?<![\w-]){re.escape(Markup.escape(viewer.name))}(?![\w-])", html):
        return None  # their name somewhere but in their menu: not a page to show anyone else
    fragments = current_app.extensions["forum"].fragments
    plain: list[bytes | None] = []
    now = datetime.now(UTC).timestamp()
    for slot in slots:
        kept = fragments.get(fragment_key(slot.place, 0, False, False, False, shared))
        plain.append(None if kept is None or kept.csrf else filled(kept, slot.argument, now, None).encode())
    items: list[Piece | str | None] = []
    run: list[bytes | int] = []
    size = 0

    def close_piece() -> None:
        nonlocal run, size
        if run:
            texts = [item if isinstance(item, bytes) else plain[item] for item in run]
            kept = None
            if all(text is not None for text in texts):
                data = b"".join(text for text in texts if text is not None)
                kept = (data, deflated_piece(data))
            items.append(Piece(tuple(run), kept))
        run, size = [], 0

    for at, between in enumerate(html.split(token)):
        if at:
            close_piece()
            items.append(TOKEN)
        start = 0
        for mark in OPEN.finditer(between):
            if mark.start() > start:
                run.append(between[start:mark.start()].encode())
                size += mark.start() - start
            if mark[1] is not None:
                index = int(mark[1])
                run.append(index)
                size += len(plain[index] or b"")
            else:
                close_piece()
                items.append(mark[2])
            start = mark.end()
            if size >= PIECE_BYTES:
                close_piece()
        if start < len(between):
            run.append(between[start:].encode())
    close_piece()
    by_author: dict[int, list[int]] = {}
    for index, slot in enumerate(slots):
        by_author.setdefault(slot.argument.author_id, []).append(index)
    weight = sum(len(p) for p in plain if p) + sum(
        len(item.kept[0]) + len(item.kept[1]) + sum(len(x) for x in item.items if isinstance(x, bytes))
        for item in items if isinstance(item, Piece) and item.kept
    )
    return KindPage(
        tuple(items), tuple(slots), tuple(plain), {s.argument.id: i for i, s in enumerate(slots)},
        {author: tuple(indexes) for author, indexes in by_author.items()}, block_id, article_id, shared, weight,
    )


def copy_for(
    page: KindPage, viewer: Viewer, marks: ViewerMarks, parts: dict[str, str], token: str
) -> MemberCopy | None:
    """This member's copy of the page: the kind page with their arguments, menu, watch form and token put in;
    None when an argument's HTML for them is not kept (their page is then written as before)."""
    member_id = viewer.member_id
    own: dict[int, bytes] = {}
    changed = set(page.by_author.get(member_id, ())) if member_id is not None else set()
    changed.update(page.slot_of[i] for i in (*marks.votes, *marks.flagged) if i in page.slot_of)
    changed.update(i for i, text in enumerate(page.plain) if text is None)
    if changed:
        fragments = current_app.extensions["forum"].fragments
        now = datetime.now(UTC).timestamp()
        for index in changed:
            slot = page.slots[index]
            a = slot.argument
            kept = fragments.get(fragment_key(
                slot.place, marks.votes.get(a.id, 0), a.id in marks.flagged, a.author_id == member_id, False,
                page.shared,
            ))
            if kept is None or kept.csrf:
                return None
            own[index] = filled(kept, a, now, None).encode()
    pieces: list[tuple[bytes, bytes] | None] = []
    for item in page.items:
        if item is TOKEN:
            pieces.append(TOKEN)
        elif isinstance(item, str):
            for at, between in enumerate(parts[item].split(token)):
                if at:
                    pieces.append(TOKEN)
                data = between.encode()
                pieces.append((data, deflated_piece(data)))
        elif item.kept is not None and not any(isinstance(x, int) and x in own for x in item.items):
            pieces.append(item.kept)
        else:
            data = b"".join(x if isinstance(x, bytes) else own.get(x) or page.plain[x] or b"" for x in item.items)
            pieces.append((data, deflated_piece(data)))
    return member_copies.assembled(pieces, len(token.encode()))


def marks_of(slots: list[Slot]) -> ViewerMarks:
    """What the member who wrote a page with its arguments left open did to them, as the page read it."""
    marks = ViewerMarks()
    for slot in slots:
        my_vote, flagged, _ = slot.marks
        if my_vote:
            marks.votes[slot.argument.id] = my_vote
        if flagged:
            marks.flagged.add(slot.argument.id)
    return marks


def put_back(html: str, slots: list[Slot], writer: ArgumentTree) -> str | None:
    """A page written with its arguments left open, with them put back as its writer sees them (for a page
    that is not to be shared); None if one is no longer kept."""
    fragments = current_app.extensions["forum"].fragments
    missing = False

    def argument(mark: re.Match[str]) -> str:
        nonlocal missing
        slot = slots[int(mark[1])]
        kept = fragments.get(fragment_key(slot.place, *slot.marks, False, writer.shared))
        if kept is None:
            missing = True
            return ""
        return writer.fill(kept, slot.argument)

    page = SLOTS.sub(argument, html)
    return None if missing else page


def serve(copy: MemberCopy, token: str) -> bytes:
    """The page of an assembled copy, as the bytes it is sent as, the copy noted for the page cache to keep as it is."""
    g.setdefault(ASSEMBLED, copy)
    return member_copies.plain(copy, token.encode())
