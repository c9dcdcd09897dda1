"""Exports of an article's debate, read back by independent readers: arguebuf (AIF, SADFace), Argdown's own
parser, the JSON Schema; the forum's own JSON imported again as the same debate; the API and the command line."""

from __future__ import annotations

import json

import arguebuf
import jsonschema
import pytest
import sqlalchemy as sa
from arguebuf.model.scheme import Attack, Support

from forum.db import get_session
from forum.exporting.common import LOSSES
from forum.exporting.debate_import import schema
from forum.models import Article, Role
from forum.services import exports, votes
from forum.services.members import ensure_member
from tests.exports import HOSTILE, build_debate, canonical, forum_relations, parse_argdown
from tests.helpers import PASSWORD


@pytest.fixture
def debate(app):
    return build_debate(app)


def export(app, article_id: int, name: str, moderator: bool = False) -> str:
    with app.app_context():
        return exports.export_text(get_session(), article_id, name, moderator=moderator)


def graph_relations(graph) -> set[tuple[str, str, str]]:
    """(premise, support or attack, claim) of every scheme node of an arguebuf graph."""
    found = set()
    for scheme in graph.scheme_nodes.values():
        kind = "support" if isinstance(scheme.scheme, Support) else "attack" if isinstance(scheme.scheme, Attack) else None
        if kind is None:
            continue
        for premise in graph.incoming_nodes(scheme):
            for claim in graph.outgoing_nodes(scheme):
                found.add((premise.id, kind, claim.id))
    return found


@pytest.mark.parametrize("moderator", [False, True], ids=["reader", "moderator"])
def test_arguebuf_reads_the_aif_export_with_the_forums_statements_and_relations(app, debate, moderator):
    data = json.loads(export(app, debate["article"], "aif", moderator))
    graph = arguebuf.load.aif(data)
    relations = forum_relations(app, debate["article"], moderator)
    assert graph_relations(graph) == relations
    atoms = {atom.id: atom.plain_text for atom in graph.atom_nodes.values()}
    assert atoms[f"a{debate['support']}"] == HOSTILE
    assert atoms[f"b{debate['block1']}"].startswith("The council raised the toll")
    assert (f"a{debate['hidden']}" in atoms) is moderator and (f"a{debate['under_hidden']}" in atoms) is moderator
    if moderator:
        assert atoms[f"a{debate['hidden']}"].startswith("[hidden by a moderator: Spam]")
    # The question is asked of its paragraph by a "Pure Questioning" locution of its author.
    nodes = {n["nodeID"]: n for n in data["nodes"]}
    question = debate["question"]
    assert nodes[f"y{question}"]["text"] == "Pure Questioning"
    assert {(e["fromID"], e["toID"]) for e in data["edges"]} >= {(f"y{question}", f"b{debate['block1']}")}
    assert {"nodeID": f"l{question}", "personID": str(debate["moe"] - 2)}.items() <= next(
        loc for loc in data["locutions"] if loc["nodeID"] == f"l{question}").items()
    assert data["forum"]["losses"] == LOSSES["aif"]


@pytest.mark.parametrize("moderator", [False, True], ids=["reader", "moderator"])
def test_arguebuf_reads_the_sadface_export_with_the_forums_statements_and_relations(app, debate, moderator):
    data = json.loads(export(app, debate["article"], "sadface", moderator))
    graph = arguebuf.load.sadface(data)
    assert graph_relations(graph) == forum_relations(app, debate["article"], moderator)
    nodes = {n["id"]: n for n in data["nodes"]}
    # Each paragraph's atom points at its own words in the article's text.
    content = data["resources"][0]["content"]
    for node in nodes.values():
        for source in node.get("sources", []):
            assert content[source["offset"]:source["offset"] + source["length"]] == node["text"]
    assert nodes[f"b{debate['block1']}"]["sources"]
    assert nodes[f"a{debate['question']}"]["metadata"]["forum"]["question"] is True
    assert nodes[f"b{debate['block1']}"]["metadata"]["forum"]["verdict"]["status"] == "refuted"
    assert data["metadata"]["forum"]["losses"] == LOSSES["sadface"]


@pytest.mark.parametrize("moderator", [False, True], ids=["reader", "moderator"])
def test_argdowns_own_parser_reads_the_argdown_export_with_the_same_relations(app, debate, moderator):
    parsed = parse_argdown(export(app, debate["article"], "argdown", moderator))
    assert parsed["errors"] == []
    kinds = {"attack": "attack", "support": "support"}
    found = {(source, kinds[kind], target) for source, kind, target in parsed["relations"] if kind in kinds}

    def name(title: str) -> str:
        return "b" + title[1:] if title.startswith("P") else "a" + title[1:]

    assert {(name(s), k, name(t)) for s, k, t in found} == forum_relations(app, debate["article"], moderator)
    assert parsed["arguments"][f"A{debate['support']}"]["text"] == HOSTILE
    question = parsed["statements"][f"Q{debate['question']}"]
    assert "question" in question["tags"] and question["text"].startswith("Which year was the first?")
    assert "refuted" in parsed["statements"][f"P{debate['block1']}"]["tags"]
    assert parsed["frontMatter"]["losses"] == LOSSES["argdown"]


