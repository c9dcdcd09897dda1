"""A small corpus for search tests: three articles, their paragraphs, and arguments with sources."""

from __future__ import annotations

import datetime

from flask import Flask

from forum.db import get_session
from forum.importing import ParsedArticle, ParsedBlock
from forum.models import Block
from forum.services import arguments, members
from forum.services.article_storage import import_article

ARTICLES = [
    ParsedArticle(
        title="Carbon Taxes and the Price of Petrol",
        date=datetime.date(2024, 1, 5),
        blocks=[
            ParsedBlock("heading", "Energy prices", []),
            ParsedBlock("paragraph", "A carbon tax raises the price of petrol and heating oil for every household.", []),
            ParsedBlock("paragraph", "Economists argue that taxing emissions is cheaper than regulating them.", []),
            ParsedBlock("paragraph", "The revenue could be returned as a dividend, so that poorer families gain.", []),
        ],
        references={},
    ),
    ParsedArticle(
        title="The Café Owners Who Fought the Rent Rise",
        date=datetime.date(2024, 2, 9),
        blocks=[
            ParsedBlock("paragraph", "The café on Rue Sainte-Anne has paid the same rent for twenty years.", []),
            ParsedBlock("paragraph", "Landlords say rent control kills investment in old buildings.", []),
            ParsedBlock("quote", "We are not naïve: the city wants cafés, not tenants.", []),
        ],
        references={},
    ),
    ParsedArticle(
        title="Nuclear Power After Fukushima",
        date=datetime.date(2024, 3, 1),
        blocks=[
            ParsedBlock("paragraph", "Nuclear energy produces almost no emissions once a plant is running.", []),
            ParsedBlock("paragraph", "Building a reactor takes fifteen years and costs more than promised.", []),
            ParsedBlock("paragraph", "Solar and wind energy got cheaper every year of the last decade.", []),
        ],
        references={},
    ),
]

# (article index, block position, stance, body, sources as (url, title, quote))
ARGUMENTS = [
    (0, 1, "counter", "Petrol prices rise anyway; the tax only adds to what poor drivers pay.", []),
    (0, 1, "support", "Higher prices are the point: they make people burn less fuel.",
     [("https://example.org/elasticity", "Fuel price elasticity study", "demand falls as prices rise")]),
    (0, 2, "support", "Regulation picks winners; a tax lets the market find the cheapest cuts in emissions.", []),
    (0, 3, "question", "Who decides how the dividend is shared between households?", []),
    (1, 0, "support", "Twenty years of the same rent is why the café survived at all.", []),
    (1, 1, "counter", "Rent control froze rents in Berlin and investment went on regardless.",
     [("https://example.org/berlin", "Berlin rent cap review", "building permits did not fall")]),
    (1, 2, "question", "Which tenants does the quote mean: people who live there, or shops?", []),
    (2, 0, "counter", "Mining uranium produces emissions too, though far fewer than coal.", []),
    (2, 1, "support", "Flamanville's reactor was twelve years late and four times over budget.",
     [("https://example.org/flamanville", "Cour des comptes report", "the final cost reached 13.2 billion euros")]),
    (2, 2, "counter", "Cheaper solar panels do not help at night without storage.", []),
    (2, 2, "support", "Wind and solar energy together covered a third of demand last year.", []),
]


def make_corpus(app: Flask) -> dict[str, list[int]]:
    """Import the articles and post the arguments; the ids of each, in the order above."""
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, "corpus-author", "corin")
        articles = [import_article(session, parsed) for parsed in ARTICLES]
        session.flush()
        posted = []
        for article, position, stance, body, sources in ARGUMENTS:
            block = session.get(Block, articles[article].blocks[position].id)
            assert block is not None
            posted.append(arguments.post_argument(
                session, block, author, stance=stance, body=body,
                sources=[arguments.SourceInput(url=url, title=title, quote=quote) for url, title, quote in sources],
            ))
        session.commit()
        return {
            "articles": [a.id for a in articles],
            "blocks": [b.id for a in articles for b in a.blocks],
            "arguments": [a.id for a in posted],
        }
