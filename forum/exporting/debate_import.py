"""Reading the forum's own JSON export back: the article, its blocks and threads, argument trees, sources,
scores, verdicts with their history and citation slots, as a new article with ids of its own.

Authors come as new members of the names exported, with no account (nobody signs in as them). The votes
themselves were never exported: each argument keeps its counts and score, and its helpfulness, as exported.
"""

from __future__ import annotations

import json
import secrets
from datetime import date, datetime
from importlib import resources
from typing import Any

import jsonschema
import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Invalid
from forum.exporting.debate_json import FORMAT, VERSION
from forum.models import (
    UNSTORABLE,
    Argument,
    Article,
    Block,
    BlockRevision,
    CitationSlot,
    ConsensusChange,
    Member,
    Source,
    block_citations,
)
from forum.rendering import render_markdown
from forum.services.article_storage import slugify
from forum.urls import is_web_url

SCHEMA_FILE = "export.schema.json"


def schema() -> dict[str, Any]:
    """The JSON Schema of the forum's own export."""
    loaded: dict[str, Any] = json.loads(resources.files("forum.exporting").joinpath(SCHEMA_FILE).read_text())
    return loaded


def check(data: Any) -> dict[str, Any]:
    """The export if it is one this forum reads, else `Invalid` saying where it is not."""
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise Invalid("This file is not a forum debate export (format forum-debate).")
    if data.get("version") != VERSION:
        raise Invalid(f"This export has version {data.get('version')}; this forum reads version {VERSION}.")
    try:
        error = jsonschema.exceptions.best_match(jsonschema.Draft202012Validator(schema()).iter_errors(data))
        text = json.dumps(data, ensure_ascii=False)
    except RecursionError:  # replies nested deeper than any thread holds: the validator recurses per level
        raise Invalid("The export nests replies too deeply to be read.") from None
    if error is not None:
        where = "/".join(str(part) for part in error.absolute_path) or "the top"
        raise Invalid(f"The export is not valid at {where}: {error.message[:300]}")
    if UNSTORABLE.search(text):
        raise Invalid("The export holds a NUL character or half of a surrogate pair.")
    if (bad := first_bad_url(data)) is not None:
        raise Invalid(f"The export's {bad} is no web address (http or https) the forum could link to.")
    return data


def first_bad_url(data: Any) -> str | None:
    """Where the first address of the export that is no http(s) address stands (its key, in its place), if any:
    a file made by hand could name `javascript:` for a source, which the pages would then link."""
    stack: list[tuple[str, Any]] = [("", data)]
    while stack:
        place, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("url", "source_url") and item is not None and not is_web_url(item):
                    return f"{place}/{key}".lstrip("/")
                stack.append((f"{place}/{key}", item))
        elif isinstance(value, list):
            stack.extend((f"{place}/{index}", item) for index, item in enumerate(value))
    return None


def when(text: str | None) -> datetime | None:
    """An exported time, or None."""
    if text is None:
        return None
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise Invalid(f"The time {text} has no time zone.")
    return moment


