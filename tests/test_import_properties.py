"""Properties of parsing any text, markup or bytes: parsed or refused, and no word of the body lost."""

from __future__ import annotations

import datetime
import re

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from forum.importing import ImportRefused, parse_article
from forum.importing.common import is_reference_heading
from forum.urls import url_problem
from forum.views.display import with_citations

WORD = re.compile(r"\w+")


@pytest.mark.parametrize("format", ["text", "markdown", "html"])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=st.text())
def test_any_text_parses_or_is_refused(format: str, text: str) -> None:
    try:
        parse_article(text.encode("utf-8", "surrogatepass"), format)
    except ImportRefused:
        pass


markup = st.lists(
    st.sampled_from(
        [
            "# ",
            "## ",
            "\n",
            "\n\n",
            "> ",
            "- ",
            "1. ",
            "[^1]",
            "[^1]: ",
            "[1]",
            "<sup>2</sup>",
            "*",
            "_",
            "Above: ",
            "References",
            "28-11-2022: ",
            "word",
            "Слово",
            "言葉",
            "<p>",
            "</p>",
            "<h2>",
            "<li>",
            "<ol>",
            "<figcaption>",
            "https://example.org/x",
            "[x](https://e.org)",
            "```",
            "|a|b|\n|-|-|",
            # What once crashed a page or an import, and its neighbours.
            "http://[oops/",
            "https://e.org/" + "x" * 2000,
            "[" + "4" * 4400 + "]",
            '<ol start="²">',
            '<li value="³">',
            '<ol start="99999999999">',
            "&#0;",
            "&#xD800;",
            "[^1]: ",
            "^[",
            "\x01",
        ]
    ),
    max_size=40,
).map("".join)


@pytest.mark.parametrize("format", ["text", "markdown", "html"])
@settings(max_examples=300, deadline=None)
@given(text=markup)
@example(text="# T\n\nA claim.[^1]\n\n[^1]: See http://[oops/ for more.\n")
@example(text="T\n\nA claim.[1]\n\nReferences\n\n1. https://e.org/" + "x" * 2000 + "\n")
@example(text="T\n\nA claim [" + "4" * 4400 + "] made.\n")
@example(text='<h1>T</h1><p>A claim.[1]</p><h2>References</h2><ol start="²"><li>A source</li></ol>')
@example(text='<h1>T</h1><p>A claim.[1]</p><h2>References</h2><ol><li value="³">A source</li></ol>')
def test_any_markup_parses_or_is_refused(format: str, text: str) -> None:
    try:
        article = parse_article(text.encode(), format)
    except ImportRefused:
        return
    assert article.title
    assert all(
        b.kind in ("heading", "paragraph", "caption", "quote", "list") and b.text.strip()
        for b in article.blocks
    )
    assert all(1 <= n <= 999 for b in article.blocks for n in b.citations)
    # What is stored can be shown: every link is one a page may link to, every text renders.
    assert all(r.url is None or url_problem(r.url) is None for r in article.references.values())
    for block in article.blocks:
        with_citations(block.text, lambda number: None)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_or_are_refused(data: bytes) -> None:
    for format in ("text", "markdown", "html", None):
        try:
            parse_article(data, format)
        except ImportRefused:
            pass


def words_in_order(expected: list[str], found: list[str]) -> bool:
    """Whether `expected` is a subsequence of `found`."""
    remaining = iter(found)
    return all(any(word == other for other in remaining) for word in expected)


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1))
def test_no_word_of_the_body_is_lost(text: str) -> None:
    lines = (
        text.replace("\r\n", "\n")
        .replace("\r", "\n")
        .replace("\u2028", "\n")
        .replace("\u2029", "\n")
        .split("\n")
    )
    assume(not any(is_reference_heading(line) for line in lines))
    assume(not any(re.match(r"\s*\[\^?[1-9]\d{0,2}\]:", line) for line in lines))
    try:
        article = parse_article(text.encode(), "text")
    except ImportRefused:
        return
    first = next(i for i, line in enumerate(lines) if line.strip())
    body = "\n".join(lines[first + 1 :])
    expected = WORD.findall(body)
    found = WORD.findall("\n".join(block.text for block in article.blocks))
    if article.date is not None:
        # The date prefix leaves the text: its three numbers may be missing, nothing else.
        date_words = {str(article.date.year), str(article.date.month), str(article.date.day),
                      f"{article.date.month:02}", f"{article.date.day:02}"}  # fmt: skip
        expected = (
            [w for w in expected if w not in date_words]
            if not words_in_order(expected, found)
            else expected
        )
    assert words_in_order(expected, found)


paragraph_words = st.lists(
    st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=12),
    min_size=1,
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(
    title=st.text(alphabet=st.characters(categories=("L",)), min_size=1, max_size=20),
    blocks=st.lists(
        st.tuples(
            paragraph_words,
            st.sampled_from([".", "", "!", "?", ":", ".”", "。"]),
            st.integers(0, 20),
        ),
        min_size=1,
        max_size=15,
    ),
    newline=st.sampled_from(["\n", "\r\n"]),
    dated=st.booleans(),
)
def test_structured_articles_keep_every_word_in_order(
    title: str, blocks: list[tuple[list[str], str, int]], newline: str, dated: bool
) -> None:
    assume(not is_reference_heading(blocks[0][0][0]))
    parts = [title]
    for index, (words, end, marker) in enumerate(blocks):
        body = " ".join(words) + end + (f"[{marker}]" if marker else "")
        if len(words) > 6:
            body = body.replace(" ", newline, 1)  # a block over two lines
        if dated and index == 0:
            body = "01-02-2020: " + body
        parts.append(body)
    text = (newline * 2).join(parts)
    assume(not any(is_reference_heading(line) for line in text.split(newline)))
    try:
        article = parse_article(text.encode(), "text")
    except ImportRefused as refused:
        assert "no paragraphs" in refused.message
        return
    assert article.title == title
    expected = WORD.findall((newline * 2).join(parts[1:]).replace("01-02-2020: ", "", 1))
    assert words_in_order(expected, WORD.findall("\n".join(b.text for b in article.blocks)))
    if dated:
        assert article.date == datetime.date(2020, 2, 1)
