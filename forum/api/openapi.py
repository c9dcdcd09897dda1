"""The API's operations, declared once: the same declaration validates requests and writes the OpenAPI document."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import wraps
from typing import Any

from flask import Blueprint, request
from pydantic import BaseModel, ValidationError

from forum.auth import bearer_secret, current_viewer
from forum.errors import ForumError, Invalid
from forum.ratelimit import WRITES, counted
from forum.routing import MAX_ID

STATUS_TEXT = {
    200: "OK",
    201: "Created",
    304: "Not modified: the answer is still the one whose ETag was sent in If-None-Match",
    400: "Malformed request (NUL in the address, a body that is no JSON object), or a session write without a "
         "valid X-CSRFToken header",
    401: "Not signed in, or the bearer token sent is unknown or revoked (refused even where no sign-in is needed)",
    403: "The viewer's role does not allow this",
    404: "No such thing",
    409: "Conflicts with the current state",
    410: "Gone: the article was unpublished (moderators still read it)",
    413: "The request's body is larger than the forum reads (FORUM_MAX_CONTENT_LENGTH)",
    414: "The address (path and query string) is longer than the forum reads (FORUM_MAX_REQUEST_URL)",
    422: "The values break a rule; the message says which",
    429: "Too many requests; retry after the number of seconds in Retry-After",
}


class ErrorDetail(BaseModel):
    """What went wrong, for people and for programs."""

    code: str
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    """Every error the API answers with."""

    error: ErrorDetail


class BadRequest(ForumError):
    """The request body is not the JSON object the operation takes."""


@dataclass
class Operation:
    """One method on one path, with what it takes and what it answers."""

    method: str
    rule: str
    summary: str
    description: str
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    responses: dict[int, type[BaseModel] | None]
    auth: bool
    limited: str | None = None
    token: bool = True


@dataclass
class Api:
    """The registry of the API's operations, bound to one blueprint."""

    blueprint: Blueprint
    title: str
    version: str
    operations: list[Operation] = field(default_factory=list)

    def route(
        self,
        rule: str,
        method: str,
        *,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        responses: dict[int, type[BaseModel] | None],
        auth: bool = False,
        limited: str | None = None,
        token: bool = True,
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Declare an operation; the view receives the validated body as `body`, the query as `query`.

        The view's docstring documents it: its first line is the summary, the rest (who may call it) the
        description. A member's write `limited` by a kind of `forum.ratelimit.MEMBER_WRITES` runs under
        those limits, counted only once it succeeds, and documents 429. An operation reads the bearer token
        sent (`token`, all but signing in itself): one unknown or revoked is refused with 401 before anything
        else is read, a public read's too, so that a script learns at once that its token no longer works.
        """

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            summary, _, description = inspect.cleandoc(view.__doc__ or "").partition("\n")
            statuses = dict(responses)
            # Any request may hold NUL in its query string (`forum.security` refuses it), and any write a body
            # that is no JSON the forum reads, or lack its CSRF header.
            statuses.setdefault(400, ErrorBody)
            # Any address may be longer than the forum reads, and any write's body larger: the forum reads the
            # body of every write (`forum.security`), whether the operation takes one or not.
            statuses.setdefault(414, ErrorBody)
            if method in WRITES:
                statuses.setdefault(413, ErrorBody)
            if body is not None or query is not None:
                statuses.setdefault(422, ErrorBody)
            if auth or token:
                statuses.setdefault(401, ErrorBody)
            if "<" in rule:
                statuses.setdefault(404, ErrorBody)
            if limited is not None:
                statuses.setdefault(429, ErrorBody)
            self.operations.append(
                Operation(method, rule, summary, description.strip(), body, query, statuses, auth, limited, token)
            )

            @wraps(view)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if token and bearer_secret() is not None:
                    current_viewer()  # 401 for a token that is unknown or revoked
                if body is not None:
                    kwargs["body"] = parse_body(body)
                if query is not None:
                    kwargs["query"] = validate(query, request.args.to_dict())
                if limited is None:
                    return view(*args, **kwargs)
                with counted(limited):
                    return view(*args, **kwargs)

            self.blueprint.add_url_rule(rule, view.__name__, wrapper, methods=[method])
            return wrapper

        return decorator

    def document(self, server_url: str) -> dict[str, Any]:
        """The OpenAPI 3.1 document of every declared operation."""
        schemas: dict[str, Any] = {}
        paths: dict[str, dict[str, Any]] = {}
        for op in self.operations:
            path, parameters = openapi_path(op.rule)
            entry: dict[str, Any] = {
                "operationId": f"{op.method.lower()}_{op.rule.strip('/').replace('/', '_')}",
                "summary": op.summary,
                **({"description": op.description} if op.description else {}),
                "responses": {
                    str(status): response_object(status, model, schemas)
                    for status, model in sorted(op.responses.items())
                },
            }
            if op.query is not None:
                parameters = parameters + query_parameters(op.query)
            if parameters:
                entry["parameters"] = parameters
            if op.body is not None:
                entry["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": schema_ref(op.body, schemas)}},
                }
            if op.auth:
                entry["security"] = [{"bearer": []}, {"session": []}]
            elif op.token:  # anyone may call it; a token or a session, when sent, is read
                entry["security"] = [{}, {"bearer": []}, {"session": []}]
            paths.setdefault(path, {})[op.method.lower()] = entry
        return {
            "openapi": "3.1.0",
            "info": {"title": self.title, "version": self.version},
            "servers": [{"url": server_url}],
            "paths": paths,
            "components": {
                "schemas": schemas,
                "securitySchemes": {
                    "bearer": {"type": "http", "scheme": "bearer"},
                    "session": {"type": "apiKey", "in": "header", "name": "X-CSRFToken"},
                },
            },
        }


def parse_body(model: type[BaseModel]) -> BaseModel:
    """The request's JSON body validated by `model`: 400 unless it is a JSON object, 422 for a wrong value."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise BadRequest("Send a JSON object with Content-Type: application/json.")
    return validate(model, data)


def validate(model: type[BaseModel], data: dict[str, Any]) -> BaseModel:
    """`data` validated by `model`, or `Invalid` naming every unknown field, else the first wrong one."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        problems = error.errors()
        unknown = [place(e["loc"]) for e in problems if e["type"] == "extra_forbidden"]
        if unknown:
            names = ", ".join(unknown)
            raise Invalid(f"Unknown field{'s' if len(unknown) > 1 else ''}: {names}.", field=unknown[0]) from None
        first = problems[0]
        where = place(first["loc"]) or None
        message = f"{where}: {first['msg']}" if where else first["msg"]
        raise Invalid(message, field=where) from None


def place(location: tuple[int | str, ...]) -> str:
    """Where in a body a value sits, as `sources.0.url`."""
    return ".".join(str(part) for part in location)


def openapi_path(rule: str) -> tuple[str, list[dict[str, Any]]]:
    """A Flask rule as an OpenAPI path with its path parameters."""
    parameters = []
    for converter, name in re.findall(r"<(?:(\w+):)?(\w+)>", rule):
        schema: dict[str, Any] = {"type": "string"}
        if converter == "id":
            schema = {"type": "integer", "minimum": 0, "maximum": MAX_ID}
        parameters.append({"name": name, "in": "path", "required": True, "schema": schema})
    return re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", rule), parameters


def query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    """The query parameters a model takes, as OpenAPI parameter objects."""
    schema = model.model_json_schema()
    required = set(schema.get("required", []))
    return [
        {"name": name, "in": "query", "required": name in required, "schema": prop}
        for name, prop in schema["properties"].items()
    ]


def schema_ref(model: type[BaseModel], schemas: dict[str, Any]) -> dict[str, str]:
    """Put `model` (and the models it uses) into `schemas`; return a reference to it."""
    ref = f"#/components/schemas/{model.__name__}"
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    schemas.update(schema.pop("$defs", {}))
    # A recursive model (an argument holds its replies) comes as a reference to itself, defined in $defs.
    if schema.get("$ref") != ref:
        schemas[model.__name__] = schema
    return {"$ref": ref}


def response_object(
    status: int, model: type[BaseModel] | None, schemas: dict[str, Any]
) -> dict[str, Any]:
    """The OpenAPI response object of one status."""
    response: dict[str, Any] = {"description": STATUS_TEXT.get(status, "")}
    if model is not None:
        response["content"] = {"application/json": {"schema": schema_ref(model, schemas)}}
    return response
