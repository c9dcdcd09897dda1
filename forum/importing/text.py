"""Plain-text articles: the first line is the title, blank lines separate blocks, short unpunctuated lines are
headings."""

from __future__ import annotations

import datetime
import re

from .common import (
    ENTRY,
    HAS_WORD,
    TRAILING_MARKERS,
    Draft,
    EntrySource,
    ParsedArticle,
    finish,
    first_url,
    is_caption,
    is_reference_heading,
    parse_entries,
    split_date,
)

HEADING_MAX = 80
# Sentence enders of the Latin script and of others (CJK, Arabic, Devanagari, Greek, Armenian, Ethiopic).
SENTENCE_END = set(".!?:;…。！？؟।॥；：｡．;։۔።‼⁇⁈⁉")
# Closing quotes and brackets after the punctuation do not count: `word."` ends in a full stop.
CLOSERS = "\"'”’»›」』）)]}】〕〉》*_ \t"
BULLET = re.compile(r"^[-*•‣◦▪–]\s+")
QUOTE = re.compile(r"^>\s?")
DEFINITION = re.compile(r"^\s*\[\^?[1-9]\d{0,2}\]:")
SPACES = re.compile(r"[ \t]+")


def split_blocks(lines: list[str]) -> list[list[str]]:
    """Runs of non-blank lines, each line stripped."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in lines:
        stripped = line.strip()
        if stripped:
            current.append(stripped)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def is_heading_line(line: str) -> bool:
    """A line of at most 80 characters that does not end like a sentence."""
    if len(line) > HEADING_MAX:
        return False
    end = TRAILING_MARKERS.sub("", line).rstrip(CLOSERS)
    return bool(end) and end[-1] not in SENTENCE_END


def lines_of(block: list[str]) -> list[tuple[str, str | None]]:
    """A block's lines, each with the first URL on it."""
    return [(line, first_url(line)) for line in block]


def reference_section(blocks: list[list[str]]) -> int:
    """Where the trailing reference section (or run of footnote definitions) starts; len(blocks) when none."""
    for index in range(len(blocks) - 1, -1, -1):
        if is_reference_heading(blocks[index][0]):
            return index
    start = len(blocks)
    while start > 0 and DEFINITION.match(blocks[start - 1][0]):
        start -= 1
    return start


def classify(block: list[str]) -> Draft:
    """The kind of one block by the plain-text rules."""
    if is_caption(block[0]):
        return Draft("caption", join(block))
    if len(block) == 1 and is_heading_line(block[0]):
        return Draft("heading", block[0])
    if len(block) > 1 and all(BULLET.match(line) for line in block):
        return Draft("list", "\n".join("- " + BULLET.sub("", line, count=1) for line in block))
    if all(QUOTE.match(line) for line in block):
        return Draft("quote", join([QUOTE.sub("", line, count=1) for line in block]))
    return Draft("paragraph", join(block))


def join(lines: list[str]) -> str:
    """A block's lines as one line of text."""
    return SPACES.sub(" ", " ".join(line.strip() for line in lines)).strip()


def parse_text(text: str) -> ParsedArticle:
    """Parse a plain-text article (LF line endings, not empty)."""
    lines = text.split("\n")
    first = next(index for index, line in enumerate(lines) if line.strip())
    title = lines[first].strip()
    blocks = split_blocks(lines[first + 1 :])

    cut = reference_section(blocks)
    section = blocks[cut:]
    if section and is_reference_heading(section[0][0]):
        section = [section[0][1:], *section[1:]]
    # In a section without numbers every line is an entry; numbered entries may wrap onto more lines.
    numbered = any(ENTRY.match(line) for block in section for line in block)
    pieces = (
        [EntrySource(lines_of(block)) for block in section]
        if numbered
        else [EntrySource([(line, first_url(line))]) for block in section for line in block]
    )
    references = parse_entries(pieces)

    date: datetime.date | None = None
    drafts: list[Draft] = []
    for block in blocks[:cut]:
        if not any(HAS_WORD.search(line) for line in block):
            continue  # a separator such as `* * *`
        if date is None:
            found, rest = split_date(block[0])
            if found:
                # A dated block is a dateline paragraph, however short.
                date = found
                remainder = [rest.strip(), *block[1:]] if rest.strip() else block[1:]
                if remainder:
                    drafts.append(Draft("paragraph", join(remainder)))
                continue
        drafts.append(classify(block))
    return finish(title, drafts, references, date=date)
