"""What the tests of revised articles share: an article with a discussion, revised texts of it, and reads of
what became of its blocks, arguments and slots."""

from __future__ import annotations

import datetime
from dataclasses import replace

import sqlalchemy as sa
from flask import Flask

from forum.db import get_session
from forum.importing import ParsedArticle, ParsedBlock, Reference
from forum.models import Argument, Block, CitationSlot, Role
from forum.services import arguments, consensus, members, votes
from forum.services.article_storage import import_article

P1 = "The council raised the toll for the third time in two years.[1] Officials call it maintenance."
P2 = "Most crossings are made by shift workers from the eastern suburbs.[2]"
P3 = "A toll is a tax you pay for living far away, and the far suburbs pay it most."
P4 = "Nobody asked the night crews what they think of the new fares before the vote."

ORIGINAL = ParsedArticle(
    title="The Harbour Bridge Toll Is a Tax on the Poor",
    date=datetime.date(2023, 3, 14),
    blocks=[
        ParsedBlock("paragraph", P1, [1]),
        ParsedBlock("heading", "Who pays", []),
        ParsedBlock("paragraph", P2, [2]),
        ParsedBlock("paragraph", P3, []),
        ParsedBlock("paragraph", P4, []),
    ],
    references={
        1: Reference(1, "Council minutes, 2 March 2023", "https://council.example/minutes"),
        2: Reference(2, "Transport survey 2022", None),
    },
)

# The same text as plain text, for the command line, the API and the import page.
ORIGINAL_TEXT = (
    "The Harbour Bridge Toll Is a Tax on the Poor\n\n"
    f"{P1}\n\nWho pays\n\n{P2}\n\n{P3}\n\n{P4}\n\n"
    "References\n\n[1] Council minutes, 2 March 2023 https://council.example/minutes\n\n[2] Transport survey 2022\n"
)
# A revision: P1 edited, P3 and P2 swapped, P4 removed, a new paragraph added.
REVISED_TEXT = ORIGINAL_TEXT.replace(
    "Officials call it maintenance.", "Officials still call it maintenance."
).replace(f"{P2}\n\n{P3}", f"{P3}\n\n{P2}").replace(
    f"{P4}\n\n", "A new paragraph on the ferry, which nobody has costed yet, closes the piece.\n\n"
)


def revised(*blocks: ParsedBlock, references: dict[int, Reference] | None = None) -> ParsedArticle:
    """The article with other blocks (and, if given, another reference list)."""
    return replace(ORIGINAL, blocks=list(blocks), references=ORIGINAL.references if references is None else references)


def make_discussed_article(app: Flask, make_user) -> dict[str, int]:
    """The article with an argument on each thread (mia's, voted on by max) and a verdict on the first."""
    mia, max_, moe = make_user("mia"), make_user("max"), make_user("moe", Role.MODERATOR)
    with app.app_context():
        session = get_session()
        article = import_article(session, ORIGINAL)
        session.flush()
        author = members.ensure_member(session, str(mia.id), "mia")
        voter = members.ensure_member(session, str(max_.id), "max")
        moderator = members.ensure_member(session, str(moe.id), "moe")
        ids: dict[str, int] = {"article": article.id}
        for block in article.blocks:
            ids[f"block{block.position}"] = block.id
            if block.is_thread:
                argument = arguments.post_argument(
                    session, block, author, stance="counter", body=f"Not so: {block.text[:20]}"
                )
                ids[f"argument{block.position}"] = argument.id
        session.commit()
        votes.cast_vote(session, ids["argument0"], voter, 1)
        consensus.set_consensus(session, ids["block0"], moderator, status="contested", note="Both sides.", version=0)
        session.commit()
        ids["mia"], ids["max"], ids["moe"] = mia.id, max_.id, moe.id
    return ids


def blocks_of(app: Flask, article_id: int) -> list[tuple[int, str, str, int | None]]:
    """Every block of the article: id, change, text and the revision that removed it, current ones in order."""
    with app.app_context():
        rows = get_session().execute(
            sa.select(Block.id, Block.change, Block.text, Block.removed_in)
            .where(Block.article_id == article_id)
            .order_by(Block.removed_in.is_not(None), Block.position)
        )
        return [tuple(row) for row in rows]


def arguments_by_block(app: Flask) -> dict[int, int]:
    """Each argument's thread."""
    with app.app_context():
        return dict(get_session().execute(sa.select(Argument.id, Argument.block_id)).all())


def slots_of(app: Flask, article_id: int) -> dict[int, tuple[int, str | None]]:
    """The article's slots by id: number and reference text."""
    with app.app_context():
        rows = get_session().execute(
            sa.select(CitationSlot.id, CitationSlot.number, CitationSlot.reference_text)
            .where(CitationSlot.article_id == article_id)
        )
        return {row[0]: (row[1], row[2]) for row in rows}
