"""Citation slots: a member's source only proposes one; a moderator's acceptance fills an open slot.

A proposal never replaces the article's own reference text or URL, and is listed under its slot on the
article page and the thread page, with an Accept button (a plain form) for moderators.
"""

from __future__ import annotations

import lxml.html
import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import AuditEntry, Block, Role
from forum.services import arguments, members, moderation
from forum.services.arguments import SourceInput
from tests.articles import make_article


@pytest.fixture
def world(app, make_user):
    """The sample article ([1] has the article's URL, [2] nothing, [3] reference text only) and proposals.

    rita proposes https://toll.example/rise for [2] from the first paragraph and, misguided,
    https://unrelated.example/ for [1]; sam proposes https://survey.example/ for [3].
    """
    ids = make_article(app)
    people = {name: make_user(name) for name in ("rita", "sam")}
    people["moe"] = make_user("moe", Role.MODERATOR)
    with app.app_context():
        session = get_session()

        def argue(name, block, *sources):
            member = members.ensure_member(session, str(people[name].id), name)
            argument = arguments.post_argument(session, session.get(Block, ids[block]), member, stance="support",
                                               body=f"Sourced by {name}.", sources=list(sources))
            session.flush()
            return argument

        first = argue("rita", "block1", SourceInput("https://toll.example/rise", "Toll rises", citation=2),
                      SourceInput("https://unrelated.example/", citation=1))
        second = argue("sam", "block3", SourceInput("https://survey.example/", citation=3))
        session.commit()
        sources = {s.url: s.id for a in (first, second) for s in a.sources}
        return {**ids, **people, "sources": sources, "rita_argument": first.id, "sam_argument": second.id}


def token(client, user) -> str:
    return client.post("/api/v1/tokens", json={"username": user.username, "password": user.password}).json["token"]


def citation(client, world, number):
    data = client.get(f"/api/v1/articles/{world['article']}").json
    return next(s for s in data["citations"] if s["number"] == number)


def accept(client, world, number, source_id, who="moe"):
    return client.api("PUT", f"/api/v1/articles/{world['article']}/citations/{number}",
                      {"source_id": source_id}, token=token(client, world[who]))


def test_a_proposal_leaves_its_slot_open_until_a_moderator_accepts_it(client, app, world):
    before = citation(client, world, 2)
    assert before["open"] and before["accepted"] is None
    assert [(p["url"], p["author"], p["accepted"]) for p in before["proposals"]] == [
        ("https://toll.example/rise", "rita", False)]

    response = accept(client, world, 2, world["sources"]["https://toll.example/rise"])
    assert response.status_code == 200
    assert response.json["accepted"]["url"] == "https://toll.example/rise" and not response.json["open"]

    after = citation(client, world, 2)
    assert not after["open"] and after["accepted"]["source_id"] == world["sources"]["https://toll.example/rise"]
    assert after["url"] is None and after["reference"] is None  # the article's own stay as they were
    thread = client.get(f"/api/v1/articles/{world['article']}").json["blocks"][1]["thread"]
    assert thread["open_citations"] == 0
    tree = client.get(f"/api/v1/blocks/{world['block1']}/arguments").json["arguments"]
    assert [s["accepted"] for s in tree[0]["sources"]] == [True, False]
    with app.app_context():
        entries = get_session().scalars(sa.select(AuditEntry).where(AuditEntry.action == "citation.accept")).all()
        assert [(e.actor_name, e.target_type, e.target_id, e.details["number"]) for e in entries] == [
            ("moe", "article", world["article"], 2)]

    # null takes the acceptance back: the slot is open again, the proposal still listed.
    reopened = accept(client, world, 2, None)
    assert reopened.status_code == 200 and reopened.json["open"] and reopened.json["accepted"] is None
    assert [p["accepted"] for p in citation(client, world, 2)["proposals"]] == [False]


def test_a_proposal_never_replaces_the_articles_own_reference(client, world):
    one = citation(client, world, 1)
    assert one["url"] == "https://council.example/minutes" and not one["open"]
    refused = accept(client, world, 1, world["sources"]["https://unrelated.example/"])
    assert refused.status_code == 409
    assert citation(client, world, 1)["accepted"] is None

    page = client.get(f"/articles/{world['article']}", follow_redirects=True).get_data(as_text=True)
    footnote = lxml.html.fromstring(page).get_element_by_id("cite-1")
    links = [(a.get("href"), a.text_content()) for a in footnote.iter("a")]
    assert links == [("https://council.example/minutes", "council.example")]
    assert "Council minutes, 2 March 2023" in footnote.text_content()
    assert "unrelated.example" not in footnote.text_content()

    # A slot with reference text but no URL keeps its text; the accepted source comes beside it.
    accept(client, world, 3, world["sources"]["https://survey.example/"])
    three = citation(client, world, 3)
    assert three["reference"] == "Transport survey 2022" and three["url"] is None and not three["open"]


