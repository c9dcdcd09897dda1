"""The API's shapes of arguments: writing, editing and previewing one, and reading a thread's with their history."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from forum.api.schemas.common import AFTER, LIMITS, MARKDOWN, Id, RequestBody, StanceName, examples
from forum.routing import MAX_ID


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
    helpfulness: float | None = Field(
        default=None, description="What the scorer made of its votes, across camps of voters; null until enough "
        "members have voted on it.",
    )
    helpful: bool | None = Field(
        default=None, description="Whether members of camps that usually disagree found it helpful; null until known.",
    )
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
