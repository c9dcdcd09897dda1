"""HTML articles: trafilatura tells the article body from site boilerplate; the page's own elements give the blocks."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree
import lxml.html
import trafilatura
from trafilatura.settings import use_config

from .common import (
    NUMBER,
    Draft,
    EntrySource,
    ImportRefused,
    Line,
    ParsedArticle,
    Reference,
    finish,
    is_reference_heading,
    parse_entries,
    strip_markers,
)

# Dropped with their content wherever they are.
SKIP = {
    "script", "style", "noscript", "template", "nav", "footer", "aside", "form", "button", "select", "input",
    "textarea", "svg", "iframe", "dialog", "menu", "head", "title", "meta", "link", "object", "embed", "canvas",
    "video", "audio", "map", "label", "option", "math",
}  # fmt: skip
CONTAINERS = {"div", "section", "article", "main", "body", "html", "center", "details"}
HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}
BLOCKS = {
    "p", "ul", "ol", "dl", "blockquote", "figure", "figcaption", "table", "pre", "hr", "div", "section", "article",
    "main", "header", "center", "details", "summary", "address", "body", "html", "li", "dd", "dt", "picture",
    "fieldset", "hgroup", *HEADINGS,
}  # fmt: skip
BOILERPLATE_ROLES = {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu", "menubar", "toolbar"}
BOILERPLATE_WORDS = {
    "cookie", "cookies", "consent", "gdpr", "newsletter", "subscribe", "subscription", "signup", "related", "share",
    "sharing", "social", "comments", "comment", "disqus", "sidebar", "advert", "advertisement", "advertising", "ad",
    "ads", "sponsored", "promo", "breadcrumb", "breadcrumbs", "popup", "modal", "paywall", "navbar", "navigation",
    "nav", "menu", "footer", "masthead", "widget", "toolbar", "byline", "hidden", "banner", "tags",
}  # fmt: skip
LAYOUT_PREFIXES = {"has", "with", "no", "without", "show", "enable", "page", "layout"}
FOOTNOTE_CONTAINER = re.compile(r"^(?:foot-?notes?|end-?notes?|references|reflist|notes|citations)$", re.IGNORECASE)
FOOTNOTE_ID = re.compile(rf"^(?:fn|footnote|endnote|note|en|ref|cite_note)[-_:]?(?:.*?[-_:])?({NUMBER})$", re.IGNORECASE)
FOOTNOTE_HREF = re.compile(r"#(?:fn|footnote|endnote|note|en|cite|ref|_ftn)", re.IGNORECASE)
BACKLINK_HREF = re.compile(r"#(?:fnref|ref|cite_ref|_ftnref)", re.IGNORECASE)
MARKER_TEXT = re.compile(rf"^\s*\[?\^?\s*({NUMBER}(?:\s*[,\]\[]\s*\[?\^?{NUMBER})*)\s*\]?\s*$")
EXPONENT_BEFORE = re.compile(r"(?:\d|\b(?:m|cm|mm|km|ft|in|sq)\b)$")
TITLE_SEPARATOR = re.compile(r"\s+[|\u2013\u2014:-]\s+|\s+::\s+|\s*\|\s*")
SPLIT = re.compile(r"[^a-z0-9]+")
WORDS = re.compile(r"\W+")

CONFIG = use_config()
# Short articles are articles too: without this a page under 250 characters is flattened into one block.
CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")
CONFIG.set("DEFAULT", "EXTENSIVE_DATE_SEARCH", "off")


@dataclass
class Candidate:
    """A block of the page as written, with the element it came from."""

    kind: str
    lines: list[Line]
    element: lxml.html.HtmlElement
    level: int = 0
    items: int = 0
    linked_items: int = 0

    @property
    def text(self) -> str:
        """The block's text: paragraphs on one line, lists and quotes one line per item or paragraph."""
        if self.kind in ("list", "quote"):
            return "\n".join(t for t, _ in self.lines if t.strip())
        return " ".join(" ".join(t for t, _ in self.lines).split())


# --- reading elements ---------------------------------------------------------------------------


def classes(element: lxml.html.HtmlElement) -> str:
    """The element's class and id, for boilerplate and footnote heuristics."""
    return f"{element.get('class', '')} {element.get('id', '')}".lower()


