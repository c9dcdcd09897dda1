"""`@name` mentions: which members a body names, and its HTML with each of them linked to their page."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Member
from forum.rendering import mention_key, mentioned_names, render_markdown


def members_named(session: so.Session, names: Iterable[str]) -> dict[str, int]:
    """The members `names` name, by `mention_key`; a name two members share names neither, and stays text."""
    typed = sorted(set(names))
    if not typed:
        return {}
    keys = {mention_key(name) for name in typed}
    # Typed as the name is stored, or in another case: SQLite's lower() folds ASCII only, hence both.
    rows = session.execute(
        sa.select(Member.id, Member.name).where(
            sa.or_(Member.name.in_(typed), sa.func.lower(Member.name).in_(sorted({n.lower() for n in typed})))
        )
    )
    found: dict[str, set[int]] = {}
    for member_id, name in rows:
        key = mention_key(name)
        if key in keys:
            found.setdefault(key, set()).add(member_id)
    return {key: next(iter(ids)) for key, ids in found.items() if len(ids) == 1}


def render_with_mentions(
    session: so.Session, body: str, limit: int, member_url: Callable[[int], str]
) -> tuple[str, set[int]]:
    """The body's HTML with its mentions of members linked, and the ids of the members it mentions."""
    linked: set[int] = set()
    named = members_named(session, mentioned_names(body, limit))
    return render_markdown(body, limit, named, member_url, linked), linked
