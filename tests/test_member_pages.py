"""Members' pages and their API twins: who a member is, their arguments, votes received; moderators' tools."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import AuditEntry, Block, Member, Role
from forum.services import arguments, member_page, members, moderation, publication, votes
from tests.articles import make_article
from tests.helpers import ForumClient


@pytest.fixture
def forum(app, make_user):
    """ann's arguments: two that count (voted on), one hidden, one withdrawn; bob votes and flags."""
    ids = make_article(app)
    users = {name: make_user(name, role) for name, role in
             (("ann", Role.MEMBER), ("bob", Role.MEMBER), ("moe", Role.MODERATOR), ("mod2", Role.MODERATOR),
              ("ada", Role.ADMIN))}
    with app.app_context():
        session = get_session()
        m = {name: members.ensure_member(session, str(user.id), name) for name, user in users.items()}
        block = session.get(Block, ids["block1"])
        first = arguments.post_argument(session, block, m["ann"], stance="counter", body="The first by ann.")
        second = arguments.post_argument(session, block, m["ann"], stance="support", body="The second by ann.")
        hidden = arguments.post_argument(session, block, m["ann"], stance="support", body="Buy my toll passes.")
        gone = arguments.post_argument(session, block, m["ann"], stance="counter", body="I take this back.")
        session.flush()
        votes.cast_vote(session, first.id, m["bob"], 1)
        votes.cast_vote(session, second.id, m["bob"], -1)
        votes.cast_vote(session, first.id, m["moe"], 1)
        moderation.flag(session, second.id, m["bob"], "other", "Rude about drivers.")
        moderation.hide(session, hidden.id, m["moe"], "Advertising.")
        arguments.withdraw_argument(session, gone, m["ann"])
        session.commit()
        return {**ids, **{name: member.id for name, member in m.items()}, "first": first.id, "second": second.id,
                "hidden": hidden.id, "gone": gone.id}


def signed_in(app, username: str) -> ForumClient:
    """A client of its own, signed in as `username`."""
    app.test_client_class = ForumClient
    client = app.test_client()
    response = client.submit("/login", {"username": username, "password": "a long test password"})
    assert response.status_code == 302
    return client


def reader(app, client, who: str) -> ForumClient:
    return client if who == "anonymous" else signed_in(app, who)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.mark.parametrize("who", ["anonymous", "bob", "moe"])
def test_a_members_page_shows_who_they_are_and_their_arguments_newest_first(app, client, forum, who):
    response = reader(app, client, who).get(f"/members/{forum['ann']}")
    assert response.status_code == 200
    page = text(response)
    assert "<title>ann · Members" in page
    assert "<dd>Member</dd>" in page
    assert page.index("The second by ann.") < page.index("The first by ann.")
    assert f'href="/arguments/{forum["first"]}"' in page and f'href="/blocks/{forum["block1"]}"' in page
    assert "I take this back." not in page
    moderator = who == "moe"
    assert ("Buy my toll passes." in page) == moderator
    assert f"<dt>Arguments</dt><dd>{3 if moderator else 2}</dd>" in page
    assert '<span class="up">2 up</span>, <span class="down">1 down</span>' in page
    assert ("Rude about drivers." in page) == moderator
    assert ("Remove ann" in page) == moderator


def test_unknown_members_and_leading_zeros_are_not_found(client, forum):
    for path in ("/members/999999", f"/members/0{forum['ann']}", "/api/v1/members/999999",
                 f"/api/v1/members/0{forum['ann']}", "/api/v1/members/999999/arguments"):
        assert client.get(path).status_code == 404, path


def test_the_api_answers_a_member_as_documented(client, forum, app):
    data = client.get(f"/api/v1/members/{forum['ann']}").json
    joined = data.pop("joined_at")
    assert joined.startswith("20")
    assert data == {"id": forum["ann"], "name": "ann", "role": "member", "arguments": 2, "received_up": 2,
                    "received_down": 1, "removed": False}
    moderator = signed_in(app, "moe")
    assert moderator.get(f"/api/v1/members/{forum['ann']}").json["arguments"] == 3


