"""Markdown to safe HTML: known attacks, properties over any text, images as their alt text, the length
limit, and what a reader would see as blank."""

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from forum.errors import Invalid
from forum.rendering import ALLOWED_TAGS, is_blank, render_markdown, renders_blank

PAYLOADS = [
    "<script>alert(1)</script>",
    "<SCRIPT SRC=//evil.example/x.js></SCRIPT>",
    "<img src=x onerror=alert(1)>",
    "<svg><script>alert(1)</script></svg>",
    "<svg onload=alert(1)>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\nscript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "![x](data:image/svg+xml,<svg onload=alert(1)>)",
    "<a href=x onmouseover=alert(1)>x</a>",
    "<div style=\"background:url(javascript:alert(1))\">x</div>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<details open ontoggle=alert(1)>",
    "<noscript><p title=\"</noscript><img src=x onerror=alert(1)>\">",
    "<!--><script>alert(1)</script>-->",
    "<<script>script>alert(1)<</script>/script>",
    "[x](https://ok.example \"title\" onmouseover=alert(1))",
    "<a href='https://ok.example' onclick='alert(1)'>x</a>",
    "```\n</code><script>alert(1)</script>\n```",
    "<object data=javascript:alert(1)>",
    "<embed src=javascript:alert(1)>",
    "<base href=javascript:alert(1)//>",
    "<meta http-equiv=refresh content='0;url=javascript:alert(1)'>",
    "<link rel=stylesheet href=javascript:alert(1)>",
    "[x](\x00javascript:alert(1))",
    "<a href=\"&#x6A;avascript:alert(1)\">x</a>",
]
LIMIT = 10_000  # a post's length (FORUM_MAX_BODY)
SAFE_SCHEMES = ("http://", "https://", "mailto:")
TOKENS = [*"<>\"'=/:[]()!&#;\n\t `*_", "script", "javascript", "JaVa", "onerror", "onload", "svg",
          "math", "a href", "img src", "iframe", "data", "x", "alert(1)", "&#106;", "%0a", "style"]


class Elements(HTMLParser):
    """Every element and attribute of an HTML fragment, as a browser would see them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))

    handle_startendtag = handle_starttag


def check_safe(html: str) -> None:
    """Fail unless `html` has only allowed tags, no event handlers or styles, and only safe link targets."""
    parser = Elements()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag in ALLOWED_TAGS, tag
        for name, value in attrs.items():
            assert not name.startswith("on") and name not in ("style", "src", "srcdoc", "action"), name
            if name == "href":
                assert (value or "").strip().lower().startswith(SAFE_SCHEMES), value
    assert not re.search(r"<\s*(script|svg|math|iframe|style|object|embed|form|base|meta|link)", html, re.I)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_known_attacks_render_harmless(payload):
    check_safe(render_markdown(payload, LIMIT))


def test_good_markdown_survives():
    html = render_markdown("**bold** _it_ `code` [link](https://example.org/a?b=1) <mailto:a@example.org>\n\n- item", LIMIT)
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html and "<code>code</code>" in html
    assert '<a href="https://example.org/a?b=1" rel="nofollow ugc noopener">link</a>' in html
    assert "<li>item</li>" in html


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=40).map("".join))
def test_any_mix_of_attack_pieces_renders_harmless(text):
    check_safe(render_markdown(text, LIMIT))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_any_unicode_renders_harmless(text):
    check_safe(render_markdown(text, LIMIT))


def test_an_image_keeps_its_alt_text_as_text():
    assert render_markdown("![a *chart* of tolls](https://x.example/c.png)", LIMIT) == "<p>a chart of tolls</p>\n"
    assert render_markdown("See ![<b>this</b> & that](https://x.example/c.png).", LIMIT) == (
        "<p>See &lt;b&gt;this&lt;/b&gt; &amp; that.</p>\n"
    )
    linked = render_markdown("[![logo](https://x.example/l.png)](https://x.example/)", LIMIT)
    assert linked == '<p><a href="https://x.example/" rel="nofollow ugc noopener">logo</a></p>\n'


def test_text_over_the_limit_is_refused_unrendered(monkeypatch):
    assert render_markdown("[" * 100, 100) == "<p>" + "[" * 100 + "</p>\n"
    monkeypatch.setattr("forum.rendering.markdown.render", lambda text: pytest.fail("rendered"))
    with pytest.raises(Invalid, match="101 characters; at most 100"):
        render_markdown("[" * 101, 100)


@pytest.mark.parametrize(
    "text, blank",
    [
        ("", True), (" \t\n\u00a0\u3000", True), ("\u200b\u200c\u200d\u2060\ufeff", True),
        ("\u00ad\u034f\ufe0f\U000e0041", True), ("\u3164\u115f\u1160\uffa0\u2800", True), ("\u2028\u2029", True),
        ("a", False), ("\u200b.", False), ("\u05d0", False), ("\U0001f600", False), ("\u0e01\u0e34", False),
    ],
)
def test_blank_is_what_a_reader_would_not_see(text, blank):
    assert is_blank(text) is blank


@pytest.mark.parametrize("markdown, blank", [
    ("&#8203;", True), ("[](https://a.example/)", True), ("---", True), ("![](https://a.example/i.png)", True),
    ("`\u200b`", True), ("![alt](https://a.example/i.png)", False), ("**x**", False),
])
def test_rendered_blank_is_judged_on_what_is_shown(markdown, blank):
    assert renders_blank(render_markdown(markdown, LIMIT)) is blank
