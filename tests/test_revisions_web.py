"""Revised articles from the outside: the command line, the API, the admin's import page with its review,
the moderators' attach form, and the pages readers see afterwards (with every cached page verified fresh)."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, AuditEntry, Block, Role
from forum.services import imports
from tests.revisions import ORIGINAL_TEXT, P3, P4, REVISED_TEXT

EDITED = "Officials still call it maintenance."


@pytest.fixture
def article(app, runner):
    """The article imported from its text, with an argument on each thread by mia."""
    with app.app_context():
        session = get_session()
        made = imports.import_from(session, data=ORIGINAL_TEXT.encode(), format="text")
        session.commit()
        ids = {"article": made.id, **{f"block{b.position}": b.id for b in made.blocks}}
    return ids


@pytest.fixture
def discussed(app, client, article, make_user):
    """The article with an argument on the paragraphs about the far suburbs (P3) and the fares (P4)."""
    mia = make_user("mia")
    token = api_token(client, mia)
    for key in ("block3", "block4"):
        posted = client.api("POST", f"/api/v1/blocks/{article[key]}/arguments",
                            {"stance": "counter", "body": f"An objection to {key}."}, token=token)
        assert posted.status_code == 201
        article[f"argument_{key}"] = posted.json["id"]
    return article


def api_token(client, user) -> str:
    response = client.post("/api/v1/tokens", json={"username": user.username, "password": user.password})
    return response.json["token"]


def admin_token(client, make_user) -> str:
    return api_token(client, make_user("ada", Role.ADMIN))


def write(tmp_path, text: str) -> str:
    path = tmp_path / "revised.txt"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_the_command_line_imports_a_revision(runner, app, discussed, tmp_path):
    result = runner.invoke(args=["forum", "import", write(tmp_path, REVISED_TEXT), "--revises",
                                 str(discussed["article"]), "--json"])
    assert result.exit_code == 0, result.output
    answer = json.loads(result.output)
    assert answer["id"] == discussed["article"] and answer["revision"] == 2
    assert answer["threads"] == 4 and answer["headings"] == 1 and answer["citations"] == 2
    assert answer["changes"]["edited"] == 1 and answer["changes"]["added"] == 1 and answer["changes"]["removed"] == 1
    assert answer["review"] == []
    again = runner.invoke(args=["forum", "import", write(tmp_path, REVISED_TEXT), "--revises",
                                str(discussed["article"])])
    assert again.exit_code != 0 and "current revision (revision 2)" in again.output
    words = runner.invoke(args=["forum", "import", write(tmp_path, ORIGINAL_TEXT), "--revises",
                                str(discussed["article"])])
    assert words.exit_code == 0 and "is now at revision 3" in words.output
    missing = runner.invoke(args=["forum", "import", write(tmp_path, ORIGINAL_TEXT), "--revises", "999"])
    assert missing.exit_code != 0 and "no such article" in missing.output


def test_the_api_revises_and_the_article_json_shows_it(client, app, discussed, make_user):
    token = admin_token(client, make_user)
    before = client.get(f"/api/v1/articles/{discussed['article']}").json
    assert before["revision"] == 1 and before["removed_blocks"] == []
    assert {b["change"] for b in before["blocks"]} == {"added"}
    response = client.api("POST", f"/api/v1/articles/{discussed['article']}/revisions",
                          {"text": REVISED_TEXT, "format": "text"}, token=token)
    assert response.status_code == 201, response.json
    assert response.json["revision"] == 2 and set(response.json["changes"]) == {
        "unchanged", "edited", "moved", "split", "merged", "added", "removed"}
    after = client.get(f"/api/v1/articles/{discussed['article']}").json
    assert after["revision"] == 2
    first = next(b for b in after["blocks"] if b["id"] == discussed["block0"])
    assert first["change"] == "edited" and EDITED in first["text"]
    assert first["thread"]["consensus"]["needs_review"] is False  # no verdict was ever set on it
    assert after["removed_blocks"] == [{
        "id": discussed["block4"], "text": P4, "removed_in": 2, "thread": after["removed_blocks"][0]["thread"]}]
    assert after["removed_blocks"][0]["thread"]["arguments"] == 1
    history = client.get(f"/api/v1/blocks/{discussed['block0']}/revisions").json
    assert [r["revision"] for r in history["revisions"]] == [1, 2] and EDITED in history["revisions"][1]["text"]
    with app.app_context():
        entry = get_session().scalars(sa.select(AuditEntry).where(AuditEntry.action == "article.revise")).one()
        assert entry.actor_name == "ada" and entry.details["revision"] == 2


def test_needs_review_shows_in_the_json_until_a_moderator_sets_the_verdict_again(client, app, discussed, make_user):
    moe = api_token(client, make_user("moe", Role.MODERATOR))
    block = discussed["block0"]
    set_ = client.api("PUT", f"/api/v1/blocks/{block}/consensus",
                      {"status": "contested", "note": "", "version": 0}, token=moe)
    assert set_.status_code == 200
    response = client.api("POST", f"/api/v1/articles/{discussed['article']}/revisions",
                          {"text": REVISED_TEXT}, token=admin_token(client, make_user))
    assert response.json["review"] == [block]

    def consensus():
        blocks = client.get(f"/api/v1/articles/{discussed['article']}").json["blocks"]
        return next(b for b in blocks if b["id"] == block)["thread"]["consensus"]

    assert consensus()["needs_review"] is True and consensus()["status"] == "contested"
    assert "Needs review" in client.get(f"/blocks/{block}").get_data(as_text=True)
    client.api("PUT", f"/api/v1/blocks/{block}/consensus", {"status": "supported", "note": "", "version": 1},
               token=moe)
    assert consensus()["needs_review"] is False


@pytest.mark.parametrize(
    ("who", "status"), [("anonymous", 401), ("member", 403), ("moderator", 403)],
)
def test_only_admins_revise(client, discussed, make_user, who, status):
    token = None if who == "anonymous" else api_token(client, make_user(who, Role(who)))
    response = client.api("POST", f"/api/v1/articles/{discussed['article']}/revisions",
                          {"text": REVISED_TEXT}, token=token) if token else client.post(
        f"/api/v1/articles/{discussed['article']}/revisions", json={"text": REVISED_TEXT})
    assert response.status_code == status


def test_bad_revisions_are_refused_and_change_nothing(client, app, discussed, make_user):
    token = admin_token(client, make_user)
    url = f"/api/v1/articles/{discussed['article']}/revisions"
    assert client.api("POST", "/api/v1/articles/999/revisions", {"text": REVISED_TEXT}, token=token).status_code == 404
    same = client.api("POST", url, {"text": ORIGINAL_TEXT}, token=token)
    assert same.status_code == 409 and "nothing to revise" in same.json["error"]["message"]
    assert client.api("POST", url, {"text": ""}, token=token).status_code == 422
    giant = client.api("POST", url, {"text": "x" * (app.config["FORUM_IMPORT_MAX_BYTES"] + 10)}, token=token)
    assert giant.status_code == 413
    assert client.get(f"/api/v1/articles/{discussed['article']}").json["revision"] == 1
    client.api("DELETE", f"/api/v1/articles/{discussed['article']}", token=token)
    assert client.api("POST", url, {"text": REVISED_TEXT}, token=token).status_code == 410


def test_the_import_page_reviews_a_revision_before_publishing_it(client, app, discussed, as_admin):
    page = client.get(f"/import?revises={discussed['article']}").get_data(as_text=True)
    assert f'value="{discussed["article"]}"' in page
    review = client.submit("/import", {"text": REVISED_TEXT, "revises": str(discussed["article"]),
                                        "action": "review"})
    text = review.get_data(as_text=True)
    assert review.status_code == 200 and "Review revision 2" in text and "nothing is stored yet" in text
    for word in ("edited", "added", "removed", "kept"):
        assert f'<span class="badge change">{word}</span>' in text or word in text
    assert 'name="reviewed" value="1"' in text
    assert client.get(f"/api/v1/articles/{discussed['article']}").json["revision"] == 1  # nothing written yet
    published = client.submit("/import", {"text": REVISED_TEXT, "revises": str(discussed["article"]),
                                           "reviewed": "1", "action": "publish"})
    assert published.status_code == 303
    article_page = client.get(published.headers["Location"], follow_redirects=True).get_data(as_text=True)
    assert "Revision 2 of this article" in article_page and "Removed paragraphs" in article_page
    assert f'href="/blocks/{discussed["block4"]}"' in article_page


def test_a_stale_review_is_refused(client, app, discussed, as_admin, runner, tmp_path):
    # The article is revised (from the command line) after the admin's review was made against revision 1.
    runner.invoke(args=["forum", "import", write(tmp_path, REVISED_TEXT), "--revises", str(discussed["article"])])
    stale = client.submit("/import", {"text": ORIGINAL_TEXT.replace("far away", "very far away"),
                                       "revises": str(discussed["article"]), "reviewed": "1", "action": "publish"})
    assert stale.status_code == 409
    assert "revised meanwhile" in stale.get_data(as_text=True)
    assert client.get(f"/api/v1/articles/{discussed['article']}").json["revision"] == 2
    unreviewed = client.submit("/import", {"text": ORIGINAL_TEXT, "revises": str(discussed["article"]),
                                            "action": "publish"})
    assert unreviewed.status_code == 422 and "Review the revision first" in unreviewed.get_data(as_text=True)


def test_a_removed_paragraphs_thread_is_kept_and_takes_no_new_arguments(client, app, discussed, make_user):
    client.api("POST", f"/api/v1/articles/{discussed['article']}/revisions", {"text": REVISED_TEXT},
               token=admin_token(client, make_user))
    page = client.get(f"/blocks/{discussed['block4']}")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "removed this paragraph" in text and "An objection to block4." in text
    max_ = api_token(client, make_user("max"))
    refused = client.api("POST", f"/api/v1/blocks/{discussed['block4']}/arguments",
                         {"stance": "support", "body": "Late."}, token=max_)
    assert refused.status_code == 403 and "was removed from the article" in refused.json["error"]["message"]


def test_the_thread_page_shows_what_changed_since_an_argument_was_written(client, app, discussed, make_user):
    mia = api_token(client, make_user("mia2"))
    block = discussed["block0"]
    client.api("POST", f"/api/v1/blocks/{block}/arguments", {"stance": "question", "body": "Who says so?"}, token=mia)
    before = client.get(f"/blocks/{block}").get_data(as_text=True)
    assert "changed since some arguments were written" not in before
    client.api("POST", f"/api/v1/articles/{discussed['article']}/revisions", {"text": REVISED_TEXT},
               token=admin_token(client, make_user))
    after = client.get(f"/blocks/{block}").get_data(as_text=True)
    assert "changed since some arguments were written" in after and "its wording of revision 1" in after
    assert '<ins class="diff-ins"><span class="visually-hidden">[added: </span>still' in after


def test_a_moderator_attaches_a_removed_thread_to_a_candidate(client, app, discussed, as_moderator):
    with app.app_context():
        session = get_session()
        imports.revise_from(session, discussed["article"], data=REVISED_TEXT.encode(), format="text")
        session.commit()
        new = session.scalar(sa.select(Block.id).where(Block.text.like("A new paragraph on the ferry%")))
        removed = session.get(Block, discussed["block4"])
        removed.successor_candidates = [{"block_id": new, "confidence": 0.41}]
        session.commit()
    # Read (and so kept) before the attach: the verify mode then checks each kept copy moved.
    for url in (f"/blocks/{new}", f"/api/v1/articles/{discussed['article']}", f"/api/v1/blocks/{new}/arguments"):
        assert client.get(url).status_code == 200
    page = client.get(f"/blocks/{discussed['block4']}").get_data(as_text=True)
    assert "Attach this thread to the paragraph that replaced it?" in page and "Confidence 41 %" in page
    attached = client.submit(f"/blocks/{discussed['block4']}/attach", {"target": str(new), "reason": "Same point."})
    assert attached.status_code == 303
    assert "An objection to block4." in client.get(f"/blocks/{new}").get_data(as_text=True)
    assert len(client.get(f"/api/v1/blocks/{new}/arguments").json["arguments"]) == 1
    with app.app_context():
        session = get_session()
        assert session.get(Argument, discussed["argument_block4"]).block_id == new
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "thread.attach")).one()
        assert entry.actor_name == "moe" and entry.reason == "Same point." and entry.details["into"] == new
    # Attached, it is no removed paragraph any more, and its page says where its arguments went.
    assert client.get(f"/api/v1/articles/{discussed['article']}").json["removed_blocks"] == []
    assert "merged this paragraph into" in client.get(f"/blocks/{discussed['block4']}").get_data(as_text=True)


def test_every_page_a_revision_changes_is_fresh(client, app, discussed, make_user):
    pages = [f"/api/v1/articles/{discussed['article']}", f"/blocks/{discussed['block0']}",
             f"/blocks/{discussed['block3']}", f"/blocks/{discussed['block4']}", "/",
             f"/api/v1/blocks/{discussed['block3']}/arguments"]
    for url in pages:
        assert client.get(url, follow_redirects=True).status_code == 200
    client.api("POST", f"/api/v1/articles/{discussed['article']}/revisions", {"text": REVISED_TEXT},
               token=admin_token(client, make_user))
    # The verify mode renders every hit afresh and fails on a stale copy; the new text shows everywhere.
    assert EDITED in client.get(f"/blocks/{discussed['block0']}").get_data(as_text=True)
    assert "removed this paragraph" in client.get(f"/blocks/{discussed['block4']}").get_data(as_text=True)
    assert client.get(pages[0]).json["revision"] == 2
    for url in pages:
        assert client.get(url, follow_redirects=True).status_code == 200
    with app.app_context():
        assert get_session().scalar(sa.select(Block.text).where(Block.id == discussed["block3"])) == P3


def test_the_moderation_dashboard_lists_what_a_revision_left_to_review(client, app, discussed, as_moderator):
    """A verdict set on a wording that changed, and a removed paragraph with an unsure successor, wait on the
    dashboard until a moderator sets the verdict again or attaches the thread."""
    block = discussed["block0"]
    assert client.api("PUT", f"/api/v1/blocks/{block}/consensus",
                      {"status": "contested", "note": "", "version": 0}).status_code == 200
    assert "Nothing waits after a revision." in client.get("/moderation").get_data(as_text=True)
    with app.app_context():
        session = get_session()
        imports.revise_from(session, discussed["article"], data=REVISED_TEXT.encode(), format="text")
        session.commit()
        new = session.scalar(sa.select(Block.id).where(Block.text.like("A new paragraph on the ferry%")))
        session.get(Block, discussed["block4"]).successor_candidates = [{"block_id": new, "confidence": 0.41}]
        session.commit()
    page = client.get("/moderation").get_data(as_text=True)
    section = page[page.index('id="revised-title"'):page.index('id="changes-title"')]
    assert f'href="/blocks/{block}"' in section and "needs review (edited)" in section
    assert f'href="/blocks/{discussed["block4"]}"' in section and "1 possible new place to confirm" in section
    assert client.api("PUT", f"/api/v1/blocks/{block}/consensus",
                      {"status": "supported", "note": "", "version": 1}).status_code == 200
    assert client.submit(f"/blocks/{discussed['block4']}/attach",
                         {"target": str(new), "reason": "Same point."}).status_code == 303
    assert "Nothing waits after a revision." in client.get("/moderation").get_data(as_text=True)
