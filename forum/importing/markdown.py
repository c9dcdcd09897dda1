"""Markdown articles, parsed with markdown-it-py: real headings, quotes, lists, and footnotes as citation slots."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin
from mdit_py_plugins.footnote.index import footnote_inline, footnote_ref
from mdit_py_plugins.front_matter import front_matter_plugin

from .common import (
    MARKER,
    NUMBER,
    Draft,
    EntrySource,
    Line,
    ParsedArticle,
    Reference,
    finish,
    is_reference_heading,
    parse_entries,
)

# The plugin scans a footnote label to the end of the line or paragraph from every `[^` and `^[`, which is
# quadratic on a line of them; labels and inline notes are short, so each scan is cut at these lengths.
LABEL = re.compile(r"\[\^[^\] \n]{1,200}\]")
INLINE_NOTE_REACH = 5_000


def short_footnote_ref(state: StateInline, silent: bool) -> bool:
    """`[^label]` with a label of at most 200 characters, as the footnote plugin reads it."""
    if not LABEL.match(state.src, state.pos, state.posMax):
        return False
    return footnote_ref(state, silent, always_match=True)


def short_footnote_inline(state: StateInline, silent: bool) -> bool:
    """`^[note]` within 5,000 characters, as the footnote plugin reads it."""
    limit = state.posMax
    if state.src.find("]", state.pos, min(limit, state.pos + INLINE_NOTE_REACH)) < 0:
        return False
    state.posMax = min(limit, state.pos + INLINE_NOTE_REACH)
    try:
        return footnote_inline(state, silent)
    finally:
        state.posMax = limit


# Definitions stay where they are written, so unreferenced ones are kept; `[^3]` is a marker even undefined.
PARSER = (
    MarkdownIt("commonmark", {"html": True})
    .use(footnote_plugin, move_to_end=False, always_match_refs=True)
    .use(front_matter_plugin)
    .enable(["table", "strikethrough"])
)
PARSER.inline.ruler.at("footnote_ref", short_footnote_ref)
PARSER.inline.ruler.at("footnote_inline", short_footnote_inline)
NUMERIC = re.compile(rf"^\s*\[?\^?({NUMBER})\]?\s*$")
TAG = re.compile(r"^<\s*(/?)\s*([a-zA-Z][a-zA-Z0-9]*)")
FRONT_TITLE = re.compile(r"^title\s*:\s*(.+?)\s*$", re.MULTILINE | re.IGNORECASE)
LIST_OPEN = ("bullet_list_open", "ordered_list_open")


@dataclass
class Unit:
    """A top-level element of the document: its kind, its lines, and for lists its numbered items."""

    kind: str
    lines: list[Line]
    level: int = 0
    items: list[tuple[int | None, list[Line]]] = field(default_factory=list)

    @property
    def text(self) -> str:
        """The unit's text: one line for paragraphs and headings, one line per item for lists."""
        if self.kind == "list":
            return "\n".join(text for text, _ in self.lines)
        if self.kind == "quote":
            return "\n".join(" ".join(text.split()) for text, _ in self.lines if text.strip())
        return " ".join(" ".join(text for text, _ in self.lines).split())


def closing(tokens: list[Token], start: int) -> int:
    """The index of the token that closes the one at `start`."""
    depth = 0
    for index in range(start, len(tokens)):
        depth += tokens[index].nesting
        if depth == 0:
            return index
    return len(tokens) - 1


