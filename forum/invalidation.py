"""Page versions move by mechanism: what each cached page shows, and the session events that move its version.

A thread page (and its API twin) is kept by its block's `version` and its article's; an article page (and
its JSON) by its article's; the home page by the count and the sum of the articles'. `MAP` says, table by
table and column by column, which of those versions a change moves; `NOT_SHOWN` names what no cached page
shows. The session's events note every row a transaction changes, from each flush (the unit of work) and
each bulk statement (`do_orm_execute`), and move the versions just before it commits: the blocks' in one
UPDATE, then the articles' in another. Rows are locked argument first (votes lock it), then block, then
article, so that concurrent votes on PostgreSQL never wait on each other in a circle. A write to a forum
column the map does not know, or to a version by anything but this module, is refused.
"""

from __future__ import annotations

import enum
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.sql.elements import BindParameter

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
    return frozenset(names)


MAP: tuple[Moves, ...] = (
    Moves("forum_articles", "id", Via.ARTICLE, Reach.WHOLE_ARTICLE),  # title, unpublishing: every page of it
    Moves("forum_blocks", "id", Via.BLOCK, Reach.THREAD_AND_ARTICLE),
    Moves("forum_citation_slots", "article_id", Via.ARTICLE, Reach.WHOLE_ARTICLE),
    Moves("forum_block_citations", "block_id", Via.BLOCK, Reach.WHOLE_ARTICLE),
    Moves("forum_arguments", "block_id", Via.BLOCK, Reach.THREAD, _cols("up", "down", "score")),
    Moves("forum_arguments", "block_id", Via.BLOCK, Reach.THREAD_AND_ARTICLE),
    # An accepted source fills its footnote on every thread that cites it.
    Moves("forum_sources", "argument_id", Via.ARGUMENT, Reach.WHOLE_ARTICLE, _cols("accepted_at", "accepted_by_id")),
    Moves("forum_sources", "argument_id", Via.ARGUMENT, Reach.THREAD_AND_ARTICLE),
    Moves("forum_argument_versions", "argument_id", Via.ARGUMENT, Reach.THREAD_AND_ARTICLE),
    Moves("forum_votes", "argument_id", Via.ARGUMENT, Reach.THREAD),
    # A member's copy of a thread shows what they flagged.
    Moves("forum_flags", "argument_id", Via.ARGUMENT, Reach.THREAD),
    Moves("forum_consensus_changes", "block_id", Via.BLOCK, Reach.THREAD_AND_ARTICLE),
    # Thread pages name their arguments' authors; an article's JSON names who set each verdict. Verdict
    # history, kept versions and the audit log keep the name as it was.
    Moves("forum_members", "id", Via.MEMBER, Reach.THREAD_AND_ARTICLE, _cols("name"), on_insert=False),
)

# What no cached page shows, each with why. A member's role and removal change what they may do on a
# page: that is in the key of their own copy (`forum.quickviewer`), not in the page's version.
NOT_SHOWN: dict[str, frozenset[str] | None] = {
    "forum_accounts": None,  # sign-ins: names shown are the members'
    "forum_api_tokens": None,
    "forum_audit_log": None,  # the moderation pages are never cached
    "forum_members": _cols("id", "user_id", "role", "created_at", "removed_at"),
}
# The versions themselves: moved here alone.
VERSIONS = {"forum_blocks": "version", "forum_articles": "version"}


class UnmappedWrite(RuntimeError):
    """A write to a forum column that `MAP` does not say the pages of, or to a page version."""


def _columns_by_entry() -> dict[str, list[tuple[Moves, frozenset[str]]]]:
    """Each table's entries with the columns each one covers (an open entry: every column left)."""
    by_table: dict[str, list[tuple[Moves, frozenset[str]]]] = {}
    for table in Base.metadata.tables.values():
        entries = [m for m in MAP if m.table == table.name]
        named = frozenset().union(*(m.columns for m in entries if m.columns is not None))
        hidden = NOT_SHOWN.get(table.name, frozenset())
        rest = frozenset(table.c.keys()) - named - (hidden or frozenset()) - {VERSIONS.get(table.name)}
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
        missing += [f"{table.name}.{c}" for c in table.c.keys() if c not in covered and c != VERSIONS.get(table.name)]
    return missing


@dataclass
class Pending:
    """The pages a transaction's writes move so far: ids by (via, reach), or everything."""

    ids: dict[tuple[Via, Reach], set[int]]
    everything: bool = False


def pending(session: so.Session) -> Pending:
    """The session's notes for its transaction, made on first use."""
    found = session.info.get(PENDING)
    if found is None:
        found = session.info[PENDING] = Pending({})
    return found


