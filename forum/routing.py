"""The `id` URL converter: any run of digits, read as an id that the forum's tables can hold."""

from __future__ import annotations

from werkzeug.routing import BaseConverter

MAX_ID = 2**31 - 1  # the largest integer key on every database the forum runs on


class IdConverter(BaseConverter):
    """Digits as an id; a number no table can hold becomes 0, which no row has, so the view answers 404."""

    regex = r"\d+"

    def to_python(self, value: str) -> int:
        """The id, or 0 for one too large to be stored (a converter that refused would lose the API's JSON 404)."""
        number = int(value)
        return number if number <= MAX_ID else 0

    def to_url(self, value: int) -> str:
        """The id as digits."""
        return str(int(value))


def parse_id(text: str | None) -> int | None:
    """An id typed into a form or a query string, or None when it is not one the tables can hold."""
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit():
        return None
    number = int(text)
    return number if number <= MAX_ID else None
