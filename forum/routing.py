"""The `id` URL converter and `parse_id`: digits read as an id that the forum's tables can hold; `anypath`."""

from __future__ import annotations

from werkzeug.routing import BaseConverter, PathConverter

MAX_ID = 2**31 - 1  # the largest integer key on every database the forum runs on
MAX_ID_DIGITS = len(str(MAX_ID))


def id_of_digits(digits: str) -> int | None:
    """ASCII digits as an id, or None when they are too many for any table (or no digits at all).

    The digits are counted before `int()` reads them, which refuses strings of more than 4,300 digits.
    """
    significant = digits.lstrip("0") or "0"
    if not digits.isascii() or not digits.isdigit() or len(significant) > MAX_ID_DIGITS:
        return None
    number = int(significant)
    return number if number <= MAX_ID else None


class IdConverter(BaseConverter):
    """Digits as an id; a number no table can hold becomes 0, which no row has, so the view answers 404."""

    # ASCII only: Python's \d also matches other scripts' digits, which `int()` would read.
    regex = r"[0-9]+"

    def to_python(self, value: str) -> int:
        """The id, or 0 for one too large to be stored or not written as the forum writes it ("007"): 0 names
        no row, so the view answers 404 (a converter that refused would lose the API's JSON 404).

        Each spelling of one id would be a page of its own: kept apart by the page cache, one per number of
        leading zeros, and so a way to fill it.
        """
        number = id_of_digits(value)
        return 0 if number is None or str(number) != value else number

    def to_url(self, value: int) -> str:
        """The id as digits."""
        return str(int(value))


def parse_id(text: str | None) -> int | None:
    """An id typed into a form or a query string, or None when it is not one the tables can hold."""
    return id_of_digits((text or "").strip())


class AnyPathConverter(PathConverter):
    """Werkzeug's `path`, line breaks included: its `.` stops at one (`%0A`), leaving such a path to no route."""

    regex = r"[^/][\s\S]*?"
