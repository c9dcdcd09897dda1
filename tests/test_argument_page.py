"""An argument's own page and its API twin: the chain it answers, its replies, its paragraph, who sees what."""

from __future__ import annotations

import pytest

from forum.db import get_session
from forum.models import Block, Role
from forum.services import arguments, members, moderation, publication
from tests.articles import make_article
from tests.helpers import ForumClient


@pytest.fixture
def debate(app, make_user):
    """A thread with a chain of three arguments, a hidden one and a withdrawn one."""
    ids = make_article(app)
    ann, bob = make_user("ann"), make_user("bob")
    moe = make_user("moe", Role.MODERATOR)
    with app.app_context():
        session = get_session()
        block = session.get(Block, ids["block1"])
        a = members.ensure_member(session, str(ann.id), "ann")
        b = members.ensure_member(session, str(bob.id), "bob")
        m = members.ensure_member(session, str(moe.id), "moe")
        root = arguments.post_argument(session, block, a, stance="counter", body="Only two rises, say the minutes.")
        session.flush()
        reply = arguments.post_argument(session, block, b, stance="support", body="Agreed, two.", parent_id=root.id)
        session.flush()
        answer = arguments.post_argument(session, block, a, stance="question", body="Which year?", parent_id=reply.id)
        hidden = arguments.post_argument(session, block, b, stance="support", body="Buy cheap tolls at my shop.")
        gone = arguments.post_argument(session, block, a, stance="counter", body="I take this back.")
        session.flush()
        moderation.hide(session, hidden.id, m, "Advertising.")
        arguments.withdraw_argument(session, gone, a)
        session.commit()
        return {**ids, "root": root.id, "reply": reply.id, "answer": answer.id, "hidden": hidden.id,
                "gone": gone.id, "ann": a.id, "bob": b.id, "moe": m.id}


def signed_in(app, username: str) -> ForumClient:
    """A client of its own, signed in as `username`."""
    app.test_client_class = ForumClient
    client = app.test_client()
    response = client.submit("/login", {"username": username, "password": "a long test password"})
    assert response.status_code == 302
    return client


def text(response) -> str:
    return response.get_data(as_text=True)


def test_an_argument_page_shows_its_chain_itself_its_replies_and_its_paragraph(client, debate):
    response = client.get(f"/arguments/{debate['reply']}")
    assert response.status_code == 200
    page = text(response)
    assert "<title>Reply by bob: Agreed, two." in page
    assert "The council raised the toll" in page
    assert f'href="/blocks/{debate["block1"]}#argument-{debate["reply"]}"' in page
    chain = page[page.index('class="argument-chain"'):page.index('class="argument-focus"')]
    assert f'href="/arguments/{debate["root"]}"' in chain and "Only two rises, say the minutes." in chain
    focus = page[page.index('class="argument-focus"'):]
    assert "Agreed, two." in focus and "Which year?" in focus
    assert f'id="argument-{debate["answer"]}"' in focus
    assert f'href="/members/{debate["bob"]}"' in page
    # Its siblings in the thread are not part of its page.
    assert "I take this back." not in page and "Buy cheap tolls" not in page


def test_a_top_level_argument_has_no_chain(client, debate):
    page = text(client.get(f"/arguments/{debate['root']}"))
    assert 'class="argument-chain"' not in page
    assert "<title>Counterargument by ann" in page


@pytest.mark.parametrize("path", ["/arguments/999999", "/arguments/0{root}", "/arguments/x", "/api/v1/arguments/999999",
                                  "/api/v1/arguments/0{root}"])
def test_unknown_arguments_and_leading_zeros_are_not_found(client, debate, path):
    assert client.get(path.format(root=debate["root"])).status_code == 404


def test_the_thread_page_links_each_argument_to_its_own_page(client, debate):
    page = text(client.get(f"/blocks/{debate['block1']}"))
    assert f'<a class="permalink" href="/arguments/{debate["reply"]}">' in page
    assert f'href="/members/{debate["ann"]}">ann</a>' in page


@pytest.mark.parametrize("who", ["anonymous", "ann", "moe"])
def test_hidden_and_withdrawn_arguments_show_as_on_the_thread_page(app, client, debate, who):
    reader = client if who == "anonymous" else signed_in(app, who)
    hidden = text(reader.get(f"/arguments/{debate['hidden']}"))
    gone = text(reader.get(f"/arguments/{debate['gone']}"))
    assert "Hidden by a moderator: Advertising." in hidden
    assert "Withdrawn by its author." in gone
    if who == "moe":
        assert "Buy cheap tolls at my shop." in hidden and "I take this back." in gone
    else:
        assert "Buy cheap tolls at my shop." not in hidden and "I take this back." not in gone
    thread = text(reader.get(f"/blocks/{debate['block1']}"))
    assert ("Buy cheap tolls at my shop." in thread) == (who == "moe")


def test_an_unpublished_articles_arguments_are_gone_except_to_moderators(app, client, debate):
    with app.app_context():
        session = get_session()
        admin = members.ensure_member(session, "admin-1", "ada")
        admin.role = Role.ADMIN.value
        publication.unpublish_article(session, debate["article"], admin, "Withdrawn by the paper.")
        session.commit()
    assert client.get(f"/arguments/{debate['root']}").status_code == 410
    assert client.get(f"/api/v1/arguments/{debate['root']}").status_code == 410
    moderator = signed_in(app, "moe")
    assert moderator.get(f"/arguments/{debate['root']}").status_code == 200
    assert moderator.get(f"/api/v1/arguments/{debate['root']}").status_code == 200


def test_the_api_answers_the_argument_with_its_thread_parent_and_replies(client, debate):
    response = client.get(f"/api/v1/arguments/{debate['reply']}")
    assert response.status_code == 200
    data = response.json
    thread = client.get(f"/api/v1/blocks/{debate['block1']}/arguments").json["arguments"]
    [root] = [a for a in thread if a["id"] == debate["root"]]
    [in_thread] = root["replies"]
    # The argument as the thread's tree presents it, with its thread's id beside.
    assert data == {**in_thread, "block_id": debate["block1"]}
    assert data["parent_id"] == debate["root"]
    assert [r["id"] for r in data["replies"]] == [debate["answer"]]
    assert data["author"] == {"id": debate["bob"], "name": "bob"}


@pytest.mark.parametrize("who", ["anonymous", "moe"])
def test_the_api_conceals_a_hidden_argument_from_all_but_moderators(app, client, debate, who):
    reader = client if who == "anonymous" else signed_in(app, who)
    data = reader.get(f"/api/v1/arguments/{debate['hidden']}").json
    assert data["hidden"] is True and data["hidden_reason"] == "Advertising."
    assert data["body"] == ("Buy cheap tolls at my shop." if who == "moe" else "")