class Renderer:
    """Turns markdown-it tokens into plain text, footnote references into `[n]`."""

    def __init__(self, numbers: dict[str, int], env: dict[str, Any]) -> None:
        self.numbers = numbers
        self.env = env

    def inline(self, token: Token) -> list[Line]:
        """An inline token's text as lines (split at line breaks), each with its first link target."""
        lines: list[Line] = []
        parts: list[str] = []
        href: str | None = None
        links: list[tuple[int, str | None]] = []
        sups: list[int] = []
        for child in token.children or []:
            kind = child.type
            if kind in ("text", "code_inline"):
                parts.append(child.content)
            elif kind in ("softbreak", "hardbreak"):
                lines.append(("".join(parts), href))
                parts, href = [], None
                links.clear()
                sups.clear()
            elif kind == "link_open":
                links.append((len(parts), child.attrs.get("href")))  # type: ignore[arg-type]
            elif kind == "link_close" and links:
                start, target = links.pop()
                label = NUMERIC.match("".join(parts[start:]))
                if label:
                    # `[3]` resolved by a `[3]: url` definition, or `[3](url)`: a footnote marker.
                    parts[start:] = [f"[{int(label.group(1))}]"]
                elif href is None and target:
                    href = target
            elif kind == "image":
                # The picture is not imported; what its alt text says in words is.
                parts.extend(c.content for c in child.children or [] if c.type in ("text", "code_inline"))
            elif kind == "footnote_ref":
                parts.append(f"[{self.number_of(child.meta)}]")
            elif kind == "html_inline":
                self.html_inline(child.content, parts, sups)
        lines.append(("".join(parts), href))
        return lines

    def html_inline(self, html: str, parts: list[str], sups: list[int]) -> None:
        """Raw inline HTML: `<sup>3</sup>` is a marker, `<br>` a space, other tags leave only their text."""
        tag = TAG.match(html)
        if not tag:
            return
        closing_tag, name = tag.group(1), tag.group(2).lower()
        if name == "sup" and not closing_tag:
            sups.append(len(parts))
        elif name == "sup" and sups:
            start = sups.pop()
            label = NUMERIC.match("".join(parts[start:]))
            if label:
                parts[start:] = [f"[{int(label.group(1))}]"]
        elif name == "br":
            parts.append(" ")

    def number_of(self, meta: dict[str, Any]) -> int:
        """The citation number of a footnote reference or definition."""
        label = meta.get("label")
        return self.numbers[label if label is not None else f"#{meta.get('id')}"]

    def blocks(self, tokens: list[Token], start: int, end: int) -> list[Line]:
        """The lines of everything between two tokens (a quote's or a footnote's content)."""
        lines: list[Line] = []
        index = start
        while index < end:
            token = tokens[index]
            if token.type == "inline":
                own = self.inline(token)
                text = " ".join(" ".join(t for t, _ in own).split())
                lines.append((text, next((h for _, h in own if h), None)))
            elif token.type in LIST_OPEN:
                close = closing(tokens, index)
                lines.extend(self.list_items(tokens, index, close)[1])
                index = close
            elif token.type in ("fence", "code_block"):
                lines.append((" ".join(token.content.split()), None))
            index += 1
        return lines

    def list_items(
        self, tokens: list[Token], start: int, end: int, depth: int = 0
    ) -> tuple[list[tuple[int | None, list[Line]]], list[Line]]:
        """A list's items (with their numbers when ordered) and its lines written `- item`."""
        ordered = tokens[start].type == "ordered_list_open"
        number = int(tokens[start].attrs.get("start", 1) or 1) if ordered else None
        items: list[tuple[int | None, list[Line]]] = []
        lines: list[Line] = []
        index = start + 1
        while index < end:
            token = tokens[index]
            if token.type == "list_item_open":
                close = closing(tokens, index)
                own: list[Line] = []
                nested: list[Line] = []
                inner = index + 1
                while inner < close:
                    child = tokens[inner]
                    if child.type in LIST_OPEN:
                        child_close = closing(tokens, inner)
                        nested.extend(self.list_items(tokens, inner, child_close, depth + 1)[1])
                        inner = child_close
                    elif child.type == "inline":
                        own.extend(self.inline(child))
                    elif child.type in ("fence", "code_block"):
                        own.append((child.content, None))
                    inner += 1
                text = " ".join(" ".join(t for t, _ in own).split())
                href = next((h for _, h in own if h), None)
                items.append((number, own))
                lines.append(("  " * depth + "- " + text, href))
                lines.extend(nested)
                if number is not None:
                    number += 1
                index = close
            index += 1
        return items, lines


def footnote_numbers(tokens: list[Token], source: str) -> dict[str, int]:
    """A number for every footnote label: numeric labels keep theirs, the others take numbers no marker uses."""
    labels: dict[str, None] = {}  # in order of first appearance

    def see(meta: dict[str, Any]) -> None:
        label = meta.get("label")
        labels.setdefault(label if label is not None else f"#{meta.get('id')}", None)

    for token in tokens:
        if token.type == "footnote_reference_open":
            see(token.meta)
        for child in token.children or []:
            if child.type == "footnote_ref":
                see(child.meta)
    numbers: dict[str, int] = {}
    for label in labels:
        match = NUMERIC.match(label)
        if match and not label.startswith("#"):
            numbers[label] = int(match.group(1))
    # Numbers written as plain markers (`[3]`, `<sup>3</sup>`) are taken too, so a named note never joins their slot.
    used = set(numbers.values()) | {int(a or b) for a, b in MARKER.findall(source)}
    free = 1
    for label in labels:
        if label not in numbers:
            while free in used:
                free += 1
            numbers[label] = free
            used.add(free)
    return numbers


