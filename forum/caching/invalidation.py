"""Page versions move by mechanism: what each cached page shows, and the session events that move its version.

A thread page (and its API twin) is kept by its block's `version` and its article's; an article page (and
its JSON) by its article's; the home page by the count and the sum of the articles'. `MAP` says, table by
table and column by column, which of those versions a change moves; `NOT_SHOWN` names what no cached page
shows. The session's events (`forum.caching.invalidation_hooks`) note every row a transaction changes, from
each flush (the unit of work) and each bulk statement (`do_orm_execute`), and this module moves the versions
just before it commits: the blocks' in one UPDATE, then the articles' in another. Rows are locked argument
first (votes lock it), then block, then article, so that concurrent votes on PostgreSQL never wait on each
other in a circle. A write to a forum column the map does not know, or to a version by anything but this
module, is refused.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.models import Argument, Article, Base, Block

PENDING = "forum.page_versions_pending"
# The execution option of a backup's rows restored into an empty database: they carry their versions as
# they were, and no page of this database has been served yet, so they move none.
RESTORING = "forum_restoring_backup"
# Past this many ids, a range from the least to the greatest stands for them: a few more pages move, in
# one short statement (a seeding notes a million arguments).
MOST_IDS = 500


class Via(enum.Enum):
    """What a row's key column names: its thread, an argument of a thread, its article, or a member."""

    BLOCK = "block"
    ARGUMENT = "argument"
    ARTICLE = "article"
    MEMBER = "member"


class Reach(enum.Enum):
    """Which pages a change moves."""

    # The thread's page alone: what the article page does not show (scores, a member's own flags).
    THREAD = "thread"
    # The thread's page and its article's: content, counts, verdicts, locks (for a member: the threads they
    # wrote in, and the articles whose verdicts they set).
    THREAD_AND_ARTICLE = "thread and article"
    # The article's page and every thread of it: what each thread page shows of the article.
    WHOLE_ARTICLE = "whole article"


@dataclass(frozen=True)
class Moves:
    """A change of `columns` (None: every column no other entry of the table names) of a row of `table`
    moves the pages `reach` says, of what the row's `key` column names (`via`)."""

    table: str
    key: str
    via: Via
    reach: Reach
    columns: frozenset[str] | None = None
    # Whether a new row moves anything (a new member's name is on no page yet).
    on_insert: bool = True


def _cols(*names: str) -> frozenset[str]:
    """A set of column names."""
    return frozenset(names)


MAP: tuple[Moves, ...] = (
    Moves("forum_articles", "id", Via.ARTICLE, Reach.WHOLE_ARTICLE),  # title, unpublishing: every page of it
    Moves("forum_blocks", "id", Via.BLOCK, Reach.THREAD_AND_ARTICLE),
    Moves("forum_citation_slots", "article_id", Via.ARTICLE, Reach.WHOLE_ARTICLE),
    Moves("forum_block_citations", "block_id", Via.BLOCK, Reach.WHOLE_ARTICLE),
    Moves("forum_arguments", "block_id", Via.BLOCK, Reach.THREAD, _cols("up", "down", "score")),
    # What a scoring makes of the votes: the thread page and its JSON show it, the article page does not.
    Moves("forum_arguments", "block_id", Via.BLOCK, Reach.THREAD, _cols("helpfulness", "helpful")),
    Moves("forum_arguments", "block_id", Via.BLOCK, Reach.THREAD_AND_ARTICLE),
    # An accepted source fills its footnote on every thread that cites it.
    Moves("forum_sources", "argument_id", Via.ARGUMENT, Reach.WHOLE_ARTICLE, _cols("accepted_at", "accepted_by_id")),
    Moves("forum_sources", "argument_id", Via.ARGUMENT, Reach.THREAD_AND_ARTICLE),
    Moves("forum_argument_versions", "argument_id", Via.ARGUMENT, Reach.THREAD_AND_ARTICLE),
    Moves("forum_votes", "argument_id", Via.ARGUMENT, Reach.THREAD),
    # A member's copy of a thread shows what they flagged.
    Moves("forum_flags", "argument_id", Via.ARGUMENT, Reach.THREAD),
    Moves("forum_consensus_changes", "block_id", Via.BLOCK, Reach.THREAD_AND_ARTICLE),
    # A paragraph's earlier wordings: its thread page shows what changed since the one each argument answered.
    Moves("forum_block_revisions", "block_id", Via.BLOCK, Reach.THREAD),
    # A thread's computed suggestion: beside the verdict on its page, and marked as computed in the margin.
    Moves("forum_suggestions", "block_id", Via.BLOCK, Reach.THREAD_AND_ARTICLE),
    # Thread pages name their arguments' authors; an article's JSON names who set each verdict. Verdict
    # history, kept versions and the audit log keep the name as it was.
    Moves("forum_members", "id", Via.MEMBER, Reach.THREAD_AND_ARTICLE, _cols("name"), on_insert=False),
    # A member's copy of a thread shows their watch of it, and of its article; their copy of the article, the
    # article's. A row names one or the other (the other key is None, and moves nothing).
    Moves("forum_watches", "block_id", Via.BLOCK, Reach.THREAD),
    Moves("forum_watches", "article_id", Via.ARTICLE, Reach.WHOLE_ARTICLE),
)

