"""A hand-written discussion of an article (the demo's): members, arguments with replies and sources, votes,
verdicts and flags, read from plain data and written through the services members and moderators use, so
that every rule, page version and rendering applies as if they had typed it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Annotated, Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError

from forum.errors import Conflict, ForumError, Invalid
from forum.models import (
    Argument,
    Block,
    BlockKind,
    ConsensusStatus,
    FlagReason,
    Member,
    Role,
    Stance,
    utcnow,
)
from forum.services import accounts, consensus, members, moderation, votes
from forum.services.arguments import Limits, SourceInput, post_argument
from forum.services.lookup import get_article

# The arguments are spread over this past span, in the order they are given, so that the pages read
# "3 days ago" and sorting by "new" follows the discussion.
SPAN = timedelta(days=7)


class Entry(BaseModel):
    """Strict and closed, as the API's bodies are: a misspelt key is refused with its name.

    The enums are read from their names (`Strict(False)`), which is how a file gives them.
    """

    model_config = ConfigDict(strict=True, extra="forbid")


class MemberEntry(Entry):
    """A member: a site account of that name (the name shown), with a role."""

    name: str
    role: Annotated[Role, Strict(False)] = Role.MEMBER


class SourceEntry(Entry):
    """A source as a member gives it: `citation` is a footnote number of the paragraph."""

    url: str
    title: str | None = None
    quote: str | None = None
    citation: int | None = None


class ArgumentEntry(Entry):
    """An argument on a paragraph (named by its first words), or a reply to an earlier argument (by its id)."""

    id: str | None = None
    paragraph: str | None = None
    reply_to: str | None = None
    by: str
    stance: Annotated[Stance, Strict(False)]
    body: str
    sources: list[SourceEntry] = []
    up: list[str] = []
    down: list[str] = []


class VerdictEntry(Entry):
    """A moderator's verdict on a paragraph, resting on key arguments named by their ids."""

    paragraph: str
    by: str
    status: Annotated[ConsensusStatus, Strict(False)]
    note: str = ""
    key_arguments: list[str] = []


class FlagEntry(Entry):
    """A member's flag on an argument, named by its id."""

    argument: str
    by: str
    reason: Annotated[FlagReason, Strict(False)]
    note: str = ""


class Discussion(Entry):
    """A whole discussion, as the file gives it."""

    members: list[MemberEntry] = Field(min_length=1)
    arguments: list[ArgumentEntry] = []
    verdicts: list[VerdictEntry] = []
    flags: list[FlagEntry] = []


@dataclass(frozen=True)
class LoadReport:
    """What a load made."""

    members: list[Member]
    arguments: int
    sources: int
    votes: int
    verdicts: int
    flags: int


# What names an entry of each kind best in a message: an argument's id (else its first words), a member's name.
NAMED_BY = {
    "members": ("name", "{!r}"),
    "arguments": ("id", "id {!r}"),
    "verdicts": ("paragraph", "on {!r}"),
    "flags": ("argument", "on {!r}"),
}


def entry_name(data: Any, kind: str, index: int) -> str:
    """How a message names an entry: its kind and number, and its name, id or first words."""
    singular = kind.removesuffix("s")
    found = data.get(kind) if isinstance(data, dict) else None
    raw = found[index] if isinstance(found, list) and index < len(found) else None
    raw = raw if isinstance(raw, dict) else {}
    key, shown = NAMED_BY.get(kind, ("", ""))
    if isinstance(raw.get(key), str):
        return f"{singular} {index + 1} ({shown.format(raw[key])})"
    if isinstance(raw.get("body"), str):
        words = raw["body"].split()
        return f"{singular} {index + 1} ({' '.join(words[:6])!r}{'...' if len(words) > 6 else ''})"
    return f"{singular} {index + 1}"


def describe(data: Any, location: tuple[int | str, ...], kind: str, message: str) -> str:
    """One mistake of the file, with the entry and the field it is in."""
    where = list(location)
    label = "the file"
    if len(where) >= 2 and isinstance(where[1], int):
        label = entry_name(data, str(where[0]), where[1])
        where = where[2:]
    field = ".".join(str(part) for part in where)
    if kind == "extra_forbidden":
        return f"{label}: unknown field {field!r}"
    return f"{label}: {field}: {message}" if field else f"{label}: {message}"


