"""What every shape of the API shares: its base of request bodies, ids, limits and the words of its descriptions."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from forum.routing import MAX_ID
from forum.services.arguments import Limits
from forum.services.audit import REASON_LIMIT

LIMITS = Limits()  # the defaults; each limit of an argument is a setting (FORUM_MAX_*)

# A number that names a row, or a version: what the database's integer columns can hold.
Id = Annotated[int, Field(ge=0, le=MAX_ID)]

StanceName = Literal["counter", "support", "question"]
StatusName = Literal["open", "supported", "contested", "refuted", "needs_sources"]
MARKDOWN = f"Markdown, at most `FORUM_MAX_BODY` characters ({LIMITS.body:,}); it must show a reader something."
REASON = f"At most {REASON_LIMIT} characters; shown to members and kept in the audit log."
AFTER = "The `next` of the page before."


def examples(*bodies: dict[str, Any]) -> ConfigDict:
    """A model's example bodies, for the OpenAPI document and the API's reference (docs/api.md)."""
    return ConfigDict(json_schema_extra={"examples": list(bodies)})


class RequestBody(BaseModel):
    """The base of every request body: strict types, and no field the operation does not take.

    Strict, so that `true` or `1.0` is no vote and `5` no text; closed, so that a misspelt field
    (`parentid`) is refused with its name rather than ignored.
    """

    model_config = ConfigDict(strict=True, extra="forbid")
