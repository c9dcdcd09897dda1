"""The API's shapes of moderation: verdicts and their history, flags, hiding, locks, roles and the audit log."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from forum.api.schemas.arguments import ActorOut, AuthorOut
from forum.api.schemas.common import REASON, Id, RequestBody, StanceName, StatusName, examples
from forum.services.audit import REASON_LIMIT
from forum.services.consensus import KEY_ARGUMENTS_LIMIT
from forum.services.consensus import NOTE_LIMIT as VERDICT_NOTE_LIMIT
from forum.services.moderation import NOTE_LIMIT as FLAG_NOTE_LIMIT


class ConsensusIn(RequestBody):
    """A new verdict; `version` is the one the moderator saw, so that nobody overwrites a newer one unseen."""

    model_config = examples({
        "status": "supported",
        "note": "The figures match the council's own status report.",
        "key_arguments": [31, 33],
        "version": 0,
    })

    status: StatusName
    note: str = Field(default="", description=f"Markdown, at most {VERDICT_NOTE_LIMIT:,} characters.")
    key_arguments: list[Id] = Field(
        default=[], description=f"The arguments of this thread that it rests on, at most {KEY_ARGUMENTS_LIMIT}."
    )
    version: Id = Field(description="The verdict's `version` as you saw it (0 before the first); 409 if it has moved.")


class ConsensusChangeOut(BaseModel):
    """One change of a verdict."""

    version: int
    from_: StatusName = Field(alias="from")
    to: StatusName
    note: str
    note_html: str
    key_arguments: list[int]
    by: ActorOut
    at: datetime


class ConsensusHistoryOut(BaseModel):
    entries: list[ConsensusChangeOut]


FlagReasonName = Literal["spam", "abuse", "off_topic", "other"]


class FlagIn(RequestBody):
    """Why an argument should be looked at; 'other' needs a note."""

    model_config = examples({"reason": "other", "note": "A jibe at people, not a point about the paragraph."})

    reason: FlagReasonName
    note: str = Field(
        default="", description=f"At most {FLAG_NOTE_LIMIT:,} characters; needed when the reason is `other`."
    )


class FlaggedArgumentOut(BaseModel):
    id: int
    block_id: int
    stance: StanceName
    body: str
    author: AuthorOut
    hidden: bool


class FlagOut(BaseModel):
    """A member's flag on an argument; the queue adds the argument itself."""

    id: int
    argument_id: int
    reason: FlagReasonName
    note: str
    by: AuthorOut
    created_at: datetime
    resolved_at: datetime | None
    resolution: Literal["dismiss", "hide"] | None
    argument: FlaggedArgumentOut | None = None


class FlagsOut(BaseModel):
    flags: list[FlagOut]


class ResolveIn(RequestBody):
    """Dismiss the flag, or hide its argument."""

    model_config = examples({"action": "hide", "reason": "A personal attack."})

    action: Literal["dismiss", "hide"]
    reason: str = Field(default="", description=f"At most {REASON_LIMIT} characters, kept in the audit log.")


class ReasonIn(RequestBody):
    """Why a moderator acts: shown to members and kept in the audit log."""

    model_config = examples({"reason": "A personal attack, not an argument."})

    reason: str = Field(description=REASON)


class LockIn(RequestBody):
    model_config = examples({"locked": True, "reason": "Cooling off until Monday."})

    locked: bool = Field(description="true locks the thread, false unlocks it.")
    reason: str = Field(description=REASON)


class LockOut(BaseModel):
    id: int
    locked: bool
    reason: str | None


class RoleIn(RequestBody):
    model_config = examples({"role": "moderator"})

    role: Literal["member", "moderator", "admin"]


class MemberOut(BaseModel):
    id: int
    name: str
    role: Literal["member", "moderator", "admin"]


class RemovedMemberOut(MemberOut):
    """A member once removed: they keep read access only; their votes were taken back."""

    removed: bool
    votes_taken_back: int


class AuditQuery(BaseModel):
    """Filters on the audit log; `before` (an entry id) pages back."""

    action: str | None = Field(default=None, max_length=100)
    actor_id: Id | None = None
    target_type: str | None = Field(default=None, max_length=100)
    target_id: Id | None = None
    before: Id | None = Field(default=None, description="The `next` of the page before.")
    limit: int = Field(default=50, ge=1, le=200)


class AuditTargetOut(BaseModel):
    type: str
    id: int | None


class AuditEntryOut(BaseModel):
    id: int
    actor: ActorOut
    action: str
    target: AuditTargetOut
    reason: str
    details: dict[str, Any]
    at: datetime


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next: int | None