@pytest.mark.parametrize("who", ["anonymous", "moe"])
def test_the_api_lists_a_members_visible_arguments_newest_first(app, client, forum, who):
    data = reader(app, client, who).get(f"/api/v1/members/{forum['ann']}/arguments").json
    expected = [forum["hidden"], forum["second"], forum["first"]] if who == "moe" else [forum["second"], forum["first"]]
    assert [a["id"] for a in data["arguments"]] == expected
    assert data["next"] is None
    assert all(a["block_id"] == forum["block1"] and a["author"]["name"] == "ann" for a in data["arguments"])
    thread = client.get(f"/api/v1/blocks/{forum['block1']}/arguments").json["arguments"]
    [in_thread] = [a for a in thread if a["id"] == forum["first"]]
    [listed] = [a for a in data["arguments"] if a["id"] == forum["first"]]
    assert listed == {**in_thread, "block_id": forum["block1"]}


def test_pages_of_arguments_follow_each_other_without_gaps(client, forum):
    first = client.get(f"/api/v1/members/{forum['ann']}/arguments?limit=1").json
    assert [a["id"] for a in first["arguments"]] == [forum["second"]]
    assert first["next"] == forum["second"]
    rest = client.get(f"/api/v1/members/{forum['ann']}/arguments?limit=1&after={first['next']}").json
    assert [a["id"] for a in rest["arguments"]] == [forum["first"]] and rest["next"] is None
    assert client.get(f"/api/v1/members/{forum['ann']}/arguments?limit=0").status_code == 422
    assert client.get(f"/api/v1/members/{forum['ann']}/arguments?after=x").status_code == 422


def test_the_page_pages_on_with_older_arguments(app, client, forum, monkeypatch):
    monkeypatch.setattr(member_page, "PAGE", 1)
    page = text(client.get(f"/members/{forum['ann']}"))
    assert "The second by ann." in page and "The first by ann." not in page
    assert f'href="/members/{forum["ann"]}?after={forum["second"]}">Older arguments' in page
    older = text(client.get(f"/members/{forum['ann']}?after={forum['second']}"))
    assert "The first by ann." in older and "Older arguments" not in older


def test_an_unpublished_articles_arguments_are_left_out_for_readers(app, client, forum):
    with app.app_context():
        session = get_session()
        publication.unpublish_article(session, forum["article"], session.get(Member, forum["ada"]), "Retracted.")
        session.commit()
    assert client.get(f"/api/v1/members/{forum['ann']}").json["arguments"] == 0
    assert "No arguments to show." in text(client.get(f"/members/{forum['ann']}"))
    assert signed_in(app, "moe").get(f"/api/v1/members/{forum['ann']}").json["arguments"] == 3


def test_author_names_on_the_thread_link_to_their_pages(client, forum):
    page = text(client.get(f"/blocks/{forum['block1']}"))
    assert f'<a href="/members/{forum["ann"]}">ann</a>' in page


def audit_entries(app) -> list[AuditEntry]:
    with app.app_context():
        return list(get_session().scalars(sa.select(AuditEntry).where(AuditEntry.action == "member.remove")))


def test_a_removal_from_the_members_page_takes_back_votes_on_kept_pages(app, client, forum):
    thread = f"/blocks/{forum['block1']}"
    # Kept (and, in verify mode, checked against a fresh render) before and after.
    assert "Score 2" in text(client.get(thread)) and "Score 2" in text(client.get(thread))
    moderator = signed_in(app, "moe")
    response = moderator.submit(f"/members/{forum['bob']}/remove", {"reason": "Vote brigading."})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/members/{forum['bob']}")
    page = text(moderator.get(f"/members/{forum['bob']}"))
    assert "This member was removed" in page and "2 votes taken back" in page
    assert "Remove bob" not in page
    assert "Score 1" in text(client.get(thread))
    [entry] = audit_entries(app)
    assert (entry.actor_id, entry.target_type, entry.target_id, entry.reason) == (
        forum["moe"], "member", forum["bob"], "Vote brigading.")
    assert entry.details == {"votes": 2}
    # A removed member's page stays readable, marked, in the API too.
    assert client.get(f"/api/v1/members/{forum['bob']}").json["removed"] is True
    assert "This member was removed" in text(client.get(f"/members/{forum['bob']}"))


