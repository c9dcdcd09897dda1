"""Backups: every forum table to one JSON document, and back into an empty database exactly."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Invalid
from forum.models import Base

FORMAT = "forum-backup"
VERSION = 1


def tables() -> list[sa.Table]:
    """The forum's tables, parents before children."""
    return list(Base.metadata.sorted_tables)


def encode(value: Any) -> Any:
    """A column value as JSON: times and dates as ISO 8601 text."""
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return value


def decode(column: sa.Column, value: Any) -> Any:
    """A JSON value back as the column's Python type."""
    if value is None:
        return None
    python_type = getattr(column.type, "impl", column.type)
    if isinstance(python_type, sa.DateTime):
        return datetime.fromisoformat(value)
    if isinstance(python_type, sa.Date):
        return date.fromisoformat(value)
    return value


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
    for table in tables():
        if session.execute(sa.select(sa.func.count()).select_from(table)).scalar():
            raise Conflict(f"The database is not empty ({table.name} has rows): restore into an empty one.")
    counts = {}
    for table in tables():
        rows = data["tables"].get(table.name, [])
        if rows:
            session.execute(
                table.insert(),
                [{c.name: decode(c, row.get(c.name)) for c in table.columns} for row in rows],
            )
        counts[table.name] = len(rows)
    reset_sequences(session)
    return counts


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
