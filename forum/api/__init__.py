"""The JSON API under /api/v1: errors as `{"error": {...}}`, operations declared in `forum.api.openapi`."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, url_for
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException, InternalServerError

from forum.api.openapi import Api
from forum.errors import ForumError

api = Blueprint("api", __name__, url_prefix="/api/v1")
registry = Api(api, title="Forum API", version="1")


def error_response(status: int, code: str, message: str, field: str | None = None) -> ResponseReturnValue:
    """The API's one error shape."""
    detail = {"code": code, "message": message}
    if field:
        detail["field"] = field
    return jsonify(error=detail), status


@api.errorhandler(ForumError)
def forum_error(error: ForumError) -> ResponseReturnValue:
    """A domain error as JSON with its status."""
    return error_response(error.status, error.code, error.message, error.field)


@api.errorhandler(HTTPException)
def http_error(error: HTTPException) -> ResponseReturnValue:
    """An HTTP error (404, 405, 413 ...) as JSON."""
    code = (error.name or "error").lower().replace(" ", "_")
    return error_response(error.code or 500, code, error.description or error.name)


@api.errorhandler(InternalServerError)
def internal_error(error: InternalServerError) -> ResponseReturnValue:
    """An unexpected failure: logged, and answered without details."""
    current_app.logger.error("API request failed", exc_info=error.original_exception)
    return error_response(500, "internal_error", "Something went wrong on our side.")


@api.get("/openapi.json")
def openapi_document() -> ResponseReturnValue:
    """The OpenAPI 3.1 document of this API."""
    server = url_for("forum.api.openapi_document").removesuffix("/openapi.json")
    return jsonify(registry.document(server))


from forum.api import articles, arguments, tokens  # noqa: E402,F401  (declare the operations)
