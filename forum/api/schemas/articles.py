"""The API's shapes of articles: importing one, the list, an article with its blocks, threads and citation slots."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from forum.api.schemas.arguments import AuthorOut
from forum.api.schemas.common import AFTER, Id, RequestBody, StatusName, examples


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


class StanceCounts(BaseModel):
    counter: int
    support: int
    question: int


class ConsensusOut(BaseModel):
    """A thread's verdict: its status, note, key arguments, who set it when, and its version."""

    status: StatusName
    note: str
    note_html: str = ""
    version: int
    key_arguments: list[int]
    set_by: AuthorOut | None = None
    set_at: datetime | None = None
    needs_review: bool = Field(
        default=False,
        description="Set on a verdict whose paragraph a revision edited, split or merged, until a moderator sets it "
        "again.",
    )


class ThreadOut(BaseModel):
    counts: StanceCounts
    arguments: int
    sources: int
    open_citations: int
    consensus: ConsensusOut
    locked: bool
    lock_reason: str | None = None


ChangeName = Literal["unchanged", "edited", "moved", "split", "merged", "added", "removed"]


class BlockOut(BaseModel):
    id: int
    kind: Literal["heading", "paragraph", "caption", "quote", "list"]
    position: int
    section: str | None
    text: str
    citations: list[int]
    change: ChangeName = Field(
        description="What became of the block in the article's latest revision (`added` for every block of a first "
        "one)."
    )
    thread: ThreadOut | None


class RemovedBlockOut(BaseModel):
    """A paragraph a revision removed: its last text, and its thread, still readable at `/blocks/{id}`."""

    id: int
    text: str
    removed_in: int = Field(description="The revision that removed it.")
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
    revision: int = Field(description="Which revision of its text the article shows, from 1.")
    unpublished_at: datetime | None = None
    citations: list[CitationOut]
    blocks: list[BlockOut]
    removed_blocks: list[RemovedBlockOut] = Field(description="Paragraphs earlier revisions had and this one has not.")


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


class ChangesOut(BaseModel):
    """How many blocks of the new revision each change made (removed: blocks of the old one left out)."""

    unchanged: int
    edited: int
    moved: int
    split: int
    merged: int
    added: int
    removed: int


class RevisionOut(BaseModel):
    """What a revision made: the import's counts of the article as it now reads, its revision and its changes."""

    id: int
    title: str
    threads: int
    headings: int
    citations: int
    sources: int
    revision: int
    changes: ChangesOut
    review: list[int] = Field(description="The blocks whose verdict needs a moderator's review after this revision.")


class BlockRevisionOut(BaseModel):
    revision: int
    text: str


class BlockRevisionsOut(BaseModel):
    """A block's wordings, oldest first: one for each revision of its article that gave it a new text."""

    revisions: list[BlockRevisionOut]
