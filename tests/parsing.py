"""Fixture articles parsed, what tests read of a parsed article, and the night-trains page's expected body."""

from __future__ import annotations

import datetime
from pathlib import Path

from forum.importing import ParsedArticle, parse_article

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


def load(name: str, **options: object) -> ParsedArticle:
    """Parse a fixture, the format taken from its file name unless given."""
    return parse_article((FIXTURES / name).read_bytes(), filename=name, **options)  # type: ignore[arg-type]


def kinds(article: ParsedArticle) -> list[str]:
    """The kinds of an article's blocks, in order."""
    return [block.kind for block in article.blocks]


def texts(article: ParsedArticle) -> str:
    """All block texts, one per line."""
    return "\n".join(block.text for block in article.blocks)


NIGHT_TRAINS_BODY = [
    ("caption", "Sleeper carriages wait at a border station"),
    ("paragraph", "Every few months a minister poses"),
    ("paragraph", "The operators themselves admit"),
    ("heading", "What the numbers say"),
    ("paragraph", "Across the seven routes relaunched"),
    ("quote", "We can fill a night train in August."),
    ("paragraph", "Supporters answer that the point"),
    ("heading", "Where the money should go"),
    ("paragraph", "If the aim is fewer flights"),
    ("list", "- faster daytime connections between capitals"),
    ("paragraph", "None of these make for a good photograph"),
]
BOILERPLATE = [
    "cookie", "Subscribe today", "Home", "Politics", "Related articles", "scenic railway", "comments",
    "railfan88", "Totally disagree", "Copyright", "Privacy policy", "newsletter", "Morwenna",
    "The Platform Review", "References",
]  # fmt: skip


def assert_night_trains(article: ParsedArticle) -> None:
    """The article body of the night-trains page, all of it and nothing else."""
    assert article.title == "Night Trains Will Not Save the Climate"
    assert article.date == datetime.date(2023, 9, 3)
    assert [
        (b.kind, b.text[: len(start)]) for b, (_, start) in zip(article.blocks, NIGHT_TRAINS_BODY)
    ] == NIGHT_TRAINS_BODY
    assert len(article.blocks) == len(NIGHT_TRAINS_BODY)
    for word in BOILERPLATE:
        assert word.lower() not in texts(article).lower(), word
    assert [b.citations for b in article.blocks[1:3]] == [[1], [2]]
    assert article.blocks[4].citations == [3, 1]  # <sup>3</sup> and <sup>[1]</sup>
    assert article.blocks[6].citations == [4]
    refs = article.references
    assert refs[1].url == "https://example.org/rail/sleeper-report-2023"
    assert refs[1].text == "Sleeper services: annual occupancy report 2023"
    assert refs[2].text == "Interview with an operator's planning director, The berth problem"
    assert refs[2].url == "https://example.net/interviews/berths"
    assert refs[3].url is None
    assert refs[4].url == "http://example.com/budget/day-services"
