"""Write docs/api.md, the reference of the forum's HTTP API, from the OpenAPI document the forum serves.

    .venv/bin/python docs/api.py     # after changing an operation, its docstring or a model of its body

Every operation declared with `registry.route(...)` (forum/api/openapi.py) is in the document, and so in the
reference: its summary and who may call it (the view's docstring), its parameters and body (the pydantic
models, with their field descriptions and examples) and every status it may answer. The introduction below is
written by hand. tests/test_api_docs.py fails while docs/api.md differs from what this script writes.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script from anywhere: the forum package is beside docs/

from forum.api import registry  # noqa: E402

OUT = ROOT / "docs" / "api.md"
SERVER = "/api/v1"
EXAMPLE_WIDTH = 110  # longer examples are spread over lines

# What each status of the API means, for the table in the introduction.
STATUSES = [
    (400, (
        "The request is malformed: a body that is no JSON object the forum reads, NUL in the address or the "
        "body, or a write riding on the browser's session without a valid `X-CSRFToken` header"
    )),
    (401, (
        "Not signed in where the operation needs it, or the bearer token sent is unknown or revoked (on every "
        "operation that reads tokens, public reads included)"
    )),
    (403, "Signed in, but the role does not allow it (a removed member only reads)"),
    (404, (
        "No such thing, or no such path under `/api/v1` (ids that are no numbers, too large for any table, "
        "written with leading zeros or holding control characters)"
    )),
    (405, "The path exists but not with this method; `Allow` names the methods it takes"),
    (409, "The action clashes with the current state: a duplicate, a stale verdict version, a locked thread"),
    (410, "The article was unpublished (moderators still read it)"),
    (413, (
        "The body is larger than `FORUM_MAX_CONTENT_LENGTH` (4,000,000 bytes); any write may answer it, since "
        "the forum reads the body of every write"
    )),
    (414, (
        "The address (path and query string) is longer than `FORUM_MAX_REQUEST_URL` (4,000 characters); any "
        "operation may answer it"
    )),
    (422, "The values break a rule; `message` says which, `field` where"),
    (429, (
        "Too many attempts: see [Rate limits](#rate-limits); `Retry-After` says in how many seconds to try "
        "again"
    )),
    (500, (
        "A failure of the forum's own, logged; the message quotes a reference to report. Never an answer to "
        "bad input"
    )),
]


INTRO = """\
# The HTTP API

<!-- Written by docs/api.py from the OpenAPI document: edit that script (or the operation's docstring and
models), then run `.venv/bin/python docs/api.py`. -->

JSON over HTTP under `/api/v1`, below the forum's mount point: `/api/v1` on the standalone site, `/forum/api/v1`
in a host app with the default `FORUM_URL_PREFIX`. `GET /api/v1/openapi.json` is the OpenAPI 3.1 document this
reference is written from; it is generated from the same declarations and pydantic models that check every
request, so the two cannot drift apart.

## Signing in

Reading needs no sign-in. Writing does, in one of two ways:

- **A bearer token**, for scripts: `POST /api/v1/tokens` with a site account's user name and password answers
  `201 {"token": "..."}` (shown once: keep it); whoever runs the site can also print one with
  `flask --app wsgi forum create-token NAME`. Send it as `Authorization: Bearer TOKEN`. Bearer requests need no
  CSRF token. `DELETE /api/v1/tokens/current` revokes the token sent; changing the account's password revokes all
  of them.
- **The browser's session**, for pages' own scripts: a signed-in page carries its CSRF token in
  `<meta name="csrf-token" content="...">`, and every write must send it back as the `X-CSRFToken` header
  (400 without it).

```sh
curl -s -X POST http://127.0.0.1:5000/api/v1/tokens \\
     -H 'Content-Type: application/json' -d '{"username": "mira", "password": "demo password"}'
curl -s -X PUT http://127.0.0.1:5000/api/v1/arguments/7/vote \\
     -H 'Authorization: Bearer TOKEN' -H 'Content-Type: application/json' -d '{"value": 1}'
```

Roles rank member < moderator < admin, each allowed all that the one before may do; "members" below means any
signed-in member. A removed member may still read, and is refused (403) everything else. Without a sign-in, an
operation that needs one answers 401; with one whose role does not allow it, 403.

