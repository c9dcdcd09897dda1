"""Arguments: posting, editing and withdrawing them, with their sources and earlier versions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.caching.raw_reads import run_in, typed
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.live.staging import stage
from forum.member_links import member_url
from forum.models import (
    Argument,
    ArgumentVersion,
    Article,
    Block,
    BlockKind,
    Member,
    Role,
    Source,
    utcnow,
)
from forum.services import audit, notifications, policy
from forum.services import posting_statements as statements
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
from forum.services.policy import REMOVED, Action, check
from forum.services.threads import ArgumentRecord, AuthorRef, SourceRecord
from forum.services.votes import together

T = TypeVar("T")



@dataclass(frozen=True)
class Author:
    """Who posts: a stored member's id and the name their posts show."""

    id: int
    name: str


def post(
    session: so.Session,
    block_id: int,
    author: Author,
    *,
    stance: str,
    body: str,
    parent_id: int | None = None,
    sources: Sequence[SourceInput] = (),
    limits: Limits = Limits(),
) -> ArgumentRecord:
    """Post an argument (or a reply) on a thread, as written (`forum.services.posting_statements`); the caller
    commits. The reply's and mentions' notifications, the author's watch of the thread, the page versions and the
    live event go with it, in its transaction."""
    session.flush()  # an author new in this transaction is stored first: the post names them
    author_id, author_name = author.id, author.name
    # What was typed is checked and rendered before the write's transaction, which on SQLite holds the one write
    # lock; its mistakes are reported after the thread's own refusals, as they always were.
    checks = Checks()
    chosen = checks(parse_stance, stance)
    rendered = checks(render_body, session, body, limits)
    built = checks(check_sources, session, block_id, list(sources), limits)
    stripped = rendered[0] if rendered is not None else body
    now = utcnow()
    connection = session.connection()
    with together(connection):
        thread = _read_thread(connection, block_id, author_id, parent_id, stripped, now, limits.duplicate_window)
        if thread is None:
            raise NotFound("There is no such paragraph.")
        if thread.kind == BlockKind.HEADING:
            raise NotFound("A heading has no thread.")
        if thread.author_removed:
            raise Forbidden(REMOVED)
        check(Action.POST, locked=thread.locked, removed=thread.removed_in is not None,
              unpublished=thread.unpublished_at is not None)
        checks.done()
        assert chosen is not None and rendered is not None and built is not None
        if parent_id is not None:
            if thread.parent_block_id != block_id:
                raise Invalid("The argument you answer is not in this thread.", field="parent_id")
            check(Action.REPLY, locked=thread.locked, removed=thread.removed_in is not None,
                  unpublished=thread.unpublished_at is not None, hidden=bool(thread.parent_hidden),
                  withdrawn=thread.parent_withdrawn_at is not None)
        if thread.duplicate:
            raise Conflict("You posted this very argument here a moment ago.", field="body")
        body, html, mentioned = rendered
        params = {
            "block_id": block_id, "article_id": thread.article_id, "author_id": author_id, "parent_id": parent_id,
            "stance": chosen.value, "body": body, "html": html, "posted_at": stored(connection, now),
            "revision": thread.revision,  # the wording it answers
            **{f"{name}_{s.position}": getattr(s, name) for s in built for name in SOURCE_FIELDS},
        }
        argument_id = _write(connection, params, len(built))
    _forget_versions(session, block_id, thread.article_id)
    record = ArgumentRecord(
        id=argument_id, block_id=block_id, parent_id=parent_id, author_id=author_id,
        author=AuthorRef(author_id, author_name), stance=chosen.value, body=body, html=html, created_at=now,
        edited_at=None, withdrawn_at=None, up=0, down=0, score=0, hidden=False, hidden_reason=None,
        moderator_edited=False,
        sources=tuple(SourceRecord(s.url, s.title, s.quote, s.citation) for s in built),
    )
    # Told in the same transaction as the post: it stands or falls with it.
    notifications.argument_posted(session, record, ThreadRef(block_id, thread.article_id), author, mentioned)
    stage(session, block_id, "argument",
          {"argument_id": argument_id, "parent_id": parent_id, "stance": chosen.value, "action": "posted"})
    return record


SOURCE_FIELDS = ("position", "url", "title", "quote", "citation", "slot_id")


@dataclass(frozen=True)
class ThreadRef:
    """A thread as the notifications of a post name it."""

    id: int
    article_id: int


def _read_thread(
    connection: sa.Connection, block_id: int, author_id: int, parent_id: int | None, body: str, now: datetime,
    window: int,
) -> statements.Thread | None:
    """The post's first read (`statements.THREAD`), or None for no such block."""
    found = run_in(connection, statements.THREAD, {
        "block_id": block_id, "author_id": author_id, "parent_id": parent_id, "body": body,
        "look_for_duplicate": window > 0, "since": stored(connection, now - timedelta(seconds=max(window, 0))),
    })
    return statements.Thread(*typed(connection.engine, statements.THREAD, found[0])) if found else None


def _write(connection: sa.Connection, params: dict[str, Any], sources: int) -> int:
    """The post's writes; the new argument's id."""
    if connection.dialect.name == "postgresql":
        ((argument_id,),) = run_in(connection, statements.postgresql_post(sources), params)
        return int(argument_id)
    ((argument_id,),) = run_in(connection, statements.SQLITE.argument, params)
    if sources:
        run_in(connection, statements.sqlite_sources(sources), {**params, "argument_id": argument_id})
    for statement in (statements.SQLITE.watch, statements.SQLITE.thread_moved, statements.SQLITE.article_moved):
        run_in(connection, statement, params)
    return int(argument_id)


def stored(connection: sa.Connection, when: datetime) -> Any:
    """A time as the driver's cursor takes it for a timestamp column (SQLite's is text)."""
    return _time_processor(connection.dialect)(when)


@cache
def _time_processor(dialect: sa.Dialect) -> Callable[[datetime], Any]:
    """The bind processor of the arguments' timestamps for `dialect`."""
    processor = statements.WHEN.dialect_impl(dialect).bind_processor(dialect)
    return processor if processor is not None else (lambda when: when)


def _forget_versions(session: so.Session, block_id: int, article_id: int) -> None:
    """The session's copies of the thread and its article (if it holds them) have other versions now."""
    for model, key in ((Block, block_id), (Article, article_id)):
        held = session.identity_map.get(session.identity_key(model, key))
        if held is not None:
            session.expire(held, ["version"])


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