def is_boilerplate(element: lxml.html.HtmlElement) -> bool:
    """Whether an element is site furniture by its role, visibility, or class and id words."""
    if element.get("role", "").lower() in BOILERPLATE_ROLES or element.get("aria-hidden") == "true":
        return True
    if element.get("hidden") is not None:
        return True
    for name in classes(element).split():
        words = [w for w in SPLIT.split(name) if w]
        if words and words[0] not in LAYOUT_PREFIXES and BOILERPLATE_WORDS.intersection(words):
            return True
    return False


class Inline:
    """Gathers inline content as lines (split at <br>), each with its first link target."""

    def __init__(self, skip: frozenset[str] = frozenset()) -> None:
        self.skip = skip
        self.lines: list[Line] = []
        self.parts: list[str] = []
        self.href: str | None = None

    def text(self, text: str | None) -> None:
        """Add text."""
        if text:
            self.parts.append(text)

    def newline(self) -> None:
        """End the current line."""
        self.lines.append(("".join(self.parts), self.href))
        self.parts, self.href = [], None

    def element(self, node: lxml.html.HtmlElement) -> None:
        """Add an element's content (not its tail)."""
        tag = node.tag if isinstance(node.tag, str) else ""
        if not tag or tag in SKIP or tag in self.skip or tag == "img":
            return
        if tag == "br":
            self.newline()
            return
        if tag == "a" and self.href is None and node.get("href", "").lower().startswith(("http://", "https://")):
            self.href = node.get("href")
        spaced = tag in BLOCKS  # a block inside inline content still separates words
        if spaced:
            self.parts.append(" ")
        self.text(node.text)
        for child in node:
            self.element(child)
            self.text(child.tail)
        if spaced:
            self.parts.append(" ")

    def result(self) -> list[Line]:
        """The lines, whitespace collapsed; empty strings stand for blank lines."""
        self.newline()
        return [(" ".join(text.split()), url) for text, url in self.lines]


def inline_lines(element: lxml.html.HtmlElement, *, skip: frozenset[str] = frozenset()) -> list[Line]:
    """An element's text as lines (split at <br>), each with its first link target; blank lines split paragraphs."""
    inline = Inline(skip)
    inline.text(element.text)
    for child in element:
        inline.element(child)
        inline.text(child.tail)
    return inline.result()


def paragraphs(lines: list[Line]) -> Iterator[list[Line]]:
    """Runs of non-blank lines: `<br><br>` separates paragraphs as a blank line does."""
    run: list[Line] = []
    for line in lines:
        if line[0]:
            run.append(line)
        elif run:
            yield run
            run = []
    if run:
        yield run


class Walker:
    """Collects the page's blocks in document order."""

    def __init__(self) -> None:
        self.found: list[Candidate] = []

    def walk(self, element: lxml.html.HtmlElement) -> None:
        """Blocks of a container: its block children, and loose inline text between them as paragraphs."""
        run = Inline()
        run.text(element.text)
        for child in element:
            tag = child.tag if isinstance(child.tag, str) else ""
            if tag in BLOCKS and not (tag == "header" and self.outside_article(child)):
                self.flush(run, element)
                run = Inline()
                self.block(child, tag)
            elif tag != "header":
                run.element(child)
            run.text(child.tail)
        self.flush(run, element)

    @staticmethod
    def outside_article(element: lxml.html.HtmlElement) -> bool:
        """Whether a <header> is the site's rather than an article's."""
        return not any(a.tag in ("article", "main") for a in element.iterancestors())

    def flush(self, run: Inline, parent: lxml.html.HtmlElement) -> None:
        """Loose inline content becomes paragraphs."""
        for lines in paragraphs(run.result()):
            self.found.append(Candidate("paragraph", lines, parent))

    def block(self, element: lxml.html.HtmlElement, tag: str) -> None:
        """One block-level element."""
        if tag == "p":
            for run in paragraphs(inline_lines(element)):
                self.found.append(Candidate("paragraph", run, element))
        elif tag in HEADINGS:
            text = " ".join(t for t, _ in inline_lines(element))
            self.found.append(Candidate("heading", [(text, None)], element, HEADINGS[tag]))
        elif tag in ("ul", "ol", "dl"):
            lines, items, linked = self.list_lines(element, 0)
            if lines:
                self.found.append(Candidate("list", lines, element, items=items, linked_items=linked))
        elif tag == "blockquote":
            inner = Walker()
            inner.walk(element)
            lines = [(c.text, None) for c in inner.found if c.text]
            if lines:
                self.found.append(Candidate("quote", lines, element))
        elif tag == "figcaption":
            text = " ".join(" ".join(t for t, _ in inline_lines(element)).split())
            if text:
                self.found.append(Candidate("caption", [(text, None)], element))
        elif tag == "table":
            rows = []
            for row in element.iter("tr"):
                cells = [" ".join(t for t, _ in inline_lines(cell)) for cell in row if cell.tag in ("td", "th")]
                rows.append(" | ".join(c for c in cells if c))
            text = "; ".join(r for r in rows if r)
            if text:
                self.found.append(Candidate("paragraph", [(text, None)], element))
        elif tag == "pre":
            text = element.text_content()
            if text.strip():
                self.found.append(Candidate("paragraph", [(" ".join(text.split()), None)], element))
        elif tag == "hr":
            return
        else:
            self.walk(element)

    def list_lines(self, element: lxml.html.HtmlElement, depth: int) -> tuple[list[Line], int, int]:
        """A list's items written `- item` (nested ones indented), with counts of items and of link-only items."""
        lines: list[Line] = []
        items = linked = 0
        for item in element:
            if item.tag not in ("li", "dt", "dd"):
                continue
            own = inline_lines(item, skip=frozenset({"ul", "ol", "dl"}))
            text = " ".join(" ".join(t for t, _ in own).split())
            href = next((h for _, h in own if h), None)
            if text:
                items += 1
                link_text = " ".join(" ".join(a.text_content() for a in item.iter("a")).split())
                linked += bool(link_text) and len(link_text) >= len(text) - 2
                lines.append(("  " * depth + "- " + text, href))
            for nested in item:
                if nested.tag in ("ul", "ol", "dl"):
                    more, _, _ = self.list_lines(nested, depth + 1)
                    lines.extend(more)
        return lines, items, linked


