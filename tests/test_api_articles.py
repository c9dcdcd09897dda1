"""The articles API: the list, one article with its threads and citation slots, and importing."""

import pytest

from forum.models import Role
from tests.articles import make_article


@pytest.fixture
def article(app):
    return make_article(app)


def test_article_blocks_and_threads(client, article):
    response = client.get(f"/api/v1/articles/{article['article']}")
    assert response.status_code == 200
    data = response.json
    assert data["title"] == "The Harbour Bridge Toll Is a Tax on the Poor"
    assert data["date"] == "2023-03-14"
    kinds = [block["kind"] for block in data["blocks"]]
    assert kinds == ["caption", "paragraph", "heading", "paragraph", "quote", "list"]
    assert [b["position"] for b in data["blocks"]] == list(range(6))
    heading = data["blocks"][2]
    assert heading["thread"] is None
    assert data["blocks"][3]["section"] == "Who pays"
    assert data["blocks"][1]["section"] is None
    assert data["blocks"][1]["citations"] == [1, 2]
    assert data["blocks"][3]["citations"] == [2, 3]
    thread = data["blocks"][1]["thread"]
    assert thread == {
        "counts": {"counter": 0, "support": 0, "question": 0},
        "arguments": 0,
        "sources": 0,
        "open_citations": 1,
        "consensus": {"status": "open", "note": "", "note_html": "", "version": 0, "key_arguments": [],
                      "set_by": None, "set_at": None, "needs_review": False},
        "locked": False,
        "lock_reason": None,
    }
    slots = {slot["number"]: slot for slot in data["citations"]}
    assert slots[1]["url"] == "https://council.example/minutes" and not slots[1]["open"]
    assert slots[2]["reference"] is None and slots[2]["open"]
    assert slots[3]["reference"] == "Transport survey 2022" and slots[3]["open"]


def test_a_cited_number_is_one_slot_shown_on_each_block(client, article):
    data = client.get(f"/api/v1/articles/{article['article']}").json
    assert [slot["number"] for slot in data["citations"]] == [1, 2, 3]


def test_a_members_source_proposes_a_source_for_the_slot_on_every_block(client, article, make_user):
    token = member_token(client, make_user)
    posted = client.api(
        "POST",
        f"/api/v1/blocks/{article['block1']}/arguments",
        {"stance": "support", "body": "The minutes say so.",
         "sources": [{"url": "https://news.example/toll", "citation": 2}]},
        token=token,
    )
    assert posted.status_code == 201
    data = client.get(f"/api/v1/articles/{article['article']}").json
    slot = next(s for s in data["citations"] if s["number"] == 2)
    # Until a moderator accepts it, the proposal is listed under the slot, which stays open.
    assert [p["url"] for p in slot["proposals"]] == ["https://news.example/toll"]
    assert slot["open"] and slot["accepted"] is None and slot["url"] is None
    assert data["blocks"][1]["thread"]["open_citations"] == 1
    assert data["blocks"][3]["thread"]["open_citations"] == 2
    assert data["blocks"][1]["thread"]["counts"]["support"] == 1
    assert data["blocks"][1]["thread"]["sources"] == 1


def test_article_list_summarises(client, article, make_user):
    token = member_token(client, make_user)
    client.api("POST", f"/api/v1/blocks/{article['block3']}/arguments",
               {"stance": "question", "body": "Which survey?"}, token=token)
    data = client.get("/api/v1/articles").json
    assert data["articles"] == [
        {
            "id": article["article"],
            "title": "The Harbour Bridge Toll Is a Tax on the Poor",
            "slug": "the-harbour-bridge-toll-is-a-tax-on-the-poor",
            "date": "2023-03-14",
            "source_url": None,
            "created_at": data["articles"][0]["created_at"],
            "threads": 5,
            "arguments": 1,
            "open_citations": 2,
        }
    ]


@pytest.mark.parametrize("path", ["/api/v1/articles/999", "/api/v1/articles/abc"])
def test_unknown_article_is_404_json(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"


def member_token(client, make_user, name="mia", role=Role.MEMBER):
    user = make_user(name, role)
    return client.post("/api/v1/tokens", json={"username": user.username, "password": user.password}).json["token"]


@pytest.mark.parametrize(
    "role, status", [(None, 401), (Role.MEMBER, 403), (Role.MODERATOR, 403), (Role.ADMIN, 201)]
)
def test_only_admins_import(client, make_user, role, status):
    token = member_token(client, make_user, role=role) if role else None
    response = client.api(
        "POST", "/api/v1/articles",
        {"text": "A title\n\nA paragraph of the article.\n", "format": "text"}, token=token,
    )
    assert response.status_code == status, response.json
    if status == 201:
        assert response.json["title"] == "A title"
        assert [b["kind"] for b in response.json["blocks"]] == ["paragraph"]
        assert client.get("/api/v1/articles").json["articles"][0]["id"] == response.json["id"]
    else:
        assert client.get("/api/v1/articles").json["articles"] == []


@pytest.mark.parametrize(
    "body, status",
    [
        ({"format": "text"}, 422),
        ({"text": "T\n\nx", "url": "https://example.org/", "format": "text"}, 422),
        ({"text": "", "format": "text"}, 422),
        ({"text": "   \n\n  ", "format": "text"}, 422),
        ({"text": "Title", "format": "pdf"}, 422),
        ({"text": 5}, 422),
    ],
)
def test_bad_imports_leave_nothing(client, make_user, body, status):
    token = member_token(client, make_user, role=Role.ADMIN)
    response = client.api("POST", "/api/v1/articles", body, token=token)
    assert response.status_code == status
    assert response.json["error"]["message"]
    assert client.get("/api/v1/articles").json["articles"] == []


@pytest.mark.parametrize("path", ["/api/v1/articles/9223372036854775808", "/api/v1/articles/0",
                                  "/api/v1/blocks/99999999999/arguments", "/api/v1/articles/-1"])
def test_ids_no_table_can_hold_are_404(client, path):
    response = client.get(path)
    assert response.status_code == 404 and response.json["error"]["code"] == "not_found"


def test_a_page_with_an_impossible_id_is_404(client):
    assert client.get("/articles/9223372036854775808").status_code == 404
    assert client.get("/blocks/99999999999").status_code == 404


@pytest.mark.parametrize("limit", [1, 2])
def test_the_article_list_pages_on_with_next(app, client, limit):
    import dataclasses

    from tests.articles import SAMPLE, make_article

    made = [make_article(app, dataclasses.replace(SAMPLE, title=f"Toll {n}"))["article"] for n in range(3)]
    seen, after = [], None
    while True:
        query = f"?limit={limit}" + (f"&after={after}" if after else "")
        body = client.get(f"/api/v1/articles{query}").json
        assert len(body["articles"]) <= limit
        seen += [a["id"] for a in body["articles"]]
        after = body["next"]
        if after is None:
            break
    assert seen == list(reversed(made))  # newest first, each once


def test_an_article_list_cursor_naming_no_article_is_refused(client):
    response = client.get("/api/v1/articles?after=999")
    assert response.status_code == 422
    assert response.json["error"]["field"] == "after"