def refusal(mistakes: list[str]) -> Invalid:
    """The refusal of a discussion, listing every mistake."""
    if len(mistakes) == 1:
        return Invalid(f"The discussion has a mistake: {mistakes[0]}.")
    listed = "\n".join(f"- {m}" for m in mistakes)
    return Invalid(f"The discussion has {len(mistakes)} mistakes:\n{listed}")


def parse_discussion(data: Any) -> Discussion:
    """The discussion in `data` (a file's parsed content), checked whole: `Invalid` lists every mistake."""
    if not isinstance(data, dict):
        raise Invalid("A discussion is a table of members, arguments, verdicts and flags.")
    # Read from the data as given, so that a wrong name is reported beside a wrong type in another entry.
    mistakes = cross_references(data)
    try:
        discussion = Discussion.model_validate(data)
    except ValidationError as error:
        shapes = [describe(data, e["loc"], e["type"], e["msg"]) for e in error.errors()]
        raise refusal(shapes + mistakes) from None
    if mistakes:
        raise refusal(mistakes)
    return discussion


def entries(data: dict[str, Any], kind: str) -> list[tuple[str, dict[str, Any]]]:
    """The entries of one kind that are tables, each with its name for messages."""
    found = data.get(kind)
    if not isinstance(found, list):
        return []
    return [(entry_name(data, kind, i), e) for i, e in enumerate(found) if isinstance(e, dict)]


def text(entry: dict[str, Any], key: str) -> str | None:
    """A text field of an entry, if it is one (the type is checked elsewhere)."""
    value = entry.get(key)
    return value if isinstance(value, str) else None


def texts(entry: dict[str, Any], key: str) -> list[str]:
    """A list-of-texts field of an entry, the texts in it."""
    value = entry.get(key)
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def cross_references(data: dict[str, Any]) -> list[str]:
    """Every name and id an entry uses that the file does not define, or defines twice."""
    mistakes: list[str] = []
    names: set[str] = set()
    for label, member in entries(data, "members"):
        name = (text(member, "name") or "").casefold()
        if name in names:
            mistakes.append(f"{label}: the name is given twice")
        names.add(name)

    def no_member(label: str, who: str | None, field: str = "by") -> None:
        if who is not None and who.casefold() not in names:
            mistakes.append(f"{label}: {field}: no member is called {who!r}")

    ids: set[str] = set()
    for label, argument in entries(data, "arguments"):
        author, paragraph, reply_to = text(argument, "by"), text(argument, "paragraph"), text(argument, "reply_to")
        no_member(label, author)
        if (paragraph is None) == (reply_to is None):
            mistakes.append(f"{label}: give either the paragraph it answers or the id of the argument (reply_to)")
        if reply_to is not None and reply_to not in ids:
            mistakes.append(f"{label}: reply_to: no earlier argument has the id {reply_to!r}")
        voters = texts(argument, "up") + texts(argument, "down")
        for voter in dict.fromkeys(voters):
            no_member(label, voter, "votes")
        folded = [v.casefold() for v in voters]
        if author is not None and author.casefold() in folded:
            mistakes.append(f"{label}: votes: {author} cannot vote on their own argument")
        if len(set(folded)) < len(folded):
            mistakes.append(f"{label}: votes: a member votes twice")
        if (given := text(argument, "id")) is not None:
            if given in ids:
                mistakes.append(f"{label}: the id {given!r} is given twice")
            ids.add(given)
    for label, verdict in entries(data, "verdicts"):
        no_member(label, text(verdict, "by"))
        mistakes += [
            f"{label}: key_arguments: no argument has the id {key!r}"
            for key in texts(verdict, "key_arguments") if key not in ids
        ]
    for label, flag in entries(data, "flags"):
        no_member(label, text(flag, "by"))
        if (target := text(flag, "argument")) is not None and target not in ids:
            mistakes.append(f"{label}: argument: no argument has the id {target!r}")
    return mistakes


def find_paragraph(threads: list[Block], beginning: str) -> Block:
    """The one thread of the article whose text begins with `beginning`, or `Invalid`."""
    found = [b for b in threads if b.text.startswith(beginning.strip())]
    if not found:
        raise Invalid(f"no paragraph of the article begins with {beginning!r}")
    if len(found) > 1:
        raise Invalid(f"{len(found)} paragraphs begin with {beginning!r}: give more of its first words")
    return found[0]


@contextmanager
def naming(label: str) -> Iterator[None]:
    """Name the entry in a refusal of the services (its rules are the forum's; the entry is the file's)."""
    try:
        yield
    except ForumError as error:
        raise Invalid(f"{label}: {error.message.rstrip('.')}.") from None