def note(session: so.Session, table: str, rows: Iterable[Mapping[str, Any]] | None,
         changed: Collection[str] | None, inserting: bool = False) -> None:
    """Note rows of `table` whose `changed` columns (None: all) changed; rows None: which is unknown."""
    hidden = NOT_SHOWN.get(table, frozenset())
    if hidden is None or table not in COVERED:
        return
    version = VERSIONS.get(table)
    if changed is not None and version in changed:
        if not inserting:
            raise UnmappedWrite(f"{table}.{version} moves by forum.invalidation alone.")
        changed = [c for c in changed if c != version]  # a new row starts at the version it is given
    entries = COVERED[table]
    if changed is not None:
        known = frozenset().union(*(cols for _, cols in entries)) | hidden
        stray = [c for c in changed if c not in known]
        if stray:
            raise UnmappedWrite(f"No page version is known to show {table}.{stray[0]}: say so in forum.invalidation.")
    chosen = [m for m, cols in entries if (changed is None or cols & set(changed)) and (m.on_insert or not inserting)]
    if not chosen:
        return
    notes = pending(session)
    if rows is None:
        notes.everything = True
        return
    for row in rows:
        for entry in chosen:
            value = row.get(entry.key, UNKNOWN)
            if value is UNKNOWN or not (value is None or isinstance(value, int)):
                notes.everything = True
            elif value is not None:
                notes.ids.setdefault((entry.via, entry.reach), set()).add(value)


UNKNOWN = object()


def _in(column: sa.ColumnElement[int], ids: set[int]) -> sa.ColumnElement[bool]:
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


def version_updates(notes: Pending) -> list[sa.Update]:
    """The statements moving the noted pages' versions: the blocks', then the articles'."""
    if notes.everything:
        return [sa.update(Block).values(version=Block.version + 1),
                sa.update(Article).values(version=Article.version + 1)]
    blocks: list[sa.ColumnElement[bool]] = []
    articles: list[sa.ColumnElement[bool]] = []
    for (via, reach), ids in sorted(notes.ids.items(), key=lambda item: (item[0][0].value, item[0][1].value)):
        if reach is Reach.WHOLE_ARTICLE:
            blocks.append(Block.article_id.in_(sa.select(Article.id).where(_articles_of(via, ids))))
        else:
            blocks.append(_blocks_of(via, ids))
        if reach is not Reach.THREAD:
            articles.append(_articles_of(via, ids))
    statements = []
    if blocks:
        own = [ids for (via, reach), ids in notes.ids.items() if via is Via.BLOCK and reach is not Reach.WHOLE_ARTICLE]
        one = set().union(*own) if len(own) == len(blocks) else None
        statements.append(_update(Block, blocks, one))
    if articles:
        statements.append(_update(Article, articles, None))
    return statements


def _update(model: type[Block] | type[Article], where: list[sa.ColumnElement[bool]], one: set[int] | None) -> sa.Update:
    """One UPDATE moving the versions of the rows `where` selects, locking them in id order first."""
    statement = sa.update(model).values(version=model.version + 1)
    if one is not None and len(one) == 1:
        return statement.where(model.id == next(iter(one)))
    # Rows locked in one order by every writer: two transactions moving the same pages queue, never cross.
    chosen = sa.select(model.id).where(sa.or_(*where)).order_by(model.id).with_for_update()
    return statement.where(model.id.in_(chosen))


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


# The session's events.


def _row(mapper: so.Mapper[Any], state: so.InstanceState[Any]) -> dict[str, Any]:
    """A mapped object's loaded column values, by column name (nothing is loaded for it)."""
    return {column.name: state.dict[key] for key, column in mapper.columns.items() if key in state.dict}


def after_insert(mapper: so.Mapper[Any], _connection: sa.Connection, target: Any) -> None:
    """A flush inserted a row: every column given a value changed."""
    state = sa.inspect(target)
    row = _row(mapper, state)
    note(state.session, mapper.local_table.name, [row], [c for c, v in row.items() if v is not None], inserting=True)


def after_update(mapper: so.Mapper[Any], _connection: sa.Connection, target: Any) -> None:
    """A flush updated a row: the columns whose history moved changed (a new key names pages too)."""
    state = sa.inspect(target)
    changed, rows = [], [_row(mapper, state)]
    for key, column in mapper.columns.items():
        history = state.attrs[key].history
        if history.has_changes():
            changed.append(column.name)
            rows += [{column.name: old} for old in history.deleted if old is not None]
    if changed:
        note(state.session, mapper.local_table.name, rows, changed)


