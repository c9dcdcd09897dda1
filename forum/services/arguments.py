"""Arguments: posting, editing and withdrawing them, with their sources and earlier versions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, TypeVar

import sqlalchemy.orm as so

from forum.errors import Invalid, NotFound
from forum.live.staging import stage
from forum.member_links import member_url
from forum.models import (
    Argument,
    ArgumentVersion,
    Block,
    Member,
    Role,
    Source,
    utcnow,
)
from forum.services import audit, notifications, policy
from forum.services.argument_checks import (
    CheckedSource as CheckedSource,
)
from forum.services.argument_checks import (
    Checks as Checks,
)
from forum.services.argument_checks import (
    Limits as Limits,
)
from forum.services.argument_checks import (
    SourceInput as SourceInput,
)
from forum.services.argument_checks import (
    build_sources as build_sources,
)
from forum.services.argument_checks import (
    check_length as check_length,
)
from forum.services.argument_checks import (
    check_sources as check_sources,
)
from forum.services.argument_checks import (
    check_url as check_url,
)
from forum.services.argument_checks import (
    clean_optional as clean_optional,
)
from forum.services.argument_checks import (
    footnote_slot as footnote_slot,
)
from forum.services.argument_checks import (
    parse_stance as parse_stance,
)
from forum.services.argument_checks import (
    preview_html as preview_html,
)
from forum.services.argument_checks import (
    render_body as render_body,
)
from forum.services.members import holds
from forum.services.mentions import render_with_mentions
from forum.services.policy import Action, check
from forum.services.posting import Author as Author
from forum.services.posting import post as post
from forum.services.posting import post_committed as post_committed

T = TypeVar("T")


def post_argument(
    session: so.Session,
    block: Block,
    author: Member,
    *,
    stance: str,
    body: str,
    parent_id: int | None = None,
    sources: Sequence[SourceInput] = (),
    limits: Limits = Limits(),
) -> Argument:
    """Post an argument (or a reply) on a thread (`post`), and load it into the session; the caller commits."""
    session.flush()  # an author new in this transaction gets its id
    # Read here, before the write's statements: a row the session expired loads now, not in psycopg's pipeline.
    record = post(session, block.id, Author(author.id, author.name), stance=stance, body=body, parent_id=parent_id,
                  sources=sources, limits=limits)
    return get_argument(session, record.id)


def get_argument(session: so.Session, argument_id: int) -> Argument:
    """The argument with that id, or `NotFound`."""
    argument = session.get(Argument, argument_id)
    if argument is None:
        raise NotFound("There is no such argument.")
    return argument


def argument_state(argument: Argument, member: Member) -> dict[str, bool]:
    """What the policy asks of an argument and of who acts on it (`forum.services.policy`)."""
    return policy.state(argument.block, argument, member_id=member.id, moderator=holds(member, Role.MODERATOR))


def source_snapshot(sources: list[Source]) -> list[dict[str, Any]]:
    """Sources as plain data, for an argument's kept versions."""
    return [
        {"url": s.url, "title": s.title, "quote": s.quote, "citation": s.citation} for s in sources
    ]


def keep_rows(old: list[Source], new: list[Source]) -> list[Source]:
    """The new sources, reusing the row of each one whose address and footnote are unchanged.

    A source a moderator accepted for a footnote is that row: editing the body, a title or a quote keeps
    it accepted; a new address or footnote is a new proposal.
    """
    unused = list(old)
    kept = []
    for source in new:
        same = next((o for o in unused if (o.url, o.citation) == (source.url, source.citation)), None)
        if same is None:
            kept.append(source)
            continue
        unused.remove(same)
        same.position, same.title, same.quote = source.position, source.title, source.quote
        kept.append(same)
    return kept


def edit_argument(
    session: so.Session,
    argument: Argument,
    editor: Member,
    *,
    body: str | None = None,
    sources: list[SourceInput] | None = None,
    reason: str | None = None,
    limits: Limits = Limits(),
) -> Argument:
    """Change an argument's body or sources, keeping the earlier text as a version; the caller commits.

    A moderator's edit of someone else's argument needs a `reason`: the version keeps who edited it and
    why, the argument shows it was edited by a moderator, and the audit log gets an `argument.edit`.
    """
    check(Action.EDIT, **argument_state(argument, editor))
    if body is None and sources is None:
        raise Invalid("Send a new body, new sources, or both.")
    moderating = policy.edit_needs_reason(argument, editor.id)
    checks = Checks()
    rendered = checks(render_body, session, body, limits) if body is not None else None
    new_sources = checks(build_sources, session, argument.block, sources, limits) if sources is not None else None
    why = checks(audit.check_reason, reason or "") if moderating else None
    checks.done()
    if rendered is not None:
        # Members mentioned before already heard of it; only those the new text adds are told.
        before = render_with_mentions(session, argument.body, limits.body, member_url)[1]
        notifications.mentions_added(session, argument, editor, before, rendered[2])
    new_body, new_html = rendered[:2] if rendered is not None else (argument.body, argument.html)
    argument.versions.append(
        ArgumentVersion(
            number=len(argument.versions) + 1,
            body=argument.body,
            html=argument.html,
            sources=source_snapshot(argument.sources),
            written_at=argument.edited_at or argument.created_at,
            edited_by_id=editor.id,
            edited_by_name=editor.name,
            edit_reason=why,
            moderator_edit=moderating,
        )
    )
    argument.body = new_body
    argument.html = new_html
    if new_sources is not None:
        argument.sources = keep_rows(argument.sources, new_sources)
    argument.edited_at = utcnow()
    if moderating:
        audit.record(session, editor, "argument.edit", "argument", argument.id, why or "",
                     block_id=argument.block_id, version=len(argument.versions))
    stage(session, argument.block_id, "argument", {"argument_id": argument.id, "action": "edited"})
    return argument


def edits(argument: Argument) -> list[tuple[ArgumentVersion, datetime]]:
    """The argument's earlier versions, oldest first, each with when the edit that replaced it was made.

    Each version's text was replaced by the next version's text, the last by the current one.
    """
    versions = list(argument.versions)
    replaced = [v.written_at for v in versions[1:]] + [argument.edited_at or argument.created_at]
    return list(zip(versions, replaced))


def withdraw_argument(session: so.Session, argument: Argument, member: Member) -> Argument:
    """Withdraw one's own argument: it leaves the discussion, its replies stay."""
    check(Action.WITHDRAW, **argument_state(argument, member))
    argument.withdrawn_at = utcnow()
    stage(session, argument.block_id, "argument", {"argument_id": argument.id, "action": "withdrawn"})
    return argument
