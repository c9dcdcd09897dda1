"""The session events that tell `forum.caching.invalidation` which rows a transaction writes.

Mapper events see each row a flush inserts, updates (with the columns whose history moved) or deletes;
`after_flush` sees the rows of association tables written through a relationship's collection; and
`do_orm_execute` sees bulk INSERT, UPDATE and DELETE statements, whose rows it reads from their parameters
or, for an UPDATE or DELETE, by selecting the rows their WHERE names before they run. A statement whose rows
cannot be known (an INSERT from a SELECT, an SQL expression for a key) moves every page.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from sqlalchemy.sql import operators
from sqlalchemy.sql.elements import BinaryExpression, BindParameter

from forum.caching.invalidation import (
    COVERED,
    MAP,
    NOT_SHOWN,
    OWN,
    RESTORING,
    UNKNOWN,
    forget,
    move_versions,
    note,
)
from forum.models import Base


def _row(mapper: so.Mapper[Any], state: so.InstanceState[Any]) -> dict[str, Any]:
    """A mapped object's loaded column values, by column name (nothing is loaded for it)."""
    return {column.name: state.dict[key] for key, column in mapper.columns.items() if key in state.dict}


def _table(mapper: so.Mapper[Any]) -> str:
    """The name of a mapper's table."""
    return str(getattr(mapper.local_table, "name", ""))


def after_insert(mapper: so.Mapper[Any], _connection: sa.Connection, target: Any) -> None:
    """A flush inserted a row: every column given a value changed."""
    state = sa.inspect(target)
    row = _row(mapper, state)
    note(state.session, _table(mapper), [row], [c for c, v in row.items() if v is not None], inserting=True)


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
        note(state.session, _table(mapper), rows, changed)


def before_delete(mapper: so.Mapper[Any], _connection: sa.Connection, target: Any) -> None:
    """A flush is about to delete a row (still there to read): all its columns change."""
    state = sa.inspect(target)
    keys = {m.key for m in MAP if m.table == _table(mapper)}
    row = {column.name: getattr(target, key) for key, column in mapper.columns.items() if column.name in keys}
    note(state.session, _table(mapper), [row], None)


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
                note(session, str(getattr(relationship.secondary, "name", "")), [row], None)


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
    return {str(getattr(k, "name", k)): _bound(v) for k, v in given.items()}


def _params(state: so.ORMExecuteState) -> list[dict[str, Any]]:
    """The parameter sets a statement runs with (a bulk statement's rows)."""
    given = state.parameters
    if not given:
        return []
    return [dict(p) for p in given] if isinstance(given, (list, tuple)) else [dict(given)]  # type: ignore[arg-type]


def _note_insert(session: so.Session, name: str, statement: Any, values: dict[str, Any],
                 params: list[dict[str, Any]]) -> None:
    """An INSERT's rows: its multi-row values, its parameter sets or its values (an upsert: every column)."""
    multi = getattr(statement, "_multi_values", None)
    rows = [{str(getattr(k, "name", k)): _bound(v) for k, v in r.items()} for m in multi for r in m] if multi else []
    rows = rows or [{**values, **p} for p in params] or [values]
    conflict = getattr(statement, "_post_values_clause", None) is not None
    changed = None if conflict else {c for r in rows for c, v in r.items() if v is not None}
    from_select = getattr(statement, "select", None) is not None
    note(session, name, None if from_select else rows, changed, inserting=not conflict)


def on_execute(state: so.ORMExecuteState) -> None:
    """A statement on a session: an INSERT, UPDATE or DELETE on a forum table notes the rows it writes."""
    if state.is_select or not (state.is_insert or state.is_update or state.is_delete):
        return
    if state.is_insert and state.execution_options.get(RESTORING):
        return
    statement: Any = state.statement
    table = getattr(statement, "table", None)
    name = getattr(table, "name", None)
    if name not in COVERED or NOT_SHOWN.get(name, frozenset()) is None:
        return  # a host's table, or one no cached page shows
    values, params = _values(statement), _params(state)
    if state.is_insert:
        _note_insert(state.session, name, statement, values, params)
        return
    real = Base.metadata.tables[name]
    # With its id, so that an argument read here names its thread for the rest of the transaction.
    keys = sorted({m.key for m in MAP if m.table == name} | ({"id"} & set(real.c.keys())))
    connection = state.session.connection()
    where: Any = statement.whereclause if statement.whereclause is not None else sa.true()
    changed: set[str] | None = set(values) if state.is_update and values else None
    if params and statement.whereclause is None:
        # An update by primary key, row by row: the rows are the keys given.
        primary = [c.name for c in real.primary_key]
        ids = [p[primary[0]] for p in params if primary[0] in p]
        where = real.c[primary[0]].in_(ids) if len(primary) == 1 and len(ids) == len(params) else None
        changed = {c for p in params for c in p} - set(primary)
    if where is None:
        note(state.session, name, None, changed)
        return
    own = _own_ids(real, where) if state.is_update and name in OWN else None
    if own is not None:
        note(state.session, name, [], changed, own_ids=own)
        return
    # The rows are read before the statement runs: a deleted row cannot be read after.
    found = [dict(r._mapping) for r in connection.execute(sa.select(*(real.c[k] for k in keys)).where(where))]
    rows = found + [{k: values[k]} for k in keys if k in values]
    note(state.session, name, rows, changed)


def _own_ids(table: sa.Table, where: Any) -> list[int] | None:
    """The ids an UPDATE's WHERE names when it is `id IN (...)` or `id = ...` with given values, else None."""
    if not isinstance(where, BinaryExpression) or not where.left.compare(table.c.id):
        return None
    value = _bound(where.right)
    if where.operator is operators.in_op and isinstance(value, (list, tuple)):
        ids = list(value)
    elif where.operator is operators.eq:
        ids = [value]
    else:
        return None
    return ids if all(isinstance(i, int) for i in ids) else None


def install() -> None:
    """Listen to every session and to the forum's mappers (once, however many apps there are)."""
    listeners: list[tuple[Any, str, Any]] = [
        (Base, "after_insert", after_insert), (Base, "after_update", after_update),
        (Base, "before_delete", before_delete), (so.Session, "after_flush", after_flush),
        (so.Session, "do_orm_execute", on_execute), (so.Session, "before_commit", move_versions),
        (so.Session, "after_transaction_end", forget),
    ]
    for target, event, listener in listeners:
        if not sa.event.contains(target, event, listener):
            sa.event.listen(target, event, listener, **({"propagate": True} if target is Base else {}))
