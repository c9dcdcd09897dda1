"""Parsing plain-text articles: blocks, headings, dates, citation markers and reference lists."""

from __future__ import annotations

import datetime

import pytest

from forum.importing import parse_article
from tests.parsing import FIXTURES, kinds, load, texts


def test_plain_text_article_in_the_manner_of_an_opinion_piece() -> None:
    article = load("riverside-library.txt")
    assert article.title == "Selling the Riverside Library Is a Mistake the Town Will Regret"
    assert article.date == datetime.date(2023, 3, 14)
    assert kinds(article) == [
        "caption", "paragraph", "heading", "paragraph", "paragraph", "paragraph", "paragraph",
        "paragraph", "heading", "paragraph", "paragraph",
    ]  # fmt: skip
    caption, first = article.blocks[0], article.blocks[1]
    assert caption.text.startswith("Above: Readers queue")
    # The date leaves the text; the block's second line joins the first with a space.
    assert first.text.startswith("The council insists")
    assert "five years ago.[2] The offer, in other words" in first.text
    assert first.citations == [1, 2]
    assert article.blocks[2].text == "The “modernisation” story"
    assert article.blocks[4].citations == [5, 3]
    assert article.references == {}


def test_plain_text_heading_rule() -> None:
    article = load("riverside-library.txt")
    by_text = {block.text: block.kind for block in article.blocks}
    assert by_text["Who gains?"] == "paragraph"  # ends in ?
    assert by_text["Is that really the best the town can do?"] == "paragraph"
    assert by_text["What should happen instead"] == "heading"
    # A quotation mark after the full stop does not hide it.
    assert by_text['The developer\'s plans, filed last autumn, show sixty flats and no public space.[6] '
                   'The planning officer\'s report called the design "acceptable in principle."'] == "paragraph"  # fmt: skip


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("A short heading", "heading"),
        ("Heading with “quotes”", "heading"),
        ("Ends with a colon:", "paragraph"),
        ("Ends with a semicolon;", "paragraph"),
        ("Exclaims!", "paragraph"),
        ('He said "no."', "paragraph"),
        ("(As in brackets.)", "paragraph"),
        ("A sentence with a note.[4]", "paragraph"),
        ("x" * 80, "heading"),
        ("x" * 81, "paragraph"),
        ("見出しの例", "heading"),
        ("文の終わり。", "paragraph"),
        ("¿Pregunta en árabe؟", "paragraph"),
        ("हिन्दी वाक्य।", "paragraph"),
        ("Caption: not a heading", "caption"),
        ("Image: a photograph", "caption"),
    ],
)
def test_single_line_blocks(line: str, kind: str) -> None:
    article = parse_article(
        f"Title\n\n{line}\n\nA paragraph that makes the article valid.\n".encode(), "text"
    )
    assert article.blocks[0].kind == kind
    assert article.blocks[0].text == line


def test_crlf_text_with_a_reference_list() -> None:
    raw = (FIXTURES / "harbour-wind-farm.txt").read_bytes()
    assert b"\r\n" in raw
    article = load("harbour-wind-farm.txt")
    assert article.title == "Harbour Wind Farm: The Quiet Case Against Offshore Haste"
    assert article.date == datetime.date(2023, 6, 2)
    assert kinds(article) == ["caption", "paragraph", "heading", "paragraph", "list", "paragraph"]
    assert "\r" not in texts(article)
    assert article.blocks[1].text.startswith("Nobody in this town")
    assert "not principle" in article.blocks[1].text
    # [2022] is a year and [a] a letter: neither is a citation.
    assert article.blocks[3].citations == [2, 3]
    assert "[2022]" in article.blocks[3].text and "[a]" in article.blocks[3].text
    assert article.blocks[4].text.splitlines() == [
        "- cable landing at the north slipway",
        "- substation on the old rope works site",
        "- maintenance base in the fish market",
    ]
    assert "References" not in texts(article)
    refs = article.references
    assert sorted(refs) == [1, 2, 3, 4]
    assert refs[1].url == "https://example.org/gazette/cable-route"
    assert refs[1].text.startswith("Harbour Gazette, advert")
    assert refs[2].text == "Developer's prospectus, section 4" and refs[2].url is None
    assert refs[3].url == "https://example.com/survey/2019.pdf"
    assert (
        refs[4].text == "Fishing cooperative, letter to the port authority" and refs[4].url is None
    )


def test_crlf_and_lf_give_the_same_article() -> None:
    lf = (FIXTURES / "riverside-library.txt").read_bytes()
    assert parse_article(lf.replace(b"\n", b"\r\n"), "text") == parse_article(lf, "text")
    assert parse_article(lf.replace(b"\n", b"\r"), "text") == parse_article(lf, "text")


@pytest.mark.parametrize("heading", ["References", "NOTES:", "Sources", "footnotes:", "## Notes"])
def test_reference_section_headings(heading: str) -> None:
    text = f"Title\n\nA claim.[1] Another.[2]\n\n{heading}\n\n[1] First https://example.org/1.\n[2] Second\n"
    article = parse_article(text.encode(), "text")
    assert [b.text for b in article.blocks] == ["A claim.[1] Another.[2]"]
    assert article.references[1].url == "https://example.org/1"
    assert article.references[1].text == "First https://example.org/1."
    assert article.references[2].text == "Second"


def test_reference_entry_forms_and_wrapped_entries() -> None:
    text = (
        "Title\n\nBody text.[1][2][3][4][5]\n\nSources:\n"
        "1. One\ncontinued on a second line https://example.org/one\n"
        "2) Two (see https://en.example.org/wiki/Thing_(idea)).\n"
        "^3 Three\n[^4]: Four\n(5) Five\n"
    )
    refs = parse_article(text.encode(), "text").references
    assert refs[1].text == "One continued on a second line https://example.org/one"
    assert refs[1].url == "https://example.org/one"
    assert refs[2].url == "https://en.example.org/wiki/Thing_(idea)"
    assert [refs[n].text for n in (3, 4, 5)] == ["Three", "Four", "Five"]


