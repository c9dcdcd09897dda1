"""The shapes of the API's requests and answers, as pydantic models (and so as OpenAPI schemas)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

StanceName = Literal["counter", "support", "question"]


class SourceIn(BaseModel):
    """A source backing an argument; `citation` is the footnote number it fills."""

    url: str
    title: str | None = None
    quote: str | None = None
    citation: int | None = Field(default=None, ge=1)


class ArgumentIn(BaseModel):
    """A new argument, or a reply when `parent_id` names another."""

    stance: StanceName
    body: str
    parent_id: int | None = None
    sources: list[SourceIn] = []


class ArgumentPatch(BaseModel):
    """A new body, new sources, or both."""

    body: str | None = None
    sources: list[SourceIn] | None = None


class PreviewIn(BaseModel):
    """Markdown to render as a post would be."""

    body: str


class PreviewOut(BaseModel):
    """The rendered, sanitised HTML."""

    html: str


class ArticleIn(BaseModel):
    """An article to import: its text, or a URL to fetch it from."""

    title: str | None = None
    text: str | None = None
    url: str | None = None
    format: Literal["text", "markdown", "html"] | None = None


class ArgumentsQuery(BaseModel):
    """How to page and sort a thread's arguments."""

    sort: Literal["best", "new", "top", "controversial"] = "best"
    limit: int = Field(default=500, ge=1, le=500)
    after: int | None = None


class AuthorOut(BaseModel):
    id: int
    name: str


class SourceOut(BaseModel):
    url: str
    title: str | None
    quote: str | None
    citation: int | None
    domain: str


class ArgumentOut(BaseModel):
    """An argument with its replies; hidden and withdrawn ones keep their place with an empty body."""

    id: int
    stance: StanceName
    body: str
    html: str
    author: AuthorOut
    created_at: datetime
    edited_at: datetime | None
    sources: list[SourceOut]
    score: int
    up: int
    down: int
    my_vote: int
    hidden: bool
    withdrawn: bool
    parent_id: int | None
    replies: list[ArgumentOut]


class ArgumentsOut(BaseModel):
    arguments: list[ArgumentOut]
    next: int | None


class ArgumentVersionOut(BaseModel):
    number: int
    body: str
    html: str
    sources: list[SourceIn]
    written_at: datetime


class VersionsOut(BaseModel):
    entries: list[ArgumentVersionOut]


class StanceCounts(BaseModel):
    counter: int
    support: int
    question: int


class ConsensusOut(BaseModel):
    status: Literal["open", "supported", "contested", "refuted", "needs_sources"]
    note: str
    version: int
    key_arguments: list[int]


class ThreadOut(BaseModel):
    counts: StanceCounts
    arguments: int
    sources: int
    open_citations: int
    consensus: ConsensusOut
    locked: bool


class BlockOut(BaseModel):
    id: int
    kind: Literal["heading", "paragraph", "caption", "quote", "list"]
    position: int
    section: str | None
    text: str
    citations: list[int]
    thread: ThreadOut | None


class CitationOut(BaseModel):
    """A footnote number of the article: its reference, and whether it still lacks a source."""

    number: int
    reference: str | None
    url: str | None
    proposed_url: str | None
    open: bool


class ArticleOut(BaseModel):
    id: int
    title: str
    slug: str
    date: date | None
    source_url: str | None
    created_at: datetime
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


class ArticlesOut(BaseModel):
    articles: list[ArticleSummaryOut]
