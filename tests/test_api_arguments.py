"""Arguments through the API: posting with sources, replies, limits, editing, withdrawing, the tree."""

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, ArgumentVersion, Block, Role, Source
from tests.articles import make_article


@pytest.fixture
def article(app):
    return make_article(app)


@pytest.fixture
def token_for(client, make_user):
    """Make a user with a role and return a bearer token of theirs."""

    def make(name="mia", role=Role.MEMBER):
        user = make_user(name, role)
        body = {"username": user.username, "password": user.password}
        return client.post("/api/v1/tokens", json=body).json["token"]

    return make


def post(client, block_id, token, **body):
    body.setdefault("stance", "counter")
    body.setdefault("body", "The toll rose twice, not three times.")
    return client.api("POST", f"/api/v1/blocks/{block_id}/arguments", body, token=token)


def count_rows(app, model):
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(model))


def test_post_an_argument_with_sources(client, article, token_for):
    token = token_for()
    response = post(
        client, article["block1"], token,
        body="See **the minutes** and [the report](https://port.example/report).",
        sources=[
            {"url": "https://council.example/minutes", "title": "Minutes", "quote": "raised", "citation": 1},
            {"url": "http://www.archive.example/toll"},
        ],
    )
    assert response.status_code == 201
    data = response.json
    assert data["stance"] == "counter"
    assert data["author"]["name"] == "mia"
    assert "<strong>the minutes</strong>" in data["html"]
    assert 'rel="nofollow ugc noopener"' in data["html"]
    assert data["sources"] == [
        {"url": "https://council.example/minutes", "title": "Minutes", "quote": "raised",
         "citation": 1, "domain": "council.example", "accepted": False},
        {"url": "http://www.archive.example/toll", "title": None, "quote": None,
         "citation": None, "domain": "archive.example", "accepted": False},
    ]
    assert (data["score"], data["up"], data["down"], data["my_vote"]) == (0, 0, 0, 0)
    assert data["hidden"] is False and data["edited_at"] is None and data["replies"] == []


def test_markdown_is_sanitised(client, article, token_for):
    body = "<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror=alert(3)>"
    data = post(client, article["block1"], token_for(), body=body).json
    assert "<script" not in data["html"] and "href=" not in data["html"]
    assert "<img" not in data["html"] and data["body"] == body
    assert "&lt;script&gt;" in data["html"]  # shown as the text it is


def test_replies_nest_to_any_depth(client, article, token_for):
    token = token_for()
    parent = None
    ids = []
    for depth in range(6):
        response = post(client, article["block1"], token, stance="question", body=f"Level {depth}", parent_id=parent)
        assert response.status_code == 201
        parent = response.json["id"]
        ids.append(parent)
    tree = client.get(f"/api/v1/blocks/{article['block1']}/arguments").json["arguments"]
    assert len(tree) == 1
    node, seen = tree[0], []
    while node:
        seen.append(node["id"])
        node = node["replies"][0] if node["replies"] else None
    assert seen == ids


def test_a_reply_must_be_in_the_same_thread(client, article, token_for):
    token = token_for()
    other = post(client, article["block3"], token).json["id"]
    response = post(client, article["block1"], token, parent_id=other)
    assert response.status_code == 422
    assert response.json["error"]["field"] == "parent_id"


@pytest.mark.parametrize(
    "change, field, message",
    [
        ({"body": "   "}, "body", "Write the argument"),
        ({"body": "\u200b\u200c\u200d\u2060\ufeff"}, "body", "Write the argument"),
        ({"body": "\u3164 \u00ad\u2800"}, "body", "Write the argument"),
        ({"body": "&#8203;"}, "body", "Write the argument"),
        ({"body": "[](https://a.example/)"}, "body", "Write the argument"),
        ({"body": "x" * 10_001}, "body", "at most 10,000 characters"),
        ({"sources": [{"url": "https://a.example/"}] * 11}, "sources", "at most 10 sources"),
        ({"sources": [{"url": "javascript:alert(1)"}]}, "sources.0.url", "http:// or https://"),
        ({"sources": [{"url": "ftp://files.example/a"}]}, "sources.0.url", "http:// or https://"),
        ({"sources": [{"url": "https://a.example/" + "x" * 2000}]}, "sources.0.url", "2,000"),
        ({"sources": [{"url": "https://a.example/", "title": "t" * 301}]}, "sources.0.title", "300"),
        ({"sources": [{"url": "https://a.example/", "quote": "q" * 2001}]}, "sources.0.quote", "2,000"),
        ({"sources": [{"url": "https://a.example/", "citation": 3}]}, "sources.0.citation", "no footnote [3]"),
        ({"stance": "rant"}, "stance", ""),
        ({"sources": "https://a.example/"}, "sources", ""),
        ({"body": 5}, "body", "valid string"),
        ({"parent_id": "1"}, "parent_id", "valid integer"),
        ({"parent_id": True}, "parent_id", "valid integer"),
        ({"sources": [{"url": "https://a.example/", "citation": 1.0}]}, "sources.0.citation", "valid integer"),
        ({"parentid": 1, "Body": "x"}, "Body", "Unknown fields: Body, parentid."),  # sent with sorted keys
        ({"sources": [{"url": "https://a.example/", "titel": "t"}]}, "sources.0.titel", "Unknown field: sources.0.titel."),
    ],
)
def test_limits_refuse_with_a_clear_message_and_store_nothing(client, app, article, token_for, change, field, message):
    response = post(client, article["block1"], token_for(), **change)
    assert response.status_code == 422
    assert response.json["error"]["field"] == field
    assert message in response.json["error"]["message"]
    assert count_rows(app, Argument) == 0 and count_rows(app, Source) == 0


