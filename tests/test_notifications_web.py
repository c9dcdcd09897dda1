"""Notifications on the site and in the API: the bell in cached pages, the notifications page, watching, the API."""

from __future__ import annotations

import re

import pytest

from forum.models import Role
from tests.articles import make_article
from tests.helpers import ForumClient

BELL = re.compile(r'class="bell-count" data-unread="(\d+)"')


@pytest.fixture
def forum(app, make_user):
    """An article, and two members each with a browser: mia (whose argument is answered) and bob."""
    ids = make_article(app)
    app.test_client_class = ForumClient
    people = {}
    for name in ("mia", "bob"):
        user = make_user(name)
        browser = app.test_client()
        assert browser.submit("/login", {"username": name, "password": user.password}).status_code == 302
        people[name] = browser
    return {"ids": ids, "block": ids["block1"], **people}


def post(browser, block: int, body: str, parent: int | None = None) -> dict:
    """Post an argument through the API on the browser's session."""
    response = browser.api("POST", f"/api/v1/blocks/{block}/arguments",
                           json={"stance": "counter", "body": body, **({"parent_id": parent} if parent else {})})
    assert response.status_code == 201, response.json
    return response.json


def bell(browser, url: str) -> int:
    """The unread count a page shows its viewer."""
    response = browser.get(url)
    assert response.status_code == 200
    return int(BELL.search(response.get_data(as_text=True)).group(1))


def token_of(app, name: str) -> str:
    """A fresh API token of the account `name`."""
    client = app.test_client()
    return client.post("/api/v1/tokens", json={"username": name, "password": "a long test password"}).json["token"]


def test_a_reply_rings_the_authors_bell_at_once_in_the_cached_page_and_nobody_elses(forum):
    thread = f"/blocks/{forum['block']}"
    mine = post(forum["mia"], forum["block"], "Twice, not thrice.")
    assert bell(forum["mia"], thread) == 0 and bell(forum["mia"], thread) == 0  # kept, then served kept

    post(forum["bob"], forum["block"], "The report counts three times.", parent=mine["id"])

    assert bell(forum["mia"], thread) == 1
    assert bell(forum["mia"], thread) == 1  # her kept copy, checked against a fresh rendering
    assert bell(forum["bob"], thread) == 0  # bob's own copy of the same page
    assert bell(forum["mia"], "/") == 1 and bell(forum["mia"], f"/members/{mine['author']['id']}") == 1

    page = forum["mia"].get("/notifications").get_data(as_text=True)
    assert "The report counts three times." in page and "bob" in page
    forum["mia"].submit("/notifications/read", {"all": "1"})

    assert bell(forum["mia"], thread) == 0


def test_a_readers_page_has_no_bell(app, forum):
    mine = post(forum["mia"], forum["block"], "Twice, not thrice.")
    post(forum["bob"], forum["block"], "Thrice.", parent=mine["id"])
    reader = app.test_client()

    page = reader.get(f"/blocks/{forum['block']}").get_data(as_text=True)
    assert "bell-count" not in page


def test_the_notifications_page_asks_a_reader_to_sign_in(app):
    response = app.test_client().get("/notifications")

    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_opening_a_notification_marks_it_read_and_goes_to_the_argument(forum):
    mine = post(forum["mia"], forum["block"], "Twice, not thrice.")
    theirs = post(forum["bob"], forum["block"], "Thrice.", parent=mine["id"])
    [line] = forum["mia"].get("/api/v1/notifications").json["notifications"]

    response = forum["mia"].submit("/notifications/read", {"id": str(line["id"]), "next": f"/arguments/{theirs['id']}"})
    assert response.status_code == 303 and response.headers["Location"].endswith(f"/arguments/{theirs['id']}")
    assert forum["mia"].get("/api/v1/notifications").json["unread"] == 0

    for away in ("//evil.example/", "/\t/evil.example/", "/\\evil.example/", "https://evil.example/"):
        elsewhere = forum["mia"].submit("/notifications/read", {"all": "1", "next": away})
        assert elsewhere.headers["Location"].endswith("/notifications"), away


def test_the_api_lists_marks_read_and_counts(app, forum):
    mine = post(forum["mia"], forum["block"], "Twice, not thrice.")
    for n in range(3):
        post(forum["bob"], forum["block"], f"Reply {n} with @mia in it.", parent=mine["id"])
    token = token_of(app, "mia")
    client = app.test_client()

    listed = client.get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}).json
    [line] = listed["notifications"]
    assert listed["unread"] == 1 and listed["next"] is None
    assert {k: line[k] for k in ("kind", "count", "read", "block_id", "argument_id", "text")} == {
        "kind": "reply", "count": 3, "read": False, "block_id": forum["block"], "argument_id": mine["id"] + 3,
        "text": "Reply 2 with @mia in it.",
    }
    assert line["actor"]["name"] == "bob" and set(line) >= {"id", "created_at", "actor"}

    read = client.post("/api/v1/notifications/read", json={"ids": [line["id"]]},
                       headers={"Authorization": f"Bearer {token}"})
    assert read.status_code == 200 and read.json == {"marked": 1, "unread": 0}
    again = client.post("/api/v1/notifications/read", json={"all": True}, headers={"Authorization": f"Bearer {token}"})
    assert again.json == {"marked": 0, "unread": 0}


