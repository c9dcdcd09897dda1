"""What an article must be before it is stored: values every page can show and both databases keep alike."""

from __future__ import annotations

from forum.models import UNSTORABLE
from forum.urls import url_problem

from .common import ImportRefused, ParsedArticle

FIRST_NUMBER, LAST_NUMBER = 1, 999


def check_text(text: str, what: str) -> None:
    """ImportRefused when `text` holds a character no database stores."""
    if UNSTORABLE.search(text):
        raise ImportRefused(f"{what} holds a NUL character or half of a surrogate pair, which is not text.")


def check_source_url(url: str) -> None:
    """ImportRefused unless the article's own address is one the forum can keep and link to."""
    problem = url_problem(url)
    if problem:
        raise ImportRefused(f"The article's address {url[:200]} {problem}.", field="url")


def check_article(article: ParsedArticle) -> None:
    """ImportRefused naming the first value of the article that could not be stored alike or shown."""
    check_text(article.title, "The title")
    for position, block in enumerate(article.blocks, start=1):
        check_text(block.text, f"Block {position}")
        for number in block.citations:
            check_number(number)
    for number, reference in article.references.items():
        check_number(number)
        check_text(reference.text, f"Reference [{number}]")
        url = reference.url
        problem = url_problem(url) if url is not None else None
        if url is not None and problem:
            raise ImportRefused(
                f"The link of reference [{number}], {url[:200]}, {problem}; "
                "correct it or remove it, and import the article again."
            )


def check_number(number: int) -> None:
    """ImportRefused unless a footnote number is one a citation slot can have."""
    if not FIRST_NUMBER <= number <= LAST_NUMBER:
        raise ImportRefused(
            f"Footnote numbers run from {FIRST_NUMBER} to {LAST_NUMBER}; this article has {number}."
        )