def load_discussion(
    session: so.Session,
    article_id: int,
    data: Any,
    *,
    password: str | None,
    min_password_length: int = 10,
    limits: Limits = Limits(),
) -> LoadReport:
    """Write the discussion `data` into an article that has none yet; the caller commits.

    With a `password`, each member gets a site account that signs in with it; without one (a host that signs
    its users in itself), a forum member of its own.
    """
    discussion = parse_discussion(data)
    article = get_article(session, article_id)
    has_arguments = (
        sa.select(Argument.id).join(Block, Block.id == Argument.block_id).where(Block.article_id == article.id).limit(1)
    )
    if session.scalar(has_arguments) is not None:
        raise Conflict(f"Article {article.id} has a discussion already: load one into an article without arguments.")
    threads = list(
        session.scalars(
            sa.select(Block)
            .where(Block.article_id == article.id, Block.kind != BlockKind.HEADING.value,
                   Block.removed_in.is_(None))
            .order_by(Block.position)
        )
    )
    people: dict[str, Member] = {}
    for i, person in enumerate(discussion.members):
        with naming(entry_name(data, "members", i)):
            people[person.name.casefold()] = make_member(session, person, password, min_password_length)

    posted = post_arguments(session, data, discussion, threads, people, limits)

    for i, verdict in enumerate(discussion.verdicts):
        with naming(entry_name(data, "verdicts", i)):
            block = find_paragraph(threads, verdict.paragraph)
            elsewhere = [key for key in verdict.key_arguments if posted[key].block_id != block.id]
            if elsewhere:
                raise Invalid(f"key_arguments: {elsewhere[0]!r} is an argument of another paragraph")
            consensus.set_consensus(
                session, block.id, people[verdict.by.casefold()],
                status=verdict.status.value, note=verdict.note, version=block.consensus_version,
                key_arguments=[posted[key].id for key in verdict.key_arguments],
            )
    for i, flag in enumerate(discussion.flags):
        with naming(entry_name(data, "flags", i)):
            moderation.flag(session, posted[flag.argument].id, people[flag.by.casefold()], flag.reason.value, flag.note)

    entries = discussion.arguments
    return LoadReport(
        members=list(people.values()),
        arguments=len(entries),
        sources=sum(len(e.sources) for e in entries),
        votes=sum(len(e.up) + len(e.down) for e in entries),
        verdicts=len(discussion.verdicts),
        flags=len(discussion.flags),
    )


def post_arguments(
    session: so.Session,
    data: Any,
    discussion: Discussion,
    threads: list[Block],
    people: dict[str, Member],
    limits: Limits,
) -> dict[str, Argument]:
    """Post the arguments in order, spread over the past `SPAN`, with their votes; return them by id."""
    start, step = utcnow() - SPAN, SPAN / (len(discussion.arguments) + 1)
    posted: dict[str, Argument] = {}
    for i, entry in enumerate(discussion.arguments):
        with naming(entry_name(data, "arguments", i)):
            parent = posted[entry.reply_to] if entry.reply_to is not None else None
            argument = post_argument(
                session,
                parent.block if parent else find_paragraph(threads, entry.paragraph or ""),
                people[entry.by.casefold()],
                stance=entry.stance.value,
                body=entry.body,
                parent_id=parent.id if parent else None,
                sources=[SourceInput(s.url, s.title, s.quote, s.citation) for s in entry.sources],
                limits=limits,
            )
            argument.created_at = start + step * (i + 1)
            session.flush()  # before the votes, which expire what the session holds
            for value, voters in ((1, entry.up), (-1, entry.down)):
                for voter in voters:
                    votes.cast_vote(session, argument.id, people[voter.casefold()], value)
        if entry.id is not None:
            posted[entry.id] = argument
    return posted


def make_member(session: so.Session, entry: MemberEntry, password: str | None, min_length: int) -> Member:
    """A new site account with `password` (a new forum member without one when it is None)."""
    if password is not None:
        account = accounts.register(session, entry.name, password, role=entry.role, min_length=min_length)
        member = accounts.member_of(session, account)
        assert member is not None  # registering makes it
        return member
    user_id = f"demo:{entry.name}"
    if session.scalar(sa.select(Member.id).where(Member.user_id == user_id)) is not None:
        raise Conflict(f"A member {user_id!r} exists already.")
    return members.set_role(session, user_id, entry.role, name=entry.name)