# --- preparing the page -------------------------------------------------------------------------


def load(text: str) -> lxml.html.HtmlElement:
    """The page as an lxml document, without scripts, styles and comments."""
    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        document = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, ValueError):
        raise ImportRefused("The page has no readable content.") from None
    for element in list(document.iter("script", "style", "noscript", "template")):
        element.drop_tree()
    return document


def replace_with_text(element: lxml.html.HtmlElement, text: str) -> None:
    """Put text where an element was, keeping what follows it."""
    element.tail = text + (element.tail or "")
    element.drop_tree()


def normalise_markers(document: lxml.html.HtmlElement) -> None:
    """Write footnote markers (`<sup>3</sup>`, `<sup>[3]</sup>`, `<a href="#fn3">3</a>`) as `[3]` text."""
    for sup in list(document.iter("sup")):
        match = MARKER_TEXT.match(sup.text_content())
        if not match:
            continue
        previous = sup.getprevious()
        before = (previous.tail if previous is not None else sup.getparent().text) or ""
        if before and EXPONENT_BEFORE.search(before) and not sup.text_content().strip().startswith("["):
            continue  # m<sup>2</sup> and 10<sup>6</sup> are powers, not notes
        numbers = re.findall(NUMBER, match.group(1))
        replace_with_text(sup, "".join(f"[{n}]" for n in numbers))
    for anchor in list(document.iter("a")):
        href = anchor.get("href", "")
        if not href.startswith("#") and "#" not in href:
            continue
        match = MARKER_TEXT.match(anchor.text_content())
        if match and (FOOTNOTE_HREF.search(href) or anchor.text_content().strip().startswith("[")):
            numbers = re.findall(NUMBER, match.group(1))
            replace_with_text(anchor, "".join(f"[{n}]" for n in numbers))


def find_title(document: lxml.html.HtmlElement) -> tuple[str | None, lxml.html.HtmlElement | None]:
    """The article's <h1> (inside <article> or <main> first), else the page's <title>."""
    for path in ("//article//h1", "//main//h1", "//*[@role='main']//h1", "//h1"):
        for heading in document.xpath(path):
            text = " ".join(heading.text_content().split())
            site_furniture = any(
                a.tag in ("nav", "footer", "aside") or (a.tag == "header" and Walker.outside_article(a))
                for a in heading.iterancestors()
            ) or re.search(r"site-?(?:title|name)|logo|brand", classes(heading))
            if text and not site_furniture:
                return text, heading
    for path in ("//title", "//meta[@property='og:title']/@content"):
        found = document.xpath(path)
        if found:
            text = " ".join((found[0] if isinstance(found[0], str) else found[0].text_content()).split())
            if text:
                return without_site_name(text, document), None
    return None, None


