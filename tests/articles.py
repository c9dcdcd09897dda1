"""A small article of our own, built without the parser, for tests of threads and arguments."""

from __future__ import annotations

import datetime

import sqlalchemy as sa
from flask import Flask

from forum.db import get_session
from forum.importing import ParsedArticle, ParsedBlock, Reference
from forum.services.article_storage import import_article

SAMPLE = ParsedArticle(
    title="The Harbour Bridge Toll Is a Tax on the Poor",
    date=datetime.date(2023, 3, 14),
    blocks=[
        ParsedBlock("caption", "Above: commuters queue at the toll gates before dawn.", []),
        ParsedBlock(
            "paragraph",
            "The council raised the toll for the third time in two years.[1] Officials call it "
            "maintenance; drivers call it a tax.[2]",
            [1, 2],
        ),
        ParsedBlock("heading", "Who pays", []),
        ParsedBlock(
            "paragraph",
            "Most crossings are made by shift workers from the eastern suburbs.[2][3]",
            [2, 3],
        ),
        ParsedBlock("quote", "A toll is a tax you pay for living far away.", []),
        ParsedBlock("list", "- Night shifts\n- Hospital staff\n- Port crews", []),
    ],
    references={
        1: Reference(1, "Council minutes, 2 March 2023", "https://council.example/minutes"),
        3: Reference(3, "Transport survey 2022", None),
    },
)


def make_article(app: Flask, parsed: ParsedArticle = SAMPLE) -> dict[str, int]:
    """Import `parsed` and return its id and its blocks' ids by position."""
    with app.app_context():
        session = get_session()
        article = import_article(session, parsed)
        session.commit()
        return {"article": article.id, **{f"block{b.position}": b.id for b in article.blocks}}


def plant(app: Flask, column: sa.orm.InstrumentedAttribute, value: object) -> None:
    """Set a column of every row to a value an import would refuse, as an older forum may have stored it."""
    with app.app_context():
        session = get_session()
        session.execute(sa.update(column.class_).values({column.key: value}))
        session.commit()
