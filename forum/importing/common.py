"""What every import format shares: the parsed shapes, refusals, markers, dates, captions and reference entries."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from forum.errors import Invalid

BLOCK_KINDS = ("heading", "paragraph", "caption", "quote", "list")


@dataclass
class ParsedBlock:
    """One element of an imported article, in plain text with footnote markers as `[n]`."""

    kind: str
    text: str
    citations: list[int] = field(default_factory=list)


@dataclass
class Reference:
    """What an article's own reference list says about one footnote number."""

    number: int
    text: str
    url: str | None = None


@dataclass
class ParsedArticle:
    """An article as read from a file or page, before it is stored."""

    title: str
    date: datetime.date | None
    blocks: list[ParsedBlock]
    references: dict[int, Reference]


class ImportRefused(Invalid):
    """The input cannot become an article; the message says why in one sentence."""

    code = "import_refused"


class ArticleTooLarge(ImportRefused):
    """The input is over the size limit."""

    status = 413
    code = "too_large"


@dataclass
class Draft:
    """A block as a format parser found it, before the shared rules (markers, dates, captions) run."""

    kind: str
    text: str
    level: int = 0


# --- input bytes --------------------------------------------------------------------------------


def describe_size(limit: int) -> str:
    """A byte count as people say it: 2 MB, 500 KB, 800 bytes."""
    for unit, size in (("MB", 1_000_000), ("KB", 1_000)):
        if limit >= size:
            amount = limit / size
            return f"{amount:g} {unit}" if amount == int(amount) else f"{amount:.1f} {unit}"
    return f"{limit} bytes"


# Control characters other than tab and line breaks: text is almost free of them, binary is not.
CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def too_large(limit: int) -> ArticleTooLarge:
    """The refusal of an input over the size limit."""
    return ArticleTooLarge(
        f"The article is larger than {describe_size(limit)}; import a shorter text."
    )


