"""Hostile imports: refused with the reason on every way in, or stored and shown; so is a bad value stored earlier."""

from __future__ import annotations

import pytest

from forum.importing import ParsedArticle, ParsedBlock, Reference
from forum.models import Article, CitationSlot, Role
from tests.articles import make_article, plant

BAD_FOOTNOTE = "# Bad Links\n\nA claim.[^1]\n\n[^1]: See http://[oops/ for more.\n"
LONG_LINK = "http://127.0.0.1/" + "x" * 2000  # never fetched: refused for its length first
LONG_FOOTNOTE = f"# Long Links\n\nA claim.[^1]\n\n[^1]: See {LONG_LINK} for more.\n"
DIGITS = "[" + "4" * 4400 + "]"
ODD_NUMBERS = """<h1>Odd Numbers</h1><p>A claim.[1] Another.[3]</p>
<h2>References</h2>
<ol start="²"><li>First source https://one.example/</li><li value="³">Third source https://three.example/</li></ol>
"""


def admin_token(client, make_user) -> str:
    user = make_user("ada", Role.ADMIN)
    return client.post("/api/v1/tokens", json={"username": user.username, "password": user.password}).json["token"]


def articles(client) -> list:
    return client.get("/api/v1/articles").json["articles"]


# --- refused on every way in --------------------------------------------------------------------

REFUSED = [
    pytest.param(
        {"text": BAD_FOOTNOTE},
        "The link of reference [1], http://[oops/, is not a valid web address; correct it or remove it, "
        "and import the article again.",
        id="footnote-url-not-valid",
    ),
    pytest.param(
        {"text": LONG_FOOTNOTE},
        f"The link of reference [1], {LONG_LINK[:200]}, is longer than 2,000 characters; correct it or remove it, "
        "and import the article again.",
        id="footnote-url-too-long",
    ),
    pytest.param(
        {"text": "A title\n\nA paragraph.", "title": "Nul\x00"},
        "The title holds a NUL character or half of a surrogate pair, which is not text.",
        id="nul-in-title",
    ),
]


@pytest.mark.parametrize(("body", "message"), REFUSED)
def test_the_api_refuses_what_no_page_could_show(client, make_user, body, message):
    response = client.api("POST", "/api/v1/articles", body, token=admin_token(client, make_user))
    assert response.status_code == 422
    assert response.json["error"]["message"] == message
    assert articles(client) == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"url": "http://[oops/"}, "The address http://[oops/ is not a valid web address."),
        ({"url": LONG_LINK}, f"The address {LONG_LINK[:200]}… is longer than 2,000 characters."),
    ],
    ids=["url-not-valid", "url-too-long"],
)
def test_the_api_refuses_a_bad_address_or_text(client, make_user, body, message):
    response = client.api("POST", "/api/v1/articles", body, token=admin_token(client, make_user))
    assert response.status_code == 422
    assert response.json["error"]["message"].startswith(message)
    assert articles(client) == []


def test_the_api_refuses_text_with_half_a_surrogate_pair(client, make_user):
    body = {"text": "A title\n\nHalf a pair: \ud800."}
    response = client.api("POST", "/api/v1/articles", body, token=admin_token(client, make_user))
    assert response.status_code == 400
    assert "surrogate" in response.json["error"]["message"]
    assert articles(client) == []


@pytest.mark.parametrize(("body", "message"), REFUSED)
def test_the_import_page_refuses_what_no_page_could_show(client, as_admin, body, message):
    for action in ("review", "publish"):
        response = client.submit("/import", {**body, "action": action})
        assert response.status_code == 422
        assert message.replace("&", "&amp;") in response.get_data(as_text=True)
    assert articles(client) == []


@pytest.mark.parametrize(("body", "message"), REFUSED[:2])
def test_the_command_refuses_what_no_page_could_show(runner, client, tmp_path, body, message):
    path = tmp_path / "article.md"
    path.write_text(body["text"])
    result = runner.invoke(args=["forum", "import", str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert result.stderr == f"Error: {message}\n"
    assert articles(client) == []


# --- stored and shown ---------------------------------------------------------------------------


def test_a_bracketed_number_of_4400_digits_is_text(client, make_user):
    body = {"text": f"A title\n\nA claim {DIGITS} made.[1]\n", "format": "text"}
    response = client.api("POST", "/api/v1/articles", body, token=admin_token(client, make_user))
    assert response.status_code == 201
    article = response.json
    page = client.get(f"/articles/{article['id']}", follow_redirects=True)
    assert page.status_code == 200 and DIGITS in page.get_data(as_text=True)
    thread = client.get(f"/blocks/{article['blocks'][0]['id']}")
    assert thread.status_code == 200 and DIGITS in thread.get_data(as_text=True)


def test_list_numbers_that_are_no_ascii_digits_are_ignored(runner, client, as_admin, tmp_path):
    review = client.submit("/import", {"text": ODD_NUMBERS, "format": "html", "action": "review"})
    assert review.status_code == 200
    assert "First source" in review.get_data(as_text=True)
    path = tmp_path / "odd.html"
    path.write_text(ODD_NUMBERS)
    result = runner.invoke(args=["forum", "import", str(path), "--json"])
    assert result.exit_code == 0, result.output
    slots = client.get(f"/api/v1/articles/{articles(client)[0]['id']}").json["citations"]
    # `start="²"` is no number, so the list counts from 1; `value="³"` neither, so the second item is 2.
    assert [(s["number"], s["url"]) for s in slots] == [
        (1, "https://one.example/"), (2, "https://three.example/"), (3, None),
    ]


# --- a bad value stored before these checks -----------------------------------------------------


@pytest.mark.parametrize("value", ["http://[oops/", "http://example.org:99999/", "https://exa\x01mple.org/"])
def test_a_stored_bad_address_is_shown_as_text(app, client, value):
    ids = make_article(app, ParsedArticle(
        title="Stored Before",
        date=None,
        blocks=[ParsedBlock("paragraph", "A claim.[1]", [1])],
        references={1: Reference(1, "A source", "https://fine.example/")},
    ))
    plant(app, CitationSlot.url, value)
    plant(app, Article.source_url, value)
    page = client.get(f"/articles/{ids['article']}", follow_redirects=True)
    assert page.status_code == 200
    assert f'href="{value}"' not in page.get_data(as_text=True)
    assert client.get(f"/blocks/{ids['block0']}").status_code == 200
    assert client.get(f"/api/v1/articles/{ids['article']}").status_code == 200
