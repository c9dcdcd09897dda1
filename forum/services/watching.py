"""Watching: a member's level for a thread or a whole article, and who a thread's news reaches.

A thread's own level wins over its article's; with neither, a member's level is `normal`. Posting in a thread
watches it, unless the member chose a level for that thread before (a `normal` row is such a choice) or muted
its article (a post's one statement, `forum.services.posting_statements`). Muting an article clears the member's
levels of its threads: the later, wider choice wins.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.models import Article, Block, Member, Role, Watch, WatchLevel, utcnow
from forum.services.lookup import check_readable, get_article, readable_thread
from forum.services.members import holds, require


class Thread(Protocol):
    """What the levels of a thread are read by: its id and its article's."""

    @property
    def id(self) -> int: ...
    @property
    def article_id(self) -> int: ...


@dataclass(frozen=True)
class Levels:
    """A member's levels for a thread: its own, its article's (None: not chosen), and the one that counts."""

    thread: WatchLevel | None
    article: WatchLevel | None

    @property
    def effective(self) -> WatchLevel:
        """The level that decides: the thread's own, else the article's, else `normal`."""
        return self.thread or self.article or WatchLevel.NORMAL


def parse_level(value: object) -> WatchLevel:
    """The `WatchLevel` named by `value`, or `Invalid`."""
    if not isinstance(value, str) or value not in {level.value for level in WatchLevel}:
        names = ", ".join(level.value for level in WatchLevel)
        raise Invalid(f"The level is one of: {names}.", field="level")
    return WatchLevel(value)


def levels_of(session: so.Session, member_ids: Collection[int], block: Thread) -> dict[int, Levels]:
    """The levels of each of `member_ids` for `block`'s thread (members without any are left out)."""
    if not member_ids:
        return {}
    rows = session.execute(
        sa.select(Watch.member_id, Watch.block_id, Watch.level).where(
            Watch.member_id.in_(sorted(member_ids)),
            sa.or_(Watch.block_id == block.id, Watch.article_id == block.article_id),
        )
    )
    found: dict[int, dict[str, WatchLevel]] = {}
    for member_id, block_id, level in rows:
        found.setdefault(member_id, {})["thread" if block_id is not None else "article"] = WatchLevel(level)
    return {m: Levels(levels.get("thread"), levels.get("article")) for m, levels in found.items()}


def levels_for(session: so.Session, member: Member | None, block: Block) -> Levels:
    """One member's levels for a thread (anonymous: none)."""
    if member is None or member.id is None:
        return Levels(None, None)
    return levels_of(session, [member.id], block).get(member.id, Levels(None, None))


def article_level(session: so.Session, member: Member | None, article_id: int) -> WatchLevel:
    """One member's level for a whole article."""
    if member is None or member.id is None:
        return WatchLevel.NORMAL
    level = session.scalar(sa.select(Watch.level).where(Watch.member_id == member.id, Watch.article_id == article_id))
    return WatchLevel(level) if level is not None else WatchLevel.NORMAL


def watchers(session: so.Session, block: Block) -> set[int]:
    """The members watching `block`'s thread: by its own level, or their article's where it has none."""
    rows = session.execute(
        sa.select(Watch.member_id, Watch.block_id, Watch.level).where(
            sa.or_(Watch.block_id == block.id, Watch.article_id == block.article_id)
        )
    )
    levels: dict[int, dict[str, WatchLevel]] = {}
    for member_id, block_id, level in rows:
        levels.setdefault(member_id, {})["thread" if block_id is not None else "article"] = WatchLevel(level)
    return {
        member_id for member_id, chosen in levels.items()
        if Levels(chosen.get("thread"), chosen.get("article")).effective is WatchLevel.WATCHING
    }


def _set(session: so.Session, member: Member, level: WatchLevel, *, block_id: int | None = None,
         article_id: int | None = None) -> None:
    """Keep `member`'s level for one thread or article."""
    target = Watch.block_id == block_id if block_id is not None else Watch.article_id == article_id
    found = session.scalar(sa.select(Watch).where(Watch.member_id == member.id, target))
    if found is not None:
        if found.level != level.value:
            found.level, found.updated_at = level.value, utcnow()
        return
    try:
        # Two requests of one member may race to make the row: the unique constraint lets one win.
        with session.begin_nested():
            session.add(Watch(member_id=member.id, block_id=block_id, article_id=article_id, level=level.value))
    except sa.exc.IntegrityError:
        _set(session, member, level, block_id=block_id, article_id=article_id)


def watch_thread(session: so.Session, member: Member, block_id: int, level: object) -> tuple[Block, WatchLevel]:
    """A member sets their level for a thread; the caller commits."""
    require(member, Role.MEMBER)
    chosen = parse_level(level)
    block = readable_thread(session, block_id, holds(member, Role.MODERATOR))
    _set(session, member, chosen, block_id=block.id)
    return block, chosen


def watch_article(session: so.Session, member: Member, article_id: int, level: object) -> tuple[Article, WatchLevel]:
    """A member sets their level for a whole article (a thread's own level still wins); the caller commits."""
    require(member, Role.MEMBER)
    chosen = parse_level(level)
    article = get_article(session, article_id)
    check_readable(article, holds(member, Role.MODERATOR))
    _set(session, member, chosen, article_id=article.id)
    if chosen is WatchLevel.MUTED:
        # Muting an article is the later and wider choice: it silences every thread of it, those the member
        # posted in included; a thread may then be watched again on its own.
        session.execute(
            sa.delete(Watch).where(
                Watch.member_id == member.id,
                Watch.block_id.in_(sa.select(Block.id).where(Block.article_id == article.id)),
            )
        )
    return article, chosen
