"""JSON request bodies as the forum reads them: UTF-8, nested at most `MAX_DEPTH` levels, no lone surrogates.

Werkzeug parses a request's JSON with `request.json_module`. The forum's routes set it to `StrictJson`
before anything reads the body, so that every `request.get_json()` on them (the API's bodies, the NUL
check, the rate limiter's keys) returns a value that can be stored and shown, or raises `MalformedJson`
(400) saying what is wrong: never a RecursionError for `[` sent a hundred thousand times, nor a string
holding half of a UTF-16 pair (`"\\ud800"`), which no database column and no page can encode.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from flask import json as flask_json
from flask import request

from forum.errors import ForumError

# Far more than any body of the API nests (a source in an argument is three levels).
MAX_DEPTH = 32
# Strings are taken out before brackets are counted, so that a "[" inside one counts for nothing.
STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
NOT_BRACKET = re.compile(r"[^\[\]{}]+")
# A surrogate can only come in escaped, since the body is decoded as strict UTF-8 first.
SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
SURROGATE = re.compile("[\ud800-\udfff]")


class MalformedJson(ForumError):
    """The body is not JSON the forum reads."""

    status = 400
    code = "bad_request"


def too_deep(text: str) -> bool:
    """Whether JSON text nests arrays and objects more than `MAX_DEPTH` levels, found before parsing it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return False
    depth = 0
    for bracket in NOT_BRACKET.sub("", STRING.sub("", text)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_DEPTH:
            return True
    return False


def strings_in(value: Any) -> Iterator[str]:
    """Every string of a JSON value (or of form fields as pairs), object keys included, without recursion."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, (list, tuple)):
            stack.extend(item)


def loads(data: str | bytes, **kwargs: Any) -> Any:
    """The body parsed by the app's JSON provider, or `MalformedJson` saying what is wrong with it."""
    if isinstance(data, (bytes, bytearray)):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            raise MalformedJson("The body is not UTF-8 text.") from None
    if too_deep(data):
        raise MalformedJson(f"The body nests arrays and objects more than {MAX_DEPTH} levels deep.")
    try:
        value = flask_json.loads(data, **kwargs)
    except json.JSONDecodeError as error:
        raise MalformedJson(
            f"The body is not valid JSON ({error.msg}, line {error.lineno}, column {error.colno}): "
            "send a JSON object."
        ) from None
    except ValueError:  # the only other one: an integer of more than 4,300 digits
        raise MalformedJson("The body holds a number with too many digits.") from None
    if SURROGATE_ESCAPE.search(data) and any(SURROGATE.search(text) for text in strings_in(value)):
        raise MalformedJson(
            "Text in the body holds a lone surrogate escape (such as \\ud800), which is no character."
        )
    return value


class StrictJson:
    """The `json_module` of the forum's requests: Flask's JSON, with `loads` refusing what the forum cannot take."""

    loads = staticmethod(loads)
    dumps = staticmethod(flask_json.dumps)


def read_json_strictly(_endpoint: str | None = None, _values: dict[str, Any] | None = None) -> None:
    """Have this request's JSON read by `StrictJson`; hung as a URL value preprocessor, which runs before
    every `before_request` hook (the rate limiter reads a sign-in's name from the body in one)."""
    request.json_module = StrictJson
