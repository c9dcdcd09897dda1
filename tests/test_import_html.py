"""Parsing HTML pages: the article body without the page's boilerplate, captions, markers and references."""

from __future__ import annotations

import datetime

import pytest

from forum.importing import parse_article
from tests.parsing import FIXTURES, assert_night_trains, kinds, load, texts


def test_html_page_with_boilerplate() -> None:
    assert_night_trains(load("night-trains.html"))


def test_html_page_without_article_or_main_elements() -> None:
    page = (FIXTURES / "night-trains.html").read_text()
    for tag in ("<main>", "</main>", '<article class="post">', "</article>"):
        page = page.replace(tag, "")
    assert_night_trains(parse_article(page.encode(), "html"))


def test_html_footnotes_section_without_heading() -> None:
    article = load("market-square.html")
    assert article.title == "The Market Square Should Stay Car-Free"
    assert article.date == datetime.date(2024, 4, 11)
    assert kinds(article) == [
        "paragraph",
        "caption",
        "heading",
        "paragraph",
        "paragraph",
        "heading",
        "paragraph",
    ]
    assert article.blocks[0].text.startswith("Six months after the market square closed")
    assert article.blocks[0].citations == [1, 2]
    assert "wants the cars back.[1] Their petition" in article.blocks[0].text
    assert article.blocks[1].text == "Pictured: Stalls on the square on a Saturday in March."
    assert article.blocks[4].citations == [1]
    for word in (
        "cookie",
        "Donate",
        "Events",
        "Ilse",
        "newsletter",
        "Most read",
        "comment",
        "charity",
        "↩",
    ):
        assert word.lower() not in texts(article).lower(), word
    refs = article.references
    assert refs[1].text == "Shopkeepers' association, petition to the council, February 2024."
    assert refs[1].url == "https://example.org/petition"
    assert refs[2].url is None
    assert refs[3].url == "https://example.gov/footfall.csv"


def test_html_blog_page_with_its_title_in_the_title_element() -> None:
    article = load("ferry-timetables.html")
    # The site's name in <h1> and after the separator in <title> is not the article's title.
    assert article.title == "Ferry Timetables Are a Scandal"
    assert article.date == datetime.date(2023, 7, 3)
    assert [(b.kind, b.text[:22]) for b in article.blocks] == [
        ("paragraph", "The new winter timetab"),
        ("paragraph", "Islanders who work nig"),
        ("heading", "A pattern of cuts"),
        ("paragraph", "This is the third wint"),
    ]
    assert [b.citations for b in article.blocks] == [[1], [2], [], []]
    for word in ("Island Notes", "Share", "Twitter", "Posted", "Previous post", "thoughts", "Great article",
                 "Leave a Reply", "Recent Posts", "WordPress", "Ewan"):  # fmt: skip
        assert word.lower() not in texts(article).lower(), word


@pytest.mark.parametrize(
    ("markup", "caption"),
    [
        ('<p class="caption">Above: A crowd in the square.</p>', "Above: A crowd in the square."),
        ("<p><em>Pictured:</em> A crowd in the square.</p>", "Pictured: A crowd in the square."),
        (
            '<div class="wp-caption"><img src="x.jpg"><p class="wp-caption-text">A crowd.</p></div>',
            "A crowd.",
        ),
        (
            '<figure><img src="x.jpg"><figcaption>Image: A crowd.</figcaption></figure>',
            "Image: A crowd.",
        ),
    ],
)
def test_html_captions(markup: str, caption: str) -> None:
    body = "<p>A first paragraph with enough words in it to read as the start of an article.</p>"
    page = f"<html><body><nav><a href='/'>Home</a></nav><article><h1>T</h1>{markup}{body}</article></body></html>"
    article = parse_article(page.encode(), "html")
    assert (article.blocks[0].kind, article.blocks[0].text) == ("caption", caption)
    assert kinds(article) == ["caption", "paragraph"]


def test_html_title_from_the_title_element_is_not_repeated_as_a_heading() -> None:
    page = (
        "<html><head><title>My Piece | Site</title><meta property='og:site_name' content='Site'></head>"
        "<body><article><h2>My Piece</h2><p>A first paragraph with words.</p><h2>Next</h2>"
        "<p>More words.</p></article></body></html>"
    )
    article = parse_article(page.encode(), "html")
    assert article.title == "My Piece"
    assert [b.text for b in article.blocks] == [
        "A first paragraph with words.",
        "Next",
        "More words.",
    ]


def test_html_title_falls_back_to_the_title_element() -> None:
    page = "<html><head><title>Page title</title></head><body><article><p>Only text.</p></article></body></html>"
    article = parse_article(page.encode(), "html")
    assert article.title == "Page title"
    assert [(b.kind, b.text) for b in article.blocks] == [("paragraph", "Only text.")]


def test_html_small_pages_keep_their_structure() -> None:
    page = (
        "<h1>T</h1><p>First.</p><h2>Part</h2><ol start='3'><li>a</li><li>b<ul><li>c</li></ul></li></ol>"
        "<blockquote><p>q1</p><p>q2</p></blockquote><p>Line<br>break<br><br>New paragraph.</p>"
    )
    article = parse_article(page.encode(), "html")
    assert article.title == "T"
    assert [(b.kind, b.text) for b in article.blocks] == [
        ("paragraph", "First."),
        ("heading", "Part"),
        ("list", "- a\n- b\n  - c"),
        ("quote", "q1\nq2"),
        ("paragraph", "Line break"),
        ("paragraph", "New paragraph."),
    ]


def test_html_markers_and_powers() -> None:
    page = (
        "<article><h1>T</h1><p>Area 40 m<sup>2</sup> and 10<sup>6</sup> people.<sup>5</sup> "
        '<a href="#fn6"><sup>[6]</sup></a> <a href="#cite_note-7">[7]</a> <sup>1,2</sup></p></article>'
    )
    block = parse_article(page.encode(), "html").blocks[0]
    assert block.text == "Area 40 m2 and 106 people.[5] [6] [7] [1][2]"
    assert block.citations == [5, 6, 7, 1, 2]


def test_html_reference_heading_inside_a_wrapper() -> None:
    page = (
        "<article><h1>T</h1><p>Claim.<sup>1</sup></p><div class='heading'><h2>Sources:</h2></div>"
        "<p>[1] The source, <a href='https://example.org/s'>online</a></p></article>"
    )
    article = parse_article(page.encode(), "html")
    assert [b.text for b in article.blocks] == ["Claim.[1]"]
    assert article.references[1].url == "https://example.org/s"
    assert article.references[1].text == "The source, online"


def test_html_in_greek() -> None:
    page = (
        "<html><head><title>x</title></head><body><nav><a href='/'>Αρχική</a></nav><article>"
        "<h1>Το νερό</h1><p>05-10-2023: Πρώτη παράγραφος.<sup>[1]</sup></p><h2>Ενότητα</h2><p>Δεύτερη.</p>"
        "<h2>Παραπομπές</h2><ol><li><a href='https://example.gr/a'>Πηγή</a></li></ol></article></body></html>"
    )
    article = parse_article(page.encode(), "html")
    assert article.title == "Το νερό"
    assert article.date == datetime.date(2023, 10, 5)
    assert [(b.kind, b.text) for b in article.blocks] == [
        ("paragraph", "Πρώτη παράγραφος.[1]"),
        ("heading", "Ενότητα"),
        ("paragraph", "Δεύτερη."),
    ]
    assert article.references[1].url == "https://example.gr/a"
