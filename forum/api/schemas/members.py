"""The API's shapes of members' pages and an argument's own: a member, their arguments, one argument."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from forum.api.schemas.arguments import ArgumentOut
from forum.api.schemas.common import AFTER, Id


class ArgumentInThreadOut(ArgumentOut):
    """An argument with its replies, and the thread (`block_id`) and argument (`parent_id`) it answers."""

    block_id: int


class MemberPageOut(BaseModel):
    """A member: `arguments` counts those the caller sees (`GET /members/{id}/arguments`), `received_up` and
    `received_down` the votes those received; `removed` is true once a moderator removed them."""

    id: int
    name: str
    role: Literal["member", "moderator", "admin"]
    joined_at: datetime
    arguments: int
    received_up: int
    received_down: int
    removed: bool = False


class MemberArgumentsQuery(BaseModel):
    """How to page a member's arguments."""

    limit: int = Field(default=50, ge=1, le=100)
    after: Id | None = Field(default=None, description=AFTER)


class MemberArgumentsOut(BaseModel):
    """A member's arguments, newest first, each without its replies (`replies` is empty)."""

    arguments: list[ArgumentInThreadOut]
    next: int | None
