"""Duplicate imports are refused, naming the article; an admin may unpublish an article.

Unpublished, an article leaves the lists, its pages answer 410 to readers (a page saying so, JSON on the
API), moderators still read it marked unpublished, `forum export` keeps it, and no cached copy of a page
that showed it outlives it.
"""

from __future__ import annotations

import json
from pathlib import Path

import lxml.html
import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import AuditEntry, Block, Role
from forum.services import arguments, members
from tests.articles import make_article

TEXT = "A Bridge Too Dear\n\nThe toll went up again this spring, and drivers noticed.\n\nThey pay it twice a day."


@pytest.fixture
def world(app, make_user):
    """The sample article with one argument by mia; an admin, a moderator and a member."""
    ids = make_article(app)
    people = {"ada": make_user("ada", Role.ADMIN), "moe": make_user("moe", Role.MODERATOR), "mia": make_user("mia")}
    with app.app_context():
        session = get_session()
        mia = members.ensure_member(session, str(people["mia"].id), "mia")
        argument = arguments.post_argument(session, session.get(Block, ids["block1"]), mia,
                                           stance="counter", body="Twice, not three times.")
        session.commit()
        slug = session.get(Block, ids["block1"]).article.slug
    return {**ids, **people, "argument": argument.id, "slug": slug}


def token(client, user) -> str:
    return client.post("/api/v1/tokens", json={"username": user.username, "password": user.password}).json["token"]


def audited(app, action: str) -> list[tuple]:
    with app.app_context():
        rows = get_session().execute(
            sa.select(AuditEntry.actor_name, AuditEntry.target_id, AuditEntry.reason).where(AuditEntry.action == action)
        )
        return [tuple(row) for row in rows]


# ---------------------------------------------------------------- duplicate imports


def test_importing_the_same_text_again_is_refused_naming_the_article(client, app, world):
    ada = token(client, world["ada"])
    first = client.api("POST", "/api/v1/articles", {"text": TEXT, "format": "text"}, token=ada)
    assert first.status_code == 201
    again = client.api("POST", "/api/v1/articles", {"text": TEXT.replace("\n", "\r\n")}, token=ada)
    assert again.status_code == 409
    error = again.json["error"]
    assert error["code"] == "conflict" and error["article"] == {"id": first.json["id"], "title": "A Bridge Too Dear"}
    assert "“A Bridge Too Dear”" in error["message"] and f"article {first.json['id']}" in error["message"]
    assert [a["id"] for a in client.get("/api/v1/articles").json["articles"]].count(first.json["id"]) == 1
    assert len(client.get("/api/v1/articles").json["articles"]) == 2
    assert audited(app, "article.import")[-1] == ("ada", first.json["id"], "")
    # Another text is no duplicate.
    other = client.api("POST", "/api/v1/articles", {"text": TEXT + " Every day."}, token=ada)
    assert other.status_code == 201


def test_the_command_line_refuses_a_duplicate_with_the_reason(runner, tmp_path):
    path = Path(tmp_path / "bridge.txt")
    path.write_text(TEXT)
    first = runner.invoke(args=["forum", "import", str(path), "--json"])
    assert first.exit_code == 0, first.output
    made = json.loads(first.stdout)["id"]
    again = runner.invoke(args=["forum", "import", str(path), "--json"])
    assert again.exit_code != 0 and again.stdout == ""
    assert f"This text is published already, as “A Bridge Too Dear” (article {made})." in again.stderr


def test_the_import_page_says_which_article_the_text_is(client, world, login):
    login(world["ada"])
    assert client.submit("/import", {"text": TEXT, "format": "text", "action": "publish"}).status_code == 303
    refused = client.submit("/import", {"text": TEXT, "format": "text", "action": "publish"})
    assert refused.status_code == 409
    doc = lxml.html.fromstring(refused.get_data(as_text=True))
    error = doc.get_element_by_id("source-error")
    assert "This text is published already, as “A Bridge Too Dear”" in error.text_content()
    assert error.xpath(".//a")[0].text_content() == "Open “A Bridge Too Dear”"
    assert doc.get_element_by_id("text").text_content() == TEXT


def test_imports_are_audited_with_who_imported(runner, tmp_path, app, client, world):
    path = Path(tmp_path / "bridge.txt")
    path.write_text(TEXT)
    runner.invoke(args=["forum", "import", str(path)])
    assert [who for who, _, _ in audited(app, "article.import")] == ["command line", "command line"]


# ---------------------------------------------------------------- unpublishing


def test_an_admin_unpublishes_and_readers_get_410(client, app, world):
    ada = token(client, world["ada"])
    response = client.api("DELETE", f"/api/v1/articles/{world['article']}?reason=A+duplicate.", token=ada)
    assert response.status_code == 200 and response.json["unpublished_at"]
    assert audited(app, "article.unpublish") == [("ada", world["article"], "A duplicate.")]
    assert client.api("DELETE", f"/api/v1/articles/{world['article']}", token=ada).status_code == 409

    assert client.get("/api/v1/articles").json["articles"] == []
    assert "The Harbour Bridge Toll" not in client.get("/").get_data(as_text=True)
    for path in (f"/api/v1/articles/{world['article']}", f"/api/v1/blocks/{world['block1']}/arguments",
                 f"/api/v1/arguments/{world['argument']}/versions",
                 f"/api/v1/blocks/{world['block1']}/consensus/history"):
        gone = client.get(path)
        assert gone.status_code == 410 and gone.json["error"]["code"] == "gone", path
    for path in (f"/articles/{world['article']}/{world['slug']}", f"/blocks/{world['block1']}",
                 f"/arguments/{world['argument']}/versions"):
        gone = client.get(path)
        assert gone.status_code == 410, path
        page = gone.get_data(as_text=True)
        assert "<h1>This article was unpublished</h1>" in page and "withdrew this article" in page


