"""Writing pages: posting arguments and replies with sources, preview, validation, editing, withdrawing."""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, Block, Role, Source
from tests.articles import make_article


@pytest.fixture
def ids(app):
    return make_article(app)


def text(response) -> str:
    return response.get_data(as_text=True)


def count_arguments(app) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count()).select_from(Argument))


def post(client, block_id, **fields):
    """Submit the thread page's form; a blank source row is sent as the page would send it."""
    data = {"stance": "counter", "body": "Two rises, not three.", "action": "post"}
    for row in range(1):
        for part in ("url", "title", "quote", "citation"):
            data[f"sources-{row}-{part}"] = ""
    data.update(fields)
    return client.submit(f"/blocks/{block_id}/arguments", data)


def posted_id(response) -> int:
    assert response.status_code == 303, text(response)
    return int(re.search(r"#argument-(\d+)$", response.headers["Location"]).group(1))


def test_post_an_argument_with_sources(client, ids, as_member):
    block = ids["block1"]
    response = post(
        client, block,
        body="The minutes show **two** rises.",
        **{"sources-0-url": "https://council.example/minutes", "sources-0-title": "Minutes",
           "sources-0-quote": "raised by 5%", "sources-0-citation": "1",
           "sources-2-url": "http://archive.example/toll"},
    )
    argument = posted_id(response)
    assert response.headers["Location"] == f"/blocks/{block}#argument-{argument}"
    page = text(client.get(f"/blocks/{block}"))
    body = page[page.index(f'id="argument-{argument}"'):]
    assert "The minutes show <strong>two</strong> rises." in body
    assert '<a href="https://council.example/minutes" rel="nofollow ugc noopener">Minutes</a>' in body
    assert "raised by 5%" in body and "proposed for footnote [1]" in body
    assert '<a href="http://archive.example/toll" rel="nofollow ugc noopener">http://archive.example/toll</a>' in body
    assert '>mia</a></strong>' in body


def test_the_form_offers_this_paragraphs_footnotes(client, ids, as_member):
    page = text(client.get(f"/blocks/{ids['block3']}"))
    assert '<fieldset class="stance-choice">' in page and "<legend>Your stance</legend>" in page
    # One source row; its title, quote and footnote folded until wanted.
    assert page.count('<fieldset class="source-row"') == 1
    assert '<details class="source-more">' in page and "Add another source" in page
    select = page[page.index('id="sources-0-citation"'):page.index("</select>")]
    assert '<option value="2">[2] (source missing)</option>' in select
    assert '<option value="3">[3] (source missing)</option>' in select
    assert 'value="1"' not in select


def test_reply_to_an_argument(client, ids, as_member):
    block = ids["block1"]
    parent = posted_id(post(client, block, body="Parent words"))
    form = text(client.get(f"/blocks/{block}?reply_to={parent}"))
    # The composer opens under the argument answered (before the argument closes), its stance read
    # against that argument; the form for a new argument stays at the foot of the page, blank.
    composer = form[form.index(f'id="composer-reply-{parent}"'):]
    assert form.index(f'id="argument-{parent}"') < form.index(f'id="composer-reply-{parent}"')
    assert composer.index("</article>") > composer.index("</form>")
    assert f'<input type="hidden" name="parent_id" value="{parent}">' in composer[:composer.index("</form>")]
    assert "Reply to mia" in composer and "disagrees with this argument" in composer
    assert f'id="reply-{parent}-body"' in composer and f'id="reply-{parent}-stance-counter"' in composer
    assert '<h2 id="post-title">Post an argument</h2>' in form and 'id="composer-new"' in form
    reply = posted_id(post(client, block, stance="question", body="Which minutes?", parent_id=str(parent)))
    page = text(client.get(f"/blocks/{block}"))
    inside = page[page.index(f'id="argument-{parent}"'):]
    assert inside.index('class="replies"') < inside.index(f'id="argument-{reply}"')


def test_preview_renders_without_storing(client, app, ids, as_member):
    response = post(client, ids["block1"], action="preview", body="*Careful* <script>x()</script>",
                    **{"sources-1-url": "https://kept.example"})
    assert response.status_code == 200
    page = text(response)
    preview = page[page.index('id="preview"'):]
    assert "<em>Careful</em>" in preview and "<script>" not in preview
    assert "*Careful* &lt;script&gt;x()&lt;/script&gt;</textarea>" in page
    assert 'value="https://kept.example"' in page
    assert count_arguments(app) == 0


