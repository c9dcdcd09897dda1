"""Accountable edits: a moderator who changes someone else's words says why, and it shows.

The version keeps who edited and why, the argument reads "edited by a moderator", the audit log gets an
`argument.edit`, and the versions page shows each edit as a word diff with its editor and reason.
"""

from __future__ import annotations

import re

import lxml.html
import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Invalid
from forum.models import Argument, AuditEntry, Block, Role
from forum.services import arguments, members
from forum.services.arguments import SourceInput
from forum.views.diffs import word_diff
from tests.articles import make_article


@pytest.fixture
def world(app, make_user):
    """An article, mia's argument on its first paragraph, and a moderator, moe."""
    ids = make_article(app)
    mia, moe = make_user("mia"), make_user("moe", Role.MODERATOR)
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, str(mia.id), "mia")
        argument = arguments.post_argument(
            session, session.get(Block, ids["block1"]), author, stance="counter",
            body="The toll rose twice, you idiots.",
        )
        session.commit()
        return {**ids, "argument": argument.id, "mia": mia, "moe": moe}


def tokens(client, *users) -> list[str]:
    return [client.post("/api/v1/tokens", json={"username": u.username, "password": u.password}).json["token"]
            for u in users]


def audit_actions(app) -> list[tuple[str, int | None, str]]:
    with app.app_context():
        rows = get_session().execute(
            sa.select(AuditEntry.action, AuditEntry.target_id, AuditEntry.reason)
            .where(AuditEntry.action == "argument.edit")
        )
        return [tuple(row) for row in rows]


def test_a_moderators_edit_without_a_reason_is_refused_and_changes_nothing(client, app, world):
    _, moe = tokens(client, world["mia"], world["moe"])
    path = f"/api/v1/arguments/{world['argument']}"
    for reason in (None, "", "   ", "\u200b"):
        body = {"body": "The toll rose twice."} | ({} if reason is None else {"reason": reason})
        response = client.api("PATCH", path, body, token=moe)
        assert response.status_code == 422
        assert response.json["error"]["field"] == "reason"
    with app.app_context():
        argument = get_session().get(Argument, world["argument"])
        assert argument.body == "The toll rose twice, you idiots." and argument.versions == []
    assert audit_actions(app) == []


def test_a_moderators_edit_keeps_who_and_why_shows_on_the_argument_and_is_audited(client, app, world):
    mia, moe = tokens(client, world["mia"], world["moe"])
    path = f"/api/v1/arguments/{world['argument']}"
    edited = client.api("PATCH", path, {"body": "The toll rose twice.", "reason": "Insult removed."}, token=moe)
    assert edited.status_code == 200 and edited.json["edited_by_moderator"] is True

    versions = client.get(f"{path}/versions").json["entries"]
    assert [(v["body"], v["edited_by"]["name"], v["reason"], v["moderator_edit"]) for v in versions] == [
        ("The toll rose twice, you idiots.", "moe", "Insult removed.", True),
    ]
    assert versions[0]["edited_at"] >= versions[0]["written_at"]
    assert audit_actions(app) == [("argument.edit", world["argument"], "Insult removed.")]

    tree = client.get(f"/api/v1/blocks/{world['block1']}/arguments").json["arguments"]
    assert tree[0]["edited_by_moderator"] is True
    page = client.get(f"/blocks/{world['block1']}").get_data(as_text=True)
    assert re.search(rf'<a class="edited moderator-edit" href="/arguments/{world["argument"]}/versions">'
                     r"edited by a moderator</a>", page)

    # The author's own later edit needs no reason and is not audited; the moderator's edit still shows.
    again = client.api("PATCH", path, {"body": "The toll rose twice, in two years."}, token=mia)
    assert again.status_code == 200 and again.json["edited_by_moderator"] is True
    versions = client.get(f"{path}/versions").json["entries"]
    assert [(v["edited_by"]["name"], v["reason"], v["moderator_edit"]) for v in versions] == [
        ("moe", "Insult removed.", True), ("mia", None, False),
    ]
    assert len(audit_actions(app)) == 1


def test_an_authors_own_edit_is_marked_edited_only(client, app, world):
    mia, = tokens(client, world["mia"])
    response = client.api("PATCH", f"/api/v1/arguments/{world['argument']}", {"body": "Twice."}, token=mia)
    assert response.status_code == 200 and response.json["edited_by_moderator"] is False
    page = client.get(f"/blocks/{world['block1']}").get_data(as_text=True)
    assert f'<a class="edited" href="/arguments/{world["argument"]}/versions">edited</a>' in page
    assert "edited by a moderator" not in page
    assert audit_actions(app) == []


def test_the_edit_page_asks_a_moderator_for_a_reason_and_keeps_what_was_typed(client, app, world, login):
    login(world["moe"])
    form = lxml.html.fromstring(client.get(f"/arguments/{world['argument']}/edit").get_data(as_text=True))
    reason = form.get_element_by_id("reason")
    assert reason.get("required") is not None and reason.getparent().find("label").text_content().startswith(
        "Reason for the edit")

    refused = client.submit(f"/arguments/{world['argument']}/edit", {"body": "The toll rose twice."})
    assert refused.status_code == 422
    doc = lxml.html.fromstring(refused.get_data(as_text=True))
    assert doc.get_element_by_id("body").text_content() == "The toll rose twice."
    field = doc.get_element_by_id("reason")
    assert field.get("aria-invalid") == "true" and "reason-error" in field.get("aria-describedby")
    assert "Give a reason" in doc.get_element_by_id("reason-error").text_content()
    assert doc.xpath('//*[contains(@class, "error-summary")]//a[@href="#reason"]')

    saved = client.submit(f"/arguments/{world['argument']}/edit",
                          {"body": "The toll rose twice.", "reason": "Insult removed."})
    assert saved.status_code == 303
    assert audit_actions(app) == [("argument.edit", world["argument"], "Insult removed.")]


