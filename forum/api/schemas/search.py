"""The shapes of a search: what it asks (`q`, `kind`, `article`, `limit`, `after`) and the results it answers."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from forum.api.schemas.common import Id, examples
from forum.search.query import MAX_LENGTH, MAX_TERMS
from forum.services.search import MAX_LIMIT

KindName = Literal["argument", "block", "article"]


class SearchQuery(BaseModel):
    """What to look for, where, and which page."""

    q: str = Field(
        description=(
            "Every word must match (English stemming; case and accents ignored). `\"exact phrase\"`, `-word` to "
            f"exclude, `OR` between words for either. At most {MAX_LENGTH} characters and {MAX_TERMS} words or "
            "phrases; a query with nothing to look for is refused with 422 and the reason."
        )
    )
    kind: KindName | None = Field(default=None, description="Only arguments, paragraphs (`block`) or articles.")
    article: Id | None = Field(default=None, description="Only what belongs to this article.")
    limit: int = Field(default=20, ge=1, le=MAX_LIMIT)
    after: str | None = Field(default=None, max_length=200, description="The `next` of the page before.")


class SearchResultOut(BaseModel):
    kind: KindName
    id: int = Field(description="The argument's, block's or article's id.")
    article_id: int
    block_id: int | None = Field(description="The thread the result is in (null for an article).")
    title: str = Field(description="The article's title (and a paragraph's section).")
    snippet: str = Field(description="HTML: the text around the match, escaped, the matched words in `<mark>`.")


class SearchOut(BaseModel):
    model_config = examples({
        "results": [{"kind": "argument", "id": 12, "article_id": 3, "block_id": 41, "title": "The Harbour Toll",
                     "snippet": "the <mark>toll</mark> is a <mark>tax</mark> on the poor"}],
        "next": "WzEuMiwgImFyZ3VtZW50IiwgMTJd",
    })

    results: list[SearchResultOut]
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")
