"""The API's shape of a thread's suggested status: what the scorer computes, never a moderator's verdict."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from forum.api.schemas.common import StanceName, StatusName


class BasisOut(BaseModel):
    """A helpful argument the suggestion rests on."""

    argument_id: int
    stance: StanceName
    helpfulness: float | None = Field(description="What the scorer made of its votes, across camps of voters.")


class SuggestionOut(BaseModel):
    """A thread's computed status: `supported` with helpful support and no helpful counter, `refuted` the
    reverse, `contested` with both, `needs_sources` when nothing is helpful but a helpful question or an open
    citation asks for evidence, else `open`. A thread never scored answers `open`, an empty basis and a null
    `scored_at`."""

    status: StatusName
    basis: list[BasisOut]
    scored_at: datetime | None = Field(description="When the scoring that made this suggestion ran; null: never.")
    algorithm: str | None = Field(description="The scorer's name and version; null: never scored.")