def decode_input(data: bytes, max_bytes: int) -> str:
    """The input as text with LF line endings, or ImportRefused when it is not a usable text."""
    if len(data) > max_bytes:
        raise too_large(max_bytes)
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        raise ImportRefused(
            "The article is encoded as UTF-16; save it as UTF-8 and import it again."
        )
    if b"\x00" in data:
        raise ImportRefused(
            "The file is binary, not text; import a plain-text, Markdown or HTML article."
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportRefused(
            "The article is not UTF-8 text (it holds bytes, or half of a surrogate pair, that UTF-8 cannot);"
            " save it as UTF-8 and import it again."
        ) from None
    if not text.strip():
        raise ImportRefused("The article is empty.")
    if len(CONTROL.findall(text)) * 3 > len(text):
        raise ImportRefused(
            "The file is binary, not text; import a plain-text, Markdown or HTML article."
        )
    return normalise_newlines(text)


def normalise_newlines(text: str) -> str:
    """CRLF, CR and the Unicode line and paragraph separators as LF."""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in text or "\u2029" in text:
        text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    return text


# --- footnote markers ---------------------------------------------------------------------------

# 1..999 without leading zeros, so that years such as [2022] and letters such as [a] stay text.
NUMBER = r"[1-9][0-9]{0,2}"
MARKER = re.compile(rf"<sup>\s*\[?\^?({NUMBER})\]?\s*</sup>|\[\^?({NUMBER})\]", re.IGNORECASE)
TRAILING_MARKERS = re.compile(
    rf"(?:\s*(?:\[\^?{NUMBER}\]|<sup>\s*\[?\^?{NUMBER}\]?\s*</sup>))+\s*$", re.IGNORECASE
)


def normalise_markers(text: str) -> tuple[str, list[int]]:
    """The text with every footnote marker written `[n]`, and the numbers in order of first appearance."""
    if "[" not in text and "<" not in text:
        return text, []
    seen: dict[int, None] = {}

    def one(match: re.Match[str]) -> str:
        number = int(match.group(1) or match.group(2))
        seen.setdefault(number, None)
        return f"[{number}]"

    return MARKER.sub(one, text), list(seen)


def strip_markers(text: str) -> str:
    """The text without footnote markers (for titles)."""
    stripped = " ".join(MARKER.sub("", text).split())
    return stripped or " ".join(text.split())


# --- leading dates ------------------------------------------------------------------------------

DATE = re.compile(
    r"^\s*(?:(?P<d>\d{1,2})(?P<s>[-/.])(?P<m>\d{1,2})(?P=s)(?P<y>\d{4})"
    r"|(?P<iy>\d{4})(?P<is>[-/.])(?P<im>\d{1,2})(?P=is)(?P<id>\d{1,2}))"
    r"(?:\s*[:\u2013\u2014]\s*|\s+-\s+|\s*$)"
)


def split_date(text: str) -> tuple[datetime.date | None, str]:
    """A leading date (day first, or year first as in ISO; then a colon or dash) and the text after it."""
    match = DATE.match(text)
    if not match:
        return None, text
    if match.group("iy"):
        candidates = [(match.group("iy"), match.group("im"), match.group("id"))]
    else:
        day, month, year = match.group("d"), match.group("m"), match.group("y")
        # Day first is the rule; month first is only the reading left when the day-first one is impossible.
        candidates = [(year, month, day), (year, day, month)]
    for year, month, day in candidates:
        try:
            return datetime.date(int(year), int(month), int(day)), text[match.end() :]
        except ValueError:
            continue
    return None, text


# --- captions -----------------------------------------------------------------------------------

CAPTION = re.compile(r"^[\s*_~]*(?:above|pictured|photo|image|caption)[*_]*\s*:", re.IGNORECASE)


def is_caption(text: str) -> bool:
    """Whether a block begins with Above:, Pictured:, Photo:, Image: or Caption: (emphasis allowed)."""
    return CAPTION.match(text) is not None


# --- reference sections -------------------------------------------------------------------------

REFERENCE_HEADINGS = {
    "references", "reference", "notes", "sources", "source", "footnotes", "endnotes", "bibliography",
    "citations", "works cited", "reference list", "notes and references", "sources and notes",
    "παραπομπές", "σημειώσεις", "πηγές", "βιβλιογραφία",
    "примечания", "источники", "ссылки", "литература", "сноски",
    "脚注", "注", "注釈", "出典", "参考文献", "参考资料", "注释",
    "quellen", "anmerkungen", "einzelnachweise", "fußnoten", "literatur",
    "références", "sources et notes", "fuentes", "referencias", "notas", "fonti", "bibliografia",
}  # fmt: skip
# Compared casefolded, which also turns a final ς into σ.
REFERENCE_HEADINGS = {name.casefold() for name in REFERENCE_HEADINGS}


def is_reference_heading(text: str) -> bool:
    """Whether a heading names a reference section (References, Notes, Sources, Footnotes, ...)."""
    name = text.strip().strip("#*_ \t").rstrip(":：").strip().strip("*_ ").casefold()
    return len(name) < 40 and name in REFERENCE_HEADINGS


ENTRY = re.compile(
    rf"^\s*(?:\[\^?({NUMBER})\]:?|\^({NUMBER})(?!\d)|\(({NUMBER})\)|({NUMBER})[.)](?=\s))\s*"
)
URL = re.compile(r"https?://[^\s<>\"'\u201c\u201d\u00ab\u00bb]+", re.IGNORECASE)
URL_TAIL = ".,;:!?)]}>*_"


def first_url(text: str) -> str | None:
    """The first http or https URL in the text, without the punctuation that ends its sentence."""
    match = URL.search(text)
    if not match:
        return None
    url = match.group(0)
    while url and url[-1] in URL_TAIL:
        # A closing bracket belongs to the URL when it closes one opened inside it (Wikipedia's).
        if url[-1] == ")" and url.count("(") >= url.count(")"):
            break
        url = url[:-1]
    return url if len(url) > len("https://") else None


Line = tuple[str, "str | None"]  # a line of text and the first link target on it


@dataclass
class EntrySource:
    """A piece of a reference section: a list item (with its position number) or a paragraph."""

    lines: Sequence[Line]
    number: int | None = None


def parse_entries(pieces: Iterable[EntrySource]) -> dict[int, Reference]:
    """References from a section's pieces: numbered lines, numbered list items, or bare entries by position."""
    pieces = [p for p in pieces if any(text.strip() for text, _ in p.lines)]
    numbered = any(
        p.number is not None or any(ENTRY.match(text) for text, _ in p.lines) for p in pieces
    )
    entries: list[tuple[int | None, list[str], list[str | None]]] = []
    if not numbered:
        for position, piece in enumerate(pieces, start=1):
            entries.append((position, [t for t, _ in piece.lines], [u for _, u in piece.lines]))
    else:
        for piece in pieces:
            started_here = False
            for index, (text, url) in enumerate(piece.lines):
                if not text.strip():
                    continue
                match = ENTRY.match(text)
                if match:
                    number = int(next(g for g in match.groups() if g))
                    entries.append((number, [text[match.end() :]], [url]))
                    started_here = True
                elif index == 0 and piece.number is not None:
                    entries.append((piece.number, [text], [url]))
                    started_here = True
                elif entries and (started_here or piece.number is None):
                    # An unnumbered line continues the entry above it (a wrapped entry, or its URL).
                    entries[-1][1].append(text)
                    entries[-1][2].append(url)
    references: dict[int, Reference] = {}
    for label, texts, urls in entries:
        if label is None or not 1 <= label <= 999 or label in references:
            continue
        text = " ".join(" ".join(texts).split())
        url = next((u for u in urls if u and u.lower().startswith(("http://", "https://"))), None)
        url = url or first_url(text)
        if text or url:
            references[label] = Reference(label, text or url or "", url)
    return references


# --- the shared rules ---------------------------------------------------------------------------

HAS_WORD = re.compile(r"\w")


def finish(
    title: str,
    drafts: Iterable[Draft],
    references: dict[int, Reference],
    *,
    date: datetime.date | None = None,
) -> ParsedArticle:
    """Apply the rules every format shares and refuse an article without paragraphs."""
    blocks: list[ParsedBlock] = []
    for draft in drafts:
        kind, text = draft.kind, draft.text.strip()
        if kind == "paragraph":
            if date is None:
                found, rest = split_date(text)
                if found:
                    date, text = found, rest.strip()
            if is_caption(text):
                kind = "caption"
        if not HAS_WORD.search(text):
            continue
        text, citations = normalise_markers(text)
        blocks.append(ParsedBlock(kind, text, citations))
    if not any(block.kind != "heading" for block in blocks):
        raise ImportRefused("The article has no paragraphs: only a title or headings were found.")
    return ParsedArticle(strip_markers(title), date, blocks, references)