# What no cached page shows, each with why. A member's role and removal change what they may do on a
# page: that is in the key of their own copy (`forum.caching.viewer_key`), not in the page's version.
NOT_SHOWN: dict[str, frozenset[str] | None] = {
    "forum_accounts": None,  # sign-ins: names shown are the members'
    "forum_api_tokens": None,
    "forum_audit_log": None,  # the moderation pages are never cached
    "forum_scoring_runs": None,  # when scorings ran: each thread's suggestion says what it shows
    "forum_outbox": None,  # mail waiting to be sent
    # Mail settings and last visits are on no page.
    "forum_members": _cols(
        "id", "user_id", "role", "created_at", "removed_at", "digest", "last_digest_at", "last_seen_at"
    ),
    # The bell's unread count is in the key of a member's own copy of a page (`forum.caching.viewer_key`),
    # so a new or read notification moves that member's pages alone; the list itself is never cached.
    "forum_notifications": None,
}
# The tables whose own id names the pages a row is on (through `_blocks_of` and `_articles_of`), so that an
# UPDATE by primary key needs no read of its rows first.
OWN = {"forum_arguments": Via.ARGUMENT, "forum_blocks": Via.BLOCK, "forum_articles": Via.ARTICLE}
# The versions themselves: moved here alone (a thread's `counts_version` by `counts_moved`, with its `version`).
VERSIONS = {"forum_blocks": frozenset({"version", "counts_version"}), "forum_articles": frozenset({"version"})}


UNKNOWN = object()  # a value a statement computes in SQL


class UnmappedWrite(RuntimeError):
    """A write to a forum column that `MAP` does not say the pages of, or to a page version."""


def _columns_by_entry() -> dict[str, list[tuple[Moves, frozenset[str]]]]:
    """Each table's entries with the columns each one covers (an open entry: every column left)."""
    by_table: dict[str, list[tuple[Moves, frozenset[str]]]] = {}
    for table in Base.metadata.tables.values():
        entries = [m for m in MAP if m.table == table.name]
        named = frozenset().union(*(m.columns for m in entries if m.columns is not None))
        hidden = NOT_SHOWN.get(table.name, frozenset())
        rest = frozenset(table.c.keys()) - named - (hidden or frozenset()) - VERSIONS.get(table.name, frozenset())
        by_table[table.name] = [(m, m.columns if m.columns is not None else rest) for m in entries]
    return by_table


COVERED = _columns_by_entry()


def uncovered_columns() -> list[str]:
    """Every forum column that neither moves a page (`MAP`) nor is declared shown on none (`NOT_SHOWN`)."""
    missing = []
    for table in Base.metadata.tables.values():
        hidden = NOT_SHOWN.get(table.name, frozenset())
        if hidden is None:
            continue
        covered = frozenset().union(*(cols for _, cols in COVERED[table.name])) | hidden
        missing += [
            f"{table.name}.{c}" for c in (col.name for col in table.c)
            if c not in covered and c not in VERSIONS.get(table.name, frozenset())
        ]
    return missing


@dataclass
class Pending:
    """The pages a transaction's writes move so far: ids by (via, reach), or everything."""

    ids: dict[tuple[Via, Reach], set[int]]
    everything: bool = False
    # The thread of each argument the transaction wrote or read a row of: an argument's page is then named
    # by its thread directly, and one thread's version moves by its id, with no lookup (a vote's case).
    threads_of: dict[int, int] = field(default_factory=dict)


def pending(session: so.Session) -> Pending:
    """The session's notes for its transaction, made on first use."""
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = Pending({})
    return found


