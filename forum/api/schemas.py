"""The shapes of the API's requests and answers, as pydantic models (and so as OpenAPI schemas)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from forum.routing import MAX_ID
from forum.services.arguments import Limits
from forum.services.consensus import KEY_ARGUMENTS_LIMIT
from forum.services.consensus import NOTE_LIMIT as VERDICT_NOTE_LIMIT
from forum.services.moderation import NOTE_LIMIT as FLAG_NOTE_LIMIT
from forum.services.audit import REASON_LIMIT

LIMITS = Limits()  # the defaults; each limit of an argument is a setting (FORUM_MAX_*)

# A number that names a row, or a version: what the database's integer columns can hold.
Id = Annotated[int, Field(ge=0, le=MAX_ID)]

StanceName = Literal["counter", "support", "question"]
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


class SourceIn(RequestBody):
    """A source backing an argument; `citation` is the footnote number it fills."""

    url: str = Field(
        description=f"A full http:// or https:// address, at most `FORUM_MAX_URL` characters ({LIMITS.url:,})."
    )
    title: str | None = Field(default=None, description=f"At most `FORUM_MAX_TITLE` characters ({LIMITS.title}).")
    quote: str | None = Field(
        default=None,
        description=f"The passage that backs the argument, at most `FORUM_MAX_QUOTE` characters ({LIMITS.quote:,}).",
    )
    citation: int | None = Field(
        default=None, ge=1, le=MAX_ID,
        description="The number of a footnote that the paragraph cites, when the source is for it.",
    )


class ArgumentIn(RequestBody):
    """A new argument, or a reply when `parent_id` names another."""

    model_config = examples(
        {
            "stance": "counter",
            "body": "The survey behind footnote 2 asked traders in **six** towns, none of them a market town.",
            "sources": [{
                "url": "https://example.org/studies/traders-perceptions",
                "title": "Traders' perceptions of customer travel",
                "quote": "Retailers estimated that 63% of their customers arrived by car.",
                "citation": 2,
            }],
        },
        {"stance": "question", "body": "Which six towns?", "parent_id": 12},
    )

    stance: StanceName
    body: str = Field(description=MARKDOWN)
    parent_id: Id | None = Field(default=None, description="The argument of the same thread that this one answers.")
    sources: list[SourceIn] = Field(default=[], description=f"At most `FORUM_MAX_SOURCES` ({LIMITS.sources}).")


class ArgumentPatch(RequestBody):
    """A new body, new sources, or both; `reason` is needed when a moderator edits someone else's argument."""

    model_config = examples({"body": "The survey behind footnote 2 asked traders in six towns, two of them rural."})

    body: str | None = Field(default=None, description=f"The new text (omitted: unchanged). {MARKDOWN}")
    sources: list[SourceIn] | None = Field(
        default=None, description="The new sources, which replace all the earlier ones (omitted: unchanged)."
    )
    reason: str | None = Field(
        default=None,
        description="Why a moderator edits someone else's argument: required then, kept on the version and in "
        "the audit log.",
    )


class PreviewIn(RequestBody):
    """Markdown to render as a post would be."""

    model_config = examples({"body": "Footfall rose by *a fifth*, see [the review](https://example.org/review)."})

    body: str = Field(description=f"Markdown, at most `FORUM_MAX_BODY` characters ({LIMITS.body:,}).")


class PreviewOut(BaseModel):
    """The rendered, sanitised HTML."""

    html: str


class ArticleIn(RequestBody):
    """An article to import: its text, or a URL to fetch it from."""

    model_config = examples(
        {"text": "The Old Town Must Close Its Streets to Cars\n\nEvery city council likes to say...", "format": "text"},
        {"url": "https://example.org/opinion/old-town-without-cars", "format": "html"},
    )

    title: str | None = Field(default=None, description="Instead of the title found in the article.")
    text: str | None = Field(
        default=None,
        description="The article itself (this or `url`), at most `FORUM_IMPORT_MAX_BYTES` (2,000,000) in UTF-8.",
    )
    url: str | None = Field(
        default=None,
        description="An http:// or https:// address on the public internet to fetch it from (this or `text`).",
    )
    format: Literal["text", "markdown", "html"] | None = Field(default=None, description="Guessed when omitted.")


class ArgumentsQuery(BaseModel):
    """How to page and sort a thread's arguments."""

    sort: Literal["best", "new", "top", "controversial"] = "best"
    limit: int = Field(
        default=500, ge=1, le=500, description="Top-level arguments per page, their replies all included."
    )
    after: Id | None = Field(default=None, description=AFTER)