def without_site_name(title: str, document: lxml.html.HtmlElement) -> str:
    """A <title> without the site's name before or after a separator (`Article | Site`)."""
    names = {" ".join(str(n).split()).casefold() for n in document.xpath("//meta[@property='og:site_name']/@content")}
    for element in document.iter():
        if isinstance(element.tag, str) and re.search(r"site-?(?:title|name)|logo|brand", classes(element)):
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
            if BACKLINK_HREF.search(backlink.get("href", "")) or backlink.text_content().strip() in ("↩", "↩︎", "↑", "^"):
                replace_with_text(backlink, "")
        lists = [element] if element.tag in ("ol", "ul") else element.findall(".//ol") + element.findall(".//ul")
        if lists:
            for listing in lists:
                number = int(listing.get("start", "1")) if listing.tag == "ol" and listing.get("start", "1").isdigit() else 1
                for item in listing.findall("li"):
                    number = int(item.get("value")) if (item.get("value") or "").isdigit() else number
                    by_id = FOOTNOTE_ID.match(item.get("id", ""))
                    own = int(by_id.group(1)) if by_id else number
                    lines = inline_lines(item)
                    pieces.append(EntrySource([line for line in lines if line[0]], own if listing.tag == "ol" or by_id else None))
                    number += 1
        else:
            pieces.append(EntrySource([line for line in inline_lines(element) if line[0]]))
    return pieces


def section_after(heading: lxml.html.HtmlElement) -> list[lxml.html.HtmlElement]:
    """The elements after a heading up to the next heading as high, climbing out of a wrapper around the heading."""
    level = HEADINGS[heading.tag]
    anchor = heading
    while anchor.getnext() is None and anchor.getparent() is not None and anchor.getparent().tag not in ("body", "article", "main"):
        anchor = anchor.getparent()
    section: list[lxml.html.HtmlElement] = []
    for sibling in anchor.itersiblings():
        if not isinstance(sibling.tag, str):
            continue
        inner = [sibling] if sibling.tag in HEADINGS else sibling.xpath(".//h1|.//h2|.//h3|.//h4|.//h5|.//h6")
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
        if is_reference_heading(h.text_content()) and not any(a.tag in ("nav", "header") for a in h.iterancestors())
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


# --- telling the article from the site ----------------------------------------------------------


def norm(text: str) -> str:
    """Text reduced to its words, for comparing the page with the extractor's output."""
    return WORDS.sub(" ", text.casefold()).strip()


def extracted_texts(document: lxml.html.HtmlElement) -> tuple[set[str], str] | None:
    """The texts trafilatura keeps as the article body, one per element, and all of them joined by newlines."""
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
    if not xml:
        return None
    root = lxml.etree.fromstring(xml.encode("utf-8"))
    for line_break in root.iter("lb"):
        line_break.tail = " " + (line_break.tail or "")
    texts = {norm("".join(e.itertext())) for e in root.iter("p", "head", "item", "cell", "quote", "list")}
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


def select(candidates: list[Candidate], kept: tuple[set[str], str] | None) -> list[Candidate]:
    """The candidates that make up the article: what the extractor kept, and the structure between it."""
    if kept is None:
        return candidates
    texts, joined = kept

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
        return candidates
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
        furniture = any(is_boilerplate(a) for a in candidate.element.iterancestors() if a is not root and (root is None or root in a.iterancestors())) or (
            candidate.element is not root and is_boilerplate(candidate.element)
        )
        if furniture:
            continue
        if hit:
            chosen.append(candidate)
        elif candidate.kind == "caption" and index <= last:
            chosen.append(candidate)
        elif first <= index <= last and candidate.kind in ("heading", "quote"):
            chosen.append(candidate)
        elif first <= index <= last and candidate.kind == "list" and candidate.linked_items < candidate.items:
            chosen.append(candidate)
    return chosen


def fragment_drafts(html: str) -> list[Draft]:
    """Blocks of an HTML fragment embedded in Markdown, all of it kept."""
    if not html.strip():
        return []
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return [Draft("paragraph", " ".join(html.split()))]
    walker = Walker()
    walker.walk(fragment)
    return [Draft(c.kind, c.text, c.level) for c in walker.found]


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
    if title is None:
        if drafts and drafts[0].kind == "heading":
            title = drafts.pop(0).text
        else:
            title = next((d.text for d in drafts), "")
            title = title if len(title) <= 100 else title[:100].rsplit(" ", 1)[0] + "…"
    return finish(strip_markers(title), drafts, dict(sorted(references.items())), date=None)