def test_the_json_export_validates_against_its_schema_and_holds_the_whole_debate(app, debate):
    data = json.loads(export(app, debate["article"], "json"))
    jsonschema.Draft202012Validator(schema()).validate(data)
    blocks = {b["id"]: b for b in data["blocks"]}
    thread = blocks[debate["block1"]]["thread"]
    counter = next(a for a in thread["arguments"] if a["id"] == debate["counter"])
    assert counter["author"]["name"] == "Mia" and counter["score"] == 1 and counter["up"] == 1
    assert counter["sources"][0] == {"url": "https://council.example/tolls", "title": "Toll history",
                                     "quote": "Raised in 2021 and 2023.", "citation": 2, "accepted": True}
    assert counter["replies"][0]["replies"][0]["id"] == debate["deeper"]
    assert [c["to"] for c in thread["consensus"]["history"]] == ["contested", "refuted"]
    assert thread["consensus"]["key_arguments"] == [debate["counter"]]
    slots = {s["number"]: s for s in data["citations"]}
    assert slots[2]["open"] is False and slots[2]["accepted"]["argument_id"] == debate["counter"]
    assert slots[3]["open"] is True
    second = [a["id"] for a in blocks[debate["block3"]]["thread"]["arguments"]]
    assert debate["hidden"] not in second and debate["withdrawn"] in second
    withdrawn = next(a for a in blocks[debate["block3"]]["thread"]["arguments"] if a["id"] == debate["withdrawn"])
    assert withdrawn["withdrawn"] and withdrawn["body"] == ""
    assert blocks[debate["block2"]]["thread"] is None  # a heading


def test_the_json_export_imports_again_as_the_same_debate(app, debate, runner, tmp_path):
    for moderator in (False, True):
        first = json.loads(export(app, debate["article"], "json", moderator))
        path = tmp_path / f"debate-{moderator}.json"
        path.write_text(json.dumps(first))
        result = runner.invoke(args=["forum", "import-debate", str(path), "--json"])
        assert result.exit_code == 0, result.output
        again = json.loads(export(app, json.loads(result.output)["id"], "json", moderator))
        assert canonical(again) == canonical(first)


def test_a_file_that_is_no_debate_export_is_refused_and_nothing_is_written(app, debate, runner, tmp_path):
    data = json.loads(export(app, debate["article"], "json"))
    data["blocks"][1]["thread"]["arguments"][0]["stance"] = "shout"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    result = runner.invoke(args=["forum", "import-debate", str(path)])
    assert result.exit_code != 0 and "not valid at blocks/1/thread/arguments/0/stance" in result.output
    (tmp_path / "junk.json").write_text("{")
    assert "Cannot read" in runner.invoke(args=["forum", "import-debate", str(tmp_path / "junk.json")]).output
    # Made by hand: a source linking `javascript:`, and replies nested deeper than any thread holds.
    scripted = json.loads(export(app, debate["article"], "json"))
    argument = next(a for b in scripted["blocks"] if b["thread"] for a in b["thread"]["arguments"] if a["sources"])
    argument["sources"][0]["url"] = "javascript:alert(1)"
    (tmp_path / "scripted.json").write_text(json.dumps(scripted))
    refused = runner.invoke(args=["forum", "import-debate", str(tmp_path / "scripted.json")])
    assert refused.exit_code != 0 and "is no web address" in refused.output and "/sources/0/url" in refused.output
    deep = json.loads(export(app, debate["article"], "json"))
    top = next(a for b in deep["blocks"] if b["thread"] for a in b["thread"]["arguments"])
    level = top
    for n in range(450):
        level["replies"] = [{**top, "id": 10_000_000 + n, "replies": []}]
        level = level["replies"][0]
    (tmp_path / "deep.json").write_text(json.dumps(deep))
    refused = runner.invoke(args=["forum", "import-debate", str(tmp_path / "deep.json")])
    assert refused.exit_code != 0 and "nests replies too deeply" in refused.output
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(Article)) == 1


