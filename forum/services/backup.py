"""Backups: every forum table to one JSON document, and back into an empty database exactly."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from typing import Any, NotRequired

import sqlalchemy as sa
import sqlalchemy.orm as so
from pydantic import TypeAdapter, ValidationError
from typing_extensions import TypedDict  # pydantic reads typing.TypedDict only from Python 3.12 on

from forum.caching.invalidation import RESTORING
from forum.errors import Conflict, Invalid
from forum.models import UNSTORABLE, Base

FORMAT = "forum-backup"
VERSION = 1
# The integers each column type holds on PostgreSQL (SQLite holds more, which is why a backup is checked).
INTEGER_RANGES = {sa.SmallInteger: 2**15, sa.BigInteger: 2**63, sa.Integer: 2**31}


class Unfit(ValueError):
    """A backup's value that its column cannot hold; the message says why, after the column's name."""


class SourceSnapshot(TypedDict):
    """A source as an argument's earlier version keeps it (`forum.services.arguments.source_snapshot`)."""

    url: str
    title: str | None
    quote: str | None
    citation: int | None


class BasisEntry(TypedDict):
    """An argument a thread's suggestion rests on (`forum.services.suggestions.suggest`)."""

    argument_id: int
    stance: str
    helpfulness: float | None
    # Raters of each side of the scorer's factor (the larger side first).
    sides: NotRequired[list[int]]


class SuccessorCandidate(TypedDict):
    """A block a removed block may live on as (`forum.services.revisions`), for a moderator to decide."""

    block_id: int
    confidence: float


# What each JSON column holds, in the shape the pages read it: a value of another shape is refused, as a
# text is in an integer column, rather than restored into pages that would fail on it.
JSON_SHAPES: dict[tuple[str, str], TypeAdapter[Any]] = {
    ("forum_blocks", "consensus_key_arguments"): TypeAdapter(list[int]),
    ("forum_blocks", "successor_candidates"): TypeAdapter(list[SuccessorCandidate]),
    ("forum_consensus_changes", "key_arguments"): TypeAdapter(list[int]),
    ("forum_argument_versions", "sources"): TypeAdapter(list[SourceSnapshot]),
    ("forum_audit_log", "details"): TypeAdapter(dict[str, Any]),
    ("forum_suggestions", "basis"): TypeAdapter(list[BasisEntry]),
    ("forum_suggestions", "voters"): TypeAdapter(dict[str, int]),
    ("forum_outbox", "headers"): TypeAdapter(dict[str, str]),
}


def tables() -> list[sa.Table]:
    """The forum's tables, parents before children."""
    return list(Base.metadata.sorted_tables)


def encode(value: Any) -> Any:
    """A column value as JSON: times and dates as ISO 8601 text."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def decode(column: sa.Column[Any], value: Any) -> Any:
    """A JSON value back as the column's Python type; `Unfit` says why it cannot be one."""
    if value is None:
        if not column.nullable:
            raise Unfit("is missing")
        return None
    kind = getattr(column.type, "impl", column.type)
    if isinstance(kind, sa.DateTime | sa.Date):
        if not isinstance(value, str):
            raise Unfit("is not a date or time")
        parsed = (datetime if isinstance(kind, sa.DateTime) else date).fromisoformat(value)
        if isinstance(parsed, datetime) and parsed.tzinfo is None:
            raise Unfit("is a time without its time zone")
        if isinstance(parsed, datetime):
            try:
                parsed.astimezone(UTC)  # as it is stored: "0001-01-01T00:00+01:00" is no year
            except OverflowError:
                raise Unfit("is not a time this column holds") from None
        return parsed
    if isinstance(kind, sa.JSON):
        return decode_json(column, value)
    if isinstance(kind, sa.Boolean):
        if not isinstance(value, bool):
            raise Unfit("is not true or false")
    elif isinstance(kind, sa.Integer):
        limit = next(size for integer, size in INTEGER_RANGES.items() if isinstance(kind, integer))
        if isinstance(value, bool) or not isinstance(value, int) or not -limit <= value < limit:
            raise Unfit("is not a whole number this column holds")
    elif isinstance(kind, sa.String):
        if not isinstance(value, str):
            raise Unfit("is not text")
        if kind.length is not None and len(value) > kind.length:
            raise Unfit(f"has {len(value):,} characters, over the {kind.length:,} the column holds")
        if UNSTORABLE.search(value):
            raise Unfit("holds a NUL character or half of a surrogate pair")
    return value


