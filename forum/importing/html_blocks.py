"""Reading an HTML page's own elements as blocks: paragraphs, headings, lists, quotes, captions."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import lxml.etree
import lxml.html

from .common import NUMBER, Draft, Line

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
BOILERPLATE_ROLES = {
    "navigation",
    "banner",
    "contentinfo",
    "complementary",
    "search",
    "dialog",
    "alertdialog",
    "menu",
    "menubar",
    "toolbar",
}
BOILERPLATE_WORDS = {
    "cookie", "cookies", "consent", "gdpr", "newsletter", "subscribe", "subscription", "signup", "related", "share",
    "sharing", "social", "comments", "comment", "disqus", "sidebar", "advert", "advertisement", "advertising", "ad",
    "ads", "sponsored", "promo", "breadcrumb", "breadcrumbs", "popup", "modal", "paywall", "navbar", "navigation",
    "nav", "menu", "footer", "masthead", "widget", "toolbar", "byline", "hidden", "banner", "tags",
}  # fmt: skip
LAYOUT_PREFIXES = {"has", "with", "no", "without", "show", "enable", "page", "layout"}
FOOTNOTE_HREF = re.compile(r"#(?:fn|footnote|endnote|note|en|cite|ref|_ftn)", re.IGNORECASE)
MARKER_TEXT = re.compile(rf"^\s*\[?\^?\s*({NUMBER}(?:\s*[,\]\[]\s*\[?\^?{NUMBER})*)\s*\]?\s*$")
EXPONENT_BEFORE = re.compile(r"(?:\d|\b(?:m|cm|mm|km|ft|in|sq)\b)$")
CAPTION_CLASS = re.compile(r"(?:^|[-_])caption(?:$|[-_]text$)")
SPLIT = re.compile(r"[^a-z0-9]+")


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
        if (
            tag == "a"
            and self.href is None
            and node.get("href", "").lower().startswith(("http://", "https://"))
        ):
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


def inline_lines(
    element: lxml.html.HtmlElement, *, skip: frozenset[str] = frozenset()
) -> list[Line]:
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


def paragraph_kind(element: lxml.html.HtmlElement) -> str:
    """A paragraph styled as a caption (`wp-caption-text`, `image-caption`) is one."""
    names = element.get("class", "").lower().split()
    return "caption" if any(CAPTION_CLASS.search(name) for name in names) else "paragraph"


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
            self.found.append(Candidate(paragraph_kind(parent), lines, parent))

    def block(self, element: lxml.html.HtmlElement, tag: str) -> None:
        """One block-level element."""
        if tag == "p":
            for run in paragraphs(inline_lines(element)):
                self.found.append(Candidate(paragraph_kind(element), run, element))
        elif tag in HEADINGS:
            text = " ".join(t for t, _ in inline_lines(element))
            self.found.append(Candidate("heading", [(text, None)], element, HEADINGS[tag]))
        elif tag in ("ul", "ol", "dl"):
            lines, items, linked = self.list_lines(element, 0)
            if lines:
                self.found.append(
                    Candidate("list", lines, element, items=items, linked_items=linked)
                )
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
                cells = [
                    " ".join(t for t, _ in inline_lines(cell))
                    for cell in row
                    if cell.tag in ("td", "th")
                ]
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


def is_furniture(element: lxml.html.HtmlElement, root: lxml.html.HtmlElement | None) -> bool:
    """Whether the element, or a container of it below the article's root, is site furniture by its class or role."""
    for node in (element, *element.iterancestors()):
        if node is root:
            return False
        if is_boilerplate(node):
            return True
    return False


def replace_with_text(element: lxml.html.HtmlElement, text: str) -> None:
    """Put text where an element was, keeping what follows it."""
    # The element stays, emptied, as a plain <span>: removing each of 100,000 siblings would take quadratic time.
    # Its tail stays untouched: lxml reads control characters from a page but refuses them when they are set.
    element.clear(keep_tail=True)
    element.tag = "span"
    element.text = text


def normalise_markers(document: lxml.html.HtmlElement) -> None:
    """Write footnote markers (`<sup>3</sup>`, `<sup>[3]</sup>`, `<a href="#fn3">3</a>`) as `[3]` text."""
    for sup in list(document.iter("sup")):
        match = MARKER_TEXT.match(sup.text_content())
        if not match:
            continue
        previous = sup.getprevious()
        before = (previous.tail if previous is not None else sup.getparent().text) or ""
        if (
            before
            and EXPONENT_BEFORE.search(before[-8:])  # the end is enough, and the text before grows
            and not sup.text_content().strip().startswith("[")
        ):
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


def fragment_drafts(html: str) -> list[Draft]:
    """Blocks of an HTML fragment embedded in Markdown, all of it kept."""
    if not html.strip():
        return []
    try:
        fragment = lxml.html.fragment_fromstring(html, create_parent="div")
    except (lxml.etree.ParserError, ValueError):
        return [Draft("paragraph", " ".join(html.split()))]
    normalise_markers(fragment)
    walker = Walker()
    walker.walk(fragment)
    return [Draft(c.kind, c.text, c.level) for c in walker.found]