@pytest.mark.parametrize("limit", [10_000, 50])
def test_a_preview_longer_than_a_post_is_refused_unrendered(client, app, ids, as_member, limit):
    app.config["FORUM_MAX_BODY"] = limit
    body = "[" * (limit + 1)
    response = post(client, ids["block1"], action="preview", body=body)
    assert response.status_code == 422
    page = text(response)
    assert f"at most {limit:,} characters; this one has {limit + 1:,}" in page[page.index('id="body-error"'):]
    assert 'id="preview"' not in page and f"{body}</textarea>" in page
    argument = posted_id(post(client, ids["block1"], body="Short."))
    edit = client.submit(f"/arguments/{argument}/edit", {"body": body, "action": "preview"})
    assert edit.status_code == 422 and 'id="body-error"' in text(edit) and 'id="preview"' not in text(edit)
    assert post(client, ids["block1"], action="preview", body="[" * limit).status_code == 200


def test_add_another_source_row(client, ids, as_member):
    page = text(post(client, ids["block1"], action="add_source", **{"sources-0-url": "https://a.example"}))
    assert page.count('<fieldset class="source-row"') == 2
    assert 'id="sources-1-url"' in page and 'value="https://a.example"' in page
    full = {f"sources-{i}-url": "" for i in range(10)}
    page = text(post(client, ids["block1"], action="add_source", **full))
    assert page.count('<fieldset class="source-row"') == 10
    assert "Add another source" not in page


@pytest.mark.parametrize(
    "fields, error_id, message",
    [
        ({"body": "   "}, "body-error", "Write the argument before posting it."),
        ({"body": "\u200b\u2060\ufeff"}, "body-error", "Write the argument before posting it."),
        ({"body": "See the source.", "sources-0-url": "https://[oops/"}, "sources-0-url-error",
         "full http:// or https:// address"),
        ({"body": "x" * 10_001}, "body-error", "at most 10,000 characters"),
        ({"sources-1-url": "javascript:alert(1)"}, "sources-1-url-error", "full http:// or https:// address"),
        ({"sources-0-url": "https://a.example", "sources-0-citation": "3"}, "sources-0-citation-error",
         "This paragraph has no footnote [3] (it cites: [1], [2])."),
        ({"sources-0-url": "https://a.example", "sources-0-title": "t" * 301}, "sources-0-title-error",
         "at most 300 characters"),
        ({f"sources-{i}-url": f"https://a.example/{i}" for i in range(11)}, "sources-error",
         "at most 10 sources"),
    ],
)
def test_invalid_arguments_are_refused_beside_their_field(client, app, ids, as_member, fields, error_id, message):
    response = post(client, ids["block1"], **fields)
    assert response.status_code == 422
    page = text(response)
    error = re.search(rf'<p class="error" id="{error_id}">([^<]*)</p>', page)
    assert error and message in error.group(1).replace("&#39;", "'")
    field_id = error_id.removesuffix("-error")
    if field_id != "sources":
        assert re.search(rf'id="{field_id}"[^>]*aria-describedby="[^"]*{error_id}', page)
    for value in fields.values():
        assert value.strip() == "" or value[:50] in page  # everything typed is kept
    assert count_arguments(app) == 0


def test_a_locked_thread_takes_no_arguments(client, app, ids, as_member):
    with app.app_context():
        session = get_session()
        session.get(Block, ids["block1"]).locked = True
        session.commit()
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert "This thread is locked" in page and 'name="body"' not in page
    response = post(client, ids["block1"])
    assert response.status_code == 403 and "locked" in text(response)
    assert count_arguments(app) == 0


def test_anonymous_readers_are_invited_to_sign_in(client, app, ids):
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert re.search(r'<a href="/login\?next=[^"]*blocks[^"]*">Sign in to argue</a>', page)
    assert 'name="body"' not in page
    assert post(client, ids["block1"]).status_code == 401
    assert count_arguments(app) == 0


def test_edit_keeps_the_earlier_version(client, ids, as_member):
    block = ids["block1"]
    argument = posted_id(post(client, block, body="First words", **{"sources-0-url": "https://old.example"}))
    form = text(client.get(f"/arguments/{argument}/edit"))
    assert "First words</textarea>" in form and 'value="https://old.example"' in form
    response = client.submit(f"/arguments/{argument}/edit", {
        "body": "Second words", "action": "post", "sources-0-url": "https://new.example",
        "sources-1-url": "",
    })
    assert response.status_code == 303
    assert response.headers["Location"] == f"/blocks/{block}#argument-{argument}"
    page = text(client.get(f"/blocks/{block}"))
    assert "Second words" in page and f'<a class="edited" href="/arguments/{argument}/versions">edited</a>' in page
    versions = text(client.get(f"/arguments/{argument}/versions"))
    assert versions.index("Second words") < versions.index("Version 1") < versions.index("First words")
    assert "https://old.example" in versions


