"""The API's blueprint under /api/v1 and its registry of operations: errors as `{"error": {...}}`."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError, MethodNotAllowed, NotFound, default_exceptions
from werkzeug.routing import RequestRedirect

from forum.api.openapi import Api
from forum.errors import ForumError
from forum.requestid import add_request_id_header, log_failure
from forum.security import add_security_headers

api = Blueprint("api", __name__, url_prefix="/api/v1")
registry = Api(api, title="Forum API", version="1")


def error_response(
    status: int, code: str, message: str, field: str | None = None, headers: dict[str, str] | None = None
) -> ResponseReturnValue:
    """The API's one error shape."""
    detail = {"code": code, "message": message}
    if field:
        detail["field"] = field
    return jsonify(error=detail), status, headers or {}


@api.errorhandler(ForumError)
def forum_error(error: ForumError) -> ResponseReturnValue:
    """A domain error as JSON with its status."""
    return error_response(error.status, error.code, error.message, error.field, headers=error.headers())


@api.errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error (404, 405, 413 ...) as JSON."""
    code = (error.name or "error").lower().replace(" ", "_")
    # Keep what the error says in its headers (Allow, Retry-After), not its HTML content type.
    headers = {k: v for k, v in error.get_headers() if k.lower() != "content-type"}
    return error_response(error.code or 500, code, error.description or error.name, headers=headers)


# Flask looks for a handler of the error's own status first, the app's included, and only then for one of its
# class: a host's `@app.errorhandler(404)` would answer the API's 404s with its page. So the API names each.
for status in default_exceptions:
    if status != InternalServerError.code:
        api.register_error_handler(status, http_error)


@api.errorhandler(InternalServerError)
def internal_error(error: InternalServerError) -> ResponseReturnValue:
    """An unexpected failure: logged, and answered without details."""
    reference = log_failure(error.original_exception)
    message = f"Something went wrong on our side. If you report it, quote {reference}."
    return error_response(500, "internal_error", message)


METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
CATCH_ALL = "forum.api.no_such_route"


def unrouted() -> HTTPException:
    """What an API request that no operation takes answers: 405 naming the methods the path takes, else 404."""
    adapter = current_app.url_map.bind_to_environ(request.environ)
    allowed = []
    for method in METHODS:
        try:
            endpoint, _ = adapter.match(request.path, method=method)
        except HTTPException:
            continue
        if endpoint != CATCH_ALL:
            allowed.append(method)
    if allowed:
        return MethodNotAllowed(valid_methods=allowed)
    return NotFound("There is no such API path.")


@api.route("/<anypath:_rest>", methods=METHODS)
def no_such_route(_rest: str) -> ResponseReturnValue:
    """Unknown API paths (and ids that are no numbers) answer in JSON like every other API error."""
    # Routing errors never reach a blueprint's error handlers, so the API catches its own.
    return http_error(unrouted())


def under_the_api() -> bool:
    """Whether the request's path lies under the API's prefix, wherever the forum is mounted."""
    prefix = url_for("forum.api.openapi_document").removesuffix("/openapi.json")
    path = request.script_root + request.path
    return path == prefix or path.startswith(prefix + "/")


@api.before_app_request
def refuse_unrouted_in_json() -> ResponseReturnValue | None:
    """What the router refused under the API's prefix, and the catch-all could not take (a method such as
    PROPFIND, the bare prefix), answers in JSON too; the host's own paths keep the host's error pages."""
    error = request.routing_exception
    if not isinstance(error, HTTPException) or isinstance(error, RequestRedirect) or not under_the_api():
        return None
    answer = current_app.make_response(http_error(unrouted() if isinstance(error, MethodNotAllowed) else error))
    # The forum blueprint's own hooks never run for a request that no route of it took.
    return add_request_id_header(add_security_headers(answer))


@api.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of this API."""
    server = url_for("forum.api.openapi_document").removesuffix("/openapi.json")
    return jsonify(registry.document(server))