def test_unnumbered_reference_lines_are_numbered_in_order() -> None:
    text = "Title\n\nBody.[1][2]\n\nReferences\n\nSmith, On paint\nJones, On kerbs http://example.com/k\n"
    refs = parse_article(text.encode(), "text").references
    assert refs[1].text == "Smith, On paint"
    assert refs[2].url == "http://example.com/k"


def test_trailing_footnote_definitions_in_plain_text() -> None:
    text = "Title\n\nBody.[^1] More.[2]\n\n[^1]: First note\n[2]: https://example.org/2\n"
    article = parse_article(text.encode(), "text")
    assert [b.text for b in article.blocks] == ["Body.[1] More.[2]"]
    assert article.references[1].text == "First note"
    assert article.references[2].url == "https://example.org/2"


def test_markers_are_normalised_and_years_are_not_markers() -> None:
    text = "Title\n\nA[^3] b[3] c<sup>[7]</sup> d<sup>8</sup> e[3] [2022] [0] [1000] [a] [03].\n"
    block = parse_article(text.encode(), "text").blocks[0]
    assert block.text == "A[3] b[3] c[7] d[8] e[3] [2022] [0] [1000] [a] [03]."
    assert block.citations == [3, 7, 8]


@pytest.mark.parametrize(
    ("lead", "date"),
    [
        ("28-11-2022:", datetime.date(2022, 11, 28)),
        ("28/11/2022:", datetime.date(2022, 11, 28)),
        ("28.11.2022:", datetime.date(2022, 11, 28)),
        ("2022-11-28:", datetime.date(2022, 11, 28)),
        ("1-2-2023:", datetime.date(2023, 2, 1)),
        ("2022-11-28 —", datetime.date(2022, 11, 28)),
        ("12/31/2022:", datetime.date(2022, 12, 31)),  # day-first is impossible, so month first
    ],
)
def test_leading_dates(lead: str, date: datetime.date) -> None:
    article = parse_article(
        f"Title\n\n{lead} The council met.\n\n2023-01-01: Later.\n".encode(), "text"
    )
    assert article.date == date
    assert article.blocks[0].text == "The council met."
    assert article.blocks[1].text == "2023-01-01: Later."  # only the first date is the article's


def test_not_dates() -> None:
    for lead in ("31-02-2022:", "In 2022-11-28:", "2022:", "28-11-22:"):
        article = parse_article(f"Title\n\n{lead} The council met.\n".encode(), "text")
        assert article.date is None
        assert article.blocks[0].text == f"{lead} The council met."


def test_a_date_on_its_own_line() -> None:
    article = parse_article(b"Title\n\n28-11-2022\n\nShort.\n", "text")
    assert article.date == datetime.date(2022, 11, 28)
    assert [(b.kind, b.text) for b in article.blocks] == [("paragraph", "Short.")]


def test_greek_article_with_its_own_headings_and_notes() -> None:
    article = load("thessaly-water.txt")
    assert article.title == "Ποιος θα πληρώσει το νερό της Θεσσαλίας"
    assert article.date == datetime.date(2023, 10, 5)
    assert kinds(article) == [
        "paragraph",
        "paragraph",
        "heading",
        "paragraph",
        "paragraph",
        "paragraph",
    ]
    assert article.blocks[2].text == "Τι προβλέπει το σχέδιο"
    assert (
        article.blocks[4].text == "Γιατί οι αγρότες ανησυχούν;"
    )  # the Greek question mark ends a sentence
    assert article.blocks[5].citations == [4, 1]
    assert sorted(article.references) == [1, 2, 3, 4]
    assert article.references[3].url == "https://example.gr/symvasi.pdf"
    assert article.references[2].text == "Ένωση Καταναλωτών, ανάλυση τιμολογίων"


def test_japanese_article_with_full_width_punctuation() -> None:
    article = load("kyoto-buses.txt")
    assert article.title == "京都の市バスは観光客のためだけのものではない"
    assert article.date == datetime.date(2023, 10, 5)
    assert kinds(article) == ["paragraph", "heading", "paragraph", "paragraph", "paragraph"]
    assert article.blocks[3].text == "これで問題は解決するのか？"
    assert article.blocks[0].citations == [1, 2]


def test_first_line_is_the_title_even_inside_a_block() -> None:
    article = parse_article(b"\n\n  The Title  \nSubtitle line\n\nBody.\n", "text")
    assert article.title == "The Title"
    assert [(b.kind, b.text) for b in article.blocks] == [
        ("heading", "Subtitle line"),
        ("paragraph", "Body."),
    ]


def test_title_override() -> None:
    article = load("riverside-library.txt", title="  A   Better Title ")
    assert article.title == "A Better Title"
    assert article.blocks == load("riverside-library.txt").blocks


def test_separators_and_quotes_in_plain_text() -> None:
    article = parse_article(
        b"Title\n\nOne.\n\n* * *\n\n> Quoted words\n> go on.\n\n---\n\nTwo.\n", "text"
    )
    assert [(b.kind, b.text) for b in article.blocks] == [
        ("paragraph", "One."),
        ("quote", "Quoted words go on."),
        ("paragraph", "Two."),
    ]


def test_utf8_bom_is_stripped() -> None:
    article = parse_article("\ufeffTitle\n\nBody.\n".encode(), "text")
    assert article.title == "Title"
