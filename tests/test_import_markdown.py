"""Parsing Markdown articles: headings, footnotes, reference sections, images and captions."""

from __future__ import annotations

import datetime

from forum.importing import parse_article
from tests.parsing import FIXTURES, kinds, load, texts


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