def test_edit_errors_keep_the_text(client, ids, as_member):
    argument = posted_id(post(client, ids["block1"]))
    response = client.submit(f"/arguments/{argument}/edit", {"body": "Fine", "sources-0-url": "ftp://x.example"})
    assert response.status_code == 422
    assert 'id="sources-0-url-error"' in text(response) and 'value="ftp://x.example"' in text(response)


def test_withdraw_keeps_the_replies(client, app, ids, as_member):
    block = ids["block1"]
    parent = posted_id(post(client, block, body="Soon withdrawn"))
    reply = posted_id(post(client, block, body="A reply that stays", parent_id=str(parent)))
    response = client.submit(f"/arguments/{parent}/withdraw")
    assert response.status_code == 303 and response.headers["Location"].endswith(f"#argument-{parent}")
    page = text(client.get(f"/blocks/{block}"))
    assert "Withdrawn by its author." in page and "Soon withdrawn" not in page
    assert f'id="argument-{reply}"' in page and "A reply that stays" in page


@pytest.mark.parametrize("method, path, data", [
    ("get", "/arguments/{}/edit", None),
    ("post", "/arguments/{}/edit", {"body": "Hijacked"}),
    ("post", "/arguments/{}/withdraw", {}),
])
def test_another_member_may_not_edit_or_withdraw(client, app, ids, make_user, login, method, path, data):
    login(make_user("mia"))
    argument = posted_id(post(client, ids["block1"], body="Mine"))
    client.submit("/logout")
    login(make_user("bob"))
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert f"/arguments/{argument}/edit" not in page and f"/arguments/{argument}/withdraw" not in page
    url = path.format(argument)
    response = client.get(url) if method == "get" else client.submit(url, data)
    assert response.status_code == 403
    with app.app_context():
        stored = get_session().get(Argument, argument)
        assert stored.body == "Mine" and stored.withdrawn_at is None


def test_a_moderator_may_edit_but_not_withdraw(client, app, ids, make_user, login):
    login(make_user("mia"))
    argument = posted_id(post(client, ids["block1"], body="Rude words"))
    client.submit("/logout")
    login(make_user("moe", Role.MODERATOR))
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert f"/arguments/{argument}/edit" in page and f"/arguments/{argument}/withdraw" not in page
    form = text(client.get(f"/arguments/{argument}/edit"))
    assert "Edit mia’s argument" in form
    response = client.submit(f"/arguments/{argument}/edit", {"body": "Polite words", "reason": "Insults."})
    assert response.status_code == 303
    with app.app_context():
        stored = get_session().get(Argument, argument)
        assert stored.body == "Polite words" and stored.versions[0].body == "Rude words"


def test_posted_sources_propose_a_source_for_the_slot_on_the_article(client, app, ids, as_member):
    posted_id(post(client, ids["block3"], **{"sources-0-url": "https://survey.example", "sources-0-citation": "3"}))
    with app.app_context():
        assert get_session().scalar(sa.select(Source.citation)) == 3
    article = text(client.get(f"/articles/{ids['article']}", follow_redirects=True))
    # The slot stays open, with the proposal listed under the article's own reference text.
    assert f'<a href="/blocks/{ids["block3"]}#post" title="Source missing — propose one">[3]<span' in article
    footnote = article[article.index('id="cite-3"'):]
    assert footnote.index("Transport survey 2022") < footnote.index("https://survey.example")


@pytest.mark.parametrize("reply_to", ["99999999999999999999", "²", "-1"])
def test_a_strange_reply_to_is_ignored(client, app, as_member, reply_to):
    from tests.articles import make_article

    ids = make_article(app)
    assert client.get(f"/blocks/{ids['block1']}?reply_to={reply_to}").status_code == 200


def test_the_edit_page_shows_the_paragraphs_footnotes_as_superscript_links(client, ids, as_member):
    argument = posted_id(post(client, ids["block1"]))
    page = text(client.get(f"/arguments/{argument}/edit"))
    text_box = page[page.index('<div class="thread-text">'):]
    text_box = text_box[:text_box.index("</div>")]
    assert '<sup class="cite cite-filled"><a href="/articles/' in text_box and "[1]</a></sup>" in text_box
    assert "[2]" in text_box and "[1] Officials" not in text_box


def test_every_page_links_its_icon(client, ids):
    page = text(client.get(f"/blocks/{ids['block1']}"))
    linked = re.search(r'<link rel="icon" href="(/forum-static/forum/favicon\.svg\?v=[0-9a-f]{16})" type="image/svg\+xml">',
                       page)
    assert linked
    icon = client.get(linked.group(1))
    assert icon.status_code == 200 and icon.mimetype == "image/svg+xml" and b"<svg" in icon.data