class AuthorOut(BaseModel):
    id: int
    name: str


class SourceOut(BaseModel):
    """A source; naming a footnote (`citation`) proposes it for that slot until a moderator accepts it."""

    url: str
    title: str | None
    quote: str | None
    citation: int | None
    domain: str
    accepted: bool = False


class ArgumentOut(BaseModel):
    """An argument with its replies; hidden and withdrawn ones keep their place with an empty body.

    Replies nest 32 levels deep; deeper ones are listed flat, in reading order, in the replies of their
    32nd-level ancestor, and `parent_id` says which argument each answers.
    """

    id: int
    stance: StanceName
    body: str
    html: str
    author: AuthorOut
    created_at: datetime
    edited_at: datetime | None
    edited_by_moderator: bool = False
    sources: list[SourceOut]
    score: int
    up: int
    down: int
    my_vote: int
    hidden: bool
    hidden_reason: str | None = None
    withdrawn: bool
    parent_id: int | None
    replies: list[ArgumentOut]


class ArgumentsOut(BaseModel):
    arguments: list[ArgumentOut]
    next: int | None


class ActorOut(BaseModel):
    """Who acted, by the name they had then; `id` is null once the member is gone."""

    id: int | None
    name: str


class ArgumentVersionOut(BaseModel):
    """An earlier text, and the edit that replaced it: when, by whom (null when not recorded) and why."""

    number: int
    body: str
    html: str
    sources: list[SourceIn]
    written_at: datetime
    edited_at: datetime
    edited_by: ActorOut | None
    moderator_edit: bool
    reason: str | None


class VersionsOut(BaseModel):
    entries: list[ArgumentVersionOut]


class StanceCounts(BaseModel):
    counter: int
    support: int
    question: int


StatusName = Literal["open", "supported", "contested", "refuted", "needs_sources"]


class ConsensusOut(BaseModel):
    """A thread's verdict: its status, note, key arguments, who set it when, and its version."""

    status: StatusName
    note: str
    note_html: str = ""
    version: int
    key_arguments: list[int]
    set_by: AuthorOut | None = None
    set_at: datetime | None = None


class ThreadOut(BaseModel):
    counts: StanceCounts
    arguments: int
    sources: int
    open_citations: int
    consensus: ConsensusOut
    locked: bool
    lock_reason: str | None = None


class BlockOut(BaseModel):
    id: int
    kind: Literal["heading", "paragraph", "caption", "quote", "list"]
    position: int
    section: str | None
    text: str
    citations: list[int]
    thread: ThreadOut | None


class ProposalOut(BaseModel):
    """A member's source proposed for a footnote, and whether a moderator accepted it."""

    source_id: int
    url: str
    title: str | None
    argument_id: int
    block_id: int
    author: str
    accepted: bool


class CitationOut(BaseModel):
    """A footnote number of the article: its own reference, members' proposals, and whether it is still open.

    `reference` and `url` are the article's own and never change; `accepted` is the proposal a moderator
    accepted to fill a slot the article gave no URL. A slot is `open` while it has neither.
    """

    number: int
    reference: str | None
    url: str | None
    accepted: ProposalOut | None
    proposals: list[ProposalOut]
    open: bool


class CitationIn(RequestBody):
    """The proposal that fills the slot (one of its `proposals`), or null to leave it open again."""

    model_config = examples({"source_id": 42})

    source_id: Id | None = Field(description="The id of one of the slot's proposals, or null.")


class UnpublishQuery(BaseModel):
    """Why the article is unpublished, for the audit log."""

    reason: str | None = Field(default=None, max_length=500)


class ArticleOut(BaseModel):
    """An article; `unpublished_at` is set on one an admin unpublished, which only moderators still read."""

    id: int
    title: str
    slug: str
    date: date | None
    source_url: str | None
    created_at: datetime
    unpublished_at: datetime | None = None
    citations: list[CitationOut]
    blocks: list[BlockOut]


class ArticleSummaryOut(BaseModel):
    id: int
    title: str
    slug: str
    date: date | None
    source_url: str | None
    created_at: datetime
    threads: int
    arguments: int
    open_citations: int


class ArticlesQuery(BaseModel):
    """How to page the article list, newest first."""

    limit: int = Field(default=100, ge=1, le=100)
    after: Id | None = Field(default=None, description=AFTER)


class ArticlesOut(BaseModel):
    articles: list[ArticleSummaryOut]
    next: int | None


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
    details: dict
    at: datetime


class AuditOut(BaseModel):
    entries: list[AuditEntryOut]
    next: int | None
