"""HTML articles: trafilatura tells the article body from site boilerplate; the page's own elements give the blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import cast

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import use_config

from .common import Draft, ParsedArticle, finish, is_caption, strip_markers
from .html_blocks import CONTAINERS, Candidate, Walker, is_furniture, normalise_markers
from .html_page import find_title, load, take_references

WORDS = re.compile(r"\W+")

CONFIG = use_config()
# Short articles are articles too: without this a page under 250 characters is flattened into one block.
CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
CONFIG.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")


def norm(text: str) -> str:
    """Text reduced to its words, for comparing the page with the extractor's output."""
    return WORDS.sub(" ", text.casefold()).strip()


def extracted_texts(document: lxml.html.HtmlElement) -> tuple[set[str], str] | None:
    """The texts trafilatura keeps as the article body, one per element, and all of them joined by newlines."""
    try:
        xml = trafilatura.extract(
            lxml.html.tostring(document, encoding="unicode"),
            output_format="xml",
            include_comments=False,
            include_tables=True,
            include_formatting=True,
            include_links=True,
            include_images=False,
            deduplicate=False,
            config=CONFIG,
        )
    except Exception:  # noqa: BLE001 - a heuristic that fails leaves the page's own furniture rules to decide
        return None
    if not xml:
        return None
    root = lxml.etree.fromstring(xml.encode("utf-8"))
    for line_break in root.iter("lb"):
        line_break.tail = " " + (line_break.tail or "")
    texts = {
        norm("".join(cast(Iterator[str], e.itertext())))
        for e in root.iter("p", "head", "item", "cell", "quote", "list")
    }
    texts.discard("")
    return texts, " " + " \n ".join(texts) + " "


def common_ancestor(elements: list[lxml.html.HtmlElement]) -> lxml.html.HtmlElement | None:
    """The deepest element holding all the given ones."""
    shared: list[lxml.html.HtmlElement] | None = None
    for element in elements:
        chain = [*reversed(list(element.iterancestors())), element]
        if shared is None:
            shared = chain
            continue
        length = 0
        for mine, theirs in zip(shared, chain):
            if mine is not theirs:
                break
            length += 1
        shared = shared[:length]
    return shared[-1] if shared else None


def is_caption_candidate(candidate: Candidate) -> bool:
    """A figure caption, or a paragraph that begins like one (`Above: ...`)."""
    return candidate.kind == "caption" or (
        candidate.kind == "paragraph" and is_caption(candidate.text)
    )


def select(candidates: list[Candidate], kept: tuple[set[str], str] | None) -> list[Candidate]:
    """The candidates that make up the article: what the extractor kept, and the structure between it."""
    texts, joined = kept if kept is not None else (set(), "")

    def matched(candidate: Candidate) -> bool:
        pieces = [t for t, _ in candidate.lines] if candidate.kind == "list" else [candidate.text]
        for piece in pieces:
            key = norm(piece.lstrip("- "))
            # A single word must be a whole element of the extract; longer text may be part of one.
            if key and (key in texts or (" " in key and f" {key} " in joined)):
                return True
        return False

    hits = [matched(c) for c in candidates]
    if not any(hits):
        # The extractor found nothing it recognises: keep the page's blocks that are not site furniture.
        return [c for c in candidates if not is_furniture(c.element, None)]
    root = common_ancestor([c.element for c, hit in zip(candidates, hits) if hit])
    while root is not None and root.tag not in CONTAINERS and root.getparent() is not None:
        root = root.getparent()
    inside = [
        (c, hit)
        for c, hit in zip(candidates, hits)
        if root is None or c.element is root or root in c.element.iterancestors()
    ]
    indices = [i for i, (_, hit) in enumerate(inside) if hit]
    first, last = indices[0], indices[-1]
    chosen: list[Candidate] = []
    for index, (candidate, hit) in enumerate(inside):
        if is_furniture(candidate.element, root):
            continue
        between = first <= index <= last
        if (
            hit
            # Figures open articles before the first paragraph; the extractor drops them all.
            or (is_caption_candidate(candidate) and index <= last)
            # Headings, quotes and lists inside the body stay even where the extractor flattened them.
            or (between and candidate.kind in ("heading", "quote"))
            or (between and candidate.kind == "list" and candidate.linked_items < candidate.items)
        ):
            chosen.append(candidate)
    return chosen


def parse_html(text: str) -> ParsedArticle:
    """Parse a saved HTML page: the article's blocks without the site around it."""
    document = load(text)
    title, title_element = find_title(document)
    normalise_markers(document)
    references = take_references(document)
    body = document.find("body")
    if body is None:
        body = document
    walker = Walker()
    walker.walk(body)
    candidates = [c for c in walker.found if c.element is not title_element]
    chosen = select(candidates, extracted_texts(document))
    drafts = [Draft(c.kind, c.text, c.level) for c in chosen]
    if title is not None and title_element is None:
        # The title taken from <title> is often repeated as the article's first heading.
        same = next(
            (d for d in drafts if d.kind == "heading" and d.text.casefold() == title.casefold()),
            None,
        )
        if same is not None:
            drafts.remove(same)
    if title is None:
        if drafts and drafts[0].kind == "heading":
            title = drafts.pop(0).text
        else:
            title = next((d.text for d in drafts), "")
            title = title if len(title) <= 100 else title[:100].rsplit(" ", 1)[0] + "…"
    return finish(strip_markers(title), drafts, dict(sorted(references.items())), date=None)