def test_the_api_streams_every_format_with_a_validator_and_304_until_the_debate_changes(app, client, debate, make_user):
    url = f"/api/v1/articles/{debate['article']}/export"
    for name, media in [("json", "application/json"), ("aif", "application/json"),
                        ("sadface", "application/json"), ("argdown", "text/plain")]:
        response = client.get(f"{url}?format={name}")
        assert response.status_code == 200 and response.mimetype == media
        assert response.is_streamed
        assert response.get_data(as_text=True) == export(app, debate["article"], name)
    first = client.get(url)
    tag = first.headers["ETag"]
    first.close()
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    with app.app_context():
        session = get_session()
        votes.cast_vote(session, debate["kept"], ensure_member(session, "u-vic", "Vic"), 1)
        session.commit()
    changed = client.get(url, headers={"If-None-Match": tag})
    assert changed.status_code == 200 and changed.headers["ETag"] != tag
    kept = next(a for b in changed.json["blocks"] if b["thread"] for a in b["thread"]["arguments"]
                if a["id"] == debate["kept"])
    assert kept["score"] == 1


def test_exports_are_rate_limited(app, client, debate):
    app.config["FORUM_RATELIMIT_EXPORT"] = "3 per hour"
    url = f"/api/v1/articles/{debate['article']}/export"
    first = client.get(url)
    tag = first.headers["ETag"]
    first.close()
    assert client.get(url, headers={"If-None-Match": tag}).status_code == 304
    assert client.get(url + "?format=argdown").status_code == 200
    refused = client.get(url + "?format=aif")
    assert refused.status_code == 429
    assert "exporting faster" in refused.json["error"]["message"]
    assert int(refused.headers["Retry-After"]) > 0


def test_the_schema_is_served_and_bad_requests_are_told_why(client, debate):
    assert client.get("/api/v1/schemas/export.json").json == schema()
    bad = client.get(f"/api/v1/articles/{debate['article']}/export?format=pdf")
    assert bad.status_code == 422 and bad.json["error"]["field"] == "format"
    assert client.get("/api/v1/articles/999999/export").status_code == 404


def test_hidden_arguments_only_in_a_moderators_export_and_unpublished_articles_only_for_moderators(
        app, client, debate, make_user):
    url = f"/api/v1/articles/{debate['article']}/export"
    make_user("mod", Role.MODERATOR)
    make_user("adm", Role.ADMIN)
    tokens = {name: client.post("/api/v1/tokens", json={"username": name, "password": PASSWORD}).json["token"]
              for name in ("mod", "adm")}
    reader = client.get(url).get_data(as_text=True)
    moderator = client.get(url, headers={"Authorization": f"Bearer {tokens['mod']}"})
    assert "Spam spam spam" not in reader and "Reply under the spam" not in reader
    assert "Spam spam spam" in moderator.get_data(as_text=True) and moderator.json["moderator_export"] is True
    assert "private" in moderator.headers["Cache-Control"]
    assert moderator.headers["ETag"] != client.get(url).headers["ETag"]
    assert client.api("DELETE", f"/api/v1/articles/{debate['article']}", token=tokens["adm"]).status_code == 200
    assert client.get(url).status_code == 410
    assert client.get(f"/articles/{debate['article']}/report").status_code == 410
    assert client.get(url, headers={"Authorization": f"Bearer {tokens['mod']}"}).status_code == 200


def test_the_command_line_exports_to_a_file_or_stdout(app, runner, debate, tmp_path):
    path = tmp_path / "debate.argdown"
    result = runner.invoke(args=["forum", "export-article", str(debate["article"]), "--format", "argdown",
                                 "--output", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_text() == export(app, debate["article"], "argdown", moderator=True)
    printed = runner.invoke(args=["forum", "export-article", str(debate["article"]), "--format", "aif"])
    assert json.loads(printed.output)["forum"]["article"]["moderator_export"] is True
    missing = runner.invoke(args=["forum", "export-article", "999999"])
    assert missing.exit_code != 0 and "no such article" in missing.output


def test_the_report_shows_each_paragraph_with_its_verdict_arguments_sources_and_open_citations(client, debate):
    page = client.get(f"/articles/{debate['article']}/report")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Refuted" in text and "The minutes settle it." in text
    # Markdown as a reader sees it: the note rendered, the arguments' words without their marks.
    assert "Strongest counter" in text and "It rose twice, not thrice." in text and "**" not in text
    assert "Toll history" in text and "Open citations: [3]" in text
    assert "Spam spam spam" not in text
    # Its print styles are a stylesheet of the site's own: the Content-Security-Policy refuses inline ones.
    assert "<style" not in text and 'href="/forum-static/forum/report.css?v=' in text
    stylesheet = client.get("/forum-static/forum/report.css")
    assert stylesheet.status_code == 200 and "@page" in stylesheet.get_data(as_text=True)