def read_units(
    tokens: list[Token], renderer: Renderer
) -> tuple[list[Unit], dict[int, Reference], str | None]:
    """The document's top-level units, its footnote definitions, and a front-matter title."""
    from .html_blocks import fragment_drafts

    units: list[Unit] = []
    definitions: list[EntrySource] = []
    front_title: str | None = None
    index = 0
    while index < len(tokens):
        token = tokens[index]
        kind = token.type
        close = closing(tokens, index) if token.nesting == 1 else index
        if kind == "front_matter":
            match = FRONT_TITLE.search(token.content)
            if match:
                front_title = match.group(1).strip().strip("\"'")
        elif kind == "heading_open":
            units.append(Unit("heading", renderer.inline(tokens[index + 1]), int(token.tag[1])))
        elif kind == "paragraph_open":
            units.append(Unit("paragraph", renderer.inline(tokens[index + 1])))
        elif kind == "blockquote_open":
            units.append(Unit("quote", renderer.blocks(tokens, index + 1, close)))
        elif kind in LIST_OPEN:
            items, lines = renderer.list_items(tokens, index, close)
            units.append(Unit("list", lines, items=items))
        elif kind in ("fence", "code_block"):
            units.append(Unit("paragraph", [(token.content, None)]))
        elif kind == "table_open":
            rows = [c for c in tokens[index:close] if c.type == "tr_open"]
            cells = [
                renderer.inline(c)[0][0].strip() for c in tokens[index:close] if c.type == "inline"
            ]
            width = max(1, len(cells) // max(1, len(rows)))
            text = "; ".join(" | ".join(cells[i : i + width]) for i in range(0, len(cells), width))
            units.append(Unit("paragraph", [(text, None)]))
        elif kind == "html_block":
            for draft in fragment_drafts(token.content):
                units.append(
                    Unit(draft.kind, [(line, None) for line in draft.text.split("\n")], draft.level)
                )
        elif kind == "footnote_reference_open":
            number = renderer.number_of(token.meta)
            definitions.append(EntrySource(renderer.blocks(tokens, index + 1, close), number))
        index = close + 1
    # Inline footnotes (`^[text]`) keep their text in the environment, not in the token stream.
    for key, data in renderer.env.get("footnotes", {}).get("list", {}).items():
        if "tokens" in data:
            fake = Token("inline", "", 0, children=data["tokens"])
            definitions.append(EntrySource(renderer.inline(fake), renderer.numbers[f"#{key}"]))
    return units, parse_entries(definitions), front_title


def take_title(units: list[Unit], front_title: str | None) -> str:
    """The first level-1 heading (removed from the units), else front matter, else the first short line."""
    for index, unit in enumerate(units):
        if unit.kind == "heading" and unit.level == 1:
            del units[index]
            return unit.text
    if front_title:
        return front_title
    first = units[0] if units else None
    if first and first.kind == "heading":
        del units[0]
        return first.text
    if first and first.kind == "paragraph":
        # Like a text file: the first line is the title, the rest of that paragraph stays.
        title, rest = first.lines[0][0].strip(), first.lines[1:]
        if rest:
            first.lines = rest
        else:
            del units[0]
        return title
    return first.text.split("\n")[0] if first else ""


def take_reference_section(units: list[Unit]) -> list[EntrySource]:
    """Remove the trailing reference section (its heading to the next heading as high) and return its pieces."""
    start = next(
        (
            i
            for i in range(len(units) - 1, -1, -1)
            if units[i].kind == "heading" and is_reference_heading(units[i].text)
        ),
        None,
    )
    if start is None:
        return []
    level = units[start].level
    end = next(
        (
            i
            for i in range(start + 1, len(units))
            if units[i].kind == "heading" and units[i].level <= level
        ),
        len(units),
    )
    pieces: list[EntrySource] = []
    for unit in units[start + 1 : end]:
        if unit.kind == "list":
            pieces.extend(EntrySource(lines, number) for number, lines in unit.items)
        else:
            pieces.append(EntrySource(unit.lines))
    del units[start:end]
    return pieces


def parse_markdown(text: str) -> ParsedArticle:
    """Parse a Markdown article (LF line endings, not empty)."""
    env: dict[str, Any] = {}
    tokens = PARSER.parse(text, env)
    renderer = Renderer(footnote_numbers(tokens, text), env)
    units, references, front_title = read_units(tokens, renderer)
    title = take_title(units, front_title)
    for number, reference in parse_entries(take_reference_section(units)).items():
        references.setdefault(number, reference)
    # `[3]: https://...` link definitions with a number for a label also give a slot its URL.
    for label, definition in env.get("references", {}).items():
        match = NUMERIC.match(label)
        if match and int(match.group(1)) not in references:
            number = int(match.group(1))
            references[number] = Reference(
                number, definition.get("title") or definition["href"], definition["href"]
            )
    drafts = [Draft(unit.kind, unit.text, unit.level) for unit in units]
    return finish(title, drafts, dict(sorted(references.items())), date=None)
