"""Searching over HTTP on both databases: the page, the API, any query string, roles, the cache, the limit."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from forum.db import get_session
from forum.models import Member, Role
from forum.services import moderation
from forum.views import search as search_page
from tests.hostile import fuzz_settings
from tests.search_corpus import make_corpus


@pytest.fixture
def corpus(app):
    """The search corpus, imported and argued over."""
    return make_corpus(app)


def hide(app, argument_id: int) -> None:
    """Hide an argument as a moderator would."""
    with app.app_context():
        session = get_session()
        moderator = Member(user_id="hider", name="hider", role=Role.MODERATOR.value)
        session.add(moderator)
        session.flush()
        moderation.hide(session, argument_id, moderator, "off topic")
        session.commit()


def test_every_page_has_a_search_box(client, corpus):
    for path in ("/", f"/blocks/{corpus['blocks'][1]}", "/search"):
        html = client.get(path, follow_redirects=True).get_data(as_text=True)
        assert re.search(r'<form class="search-box" role="search" method="get" action="/search">', html), path


def test_search_page_lists_results_linking_to_their_anchor(client, corpus):
    response = client.get("/search?q=flamanville")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    argument, block = corpus["arguments"][8], corpus["blocks"][8]
    assert f'href="/blocks/{block}#argument-{argument}"' in html
    assert "<mark>Flamanville</mark>" in html
    assert 'value="flamanville"' in html


def test_search_page_without_a_query_shows_the_form_only(client, corpus):
    response = client.get("/search")
    assert response.status_code == 200
    assert 'class="search-results"' not in response.get_data(as_text=True)


def test_search_page_says_why_a_query_is_refused(client, corpus):
    response = client.get("/search?q=" + quote("-tax"))
    assert response.status_code == 422
    assert "Only excluded words were given" in response.get_data(as_text=True)


def test_search_page_pages_on(client, corpus, monkeypatch):
    monkeypatch.setattr(search_page, "PAGE", 10)
    html = client.get("/search?q=" + quote("energy OR rent OR tax OR emissions")).get_data(as_text=True)
    assert html.count('class="search-result"') == 10
    more = re.search(r'<a rel="next" href="([^"]+)"', html)
    assert more is not None
    rest = client.get(more.group(1).replace("&amp;", "&")).get_data(as_text=True)
    assert 0 < rest.count('class="search-result"') < 10
    assert 'rel="next"' not in rest


def test_api_answers_results_and_next(client, corpus):
    first = client.get("/api/v1/search?q=energy+OR+rent+OR+tax&limit=3")
    assert first.status_code == 200
    assert set(first.json) == {"results", "next"}
    assert set(first.json["results"][0]) == {"kind", "id", "article_id", "block_id", "title", "snippet"}
    seen = [(r["kind"], r["id"]) for r in first.json["results"]]
    after = first.json["next"]
    while after:
        page = client.get(f"/api/v1/search?q=energy+OR+rent+OR+tax&limit=3&after={after}").json
        seen += [(r["kind"], r["id"]) for r in page["results"]]
        after = page["next"]
    whole = client.get("/api/v1/search?q=energy+OR+rent+OR+tax&limit=50").json
    assert seen == [(r["kind"], r["id"]) for r in whole["results"]]
    assert len(seen) == len(set(seen)) > 3


def test_api_filters_by_kind_and_article(client, corpus):
    kinds = {r["kind"] for r in client.get("/api/v1/search?q=rent&kind=block").json["results"]}
    assert kinds == {"block"}
    nuclear = corpus["articles"][2]
    results = client.get(f"/api/v1/search?q=emissions&article={nuclear}").json["results"]
    assert results and {r["article_id"] for r in results} == {nuclear}


@pytest.mark.parametrize(
    ("query", "field"),
    [("", "q"), ("q=", "q"), ("q=the", "q"), ("q=x&kind=poem", "kind"), ("q=x&limit=0", "limit"),
     ("q=x&limit=51", "limit"), ("q=x&after=nonsense", "after"), ("q=x&article=-1", "article")],
)
def test_api_refuses_what_it_cannot_search_with_422(client, corpus, query, field):
    response = client.get(f"/api/v1/search?{query}")
    assert response.status_code == 422, response.json
    assert response.json["error"]["field"] == field


def test_hidden_arguments_are_found_by_moderators_only_and_never_cached_across_roles(
    client, corpus, make_user, login
):
    uranium = corpus["arguments"][7]
    hide(app=client.application, argument_id=uranium)
    assert "Nothing found for “uranium”" in client.get("/search?q=uranium").get_data(as_text=True)
    assert client.get("/api/v1/search?q=uranium").json["results"] == []
    login(make_user("moe", Role.MODERATOR))
    page = client.get("/search?q=uranium")
    assert f"#argument-{uranium}" in page.get_data(as_text=True)
    assert page.headers["Cache-Control"] == "private, no-store"
    assert [r["id"] for r in client.get("/api/v1/search?q=uranium").json["results"]] == [uranium]
    client.submit("/logout")
    assert f"#argument-{uranium}" not in client.get("/search?q=uranium").get_data(as_text=True)
    assert client.get("/api/v1/search?q=uranium").json["results"] == []


def test_searches_are_rate_limited(app, client, corpus):
    app.config["FORUM_RATELIMIT_SEARCH"] = "3 per minute"
    for _ in range(3):
        assert client.get("/api/v1/search?q=rent").status_code == 200
    refused = client.get("/api/v1/search?q=rent")
    assert refused.status_code == 429
    assert "searching faster" in refused.json["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0
    assert client.get("/search?q=rent").status_code == 429


@fuzz_settings(30)
@given(text=st.text(max_size=80) | st.text(alphabet='ab -"ORNT()*^:.', max_size=30))
@example(text='"unbalanced')
@example(text="a-b")
@example(text="NOT x")
@example(text="climate -tax")
@example(text="x" * 600)
@example(text="\x00")
@example(text="\ud800")
@example(text="à")  # a common word only once its accent is folded: PostgreSQL has nothing left to look for
def test_any_query_answers_200_or_422(app, client, corpus, text):
    app.config["FORUM_RATELIMIT_SEARCH"] = "1000000 per minute"  # the limit is tested above; here, the answers
    for path in ("/api/v1/search?q=", "/search?q="):
        response = client.get(path + quote(text.encode("utf-8", "surrogatepass"), safe=""))
        assert response.status_code in (200, 400, 422), (path, text, response.status_code)
        if "\x00" not in text:
            assert response.status_code in (200, 422), (path, text, response.status_code)