def test_exactly_at_the_limits_is_accepted(client, article, token_for):
    response = post(
        client, article["block1"], token_for(), body="x" * 10_000,
        sources=[{"url": "https://a.example/" + "x" * 1982, "title": "t" * 300, "quote": "q" * 2000}] * 10,
    )
    assert response.status_code == 201
    assert len(response.json["sources"]) == 10


@pytest.mark.parametrize("data", ["not json", "[1, 2]", '"text"'])
def test_a_body_that_is_no_json_object_is_400(client, article, token_for, data):
    response = client.post(
        f"/api/v1/blocks/{article['block1']}/arguments", data=data,
        headers={"Authorization": f"Bearer {token_for()}", "Content-Type": "application/json"},
    )
    assert response.status_code == 400
    assert response.json["error"]["code"] == "bad_request"


def test_who_may_post(client, app, article, token_for):
    assert post(client, article["block1"], None).status_code == 401
    assert post(client, article["block2"], token_for()).status_code == 404  # a heading
    assert post(client, 9999, token_for("other")).status_code == 404
    with app.app_context():
        session = get_session()
        session.get(Block, article["block1"]).locked = True
        session.commit()
    response = post(client, article["block1"], token_for("third"))
    assert response.status_code == 403 and "locked" in response.json["error"]["message"]


def test_edit_keeps_the_earlier_version(client, article, token_for):
    token = token_for()
    argument = post(client, article["block1"], token, body="First text",
                    sources=[{"url": "https://a.example/1", "citation": 2}]).json
    response = client.api("PATCH", f"/api/v1/arguments/{argument['id']}",
                          {"body": "Second text", "sources": []}, token=token)
    assert response.status_code == 200
    assert response.json["body"] == "Second text" and response.json["sources"] == []
    assert response.json["edited_at"] is not None
    versions = client.get(f"/api/v1/arguments/{argument['id']}/versions").json["entries"]
    assert [(v["number"], v["body"]) for v in versions] == [(1, "First text")]
    assert versions[0]["sources"] == [{"url": "https://a.example/1", "title": None, "quote": None, "citation": 2}]
    client.api("PATCH", f"/api/v1/arguments/{argument['id']}", {"body": "Third"}, token=token)
    versions = client.get(f"/api/v1/arguments/{argument['id']}/versions").json["entries"]
    assert [v["body"] for v in versions] == ["First text", "Second text"]


def test_an_edit_to_nothing_a_reader_would_see_is_refused(client, article, token_for):
    token = token_for()
    argument = post(client, article["block1"], token, body="First text").json["id"]
    response = client.api("PATCH", f"/api/v1/arguments/{argument}", {"body": "\u200b \ufeff"}, token=token)
    assert response.status_code == 422 and response.json["error"]["field"] == "body"
    assert client.get(f"/api/v1/arguments/{argument}/versions").json["entries"] == []


def test_who_may_edit(client, app, article, token_for):
    author = token_for()
    argument_id = post(client, article["block1"], author).json["id"]
    path = f"/api/v1/arguments/{argument_id}"
    assert client.api("PATCH", path, {"body": "x"}).status_code == 401
    assert client.api("PATCH", path, {"body": "x"}, token=token_for("bob")).status_code == 403
    moderator = token_for("moe", Role.MODERATOR)
    assert client.api("PATCH", path, {"body": "By a moderator"}, token=moderator).status_code == 422  # no reason
    assert client.api("PATCH", path, {"body": "By a moderator", "reason": "Names removed."},
                      token=moderator).status_code == 200
    assert client.api("PATCH", path, {}, token=author).status_code == 422
    assert client.api("PATCH", "/api/v1/arguments/9999", {"body": "x"}, token=author).status_code == 404
    assert count_rows(app, ArgumentVersion) == 1