def test_members_can_do_nothing_more_in_it(client, world):
    client.api("DELETE", f"/api/v1/articles/{world['article']}", token=token(client, world["ada"]))
    mia = token(client, world["mia"])
    answers = [
        client.api("POST", f"/api/v1/blocks/{world['block1']}/arguments", {"stance": "counter", "body": "Hm."}, token=mia),
        client.api("PATCH", f"/api/v1/arguments/{world['argument']}", {"body": "Changed."}, token=mia),
        client.api("PUT", f"/api/v1/arguments/{world['argument']}/vote", {"value": 1},
                   token=token(client, world["moe"])),
        client.api("POST", f"/api/v1/arguments/{world['argument']}/flags", {"reason": "spam"},
                   token=token(client, world["moe"])),
    ]
    assert [a.status_code for a in answers] == [410, 410, 410, 410]


def test_moderators_still_read_it_marked_unpublished(client, world, login):
    client.api("DELETE", f"/api/v1/articles/{world['article']}", token=token(client, world["ada"]))
    moe = token(client, world["moe"])
    assert client.api("GET", f"/api/v1/articles/{world['article']}", token=moe).json["unpublished_at"]
    assert client.api("GET", f"/api/v1/blocks/{world['block1']}/arguments", token=moe).status_code == 200
    login(world["moe"])
    for path in (f"/articles/{world['article']}/{world['slug']}", f"/blocks/{world['block1']}"):
        page = client.get(path)
        assert page.status_code == 200
        doc = lxml.html.fromstring(page.get_data(as_text=True))
        assert "Unpublished" in doc.xpath('//*[contains(@class, "unpublished-note")]')[0].text_content()
    thread = client.get(f"/blocks/{world['block1']}").get_data(as_text=True)
    assert 'name="body"' not in thread and "takes no new arguments" not in thread
    assert "its threads take no new arguments" in thread


def test_export_keeps_an_unpublished_article(client, runner, world, tmp_path):
    client.api("DELETE", f"/api/v1/articles/{world['article']}", token=token(client, world["ada"]))
    path = tmp_path / "backup.json"
    assert runner.invoke(args=["forum", "export", str(path)]).exit_code == 0
    tables = json.loads(path.read_text())["tables"]
    [article] = tables["forum_articles"]
    assert article["unpublished_at"] and article["id"] == world["article"]
    assert [a["body"] for a in tables["forum_arguments"]] == ["Twice, not three times."]


def test_no_cached_copy_outlives_the_article(client, app, world):
    """Pages read (and kept) before: the home page, the article, its threads and their API twins."""
    lists = ["/", "/api/v1/articles"]
    pages = [f"/articles/{world['article']}/{world['slug']}", f"/blocks/{world['block1']}",
             f"/blocks/{world['block3']}", f"/api/v1/articles/{world['article']}",
             f"/api/v1/blocks/{world['block1']}/arguments"]
    reader = app.test_client()
    for path in lists + pages:
        assert reader.get(path).status_code == 200
        assert reader.get(path).headers.get("ETag"), path  # kept, and answered from the cache
    client.api("DELETE", f"/api/v1/articles/{world['article']}", token=token(client, world["ada"]))
    for path in pages:
        assert reader.get(path).status_code == 410, path
    assert "The Harbour Bridge Toll" not in reader.get("/").get_data(as_text=True)
    assert reader.get("/api/v1/articles").json["articles"] == []


def test_the_unpublish_button_asks_first_and_works_without_javascript(client, app, world, login):
    article_url = f"/articles/{world['article']}/{world['slug']}"
    login(world["moe"])
    assert "Unpublish this article" not in client.get(article_url).get_data(as_text=True)
    assert client.get(f"/articles/{world['article']}/unpublish").status_code == 403
    client.submit("/logout")

    login(world["ada"])
    doc = lxml.html.fromstring(client.get(article_url).get_data(as_text=True))
    [link] = doc.xpath('//a[contains(., "Unpublish this article")]')
    confirm = client.get(link.get("href"))
    assert confirm.status_code == 200
    page = lxml.html.fromstring(confirm.get_data(as_text=True))
    assert page.xpath("//h1")[0].text_content().startswith("Unpublish “The Harbour Bridge Toll")
    [form] = page.xpath('//form[@class="unpublish-form"]')
    assert page.xpath('//a[contains(., "Cancel, keep it published")]')[0].get("href") == article_url
    fields = {i.get("name"): i.get("value") or "" for i in form.xpath(".//input")}
    fields["reason"] = "Imported twice."
    done = client.post(form.get("action"), data=fields)
    assert done.status_code == 303 and done.headers["Location"] == article_url
    after = client.get(article_url).get_data(as_text=True)
    assert "is unpublished: readers no longer see it" in after and "Unpublish this article" not in after
    assert audited(app, "article.unpublish") == [("ada", world["article"], "Imported twice.")]
    client.submit("/logout")
    assert client.get(article_url).status_code == 410


def test_only_admins_unpublish(client, world):
    path = f"/api/v1/articles/{world['article']}"
    assert client.api("DELETE", path).status_code == 401
    assert client.api("DELETE", path, token=token(client, world["moe"])).status_code == 403
    assert client.get(path).status_code == 200
