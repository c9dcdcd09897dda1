"""Choosing the format of an input and parsing it into an article."""

from __future__ import annotations

import os
import re

from .checks import check_article
from .common import ImportRefused, ParsedArticle, decode_input
from .html import parse_html
from .markdown import parse_markdown
from .text import parse_text

FORMATS = {
    "text": "text", "txt": "text", "plain": "text", "plaintext": "text",
    "markdown": "markdown", "md": "markdown",
    "html": "html", "htm": "html",
}  # fmt: skip
EXTENSIONS = {
    ".txt": "text", ".text": "text",
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".html": "html", ".htm": "html", ".xhtml": "html",
}  # fmt: skip
CONTENT_TYPES = {
    "text/html": "html", "application/xhtml+xml": "html",
    "text/markdown": "markdown", "text/x-markdown": "markdown",
}  # fmt: skip
UNSUPPORTED = {
    ".pdf": "PDF", ".doc": "Word", ".docx": "Word", ".odt": "OpenDocument", ".rtf": "RTF", ".epub": "EPUB",
    "application/pdf": "PDF", "application/msword": "Word", "application/rtf": "RTF", "application/epub+zip": "EPUB",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": "Word",
    "application/vnd.oasis.opendocument.text": "OpenDocument",
}  # fmt: skip
# A saved page may open with a comment (`<!-- saved from url=... -->`) or an XML declaration.
HTML_START = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?(?:<!--.*?-->\s*)*"
    r"<(?:!doctype\s+html|html|head|body|meta|title|article|main|div|p|h1|section)\b",
    re.IGNORECASE | re.DOTALL,
)
HTML_ANYWHERE = re.compile(r"<(?:!doctype\s+html|html|body)\b", re.IGNORECASE)
MARKDOWN_SIGNS = re.compile(
    r"^ {0,3}(?:#{1,6}[ \t]+\S|\[\^[^\]\s]+\]:|[=]{3,}[ \t]*$)|\[[^\]\n]+\]\([^)\s]+\)|\[\^[^\]\s]+\]",
    re.MULTILINE,
)


def detect_format(text: str, filename: str | None, content_type: str | None) -> str:
    """The format named by the file's extension, else by its content type, else by what the text looks like."""
    extension = os.path.splitext(filename or "")[1].lower()
    media = (content_type or "").split(";")[0].strip().lower()
    for key in (extension, media):
        if key in UNSUPPORTED:
            raise ImportRefused(
                f"{UNSUPPORTED[key]} documents cannot be imported; save the article as text, Markdown or HTML."
            )
    if extension in EXTENSIONS:
        return EXTENSIONS[extension]
    if media in CONTENT_TYPES:
        return CONTENT_TYPES[media]
    if HTML_START.match(text[:5000]) or HTML_ANYWHERE.search(text[:2000]):
        return "html"
    return "markdown" if MARKDOWN_SIGNS.search(text) else "text"


def parse_article(
    data: bytes | str,
    format: str | None = None,
    *,
    title: str | None = None,
    max_bytes: int = 2_000_000,
    filename: str | None = None,
    content_type: str | None = None,
) -> ParsedArticle:
    """Parse an article from bytes in a named or detected format; ImportRefused when it cannot be one."""
    if isinstance(data, str):
        data = data.encode("utf-8")
    if format is not None and not format.strip():
        format = None  # an empty choice means "find out"
    if format is not None and format.strip().lower() not in FORMATS:
        raise ImportRefused(f"Unknown format {format!r}: choose text, markdown or html.")
    text = decode_input(data, max_bytes)
    kind = (
        FORMATS[format.strip().lower()]
        if format is not None
        else detect_format(text, filename, content_type)
    )
    parser = {"text": parse_text, "markdown": parse_markdown, "html": parse_html}[kind]
    article = parser(text)
    if title is not None and title.strip():
        article.title = " ".join(title.split())
    if not article.title:
        raise ImportRefused("The article has no title; give one.")
    check_article(article)
    return article
