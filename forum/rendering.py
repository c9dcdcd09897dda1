"""Markdown to safe HTML: the one function every path renders user text with."""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt

from forum.errors import Invalid

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}, "th": {"align"}, "td": {"align"}}
URL_SCHEMES = {"http", "https", "mailto"}
LINK_REL = "nofollow ugc noopener"

# CommonMark with raw HTML off; markdown-it's own link validation drops javascript: and data: links.
markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable(
    ["table", "strikethrough"]
)


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