def decode_json(column: sa.Column[Any], value: Any) -> Any:
    """A JSON column's value, if it has the column's shape and every text and number in it can be stored."""
    shape = JSON_SHAPES[(column.table.name, column.name)]
    try:
        shape.validate_python(value, strict=True)
    except ValidationError:
        raise Unfit("is not of the shape the column holds") from None
    pending = [value]
    while pending:  # a loop, not recursion: the file's nesting is the writer's choice
        item = pending.pop()
        if isinstance(item, dict):
            pending += [*item.keys(), *item.values()]
        elif isinstance(item, list):
            pending += item
        elif isinstance(item, str) and UNSTORABLE.search(item):
            raise Unfit("holds a NUL character or half of a surrogate pair")
        elif isinstance(item, int) and not isinstance(item, bool) and not -(2**63) <= item < 2**63:
            raise Unfit("holds a number no database column holds")
        elif isinstance(item, float) and not math.isfinite(item):
            raise Unfit("holds a number no database column holds")
    return value


def decode_rows(table: sa.Table, rows: Any) -> list[dict[str, Any]]:
    """A table's rows from a backup, each value checked against its column, or Invalid naming the first bad one."""
    if not isinstance(rows, list) or not all(isinstance(row, dict) for row in rows):
        raise Invalid(f"The backup's {table.name} is not a list of rows.")
    decoded = []
    for number, row in enumerate(rows, start=1):
        values = {}
        for column in table.columns:
            if column.name not in row and isinstance(column.default, sa.ColumnDefault) and column.default.is_scalar:
                # A column newer than the backup (a version counter): its rows take what a new row is given.
                values[column.name] = column.default.arg
                continue
            try:
                values[column.name] = decode(column, row.get(column.name))
            except ValueError as error:  # Unfit, or a date that fromisoformat cannot read
                reason = str(error) if isinstance(error, Unfit) else "is not valid"
                raise Invalid(f"Row {number} of {table.name} cannot be restored: {column.name} {reason}.") from None
        decoded.append(values)
    return decoded


def export(session: so.Session) -> dict[str, Any]:
    """Everything the forum holds, table by table, rows in key order."""
    data: dict[str, Any] = {"format": FORMAT, "version": VERSION, "tables": {}}
    for table in tables():
        order = list(table.primary_key.columns)
        rows = session.execute(sa.select(table).order_by(*order)).mappings()
        data["tables"][table.name] = [
            {name: encode(value) for name, value in row.items()} for row in rows
        ]
    return data


def restore(session: so.Session, data: dict[str, Any]) -> dict[str, int]:
    """Load a backup into an empty forum database; the caller commits. Returns rows per table."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Invalid("This file is not a forum backup.")
    if data.get("version") != VERSION:
        raise Invalid(f"This backup has version {data.get('version')}; this forum reads version {VERSION}.")
    if not isinstance(data.get("tables"), dict):
        raise Invalid("This backup has no tables.")
    for table in tables():
        if session.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            raise Conflict(f"The database is not empty ({table.name} has rows): restore into an empty one.")
    # Every row is checked before any is written, so that SQLite and PostgreSQL take the same backups.
    rows = {table: decode_rows(table, data["tables"].get(table.name, [])) for table in tables()}
    try:
        for table, values in rows.items():
            if values:
                session.execute(table.insert(), values, execution_options={RESTORING: True})
        reset_sequences(session)
    except sa.exc.DBAPIError as error:
        # Rows that do not fit together (a duplicate id, a reference to no row); the caller rolls back.
        reason = str(error.orig).strip().splitlines()[0]
        raise Invalid(f"The backup's rows do not fit together: {reason}.") from None
    return {table.name: len(values) for table, values in rows.items()}


def reset_sequences(session: so.Session) -> None:
    """On PostgreSQL, move each id sequence past the restored ids, so that new rows get fresh ones."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables():
        column = table.c.get("id")
        if column is not None and column.autoincrement:
            session.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                    f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                )
            )