def test_a_removal_through_the_api_takes_back_votes_on_kept_pages(app, client, forum):
    thread, argument = f"/blocks/{forum['block1']}", f"/arguments/{forum['first']}"
    for url in (thread, argument):
        assert "Score 2" in text(client.get(url)) and "Score 2" in text(client.get(url))
    assert client.get(f"/api/v1/arguments/{forum['first']}").json["score"] == 2
    moderator = signed_in(app, "moe")
    assert moderator.api("POST", f"/api/v1/members/{forum['bob']}/remove", {"reason": "Spam."}).status_code == 200
    for url in (thread, argument):
        assert "Score 1" in text(client.get(url))
    assert client.get(f"/api/v1/arguments/{forum['first']}").json["score"] == 1


def test_a_removal_needs_a_reason_and_a_csrf_token(app, forum):
    moderator = signed_in(app, "moe")
    refused = moderator.submit(f"/members/{forum['bob']}/remove", {"reason": "  "})
    assert refused.status_code == 422
    assert 'id="remove-reason-error"' in text(refused) and "Give a reason" in text(refused)
    no_token = moderator.post(f"/members/{forum['bob']}/remove", data={"reason": "Spam."})
    assert no_token.status_code == 400
    assert audit_entries(app) == []
    with app.app_context():
        assert get_session().get(Member, forum["bob"]).removed_at is None


@pytest.mark.parametrize(("who", "target", "status"), [
    ("anonymous", "bob", 401), ("ann", "bob", 403), ("moe", "mod2", 403), ("moe", "ada", 403),
    ("moe", "moe", 403), ("ada", "ada", 403), ("ada", "mod2", 303), ("moe", "bob", 303),
])
def test_who_may_remove_whom(app, client, forum, who, target, status):
    actor = reader(app, client, who)
    response = actor.submit(f"/members/{forum[target]}/remove", {"reason": "Because."})
    assert response.status_code == status, text(response)[:500]
    assert len(audit_entries(app)) == (1 if status == 303 else 0)


def test_a_member_removed_twice_is_refused_the_second_time(app, forum):
    moderator = signed_in(app, "moe")
    assert moderator.submit(f"/members/{forum['bob']}/remove", {"reason": "Spam."}).status_code == 303
    assert moderator.submit(f"/members/{forum['bob']}/remove", {"reason": "Spam."}).status_code == 409


@pytest.mark.parametrize(("who", "target", "status"), [
    ("anonymous", "bob", 401), ("ann", "bob", 403), ("moe", "mod2", 403), ("moe", "ada", 403),
    ("moe", "moe", 403), ("ada", "ada", 403), ("ada", "mod2", 200), ("moe", "bob", 200),
])
def test_the_api_removes_members_with_the_pages_rules(app, client, forum, who, target, status):
    actor = reader(app, client, who)
    response = actor.api("POST", f"/api/v1/members/{forum[target]}/remove", {"reason": "Because."})
    assert response.status_code == status, response.json
    assert len(audit_entries(app)) == (1 if status == 200 else 0)
    if status == 200:
        votes_cast = 2 if target == "bob" else 0
        assert response.json == {"id": forum[target], "name": target, "role": response.json["role"],
                                 "removed": True, "votes_taken_back": votes_cast}
        assert client.get(f"/api/v1/members/{forum[target]}").json["removed"] is True
    else:
        assert response.json["error"]["code"] in {"not_authenticated", "forbidden"}


def test_the_api_removal_needs_a_reason_and_refuses_a_second_time(app, forum):
    moderator = signed_in(app, "moe")
    refused = moderator.api("POST", f"/api/v1/members/{forum['bob']}/remove", {"reason": " "})
    assert refused.status_code == 422 and refused.json["error"]["code"] == "invalid"
    assert audit_entries(app) == []
    removed = moderator.api("POST", f"/api/v1/members/{forum['bob']}/remove", {"reason": "Spam."})
    assert removed.status_code == 200
    again = moderator.api("POST", f"/api/v1/members/{forum['bob']}/remove", {"reason": "Spam."})
    assert again.status_code == 409 and "already removed" in again.json["error"]["message"]
    missing = moderator.api("POST", "/api/v1/members/999999/remove", {"reason": "Spam."})
    assert missing.status_code == 404
    assert len(audit_entries(app)) == 1
