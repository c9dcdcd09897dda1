"""Formats told apart, bad input and oversized articles refused, and long or deep articles parsed in linear time."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from forum.errors import Invalid
from forum.importing import ArticleTooLarge, ImportRefused, parse_article
from tests.growth import LINEAR_BOUND, growth


@pytest.mark.parametrize(
    ("data", "options", "expected"),
    [
        (b"<!DOCTYPE html><html><body><h1>T</h1><p>Body.</p></body></html>", {}, "Body."),
        (
            b"<!-- saved from url=(0042)https://e.org/ -->\n<html><body><h1>T</h1><p>Body.</p>",
            {},
            "Body.",
        ),
        (b"# T\n\nBody [x](https://e.org).\n", {}, "Body x."),
        (b"T\n\nBody.\n", {}, "Body."),
        (b"T\n\n*Body*.\n", {"filename": "a.txt"}, "*Body*."),
        (b"T\n\n*Body*.\n", {"filename": "a.MD"}, "Body."),
        (b"<h1>T</h1><p>Body.</p>", {"content_type": "text/html; charset=utf-8"}, "Body."),
        (b"# T\n\n**Body**.\n", {"content_type": "text/markdown"}, "Body."),
        (b"# T\n\n**Body**.\n", {"format": "text"}, "**Body**."),
    ],
)
def test_format_detection(data: bytes, options: dict, expected: str) -> None:
    article = parse_article(data, **options)
    assert article.blocks[-1].text == expected


@pytest.mark.parametrize(
    ("data", "options", "message"),
    [
        (b"", {}, "empty"),
        (b"  \n\r\n\t ", {}, "empty"),
        ("\ufeff\n".encode(), {}, "empty"),
        (b"Title\n\x00\x01binary", {}, "binary"),
        (bytes(range(1, 32)) * 10, {}, "binary"),
        ("Title\n\nCaf\u00e9 au lait.".encode("latin-1"), {}, "UTF-8"),
        ("Title\n\nBody.".encode("utf-16"), {}, "UTF-16"),
        (b"Title\n\n" + b"word " * 500_000, {}, "larger than 2 MB"),
        (b"Title\n\n" + b"word " * 300, {"max_bytes": 1000}, "larger than 1 KB"),
        (b"Only a title\n", {}, "no paragraphs"),
        (b"Title\n\nA heading\n\nAnother heading\n", {}, "no paragraphs"),
        (b"# Title\n\n## Part\n", {"format": "markdown"}, "no paragraphs"),
        (b"<html><body><nav>x</nav></body></html>", {"format": "html"}, "no paragraphs"),
        (b"Title\n\nBody.", {"format": "docx"}, "Unknown format"),
        (b"%PDF-1.4 stuff", {"filename": "paper.pdf"}, "PDF"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(
    data: bytes, options: dict, message: str
) -> None:
    with pytest.raises(ImportRefused) as refused:
        parse_article(data, **options)
    assert message in refused.value.message
    assert refused.value.message.endswith(".")
    assert isinstance(refused.value, Invalid)


def test_size_refusals_answer_413() -> None:
    with pytest.raises(ArticleTooLarge) as refused:
        parse_article(b"x" * 101, max_bytes=100)
    assert refused.value.status == 413
    assert refused.value.message == "The article is larger than 100 bytes; import a shorter text."


def article_of(paragraphs: int, heading: str = "") -> str:
    """A long article with headings and markers every few paragraphs."""
    parts = [f"{heading.replace('#', '', 1)}A Long Article", "28-11-2022: It begins.[1]"]
    for index in range(paragraphs):
        if index % 10 == 0:
            parts.append(f"{heading}Section {index}")
        parts.append(
            f"Paragraph {index} makes a claim about things,[{index % 16 + 1}] and goes on\nfor a second line."
        )
    return "\n\n".join(parts)


@pytest.mark.parametrize("format", ["text", "markdown"])
def test_three_thousand_paragraphs_parse_in_linear_time(format: str) -> None:
    heading = "## " if format == "markdown" else ""
    short, long = article_of(30, heading).encode(), article_of(3000, heading).encode()
    article = parse_article(long, format)
    assert len([b for b in article.blocks if b.kind == "paragraph"]) == 3001
    ratio = growth(lambda: parse_article(short, format), lambda: parse_article(long, format))
    assert ratio < LINEAR_BOUND, f"a hundred times the paragraphs took {ratio:.1f} times as long"


@pytest.mark.parametrize(
    ("format", "text"),
    [
        ("html", "<h1>T</h1><p>A paragraph.</p>" + "<div>" * 100_000 + "deep" + "</div>" * 100_000),
        ("html", "<h1>T</h1><p>A paragraph.</p>" + "<blockquote>" * 50_000 + "deep"),
        ("html", "<h1>T</h1><p>A paragraph." + "<b>" * 100_000 + "deep</p>"),
        ("html", "<h1>T</h1><p>A paragraph.</p>" + "<ul><li>" * 50_000 + "deep"),
        ("markdown", "# T\n\nA paragraph.\n\n" + "> " * 100_000 + "deep\n"),
        ("markdown", "# T\n\nA paragraph.\n\n" + "- " * 100_000 + "deep\n"),
        ("markdown", "# T\n\nA paragraph.\n\n<div>\n" + "<div>" * 100_000 + "\n"),
    ],
    ids=["divs", "quotes", "bold", "lists", "md-quotes", "md-lists", "md-html"],
)
def test_a_hundred_thousand_nested_elements_parse_without_recursion(format: str, text: str) -> None:
    article = parse_article(text.encode(), format)
    assert article.title == "T" and article.blocks[0].text == "A paragraph."


@pytest.mark.parametrize(
    ("format", "text", "count"),
    [
        # Each `^[` and `[^` used to be read to the end of the line: minutes for a line of them.
        ("markdown", lambda n: "# T\n\nA paragraph.\n\n" + "^[" * n, 20_000),
        ("markdown", lambda n: "# T\n\nA paragraph.\n\n" + "[^" * n, 20_000),
        # Every named footnote was looked up in a list of all the others.
        ("markdown", lambda n: "# T\n\nA paragraph.\n\n" + " ".join(f"[^n{i}]" for i in range(n)), 40_000),
        # Every marker searched all the text the markers before it had left.
        ("html", lambda n: "<h1>T</h1><p>A paragraph" + "<sup>1</sup>" * n + "</p>", 40_000),
    ],
    ids=["inline-notes", "footnote-refs", "named-footnotes", "sup-markers"],
)
def test_pathological_markup_parses_in_linear_time(format: str, text: Callable[[int], str], count: int) -> None:
    short, long = text(count // 100).encode(), text(count).encode()
    assert parse_article(long, format).blocks[0].text.startswith("A paragraph")
    ratio = growth(lambda: parse_article(short, format), lambda: parse_article(long, format))
    assert ratio < LINEAR_BOUND, f"a hundred times the markup took {ratio:.1f} times as long"
