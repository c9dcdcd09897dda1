"""The admins' import page: review before publishing, publishing, refusals, and who may import."""

from __future__ import annotations

import base64
import datetime
import io
import re

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.importing import ImportRefused, ParsedArticle, ParsedBlock, Reference
from forum.models import Article, Role
from forum.services import imports

PARSED = ParsedArticle(
    title="Cycle Lanes Pay for Themselves",
    date=datetime.date(2022, 11, 28),
    blocks=[
        ParsedBlock("paragraph", "Shops on the new lanes sold more.[1]", [1]),
        ParsedBlock("heading", "The costs", []),
        ParsedBlock("caption", "Photo: the lane on Mill Road.", []),
        ParsedBlock("paragraph", "Each kilometre cost less than a roundabout.[2]", [2]),
    ],
    references={1: Reference(1, "High street footfall study", "https://footfall.example/study")},
)


@pytest.fixture
def parser(monkeypatch):
    """The parser replaced by one that returns PARSED and records what it was given."""
    calls = []

    def parse(data, format=None, *, title=None, max_bytes, filename=None, content_type=None):
        calls.append({"data": data, "format": format, "title": title, "filename": filename})
        return PARSED

    monkeypatch.setattr(imports, "parse_article", parse)
    return calls


def text(response) -> str:
    return response.get_data(as_text=True)


def count_articles(app) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(Article))


def test_the_form_takes_paste_upload_and_url(client, as_admin):
    page = text(client.get("/import"))
    assert 'enctype="multipart/form-data"' in page
    for control in ('<textarea id="text" name="text"', '<input type="file" id="file" name="file"',
                    '<input type="url" id="url" name="url"', '<select id="format" name="format">',
                    '<input type="text" id="title" name="title"'):
        assert control in page
    assert '<option value="markdown">Markdown</option>' in page
    assert '<a href="/import">Import</a>' in page


def test_review_shows_kinds_and_slots_without_storing(client, app, as_admin, parser):
    response = client.submit("/import", {"text": "My article", "format": "markdown", "title": "", "action": "review"})
    assert response.status_code == 200
    page = text(response)
    review = page[page.index('id="review-title"'):]
    assert "Cycle Lanes Pay for Themselves" in review and "28 November 2022" in review
    assert re.search(r'kind-paragraph">\s*<span class="badge kind">paragraph</span>\s*'
                     r'<span class="slots">footnotes \[1\]</span>', review)
    assert '<span class="badge kind">heading</span>' in review and '<span class="badge kind">caption</span>' in review
    assert "footnotes [2]" in review
    assert "High street footfall study" in review and "https://footfall.example/study" in review
    assert "4 (3 threads, 1 heading)" in review
    assert '<button type="submit" name="action" value="publish">Publish</button>' in page
    assert "My article</textarea>" in page and '<option value="markdown" selected>' in page
    assert parser == [{"data": b"My article", "format": "markdown", "title": None, "filename": None}]
    assert count_articles(app) == 0


def test_publish_stores_and_redirects_to_the_article(client, app, as_admin, parser):
    response = client.submit("/import", {"text": "My article", "format": "", "title": "Own title", "action": "publish"})
    assert response.status_code == 303
    assert re.fullmatch(r"/articles/\d+/cycle-lanes-pay-for-themselves", response.headers["Location"])
    assert parser[0]["title"] == "Own title" and parser[0]["format"] is None
    page = text(client.get(response.headers["Location"]))
    assert "Cycle Lanes Pay for Themselves</h1>" in page and "The costs</h2>" in page
    assert count_articles(app) == 1


def test_an_upload_is_kept_for_publishing(client, app, as_admin, parser):
    upload = {"file": (io.BytesIO("Über Radwege\n\nText.".encode()), "lanes.txt"), "action": "review"}
    page = text(client.submit("/import", upload, content_type="multipart/form-data"))
    kept = re.search(r'name="upload" value="([^"]+)"', page).group(1)
    assert base64.b64decode(kept).decode() == "Über Radwege\n\nText."
    assert "lanes.txt" in page
    response = client.submit("/import", {"upload": kept, "upload_name": "lanes.txt", "action": "publish"},
                             content_type="multipart/form-data")
    assert response.status_code == 303
    assert parser[-1]["data"] == "Über Radwege\n\nText.".encode() and parser[-1]["filename"] == "lanes.txt"
    assert count_articles(app) == 1


def test_a_refusal_is_shown_on_the_form(client, app, as_admin, monkeypatch):
    def refuse(*args, **kwargs):
        raise ImportRefused("The file is not UTF-8 text.")

    monkeypatch.setattr(imports, "parse_article", refuse)
    for action in ("review", "publish"):
        response = client.submit("/import", {"text": "\x00\x01", "action": action})
        assert response.status_code == 422
        assert '<p class="error" id="source-error">The file is not UTF-8 text.</p>' in text(response)
        assert '<a href="#text">The article: The file is not UTF-8 text.</a>' in text(response)
        assert 'aria-describedby="source-error"' in text(response)
    assert count_articles(app) == 0


@pytest.mark.parametrize("fields", [{}, {"text": "Some text", "url": "https://news.example/a"}])
def test_exactly_one_input_is_asked_for(client, app, as_admin, parser, fields):
    response = client.submit("/import", {**fields, "action": "review"})
    assert response.status_code == 422
    assert "paste its text, upload a file, or give its URL" in text(response)
    assert 'id="text-error"' in text(response) and parser == []


def test_members_may_not_import(client, app, as_member, parser):
    assert client.get("/import").status_code == 403
    assert client.submit("/import", {"text": "x", "action": "publish"}).status_code == 403
    assert '<a href="/import">' not in text(client.get("/"))
    assert count_articles(app) == 0


def test_moderators_may_not_import(client, as_moderator):
    assert client.get("/import").status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/import")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/import"


def test_an_admin_signs_in_and_comes_back(client, make_user):
    user = make_user("ada", Role.ADMIN)
    response = client.submit("/login?next=/import", {"username": user.username, "password": user.password,
                                                      "next": "/import"})
    assert response.headers["Location"] == "/import"
    assert "<h1>Import an article</h1>" in text(client.get("/import"))