A token that is unknown, revoked (by `DELETE /api/v1/tokens/current`, a password change or the member's removal)
is refused with 401 by every operation, reads included, even those anyone may call without one: a script learns at
once that its token no longer works, rather than reading on as a stranger and failing at its next write. Send no
`Authorization` header to read anonymously. Only `POST /api/v1/tokens` (which signs in by password) and
`GET /api/v1/openapi.json` ignore the header.

## Requests and answers

Bodies are JSON objects sent with `Content-Type: application/json`. They are strict and closed: a field the
operation does not take is refused (422, naming every such field), and types are not coerced (`true` or `1.0` is
no vote, `5` no text). A body that is no JSON object the forum reads is 400 with the reason: not UTF-8, not valid
JSON, nested more than 32 levels, a number of thousands of digits, or a lone surrogate escape such as `"\\ud800"`
(half of a UTF-16 pair, which no page or database can hold). So is a NUL character in the query string or the
body; a request over `FORUM_MAX_CONTENT_LENGTH` (4,000,000 bytes) is 413. What the forum makes answers 201,
everything else 200. Times are ISO 8601 in UTC. The limits below that name a setting are its defaults.

Every error has one shape, with the status that fits (the table under each operation lists them all):

```json
{"error": {"code": "invalid", "message": "A source needs a full http:// or https:// address.",
           "field": "sources.0.url"}}
```

`field`, when present, names the value at fault, as a path into the body. A stale verdict (409) also carries the
verdict as it is now, under `error.current`.

What each status means (each operation's table below lists those it may answer; every answer under `/api/v1`,
errors from the router included, is JSON):

{status_table}

The server in front of the forum has limits of its own, reached before the forum sees the request and answered
in its own words (not JSON): the standalone site's `gunicorn.conf.py` sets gunicorn's request line limit to the
most it allows (8,190 bytes), above the forum's 414, and leaves its header limits (100 headers of 8,190 bytes each)
as they are, past which gunicorn answers 431 (or 414 for a request line over 8,190 bytes) itself.

## Lists and pages

The lists that grow are paged by key, newest or best first: a thread's arguments and the articles take `limit`
and `after`, the audit log `limit` and `before`. An answer's `next` is the value to send for the following page,
and `null` on the last. A thread's arguments come as a tree: each page holds up to `limit` top-level arguments,
each with all its replies. Replies nest 32 levels deep; deeper replies are listed flat, in reading order, in the
`replies` of their 32nd-level ancestor, each naming what it answers in `parent_id` (the thread page folds replies
past the fourth level the same way, under "Show N more replies").

## Rate limits

Signing in (`POST /api/v1/tokens`, counted together with the sign-in form), posting, editing, voting and flagging
are limited per member (sign-ins per address and per account name), by the `FORUM_RATELIMIT_*` settings. Past a
limit the answer is 429 with a `Retry-After` header (seconds) and a message saying when to try again; each limited
operation lists 429 among its statuses. Reads are not limited. An anonymous `GET` of the articles, an article or a
thread's arguments carries an `ETag`; sending it back in `If-None-Match` answers 304 while nothing has changed.

## Operations

"""


def anchor(name: str) -> str:
    """The Markdown anchor of a heading that is one word."""
    return name.lower()


def ref_name(schema: dict[str, Any]) -> str | None:
    """The component a schema refers to, if it is a reference."""
    ref = schema.get("$ref")
    return ref.rsplit("/", 1)[1] if ref else None


def type_of(schema: dict[str, Any]) -> str:
    """A schema's type in words, with a link to the shape it names."""
    if name := ref_name(schema):
        return f"[`{name}`](#{anchor(name)})"
    if "anyOf" in schema:
        return " or ".join(type_of(choice) for choice in schema["anyOf"])
    if "enum" in schema:
        return "one of " + ", ".join(f"`{v}`" if isinstance(v, str) else f"`{json.dumps(v)}`" for v in schema["enum"])
    kind = schema.get("type")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "string" and "format" in schema:
        return f"string ({schema['format']})"
    return kind or "any JSON"


def bounds(schema: dict[str, Any]) -> str:
    """The limits a schema sets on a value, in words."""
    for choice in schema.get("anyOf", []):
        if choice.get("type") != "null" and (found := bounds(choice)):
            return found
    for low, high, unit in (
        ("minLength", "maxLength", " characters"), ("minItems", "maxItems", " items"), ("minimum", "maximum", ""),
    ):
        if low in schema or high in schema:
            if low in schema and high in schema:
                return f"{schema[low]:,} to {schema[high]:,}{unit}"
            return f"at least {schema[low]:,}{unit}" if low in schema else f"at most {schema[high]:,}{unit}"
    return ""


def fields_table(schema: dict[str, Any]) -> list[str]:
    """A Markdown table of an object schema's fields."""
    properties = schema.get("properties", {})
    if not properties:
        return ["No fields.", ""]
    required = set(schema.get("required", []))
    lines = ["| field | type | required | limits | meaning |", "| --- | --- | --- | --- | --- |"]
    for name, field in properties.items():
        needed = "yes" if name in required else "no"
        if "default" in field and name not in required:
            needed = f"no (default `{json.dumps(field['default'])}`)"
        meaning = field.get("description", "").replace("\n", " ")
        lines.append(f"| `{name}` | {type_of(field)} | {needed} | {bounds(field)} | {meaning} |")
    return [*lines, ""]


def parameters_table(parameters: list[dict[str, Any]]) -> list[str]:
    """A Markdown table of path or query parameters."""
    lines = ["| parameter | in | type | required | limits | meaning |", "| --- | --- | --- | --- | --- | --- |"]
    for parameter in parameters:
        schema = parameter["schema"]
        needed = "yes" if parameter.get("required") else "no"
        if "default" in schema:
            needed = f"no (default `{json.dumps(schema['default'])}`)"
        meaning = schema.get("description", "").replace("\n", " ")
        name, where = parameter["name"], parameter["in"]
        lines.append(f"| `{name}` | {where} | {type_of(schema)} | {needed} | {bounds(schema)} | {meaning} |")
    return [*lines, ""]


def resolve(schema: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The schema itself, following a reference, and the non-null choice of an optional value."""
    if name := ref_name(schema):
        return resolve(schemas[name], schemas)
    choices = [c for c in schema.get("anyOf", []) if c.get("type") != "null"]
    return resolve(choices[0], schemas) if len(choices) == 1 else schema


def in_field_order(value: Any, schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """An example with its keys in the order the model declares its fields (the document sorts them)."""
    schema = resolve(schema, schemas)
    if isinstance(value, dict):
        properties = schema.get("properties", {})
        order = [k for k in properties if k in value] + sorted(k for k in value if k not in properties)
        return {k: in_field_order(value[k], properties.get(k, {}), schemas) for k in order}
    if isinstance(value, list):
        return [in_field_order(v, schema.get("items", {}), schemas) for v in value]
    return value


def made_up(schema: dict[str, Any], schemas: dict[str, Any]) -> Any:
    """An example value for a schema that gives none: its required fields, each with a value of its type."""
    schema = resolve(schema, schemas)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object":
        properties = schema.get("properties", {})
        return {k: made_up(properties[k], schemas) for k in properties if k in schema.get("required", [])}
    if kind == "array":
        return [made_up(schema.get("items", {}), schemas)]
    return {"string": "text", "integer": 1, "number": 1, "boolean": True}.get(kind or "", None)


def render_operation(method: str, path: str, operation: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    """One operation's section."""
    lines = [f"### `{method.upper()} {SERVER}{path}`", "", operation["summary"], ""]
    if description := operation.get("description"):
        lines += [description.replace("\n", " "), ""]
    if parameters := operation.get("parameters"):
        lines += parameters_table(parameters)
    if body := operation.get("requestBody"):
        schema = body["content"]["application/json"]["schema"]
        name = ref_name(schema) or "body"
        model = schemas[name]
        lines += [f"Body ([`{name}`](#{anchor(name)})): {' '.join(model.get('description', '').split())}", ""]
        lines += fields_table(model)
        given = model.get("examples") or [made_up(schema, schemas)]
        for example in given:
            example = in_field_order(example, schema, schemas)
            text = json.dumps(example, ensure_ascii=False)
            if len(text) > EXAMPLE_WIDTH:
                text = json.dumps(example, ensure_ascii=False, indent=2)
            lines += ["```json", text, "```", ""]
    lines += ["Answers:", "", "| status | when | body |", "| --- | --- | --- |"]
    for status, response in operation["responses"].items():
        content = response.get("content", {}).get("application/json", {}).get("schema")
        shown = type_of(content) if content else ""
        lines.append(f"| {status} | {response['description']} | {shown} |")
    return [*lines, ""]


def render(document: dict[str, Any]) -> str:
    """The whole reference, as Markdown."""
    schemas = document["components"]["schemas"]
    operations = [
        (method, path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
    ]
    table = "\n".join(["| status | meaning |", "| --- | --- |", *(f"| {code} | {text} |" for code, text in STATUSES)])
    lines = INTRO.replace("{status_table}", table).splitlines()
    lines += ["| operation | what | who |", "| --- | --- | --- |"]
    for method, path, operation in operations:
        title = f"{method.upper()} {SERVER}{path}"
        link = "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c in "-_")
        who = operation.get("description", "").removeprefix("Who may call it: ").replace("\n", " ").rstrip(".")
        lines.append(f"| [`{title}`](#{link}) | {operation['summary']} | {who} |")
    lines.append("")
    for method, path, operation in operations:
        lines += render_operation(method, path, operation, schemas)
    lines += ["## Shapes", "", "Every body the operations take and answer with, by name.", ""]
    for name in sorted(schemas):
        schema = schemas[name]
        lines += [f"### {name}", ""]
        if description := schema.get("description"):
            lines += [" ".join(description.split()), ""]
        lines += fields_table(schema)
    return "\n".join(lines).rstrip("\n") + "\n"


def current() -> str:
    """The reference as this version of the forum writes it."""
    return render(registry.document(SERVER))


if __name__ == "__main__":
    OUT.write_text(current(), encoding="utf-8")
    print(f"Wrote {OUT.relative_to(ROOT)}.")