def note(session: so.Session, table: str, rows: Iterable[Mapping[str, Any]] | None,
         changed: Collection[str] | None, inserting: bool = False, own_ids: Collection[int] | None = None) -> None:
    """Note rows of `table` whose `changed` columns (None: all) changed; rows None: which is unknown.

    `own_ids` names the rows by their primary key instead, for a table that `OWN` says names pages by it.
    """
    hidden = NOT_SHOWN.get(table, frozenset())
    if hidden is None or table not in COVERED:
        return
    versions = VERSIONS.get(table, frozenset())
    if changed is not None and (moved := versions.intersection(changed)):
        if not inserting:
            raise UnmappedWrite(f"{table}.{min(moved)} moves by forum.caching.invalidation alone.")
        changed = [c for c in changed if c not in versions]  # a new row starts at the versions it is given
    entries = COVERED[table]
    if changed is not None:
        known = frozenset().union(*(cols for _, cols in entries)) | hidden
        stray = [c for c in changed if c not in known]
        if stray:
            raise UnmappedWrite(
                f"No page version is known to show {table}.{stray[0]}: say so in forum.caching.invalidation."
            )
    chosen = [m for m, cols in entries if (changed is None or cols & set(changed)) and (m.on_insert or not inserting)]
    if not chosen:
        return
    notes = pending(session)
    if rows is not None and own_ids is not None:
        # Rows named by their own ids (an UPDATE by primary key): their pages are found when the versions move.
        for entry in chosen:
            notes.ids.setdefault((OWN[table], entry.reach), set()).update(own_ids)
        return
    if rows is None:
        notes.everything = True
        return
    rows = list(rows)
    if table == Argument.__tablename__:
        for row in rows:
            argument, thread = row.get("id"), row.get("block_id")
            if isinstance(argument, int) and isinstance(thread, int):
                notes.threads_of[argument] = thread
    for row in rows:
        for entry in chosen:
            value = row.get(entry.key, UNKNOWN)
            if value is UNKNOWN or not (value is None or isinstance(value, int)):
                notes.everything = True
            elif value is not None:
                notes.ids.setdefault((entry.via, entry.reach), set()).add(value)


def _in(column: so.QueryableAttribute[Any], ids: set[int]) -> sa.ColumnElement[bool]:
    """`column` among `ids`, or (for very many) between the least and the greatest of them."""
    if len(ids) > MOST_IDS:
        return column.between(min(ids), max(ids))
    return column.in_(sorted(ids))


def _blocks_of(via: Via, ids: set[int]) -> sa.ColumnElement[bool]:
    """The blocks a row's key names: its own, an argument's, an article's, or those a member wrote in."""
    if via is Via.BLOCK:
        return _in(Block.id, ids)
    if via is Via.ARGUMENT:
        return Block.id.in_(sa.select(Argument.block_id).where(_in(Argument.id, ids)))
    if via is Via.ARTICLE:
        return _in(Block.article_id, ids)
    return Block.id.in_(sa.select(Argument.block_id).where(_in(Argument.author_id, ids)))


def _articles_of(via: Via, ids: set[int]) -> sa.ColumnElement[bool]:
    """The articles a row's key names: its block's, its argument's, its own, or those a member set verdicts in."""
    if via is Via.BLOCK:
        return Article.id.in_(sa.select(Block.article_id).where(_in(Block.id, ids)))
    if via is Via.ARGUMENT:
        return Article.id.in_(
            sa.select(Block.article_id).join(Argument, Argument.block_id == Block.id).where(_in(Argument.id, ids))
        )
    if via is Via.ARTICLE:
        return _in(Article.id, ids)
    return Article.id.in_(sa.select(Block.article_id).where(_in(Block.consensus_set_by_id, ids)))


def by_thread(notes: Pending) -> dict[tuple[Via, Reach], set[int]]:
    """The noted ids, each argument whose thread is known named by its thread instead."""
    ids: dict[tuple[Via, Reach], set[int]] = {}
    for (via, reach), noted in notes.ids.items():
        if via is Via.ARGUMENT:
            known = {n for n in noted if n in notes.threads_of}
            if known:
                ids.setdefault((Via.BLOCK, reach), set()).update(notes.threads_of[n] for n in known)
            noted = noted - known
            if not noted:
                continue
        ids.setdefault((via, reach), set()).update(noted)
    return ids


def version_updates(notes: Pending) -> list[sa.Update]:
    """The statements moving the noted pages' versions: the blocks', then the articles'."""
    if notes.everything:
        return [sa.update(Block).values(version=Block.version + 1),
                sa.update(Article).values(version=Article.version + 1)]
    noted = by_thread(notes)
    blocks: list[sa.ColumnElement[bool]] = []
    articles: list[sa.ColumnElement[bool]] = []
    for (via, reach), ids in sorted(noted.items(), key=lambda item: (item[0][0].value, item[0][1].value)):
        if reach is Reach.WHOLE_ARTICLE:
            blocks.append(Block.article_id.in_(sa.select(Article.id).where(_articles_of(via, ids))))
        else:
            blocks.append(_blocks_of(via, ids))
        if reach is not Reach.THREAD:
            articles.append(_articles_of(via, ids))
    statements = []
    if blocks:
        own = [ids for (via, reach), ids in noted.items() if via is Via.BLOCK and reach is not Reach.WHOLE_ARTICLE]
        one = set().union(*own) if len(own) == len(blocks) else None
        statements.append(_update(Block, blocks, one))
    if articles:
        statements.append(_update(Article, articles, None))
    return statements


