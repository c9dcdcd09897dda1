"""The shapes of notifications and watching: a member's lines, marking them read, and a watch's level."""

from __future__ import annotations

from typing import Literal, Self

from pydantic import BaseModel, Field, model_validator

from forum.api.schemas.common import AFTER, Id, RequestBody, examples
from forum.services.notifications import MOST_IDS, PAGE_SIZE

KindName = Literal["reply", "mention", "verdict", "hidden", "restored", "flag_resolved"]
LevelName = Literal["watching", "normal", "muted"]


class NotificationsQuery(BaseModel):
    """Which of your notifications, and which page."""

    unread: bool = Field(default=False, description="Only the unread ones.")
    limit: int = Field(default=PAGE_SIZE, ge=1, le=PAGE_SIZE)
    after: str | None = Field(default=None, max_length=40, description=AFTER)


class NotificationActorOut(BaseModel):
    """Who acted (the latest of a burst)."""

    id: int
    name: str


class NotificationOut(BaseModel):
    kind: KindName
    id: int
    created_at: str = Field(description="When its latest event happened.")
    read: bool
    count: int = Field(description="How many events the line stands for: a burst of alike ones is one line.")
    block_id: int | None
    argument_id: int | None = Field(description="The argument it is about; null once hidden or withdrawn.")
    actor: NotificationActorOut | None = Field(description="Who acted; null when gone, or the argument hidden.")
    text: str = Field(description="The start of the argument (reply, mention), or the reason or outcome.")


class NotificationsOut(BaseModel):
    model_config = examples({
        "notifications": [{"id": 7, "kind": "reply", "created_at": "2026-12-07T10:00:00+00:00", "read": False,
                           "count": 3, "block_id": 41, "argument_id": 120, "actor": {"id": 5, "name": "ruth"},
                           "text": "The toll was lowered twice, which the article leaves out."}],
        "unread": 1,
        "next": None,
    })

    notifications: list[NotificationOut]
    unread: int = Field(description="How many unread lines you have (the bell's count).")
    next: str | None = Field(description="Pass as `after` for the next page; null on the last.")


class MarkReadIn(RequestBody):
    """The lines to mark read, or all of them."""

    model_config = examples({"ids": [7, 8]}, {"all": True})

    ids: list[Id] | None = Field(default=None, min_length=1, max_length=MOST_IDS)
    all: bool | None = None

    @model_validator(mode="after")
    def one_of_both(self) -> Self:
        """Exactly one of `ids` and `all: true`."""
        if (self.ids is None) == (self.all is not True):
            raise ValueError('send either {"ids": [...]} or {"all": true}')
        return self


class MarkReadOut(BaseModel):
    marked: int = Field(description="How many of them were unread.")
    unread: int


class WatchIn(RequestBody):
    """`watching`: also told of verdict changes; `normal`: told of replies and mentions; `muted`: told nothing."""

    model_config = examples({"level": "watching"})

    level: LevelName


class ThreadWatchOut(BaseModel):
    block_id: int
    level: LevelName
    effective: LevelName = Field(description="The level that counts: the thread's own, else its article's.")


class ArticleWatchOut(BaseModel):
    article_id: int
    level: LevelName
