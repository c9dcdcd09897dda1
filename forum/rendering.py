"""Markdown to safe HTML: the one function every path renders user text with, and what a reader sees of it."""

from __future__ import annotations

import html as htmllib
import re
import secrets
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
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

# An `@` that starts a mention: not inside a word, an address (`a@b.c`) or a path, then up to `MENTION_WORDS`
# words, of which the longest run that names a member is the mention ("@Ada Lovelace, see" names "Ada Lovelace").
MENTION = re.compile(r"(?<![\w@/.+-])@(?=(\S+(?:[ \t]+\S+){0,3}))")
MENTION_WORDS = 4
MENTION_MAX = 100  # a member's name is at most this long
# The first this many `@`s of a text are looked up (as Discourse caps mentions per post): a text of thousands
# of `@`s costs one short lookup, not thousands, and notifies a few members, not a crowd.
MOST_MENTIONS = 20
# What may close a sentence around a name without being part of it.
TRAILING = ".,;:!?)]}\"'»”’…"
# Keys of the render environment: where the candidate names are collected, and the members they name.
COLLECT, MEMBERS, SCHEME, LINKED = "mention_candidates", "mention_members", "mention_scheme", "mentioned"


def mention_key(name: str) -> str:
    """A name as mentions compare it: NFKC, case-folded, spaces made one."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def name_candidates(words: str) -> list[str]:
    """The names an `@` may stand for, longest run of words first: each without, then with, its closing marks."""
    parts = words.split()[:MENTION_WORDS]
    found: list[str] = []
    for count in range(len(parts), 0, -1):
        run = " ".join(parts[:count])
        bare = run.rstrip(TRAILING)
        # "@bob's point" mentions bob.
        possessive = bare[:-2] if bare.endswith(("'s", "’s")) else ""
        # The bare name first: "thanks @ada." means ada, even when someone took the name "ada." to catch it.
        for name in (bare, possessive, run):
            if name and len(name) <= MENTION_MAX and name not in found:
                found.append(name)
    return found


def link_mentions(state: StateCore) -> None:
    """Collect the names `@` mentions may stand for, or turn those that name members into links.

    With `COLLECT` in the environment, candidate names go there; with `MEMBERS` (key -> member id), each
    mention of a member becomes a link under `SCHEME`, which `render_markdown` makes the member's address.
    Code and existing links are left alone.
    """
    env = state.env
    collected, members = env.get(COLLECT), env.get(MEMBERS)
    if collected is None and not members:
        return
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        in_link = 0
        for token in block.children:
            in_link += {"link_open": 1, "link_close": -1}.get(token.type, 0)
            if token.type != "text" or in_link or "@" not in token.content:
                children.append(token)
            elif collected is not None:
                for match in MENTION.finditer(token.content):
                    if env["mentions_seen"] < MOST_MENTIONS:
                        env["mentions_seen"] += 1
                        collected.update(name_candidates(match.group(1)))
                children.append(token)
            elif members:
                children.extend(mention_tokens(token.content, members, env[SCHEME], env[LINKED]))
        block.children = children


def mention_tokens(text: str, members: Mapping[str, int], scheme: str, linked: set[int]) -> list[Token]:
    """A text token split into text and links, one for each mention of a member (whose id joins `linked`)."""
    tokens: list[Token] = []
    done = 0
    for match in MENTION.finditer(text):
        named = next((n for n in name_candidates(match.group(1)) if mention_key(n) in members), None)
        if named is None or match.start() < done:
            continue
        tokens.append(text_token(text[done:match.start()]))
        opening = Token("link_open", "a", 1)
        member_id = members[mention_key(named)]
        opening.attrs = {"href": f"{scheme}:{member_id}"}
        linked.add(member_id)
        tokens += [opening, text_token("@" + named), Token("link_close", "a", -1)]
        done = match.start() + 1 + len(named)
    tokens.append(text_token(text[done:]))
    return [t for t in tokens if t.type != "text" or t.content]


def text_token(content: str) -> Token:
    """A plain text token."""
    token = Token("text", "", 0)
    token.content = content
    return token


markdown.core.ruler.push("mentions", link_mentions)


def mentioned_names(text: str, limit: int) -> set[str]:
    """The names the `@` mentions of a member's Markdown may stand for (outside code and links)."""
    if len(text) > limit:
        return set()  # refused when rendered
    if "@" not in text and "&" not in text:
        return set()  # no `@` typed, nor one an entity could stand for: nothing to parse for
    found: set[str] = set()
    markdown.parse(text, {COLLECT: found, "mentions_seen": 0})
    return found


def render_markdown(
    text: str,
    limit: int,
    mentions: Mapping[str, int] | None = None,
    member_url: Callable[[int], str] | None = None,
    linked: set[int] | None = None,
) -> str:
    """Render a member's Markdown to HTML that is safe to show as it is; text over `limit` characters is refused.

    The limit comes first because rendering some inputs (thousands of `[`) costs time that grows faster
    than their length: nothing longer than the writing it stands for is ever rendered. `mentions` (a
    `mention_key` -> member id) links each `@name` of a member to `member_url(id)`, adding their id to `linked`;
    other names stay text.
    """
    if len(text) > limit:
        raise Invalid(f"This text has {len(text):,} characters; at most {limit:,} are allowed.")
    # Mention links carry a scheme made for this rendering alone until they are cleaned: a member who
    # writes a link of their own cannot guess it, and nh3 refuses the relative address a member page has.
    scheme = "mention" + secrets.token_hex(8)
    linking = bool(mentions) and member_url is not None
    env = {MEMBERS: mentions, SCHEME: scheme, LINKED: linked if linked is not None else set()} if linking else {}
    # Member headings become h3 and below so they never outrank the page's own.
    html = markdown.render(text, env).replace("<h1>", "<h3>").replace("</h1>", "</h3>")
    html = html.replace("<h2>", "<h3>").replace("</h2>", "</h3>")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES | {scheme} if linking else URL_SCHEMES,
        link_rel=LINK_REL,
        # A member's link points somewhere else on the web; a relative one has no business in a post.
        url_relative="deny",
        strip_comments=True,
    )
    if not linking:
        return cleaned
    assert member_url is not None
    return re.sub(
        rf'<a href="{scheme}:(\d+)" rel="[^"]*">',
        lambda found: f'<a class="mention" href="{htmllib.escape(member_url(int(found.group(1))))}">',
        cleaned,
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
