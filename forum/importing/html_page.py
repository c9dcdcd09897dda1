"""Preparing a saved page: its title, its footnote markers and its reference section."""

from __future__ import annotations

import re
from typing import cast

import lxml.etree
import lxml.html

from .common import (
    NUMBER,
    EntrySource,
    ImportRefused,
    Reference,
    is_reference_heading,
    parse_entries,
)
from .html_blocks import HEADINGS, Walker, classes, inline_lines, is_furniture, replace_with_text

FOOTNOTE_CONTAINER = re.compile(
    r"^(?:foot-?notes?|end-?notes?|references|reflist|notes|citations)$", re.IGNORECASE
)
FOOTNOTE_ID = re.compile(
    rf"^(?:fn|footnote|endnote|note|en|ref|cite_note)[-_:]?(?:.*?[-_:])?({NUMBER})$", re.IGNORECASE
)
BACKLINK_HREF = re.compile(r"#(?:fnref|ref|cite_ref|_ftnref)", re.IGNORECASE)
TITLE_SEPARATOR = re.compile(r"\s+[|\u2013\u2014:-]\s+|\s+::\s+|\s*\|\s*")
# How browsers read `<ol start>` and `<li value>`: ASCII digits after an optional sign, the rest ignored.
HTML_INTEGER = re.compile(r"\s*([+-]?[0-9]+)")


def html_integer(value: str | None) -> int | None:
    """An integer attribute as a browser reads it; None when it is none, or too long to be a list's number."""
    match = HTML_INTEGER.match(value or "")
    if not match or len(match.group(1).lstrip("+-")) > 9:
        return None
    return int(match.group(1))


def load(text: str) -> lxml.html.HtmlElement:
    """The page as an lxml document, without scripts, styles and comments."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        document = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        raise ImportRefused("The page has no readable content.") from None
    for element in list(document.iter("script", "style", "noscript", "template")):
        cast(lxml.html.HtmlElement, element).drop_tree()
    return document


def find_title(document: lxml.html.HtmlElement) -> tuple[str | None, lxml.html.HtmlElement | None]:
    """The article's <h1> (inside <article> or <main> first), else the page's <title>."""
    for path in ("//article//h1", "//main//h1", "//*[@role='main']//h1", "//h1"):
        for heading in document.xpath(path):
            text = " ".join(heading.text_content().split())
            site_furniture = any(
                a.tag in ("nav", "footer", "aside")
                or (a.tag == "header" and Walker.outside_article(a))
                for a in heading.iterancestors()
            ) or re.search(r"site-?(?:title|name)|logo|brand", classes(heading))
            if text and not site_furniture:
                return text, heading
    for path in ("//title", "//meta[@property='og:title']/@content"):
        found = document.xpath(path)
        if found:
            text = " ".join(
                (found[0] if isinstance(found[0], str) else found[0].text_content()).split()
            )
            if text:
                return without_site_name(text, document), None
    return None, None


def without_site_name(title: str, document: lxml.html.HtmlElement) -> str:
    """A <title> without the site's name before or after a separator (`Article | Site`)."""
    names = {
        " ".join(str(n).split()).casefold()
        for n in document.xpath("//meta[@property='og:site_name']/@content")
    }
    for element in document.iter():
        if isinstance(element.tag, str) and re.search(
            r"site-?(?:title|name)|logo|brand", classes(element)
        ):
            names.add(" ".join(element.text_content().split()).casefold())
    separators = list(TITLE_SEPARATOR.finditer(title))
    if separators:
        last, first = separators[-1], separators[0]
        if title[last.end() :].casefold() in names and title[: last.start()]:
            return title[: last.start()]
        if title[: first.start()].casefold() in names and title[first.end() :]:
            return title[first.end() :]
    return title


def entry_sources(elements: list[lxml.html.HtmlElement]) -> list[EntrySource]:
    """Entries of a reference section: list items numbered by position (or id), paragraphs by their own numbers."""
    pieces: list[EntrySource] = []
    for element in elements:
        for backlink in list(element.iter("a")):
            if BACKLINK_HREF.search(
                backlink.get("href", "")
            ) or backlink.text_content().strip() in ("↩", "↩︎", "↑", "^"):
                replace_with_text(backlink, "")
        lists = (
            [element]
            if element.tag in ("ol", "ul")
            else element.findall(".//ol") + element.findall(".//ul")
        )
        if lists:
            for listing in lists:
                start = html_integer(listing.get("start")) if listing.tag == "ol" else None
                number = 1 if start is None else start
                for item in listing.findall("li"):
                    value = html_integer(item.get("value"))
                    number = number if value is None else value
                    by_id = FOOTNOTE_ID.match(item.get("id", ""))
                    own = int(by_id.group(1)) if by_id else number
                    lines = inline_lines(item)
                    pieces.append(
                        EntrySource(
                            [line for line in lines if line[0]],
                            own if listing.tag == "ol" or by_id else None,
                        )
                    )
                    number += 1
        else:
            pieces.append(EntrySource([line for line in inline_lines(element) if line[0]]))
    return pieces


def section_after(heading: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The elements after a heading up to the next heading as high, climbing out of a wrapper around the heading."""
    level = HEADINGS[heading.tag]
    anchor = heading
    while (
        anchor.getnext() is None
        and anchor.getparent() is not None
        and anchor.getparent().tag not in ("body", "article", "main")
    ):
        anchor = anchor.getparent()
    section: list[lxml.html.HtmlElement] = []
    for sibling in anchor.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        inner = (
            [sibling]
            if sibling.tag in HEADINGS
            else sibling.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6")
        )
        if any(HEADINGS[h.tag] <= level for h in inner):
            break
        section.append(sibling)
    return section


def take_references(document: lxml.html.HtmlElement) -> dict[int, Reference]:
    """Remove the reference section (headed, or a footnotes container) from the page and read its entries."""
    references: dict[int, Reference] = {}
    headings = [
        h
        for h in document.xpath("//h1|//h2|//h3|//h4|//h5|//h6")
        # A "Notes" box in a sidebar is not the article's reference section.
        if is_reference_heading(h.text_content())
        and not any(a.tag in ("nav", "aside") for a in h.iterancestors())
        and not is_furniture(h, None)
    ]
    if headings:
        heading = headings[-1]
        section = section_after(heading)
        references.update(parse_entries(entry_sources(section)))
        for element in [heading, *section]:
            element.drop_tree()
    containers = [
        element
        for element in document.iter("section", "div", "ol", "ul", "aside", "footer")
        if element.get("role") in ("doc-endnotes", "doc-footnotes", "doc-bibliography")
        or any(FOOTNOTE_CONTAINER.match(name) for name in classes(element).split())
    ]
    for container in containers:
        if container.getparent() is None or any(a in containers for a in container.iterancestors()):
            continue
        for number, reference in parse_entries(entry_sources([container])).items():
            references.setdefault(number, reference)
        container.drop_tree()
    return references