@pytest.mark.parametrize("body", [{}, {"ids": []}, {"ids": [1], "all": True}, {"all": False}, {"ids": ["1"]},
                                  {"ids": [-1]}, {"ids": list(range(1, 502))}, {"all": "yes"}, {"every": True}])
def test_marking_read_refuses_a_body_that_says_neither(app, forum, body):
    response = forum["mia"].api("POST", "/api/v1/notifications/read", json=body)

    assert response.status_code == 422 and "error" in response.json


def test_the_api_wants_a_member(app):
    client = app.test_client()

    assert client.get("/api/v1/notifications").status_code == 401
    assert client.put("/api/v1/blocks/1/watch", json={"level": "muted"}).status_code in (400, 401)


def test_watching_a_thread_and_an_article_in_the_api_and_from_their_pages(app, forum):
    block, article = forum["block"], forum["ids"]["article"]
    mia = forum["mia"]

    response = mia.api("PUT", f"/api/v1/blocks/{block}/watch", json={"level": "watching"})
    assert response.status_code == 200
    assert response.json == {"block_id": block, "level": "watching", "effective": "watching"}
    assert mia.api("PUT", f"/api/v1/articles/{article}/watch", json={"level": "muted"}).json == {
        "article_id": article, "level": "muted"}
    # Muting the article cleared the thread's own level: the article's counts now.
    assert 'value="muted" class="watch-muted" aria-pressed="true"' in mia.get(f"/blocks/{block}").get_data(as_text=True)

    assert mia.api("PUT", f"/api/v1/blocks/{block}/watch", json={"level": "loud"}).status_code == 422
    assert mia.api("PUT", f"/api/v1/blocks/{forum['ids']['block2']}/watch", json={"level": "muted"}).status_code == 404
    assert mia.api("PUT", "/api/v1/articles/999/watch", json={"level": "muted"}).status_code == 404

    page = mia.submit(f"/blocks/{block}/watch", {"level": "watching"}, follow_redirects=True)
    assert "You are watching this thread" in page.get_data(as_text=True)
    assert 'value="watching" class="watch-watching" aria-pressed="true"' in mia.get(f"/blocks/{block}").get_data(as_text=True)
    assert mia.submit(f"/blocks/{block}/watch", {"level": "nonsense"}).status_code == 422


def test_a_removed_member_reads_their_notifications_and_writes_nothing(app, forum, make_user, login):
    mine = post(forum["mia"], forum["block"], "Twice, not thrice.")
    post(forum["bob"], forum["block"], "Thrice.", parent=mine["id"])
    token = token_of(app, "mia")
    moderator = app.test_client()
    make_user("moe", Role.MODERATOR)
    moderator.submit("/login", {"username": "moe", "password": "a long test password"})
    assert moderator.submit(f"/members/{mine['author']['id']}/remove", {"reason": "Spam."}).status_code == 303

    mia = forum["mia"]
    assert mia.get("/api/v1/notifications").json["unread"] == 1
    assert mia.get("/notifications").status_code == 200
    assert mia.api("POST", "/api/v1/notifications/read", json={"all": True}).status_code == 403
    assert mia.api("PUT", f"/api/v1/blocks/{forum['block']}/watch", json={"level": "muted"}).status_code == 403
    assert mia.submit("/notifications/read", {"all": "1"}).status_code == 403
    # Removal revoked her tokens.
    assert app.test_client().get("/api/v1/notifications", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_a_mention_links_the_members_page_in_the_api_and_the_preview(app, forum):
    mia_id = post(forum["mia"], forum["block"], "Mine.")["author"]["id"]
    posted = post(forum["bob"], forum["block"], "As @mia and @nobody said.")

    assert f'<a class="mention" href="/members/{mia_id}">@mia</a>' in posted["html"]
    assert "@nobody" in posted["html"]
    preview = forum["bob"].api("POST", "/api/v1/preview", json={"body": "Hello @mia"}).json["html"]
    assert f'href="/members/{mia_id}"' in preview
    [line] = forum["mia"].get("/api/v1/notifications").json["notifications"]
    assert line["kind"] == "mention"
