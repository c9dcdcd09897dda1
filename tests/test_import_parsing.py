"""Parsing imported articles: plain text, Markdown and HTML into blocks, dates, citations and references."""

from __future__ import annotations

import datetime
import re
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from forum.errors import Invalid
from forum.importing import ArticleTooLarge, ImportRefused, ParsedArticle, parse_article
from forum.importing.common import is_reference_heading
from forum.urls import url_problem
from forum.views.display import with_citations

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


# --- plain text ---------------------------------------------------------------------------------


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


# --- Markdown -----------------------------------------------------------------------------------


def test_markdown_article_with_footnotes() -> None:
    article = load("tram-fares.md")
    assert article.title == "Why Tram Fares Must Rise Next Year"
    assert article.date == datetime.date(2024, 2, 21)
    assert kinds(article) == [
        "caption", "paragraph", "heading", "paragraph", "quote", "paragraph", "list", "paragraph",
        "heading", "list", "caption",
    ]  # fmt: skip
    blocks = article.blocks
    assert blocks[0].text == "Above: The number 4 tram crossing the river bridge at rush hour."
    assert blocks[1].text.startswith("The transport committee will vote")
    assert "generous and is not.[1] A freeze" in blocks[1].text
    # A named footnote takes a number that no other marker uses.
    named = blocks[1].citations[1]
    assert blocks[1].citations == [1, named] and named not in (3, 4)
    assert blocks[3].citations == [3, 1]
    assert "[2019]" in blocks[3].text and "[b]" in blocks[3].text
    assert blocks[4].text == (
        "A fare freeze is the most expensive way to make public transport cheaper.\n"
        "Every year it lasts, the repair bill grows."
    )
    assert blocks[6].text.splitlines() == [
        "- that low fares bring new passengers;",
        "- that the maintenance backlog is exaggerated;",
        "- that the state will step in later.",
    ]
    assert (
        blocks[9].text.splitlines()[1] == "- accessible stops at the central market"
    )  # emphasis and link markup gone
    assert blocks[9].citations == [4]
    assert blocks[10].text == "Photo: Workers replace a worn switch at the depot."
    refs = article.references
    assert refs[1].url == "https://example.org/reports/engineering-2023"
    assert refs[named].text == 'Committee papers, item 7, "Fare options and their costs".'
    assert refs[named].url is None
    assert (
        refs[4].text == "Council consultation on concessionary fares, published in January. Read it"
    )
    assert refs[4].url == "https://example.net/consultation"
    inline_note = blocks[7].citations[0]
    assert refs[inline_note].text == "The accounts are published every June."
    assert "[^" not in texts(article) and "*" not in texts(article)


def test_markdown_in_russian_with_setext_title() -> None:
    article = load("moscow-courtyards.md")
    assert article.title == "Дворы, которые мы теряем"
    assert article.date == datetime.date(2022, 5, 12)
    assert kinds(article) == ["paragraph", "heading", "paragraph", "quote", "heading", "list"]
    assert article.blocks[2].citations == [3, 2]
    assert article.references[1].url == "https://example.ru/programma"
    assert article.references[2].url is None
    assert article.references[3].url == "https://example.ru/petitsiya"


def test_markdown_notes_section_as_an_ordered_list() -> None:
    article = load("bicycle-lanes.md")
    assert kinds(article) == ["paragraph", "heading", "paragraph"]
    assert article.blocks[0].citations == [1, 2]
    refs = article.references
    assert refs[1].url == "https://example.org/passing-distance"
    assert refs[2].url is None
    assert refs[3].text == "Injury statistics after kerb separation"
    assert refs[3].url == "https://example.com/kerbs"


def test_markdown_only_real_headings_are_headings() -> None:
    article = parse_article(
        b"# T\n\nShort line\n\nAnother short line\n\n### Real\n\nText.\n", "markdown"
    )
    assert kinds(article) == ["paragraph", "paragraph", "heading", "paragraph"]


def test_markdown_reference_section_with_its_own_numbers_and_a_later_section() -> None:
    text = (
        "# T\n\nClaim.[1] Claim.[2]\n\n## References\n\n[1] One https://example.org/1\n"
        "[2] Two\n\n## About the author\n\nShe writes.\n"
    )
    article = parse_article(text.encode(), "markdown")
    assert [b.text for b in article.blocks] == [
        "Claim.[1] Claim.[2]",
        "About the author",
        "She writes.",
    ]
    assert article.references[1].url == "https://example.org/1"
    assert article.references[2].text == "Two"