def test_the_author_sees_no_reason_field(client, world, login):
    login(world["mia"])
    page = client.get(f"/arguments/{world['argument']}/edit").get_data(as_text=True)
    assert 'name="reason"' not in page
    assert client.submit(f"/arguments/{world['argument']}/edit", {"body": "Twice."}).status_code == 303


def test_the_versions_page_shows_each_edit_as_a_word_diff_with_its_editor_and_reason(client, app, world, login):
    mia, moe = tokens(client, world["mia"], world["moe"])
    path = f"/api/v1/arguments/{world['argument']}"
    client.api("PATCH", path, {"body": "The toll rose twice.", "reason": "Insult removed."}, token=moe)
    client.api("PATCH", path, {"body": "The toll rose twice in two years.",
                               "sources": [{"url": "https://council.example/minutes"}]}, token=mia)
    doc = lxml.html.fromstring(client.get(f"/arguments/{world['argument']}/versions").get_data(as_text=True))
    sections = doc.xpath('//section[contains(@class, "version")]')
    assert [s.get("id") for s in sections] == ["version-3", "version-2", "version-1"]
    current, moderated, first = sections

    assert "Current version" in current.find("h2").text_content()
    assert "by its author" in current.xpath('.//*[@class="edit-note"]')[0].text_content()
    assert [i.text_content() for i in current.xpath('.//ins')] == ["[added: in two years]"]
    assert "Source added: https://council.example/minutes" in current.text_content()

    note = moderated.xpath('.//*[contains(@class, "edit-note")]')[0].text_content()
    assert "by moe, a moderator" in " ".join(note.split()) and "Reason: Insult removed." in note
    assert [d.text_content() for d in moderated.xpath('.//del')] == ["[removed: , you idiots]"]
    assert moderated.xpath('.//ins') == []
    # Screen readers hear where a change starts and ends; sighted readers see it struck or underlined.
    assert moderated.xpath('.//del/span[@class="visually-hidden"]')[0].text == "[removed: "

    assert "as first posted" in first.find("h2").text_content() and not first.xpath(".//del")


def test_a_word_diff_compares_words_escapes_and_keeps_the_spacing():
    diff = str(word_diff("<b>old</b> words\nhere", "<b>new</b>  words\nhere"))
    assert "<b>" not in diff and diff.startswith("&lt;b&gt;<del")
    assert ">old<" in diff and ">new<" in diff
    assert diff.endswith("&lt;/b&gt;  words\nhere")


def test_an_accepted_source_stays_accepted_through_an_edit_that_keeps_its_address(client, app, world):
    mia, moe = tokens(client, world["mia"], world["moe"])
    posted = client.api("POST", f"/api/v1/blocks/{world['block1']}/arguments", {
        "stance": "support", "body": "Sourced.", "sources": [{"url": "https://toll.example/2", "citation": 2}],
    }, token=mia).json
    article = client.get(f"/api/v1/articles/{world['article']}").json
    [proposal] = next(s for s in article["citations"] if s["number"] == 2)["proposals"]
    path = f"/api/v1/articles/{world['article']}/citations/2"
    assert client.api("PUT", path, {"source_id": proposal["source_id"]}, token=moe).status_code == 200

    client.api("PATCH", f"/api/v1/arguments/{posted['id']}", {
        "body": "Sourced, better.", "sources": [{"url": "https://toll.example/2", "title": "Tolls", "citation": 2}],
    }, token=mia)
    slot = next(s for s in client.get(f"/api/v1/articles/{world['article']}").json["citations"] if s["number"] == 2)
    assert slot["accepted"]["url"] == "https://toll.example/2" and slot["accepted"]["title"] == "Tolls"

    client.api("PATCH", f"/api/v1/arguments/{posted['id']}", {
        "sources": [{"url": "https://elsewhere.example/", "citation": 2}],
    }, token=mia)
    slot = next(s for s in client.get(f"/api/v1/articles/{world['article']}").json["citations"] if s["number"] == 2)
    assert slot["open"] and slot["accepted"] is None
    assert [p["url"] for p in slot["proposals"]] == ["https://elsewhere.example/"]


def test_the_service_needs_a_reason_from_a_moderator_only(app, world):
    with app.app_context():
        session = get_session()
        argument = session.get(Argument, world["argument"])
        moe = members.ensure_member(session, str(world["moe"].id), "moe")
        with pytest.raises(Invalid) as refused:
            arguments.edit_argument(session, argument, moe, body="Twice.")
        assert refused.value.field == "reason"
        session.rollback()
        arguments.edit_argument(session, argument, argument.author, body="Twice.",
                                sources=[SourceInput("https://council.example/")])
        session.commit()
        [version] = argument.versions
        assert (version.edited_by_name, version.edit_reason, version.moderator_edit) == ("mia", None, False)