@pytest.mark.parametrize(("number", "source", "status"), [
    (2, "https://survey.example/", 422),  # a proposal for another footnote
    (2, 999_999, 422),  # no such source
    (7, "https://toll.example/rise", 404),  # no such footnote
])
def test_only_a_proposal_for_that_very_slot_may_fill_it(client, world, number, source, status):
    source_id = world["sources"].get(source, source)
    assert accept(client, world, number, source_id).status_code == status
    assert citation(client, world, 2)["accepted"] is None


def test_only_moderators_accept(client, world):
    source_id = world["sources"]["https://toll.example/rise"]
    assert accept(client, world, 2, source_id, who="sam").status_code == 403
    path = f"/api/v1/articles/{world['article']}/citations/2"
    assert client.api("PUT", path, {"source_id": source_id}).status_code == 401
    assert citation(client, world, 2)["open"]


def test_a_hidden_or_withdrawn_arguments_source_fills_no_slot(client, app, world):
    source_id = world["sources"]["https://toll.example/rise"]
    accept(client, world, 2, source_id)
    with app.app_context():
        session = get_session()
        moe = members.ensure_member(session, str(world["moe"].id), "moe")
        moderation.hide(session, world["rita_argument"], moe, "Spam.")
        session.commit()
    hidden = citation(client, world, 2)
    assert hidden["open"] and hidden["proposals"] == []
    assert accept(client, world, 2, source_id).status_code == 422
    with app.app_context():
        session = get_session()
        moe = members.ensure_member(session, str(world["moe"].id), "moe")
        moderation.restore(session, world["rita_argument"], moe, "Fine after all.")
        session.commit()
    assert citation(client, world, 2)["accepted"]["source_id"] == source_id  # the acceptance was kept


def test_pages_list_proposals_under_their_slot_and_moderators_accept_without_javascript(client, world, login):
    article = client.get(f"/articles/{world['article']}", follow_redirects=True)
    doc = lxml.html.fromstring(article.get_data(as_text=True))
    two = doc.get_element_by_id("cite-2")
    assert "Source missing" in two.text_content() and "Toll rises" in two.text_content()
    assert not two.xpath(".//form")  # readers see the proposal, not the button

    login(world["moe"])
    thread = lxml.html.fromstring(client.get(f"/blocks/{world['block1']}").get_data(as_text=True))
    slot = thread.get_element_by_id("footnote-2")
    [form] = slot.xpath(".//form")
    assert form.get("method") == "post"
    assert form.xpath('.//button')[0].text_content() == "Accept toll.example for footnote [2]"
    fields = {i.get("name"): i.get("value") for i in form.xpath(".//input")}
    sent = client.post(form.get("action"), data=fields)
    assert sent.status_code == 303 and sent.headers["Location"] == f"/blocks/{world['block1']}#footnote-2"

    thread = lxml.html.fromstring(client.get(sent.headers["Location"]).get_data(as_text=True))
    slot = thread.get_element_by_id("footnote-2")
    assert "Source accepted by the moderators" in slot.text_content() and "Source missing" not in slot.text_content()
    assert "Footnote [2] is filled by the accepted source." in thread.text_content()
    assert slot.xpath(".//button")[0].text_content().startswith("Take back")

    # Readers see it filled, at once: the acceptance moved the cached pages' versions.
    client.submit("/logout")
    article = lxml.html.fromstring(client.get(f"/articles/{world['article']}", follow_redirects=True).get_data(
        as_text=True))
    assert "Source accepted by the moderators: Toll rises, proposed by rita" in " ".join(
        article.get_element_by_id("cite-2").text_content().split())
    marker = article.xpath(f'//*[@id="block-{world["block1"]}"]//sup/a[text()="[2]"]')[0]
    assert marker.get("href") == "#cite-2" and marker.get("title") == "https://toll.example/rise"


def test_the_article_lists_a_few_proposals_per_footnote_and_its_thread_all_of_them(client, app, world, login):
    with app.app_context():
        session = get_session()
        sam = members.ensure_member(session, str(world["sam"].id), "sam")
        for n in range(6):
            arguments.post_argument(session, session.get(Block, world["block1"]), sam, stance="support",
                                    body=f"Source {n}.", sources=[SourceInput(f"https://more.example/{n}", citation=2)])
        session.commit()
    accept(client, world, 2, world["sources"]["https://toll.example/rise"])
    article = lxml.html.fromstring(client.get(f"/articles/{world['article']}", follow_redirects=True).get_data(
        as_text=True))
    two = article.get_element_by_id("cite-2")
    listed = two.xpath('.//li[contains(@class, "proposal")]')
    assert len(listed) == 5 and "accepted" in listed[0].get("class")  # the accepted one first
    more = two.xpath('.//*[@class="proposals-more"]/a')[0]
    assert more.text_content() == "2 more proposed for footnote [2], in the thread"
    assert more.get("href") == f"/blocks/{world['block1']}#footnote-2"
    thread = lxml.html.fromstring(client.get(more.get("href")).get_data(as_text=True))
    assert len(thread.get_element_by_id("footnote-2").xpath('.//li[contains(@class, "proposal")]')) == 7