def _update(model: type[Block | Article], where: list[sa.ColumnElement[bool]], one: set[int] | None) -> sa.Update:
    """One UPDATE moving the versions of the rows `where` selects, locking them in id order first."""
    statement = sa.update(model).values(version=model.version + 1)
    if one is not None and len(one) == 1:
        return statement.where(model.id == next(iter(one)))
    # Rows locked in one order by every writer: two transactions moving the same pages queue, never cross.
    # FOR NO KEY UPDATE, as a plain UPDATE of a version takes: it does not wait on the KEY SHARE locks that
    # inserting a row referencing the thread (a new argument) takes, so posters never deadlock on it.
    chosen = sa.select(model.id).where(sa.or_(*where)).order_by(model.id).with_for_update(key_share=True)
    return statement.where(model.id.in_(chosen))


# What a write that changes arguments' counts and nothing else a thread's snapshot holds may write (a vote): its
# voter's row, which only the voter's own copy of the page shows, and the counters.
COUNTS_ONLY = {"forum_votes": None, "forum_arguments": frozenset({"up", "down", "score"})}


def counts_moved(block_id: sa.ColumnElement[int], writes: Mapping[str, Collection[str]]) -> sa.Update:
    """The UPDATE moving one thread's page version and its counts version, for a write sent past the session's
    events in a statement of its own that changes its arguments' counts alone (a vote).

    `writes` names the tables and columns it changes: `MAP` must say that they move their thread's page alone,
    and `COUNTS_ONLY` that they are counts (or a voter's own row), or this refuses to build it (`UnmappedWrite`).
    A reader who finds both versions grown alike since its snapshot of the thread then reads the counts alone.
    """
    for table, columns in writes.items():
        reaches = {entry.reach for entry, covered in COVERED[table] if covered & set(columns)}
        if reaches != {Reach.THREAD}:
            raise UnmappedWrite(f"{table}.{', '.join(sorted(columns))} does not move its thread's page alone.")
        if table not in COUNTS_ONLY or not set(columns) <= (COUNTS_ONLY[table] or set(columns)):
            raise UnmappedWrite(f"{table}.{', '.join(sorted(columns))} is more than a thread's counts.")
    return sa.update(Block).where(Block.id == block_id).values(
        version=Block.version + 1, counts_version=Block.counts_version + 1
    )


def thread_and_article_moved(
    block_id: sa.ColumnElement[int], article_id: sa.ColumnElement[int], writes: Mapping[str, Collection[str]]
) -> tuple[sa.Update, sa.Update]:
    """The UPDATEs moving one thread's page version, then its article's, for new rows of that thread written past
    the session's events in statements of their own (a post): `writes` names each table written and the columns
    its new rows are given (a key column left out is NULL, and names no page). `MAP` must say that those rows move
    no more than the thread's page and its article's, through a key naming the thread itself or an argument of it
    (the caller's rows name this thread), or this refuses to build them (`UnmappedWrite`)."""
    for table, columns in writes.items():
        given = set(columns)
        hidden = NOT_SHOWN.get(table, frozenset())
        if table not in COVERED or hidden is None or VERSIONS.get(table, frozenset()) & given:
            raise UnmappedWrite(f"{table} is not a table whose new rows this moves the pages of.")
        known = frozenset().union(*(cols for _, cols in COVERED[table])) | hidden
        if stray := sorted(given - known):
            raise UnmappedWrite(f"No page version is known to show {table}.{stray[0]}.")
        for entry, covered in COVERED[table]:
            if not (entry.on_insert and covered & given and entry.key in given):
                continue
            if entry.via not in (Via.BLOCK, Via.ARGUMENT) or entry.reach is Reach.WHOLE_ARTICLE:
                raise UnmappedWrite(f"A new row of {table} moves more than its thread's page and its article's.")
    return (
        sa.update(Block).where(Block.id == block_id).values(version=Block.version + 1),
        sa.update(Article).where(Article.id == article_id).values(version=Article.version + 1),
    )


def move_versions(session: so.Session) -> None:
    """Before a transaction commits: write what is pending, then move the versions of the pages it changed."""
    if session.in_nested_transaction():
        return  # a savepoint's release: the outer transaction moves them when it commits
    session.flush()
    notes = session.info.pop(PENDING, None)
    if notes is None or not (notes.ids or notes.everything):
        return
    connection = session.connection()
    for statement in version_updates(notes):
        # On the connection: past the session's events, so the versions' own UPDATE notes nothing.
        connection.execute(statement)


def forget(session: so.Session, transaction: so.SessionTransaction) -> None:
    """A transaction ended: what it noted is gone with it (a savepoint's notes stay, moving a page more)."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)
