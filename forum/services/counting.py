"""What counts as a thread's argument, written once for SQL and for Python.

An argument counts while it is in the discussion: neither withdrawn by its author nor hidden by a
moderator. Every number a reader sees (a thread's "Arguments (n)", the article's "Discuss (n)", the
stance counts in the margin and in the API, the home page's totals, the moderators' decision aid) and
every choice of key arguments for a verdict uses this one rule. Moderators still see hidden and
withdrawn arguments in place, but they are not counted and cannot carry a verdict.
"""

from __future__ import annotations

from typing import Protocol

import sqlalchemy as sa

from forum.models import Argument


class HasState(Protocol):
    """Anything shaped like an argument: a row, or the thread's snapshot of one."""

    @property
    def hidden(self) -> bool: ...

    @property
    def withdrawn_at(self) -> object: ...


def counted_arguments() -> sa.ColumnElement[bool]:
    """The rule in SQL: the arguments that count."""
    return sa.and_(Argument.withdrawn_at.is_(None), Argument.hidden.is_(False))


def counts(argument: HasState) -> bool:
    """The rule in Python: whether this argument counts."""
    return argument.withdrawn_at is None and not argument.hidden
