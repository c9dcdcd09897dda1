"""Markdown to safe HTML: the one function every path renders user text with, and what a reader sees of it."""

from __future__ import annotations

import html as htmllib
import unicodedata
from collections.abc import Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.token import Token

from forum.errors import Invalid

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

# What a reader does not see: controls, format characters (zero-width spaces and joiners, word
# joiner, byte order mark, soft hyphen), separators, and marks with nothing to sit on.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that fonts draw as empty space: the Hangul fillers and the blank Braille pattern.
BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def image_as_text(
    renderer: RendererHTML, tokens: Sequence[Token], idx: int, options: Any, env: Any
) -> str:
    """An image as its alt text: posts show no pictures (one from elsewhere tracks its readers), but say what they
    show."""
    return escapeHtml(renderer.renderInlineAsText(tokens[idx].children or [], options, env))


# CommonMark with raw HTML off; markdown-it's own link validation drops javascript: and data: links.
markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)
markdown.add_render_rule("image", image_as_text)


def render_markdown(text: str, limit: int) -> str:
    """Render a member's Markdown to HTML that is safe to show as it is; text over `limit` characters is refused.

    The limit comes first because rendering some inputs (thousands of `[`) costs time that grows faster
    than their length: nothing longer than the writing it stands for is ever rendered.
    """
    if len(text) > limit:
        raise Invalid(f"This text has {len(text):,} characters; at most {limit:,} are allowed.")
    # Member headings become h3 and below so they never outrank the page's own.
    html = markdown.render(text).replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel=LINK_REL,
        # A member's link points somewhere else on the web; a relative one has no business in a post.
        url_relative="deny",
        strip_comments=True,
    )


def is_blank(text: str) -> bool:
    """Whether `text` shows a reader nothing: only spaces, zero-width and other invisible characters."""
    return not any(
        not char.isspace()
        and char not in BLANK_CHARACTERS
        and unicodedata.category(char) not in INVISIBLE_CATEGORIES
        for char in text
    )


def renders_blank(html: str) -> bool:
    """Whether rendered HTML shows a reader no text: an empty link, a rule, a zero-width space as `&#8203;`."""
    return is_blank(htmllib.unescape(nh3.clean(html, tags=set())))