class Importer:
    """One import: the ids of the export mapped to the new rows'."""

    def __init__(self, session: so.Session, body_limit: int) -> None:
        self.session = session
        self.body_limit = body_limit
        self.members: dict[int, Member] = {}
        self.blocks: dict[int, int] = {}
        self.arguments: dict[int, int] = {}
        self.slots: dict[int, int] = {}

    def member(self, person: dict[str, Any] | None) -> Member | None:
        """The new member standing for an exported person (one per exported id)."""
        if person is None or person.get("id") is None:
            return None
        found = self.members.get(person["id"])
        if found is None:
            found = Member(user_id=f"imported:{secrets.token_hex(12)}", name=person["name"][:100])
            self.session.add(found)
            self.session.flush()
            self.members[person["id"]] = found
        return found

    def run(self, data: dict[str, Any]) -> Article:
        """Write the export's article; the caller commits."""
        a = data["article"]
        article = Article(
            title=a["title"][:300], slug=a["slug"][:120] or slugify(a["title"]),
            date=date.fromisoformat(a["date"]) if a["date"] else None, source_url=a["source_url"],
            created_at=when(a["created_at"]), revision=a["revision"], unpublished_at=when(a["unpublished_at"]),
        )
        self.session.add(article)
        self.session.flush()
        for slot in data["citations"]:
            row = CitationSlot(article_id=article.id, number=slot["number"],
                               reference_text=slot["reference_text"], url=slot["url"])
            self.session.add(row)
            self.session.flush()
            self.slots[slot["number"]] = row.id
        for block in data["blocks"]:
            self.block(article, block)
        for block in data["blocks"]:  # merged-away blocks name the block they went into, which may come later
            if block["merged_into"] is not None:
                self.session.execute(sa.update(Block).where(Block.id == self.blocks[block["id"]])
                                     .values(merged_into_id=self.blocks.get(block["merged_into"])))
        for block in data["blocks"]:
            if block["thread"] is not None:
                self.verdict(block)
        accepted = {slot["accepted"]["argument_id"]: slot["number"] for slot in data["citations"] if slot["accepted"]}
        for argument_id, number in accepted.items():
            new_id = self.arguments.get(argument_id)
            if new_id is not None:
                self.session.execute(
                    sa.update(Source).where(Source.argument_id == new_id, Source.citation == number)
                    .values(accepted_at=article.created_at)
                )
        return article

    def block(self, article: Article, b: dict[str, Any]) -> None:
        """One block, its earlier texts, its footnotes and its arguments."""
        row = Block(
            article_id=article.id, position=b["position"], kind=b["kind"], section=b["section"], text=b["text"],
            change=b["change"], removed_in=b["removed_in"],
            locked=bool(b["thread"] and b["thread"]["locked"]),
            lock_reason=b["thread"]["lock_reason"] if b["thread"] else None,
        )
        self.session.add(row)
        self.session.flush()
        self.blocks[b["id"]] = row.id
        for revision in b["revisions"]:
            self.session.add(BlockRevision(block_id=row.id, revision=revision["revision"], text=revision["text"]))
        for number in dict.fromkeys(b["citations"]):
            if number not in self.slots:
                raise Invalid(f"Block {b['id']} cites footnote {number}, which the export's citations lack.")
            self.session.execute(block_citations.insert().values(block_id=row.id, slot_id=self.slots[number]))
        if b["thread"] is None:
            return
        stack = [(a, None) for a in reversed(b["thread"]["arguments"])]
        while stack:
            a, parent = stack.pop()
            self.argument(row.id, a, parent)
            stack.extend((reply, a) for reply in reversed(a["replies"]))

    def argument(self, block_id: int, a: dict[str, Any], parent: dict[str, Any] | None) -> None:
        """One argument and its sources; its parent is the one it names (a flattened reply names its own)."""
        parent_id = a["parent_id"] if a["parent_id"] is not None else (parent["id"] if parent else None)
        if parent_id is not None and parent_id not in self.arguments:
            raise Invalid(f"Argument {a['id']} answers argument {parent_id}, which comes nowhere before it.")
        author = self.member(a["author"])
        assert author is not None  # the schema requires every argument's author
        created = when(a["created_at"])
        row = Argument(
            block_id=block_id, parent_id=self.arguments.get(parent_id) if parent_id is not None else None,
            author_id=author.id, stance=a["stance"], body=a["body"],
            html=render_markdown(a["body"], self.body_limit) if a["body"] else "",
            created_at=created, edited_at=when(a["edited_at"]),
            withdrawn_at=created if a["withdrawn"] else None, up=a["up"], down=a["down"], score=a["score"],
            hidden=a["hidden"], hidden_reason=a["hidden_reason"], hidden_at=created if a["hidden"] else None,
            helpfulness=a["helpfulness"], helpful=a["helpful"],
        )
        self.session.add(row)
        self.session.flush()
        self.arguments[a["id"]] = row.id
        for position, s in enumerate(a["sources"]):
            self.session.add(Source(
                argument_id=row.id, position=position, url=s["url"], title=s["title"], quote=s["quote"],
                citation=s["citation"], slot_id=self.slots.get(s["citation"]) if s["citation"] is not None else None,
            ))

    def verdict(self, b: dict[str, Any]) -> None:
        """A thread's verdict as it stands, and its history, their key arguments mapped to the new ids."""
        c = b["thread"]["consensus"]
        setter = self.member(c["set_by"])
        keys = [self.arguments[i] for i in c["key_arguments"] if i in self.arguments]
        self.session.execute(sa.update(Block).where(Block.id == self.blocks[b["id"]]).values(
            consensus_status=c["status"], consensus_note=c["note"], consensus_version=c["version"],
            consensus_note_html=render_markdown(c["note"], self.body_limit) if c["note"] else "",
            consensus_key_arguments=keys, consensus_set_by_id=setter.id if setter else None,
            consensus_set_at=when(c["set_at"]), consensus_needs_review=c["needs_review"],
        ))
        for change in c["history"]:
            by = self.member(change["by"])
            self.session.add(ConsensusChange(
                block_id=self.blocks[b["id"]], version=change["version"], from_status=change["from"],
                to_status=change["to"], note=change["note"],
                note_html=render_markdown(change["note"], self.body_limit) if change["note"] else "",
                key_arguments=[self.arguments[i] for i in change["key_arguments"] if i in self.arguments],
                member_id=by.id if by else None, member_name=change["by"]["name"][:100],
                created_at=when(change["at"]),
            ))


def import_debate(session: so.Session, data: Any, *, body_limit: int) -> Article:
    """Write a forum debate export as a new article (checked whole first); the caller commits."""
    return Importer(session, body_limit).run(check(data))