def before_delete(mapper: so.Mapper[Any], _connection: sa.Connection, target: Any) -> None:
    """A flush is about to delete a row (still there to read): all its columns change."""
    state = sa.inspect(target)
    keys = {m.key for m in MAP if m.table == mapper.local_table.name}
    row = {column.name: getattr(target, key) for key, column in mapper.columns.items() if column.name in keys}
    note(state.session, mapper.local_table.name, [row], None)


def after_flush(session: so.Session, _context: Any) -> None:
    """Rows of association tables (a block's citations) written through a relationship's collection."""
    for target in [*session.new, *session.dirty]:
        state = sa.inspect(target)
        for relationship in state.mapper.relationships:
            if relationship.secondary is None or relationship.viewonly:
                continue
            history = state.attrs[relationship.key].history
            for child in [*history.added, *history.deleted]:
                row = _pair_row(relationship, state, sa.inspect(child))
                note(session, relationship.secondary.name, [row], None)


def _pair_row(relationship: so.RelationshipProperty[Any], parent: so.InstanceState[Any],
              child: so.InstanceState[Any]) -> dict[str, Any]:
    """The association row joining `parent` and `child`."""
    row = {}
    for pairs, state in ((relationship.synchronize_pairs, parent), (relationship.secondary_synchronize_pairs, child)):
        for own, column in pairs or ():
            row[column.name] = state.mapper.get_property_by_column(own).class_attribute.__get__(state.obj(), None)
    return row


def _bound(value: Any) -> Any:
    """A literal a statement binds, or UNKNOWN for an SQL expression."""
    return value.value if isinstance(value, BindParameter) else UNKNOWN


def _values(statement: Any) -> dict[str, Any]:
    """What a statement's `.values()` sets, by column name."""
    given = dict(getattr(statement, "_ordered_values", None) or getattr(statement, "_values", None) or {})
    return {getattr(k, "name", k): _bound(v) for k, v in given.items()}


def _params(state: so.ORMExecuteState) -> list[dict[str, Any]]:
    """The parameter sets a statement runs with (a bulk statement's rows)."""
    given = state.parameters
    if not given:
        return []
    return [dict(p) for p in given] if isinstance(given, (list, tuple)) else [dict(given)]


def on_execute(state: so.ORMExecuteState) -> None:
    """A statement on a session: an INSERT, UPDATE or DELETE on a forum table notes the rows it writes."""
    if state.is_select or not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.is_insert and state.execution_options.get(RESTORING):
        return
    statement = state.statement
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in COVERED or NOT_SHOWN.get(name, frozenset()) is None:
        return  # a host's table, or one no cached page shows
    real = Base.metadata.tables[name]
    values, params = _values(statement), _params(state)
    if state.is_insert:
        multi = getattr(statement, "_multi_values", None)
        rows = [{getattr(k, "name", k): _bound(v) for k, v in r.items()} for m in multi for r in m] if multi else None
        rows = rows or [{**values, **p} for p in params] or [values]
        conflict = getattr(statement, "_post_values_clause", None) is not None
        unknown = getattr(statement, "select", None) is not None
        changed = None if conflict else {c for r in rows for c, v in r.items() if v is not None}
        note(state.session, name, None if unknown else rows, changed, inserting=not conflict)
        return
    keys = sorted({m.key for m in MAP if m.table == name})
    connection = state.session.connection()
    if params and statement.whereclause is None:
        # An update by primary key, row by row: the rows are the keys given.
        primary = [c.name for c in real.primary_key]
        ids = [p[primary[0]] for p in params if primary[0] in p]
        where = real.c[primary[0]].in_(ids) if len(primary) == 1 and len(ids) == len(params) else None
        changed: set[str] | None = {c for p in params for c in p} - set(primary)
    else:
        where = statement.whereclause if statement.whereclause is not None else sa.true()
        changed = set(values) if state.is_update and values else None
    if where is None:
        note(state.session, name, None, changed)
        return
    # The rows are read before the statement runs: a deleted row cannot be read after.
    found = [dict(r._mapping) for r in connection.execute(sa.select(*(real.c[k] for k in keys)).where(where))]
    rows = found + [{k: values[k]} for k in keys if k in values]
    note(state.session, name, rows, changed)


def install() -> None:
    """Listen to every session and to the forum's mappers (once, however many apps there are)."""
    for event, listener in (("after_insert", after_insert), ("after_update", after_update),
                            ("before_delete", before_delete)):
        if not sa.event.contains(Base, event, listener):
            sa.event.listen(Base, event, listener, propagate=True)
    for event, listener in (("after_flush", after_flush), ("do_orm_execute", on_execute),
                            ("before_commit", move_versions), ("after_transaction_end", forget)):
        if not sa.event.contains(so.Session, event, listener):
            sa.event.listen(so.Session, event, listener)