def test_withdraw_keeps_the_replies(client, article, token_for):
    author, other = token_for(), token_for("bob")
    first = post(client, article["block1"], author).json["id"]
    reply = post(client, article["block1"], other, stance="support", body="Agreed", parent_id=first).json["id"]
    assert client.api("DELETE", f"/api/v1/arguments/{first}", token=other).status_code == 403
    response = client.api("DELETE", f"/api/v1/arguments/{first}", token=author)
    assert response.status_code == 200 and response.json["withdrawn"] is True
    tree = client.get(f"/api/v1/blocks/{article['block1']}/arguments").json["arguments"]
    assert tree[0]["id"] == first and tree[0]["body"] == "" and tree[0]["withdrawn"]
    assert tree[0]["replies"][0]["id"] == reply and tree[0]["replies"][0]["body"] == "Agreed"
    counts = client.get(f"/api/v1/articles/{article['article']}").json["blocks"][1]["thread"]["counts"]
    assert counts == {"counter": 0, "support": 1, "question": 0}
    edit = client.api("PATCH", f"/api/v1/arguments/{first}", {"body": "back"}, token=author)
    assert edit.status_code == 409


def test_hidden_content_is_for_moderators(client, app, article, token_for):
    member, moderator = token_for(), token_for("moe", Role.MODERATOR)
    argument_id = post(client, article["block1"], member, body="Rude words").json["id"]
    with app.app_context():
        session = get_session()
        argument = session.get(Argument, argument_id)
        argument.hidden, argument.hidden_reason = True, "abuse"
        session.commit()
    path = f"/api/v1/blocks/{article['block1']}/arguments"
    seen_by_member = client.get(path, headers={"Authorization": f"Bearer {member}"}).json["arguments"][0]
    assert seen_by_member["hidden"] and seen_by_member["body"] == "" and seen_by_member["html"] == ""
    seen_by_moderator = client.get(path, headers={"Authorization": f"Bearer {moderator}"}).json["arguments"][0]
    assert seen_by_moderator["body"] == "Rude words"


def test_sorting_and_paging(client, app, article, token_for):
    token = token_for()
    ids = [post(client, article["block1"], token, body=f"Argument {n}").json["id"] for n in range(5)]
    votes = {ids[0]: (1, 0), ids[1]: (3, 0), ids[2]: (6, 5), ids[3]: (0, 2)}
    with app.app_context():
        session = get_session()
        for argument_id, (up, down) in votes.items():
            argument = session.get(Argument, argument_id)
            argument.up, argument.down, argument.score = up, down, up - down
        session.commit()
    path = f"/api/v1/blocks/{article['block1']}/arguments"

    def order(sort, **params):
        query = "&".join(f"{k}={v}" for k, v in {"sort": sort, **params}.items())
        return [a["id"] for a in client.get(f"{path}?{query}").json["arguments"]]

    assert order("best")[:2] == [ids[1], ids[2]]  # 3 up / 0 down beats 1 up / 0 down
    assert order("best").index(ids[1]) < order("best").index(ids[0])
    assert order("new") == list(reversed(ids))
    assert order("top") == [ids[1], ids[2], ids[0], ids[4], ids[3]]  # equal scores: more up-votes first
    assert order("controversial")[0] == ids[2]
    first = client.get(f"{path}?sort=new&limit=2").json
    assert [a["id"] for a in first["arguments"]] == [ids[4], ids[3]] and first["next"] == ids[3]
    second = client.get(f"{path}?sort=new&limit=2&after={first['next']}").json
    assert [a["id"] for a in second["arguments"]] == [ids[2], ids[1]]
    last = client.get(f"{path}?sort=new&limit=2&after={second['next']}").json
    assert [a["id"] for a in last["arguments"]] == [ids[0]] and last["next"] is None
    assert client.get(f"{path}?sort=random").status_code == 422
    assert client.get(f"{path}?limit=0").status_code == 422
    assert client.get(f"{path}?after=99999").status_code == 422


def test_preview_renders_as_a_post_would(client, token_for):
    token = token_for()
    response = client.api("POST", "/api/v1/preview", {"body": "*so* <b>x</b>"}, token=token)
    assert response.status_code == 200
    assert response.json["html"] == "<p><em>so</em> &lt;b&gt;x&lt;/b&gt;</p>\n"
    assert client.api("POST", "/api/v1/preview", {"body": "x"}).status_code == 401
    assert client.api("POST", "/api/v1/preview", {"body": "x" * 10_001}, token=token).status_code == 422


def test_the_same_argument_twice_is_a_duplicate(client, app, article, token_for):
    token = token_for()
    assert post(client, article["block1"], token, body="Twice, not thrice.").status_code == 201
    again = post(client, article["block1"], token, body="Twice, not thrice.")
    assert again.status_code == 409 and again.json["error"]["field"] == "body"
    assert post(client, article["block3"], token, body="Twice, not thrice.").status_code == 201  # another thread
    assert post(client, article["block1"], token_for("bob"), body="Twice, not thrice.").status_code == 201
    app.config["FORUM_DUPLICATE_POST_WINDOW"] = 0
    assert post(client, article["block1"], token, body="Twice, not thrice.").status_code == 201