def test_markdown_ordered_list_start_numbers_entries() -> None:
    text = "# T\n\nClaim.[3][4]\n\n## Sources\n\n3. Three\n4. Four <https://example.org/4>\n"
    refs = parse_article(text.encode(), "markdown").references
    assert refs[3].text == "Three" and refs[4].url == "https://example.org/4"


def test_markdown_link_reference_definitions_with_numbers() -> None:
    text = '# T\n\nA claim [1] and a link [site](https://example.com).\n\n[1]: https://example.org/one "The source"\n'
    article = parse_article(text.encode(), "markdown")
    assert article.blocks[0].text == "A claim [1] and a link site."
    assert article.blocks[0].citations == [1]
    assert article.references[1].url == "https://example.org/one"
    assert article.references[1].text == "The source"


def test_markdown_unreferenced_definitions_still_fill_their_slot() -> None:
    article = parse_article(b"# T\n\nNo markers here.\n\n[^5]: A note nobody cites.\n", "markdown")
    assert article.references[5].text == "A note nobody cites."


def test_markdown_images_keep_their_alt_text() -> None:
    text = "# T\n\nTolls rose ![a chart of *three* rises](c.png) since 2021.\n\n![The toll gates at dawn](g.jpg)\n"
    article = parse_article(text.encode(), "markdown")
    assert [b.text for b in article.blocks] == ["Tolls rose a chart of three rises since 2021.", "The toll gates at dawn"]


def test_markdown_captions_with_emphasis_and_html_figures() -> None:
    text = (
        "# T\n\n_Photo: a tram._\n\n**Caption:** a bridge.\n\n"
        '<figure><img src="x.jpg"><figcaption>Night on the bridge.</figcaption></figure>\n\nBody.\n'
    )
    article = parse_article(text.encode(), "markdown")
    assert [(b.kind, b.text) for b in article.blocks] == [
        ("caption", "Photo: a tram."),
        ("caption", "Caption: a bridge."),
        ("caption", "Night on the bridge."),
        ("paragraph", "Body."),
    ]


def test_markdown_without_a_level_one_heading_takes_the_first_line() -> None:
    article = parse_article(b"A title line\n\nBody text.\n\n## Part\n\nMore.\n", "markdown")
    assert article.title == "A title line"
    assert kinds(article) == ["paragraph", "heading", "paragraph"]


def test_markdown_crlf() -> None:
    lf = (FIXTURES / "tram-fares.md").read_bytes()
    assert parse_article(lf.replace(b"\n", b"\r\n"), "markdown") == parse_article(lf, "markdown")


# --- HTML ---------------------------------------------------------------------------------------

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


# --- formats and bad input ----------------------------------------------------------------------


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
def test_three_thousand_paragraphs_parse_quickly(format: str) -> None:
    data = article_of(3000, "## " if format == "markdown" else "").encode()
    started = time.perf_counter()
    article = parse_article(data, format)
    elapsed = time.perf_counter() - started
    assert len([b for b in article.blocks if b.kind == "paragraph"]) == 3001
    assert elapsed < 2.0, f"{elapsed:.2f}s"


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
    ("format", "text"),
    [
        # Each `^[` and `[^` used to be read to the end of the line: minutes for a line of them.
        ("markdown", "# T\n\nA paragraph.\n\n" + "^[" * 20_000),
        ("markdown", "# T\n\nA paragraph.\n\n" + "[^" * 20_000),
        # Every named footnote was looked up in a list of all the others.
        ("markdown", "# T\n\nA paragraph.\n\n" + " ".join(f"[^n{i}]" for i in range(40_000))),
        # Every marker searched all the text the markers before it had left.
        ("html", "<h1>T</h1><p>A paragraph" + "<sup>1</sup>" * 40_000 + "</p>"),
    ],
    ids=["inline-notes", "footnote-refs", "named-footnotes", "sup-markers"],
)
def test_pathological_markup_parses_in_linear_time(format: str, text: str) -> None:
    started = time.perf_counter()
    article = parse_article(text.encode(), format)
    elapsed = time.perf_counter() - started
    assert article.blocks[0].text.startswith("A paragraph")
    assert elapsed < 5.0, f"{elapsed:.2f}s"


# --- properties of the plain-text splitter ------------------------------------------------------

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
