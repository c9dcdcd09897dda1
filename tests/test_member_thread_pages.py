"""Members' thread pages assembled from the page all plain members share: written once per version, each
member's own page what a fresh rendering shows them (their votes, flags, arguments, menu, watch level, CSRF
token), nothing of another member's in it, and readers of a new version waiting for one writing of it.
"""

from __future__ import annotations

import gzip
import re
import threading
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from forum.caching.verify import RENDER_FRESH, comparable
from forum.db import get_session
from forum.extension import Forum
from forum.importing import ParsedArticle, ParsedBlock
from forum.models import Argument, Member, Role
from forum.services import accounts, arguments, members, moderation, seeding, votes, watching
from forum.services.article_storage import import_article
from forum.views import thread_page
from tests.helpers import ForumClient
from wsgi import create_app

PASSWORD = "a long test password"
META_TOKEN = re.compile(r'<meta name="csrf-token" content="([^"]*)"')
FORM_TOKEN = re.compile(r'name="csrf_token" value="([^"]*)"')


def site(database_url: str, cache_url: str, **settings: object) -> object:
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                      "FORUM_CACHE_URL": cache_url, **settings})
    app.test_client_class = ForumClient
    return app


@pytest.fixture(params=["none://", "memory://"])
def app(request: pytest.FixtureRequest, database_url: str) -> Iterator:
    """The site with no page cache (every read assembles its page) and with one (a member's copy is kept)."""
    app = site(database_url, request.param)
    yield app
    app.extensions["forum"].dispose()


@pytest.fixture
def thread(app) -> dict[str, int]:
    """A thread of 12 seeded arguments; mia, max, zoe and ann, members, and moe, a moderator, have accounts. mia
    answered the first argument, max voted on it and flagged the second and watches the thread."""
    return make_thread(app)


def make_thread(app) -> dict[str, int]:
    """The `thread` fixture's thread, made on `app`."""
    with app.app_context():
        session = get_session()
        for name, role in [("mia", Role.MEMBER), ("max", Role.MEMBER), ("zoe", Role.MEMBER),
                           ("ann", Role.MEMBER), ("moe", Role.MODERATOR)]:
            account = accounts.register(session, name, PASSWORD, role=role)
            members.ensure_member(session, str(account.id), name)
        article = import_article(session, ParsedArticle(
            title="Tolls", date=None, blocks=[ParsedBlock("paragraph", "The toll rose three times.", [])],
            references={},
        ))
        session.flush()
        seeding.seed_discussion(session, article.id, arguments_per_thread=12, votes_per_argument=2)
        block = article.blocks[0]
        first, second = session.scalars(
            sa.select(Argument).where(Argument.block_id == block.id, Argument.parent_id.is_(None))
            .order_by(Argument.id).limit(2)
        ).all()
        mia, max_ = member(session, "mia"), member(session, "max")
        reply = arguments.post_argument(session, block, mia, stance="support", body="Twice, by my count.",
                                        parent_id=first.id)
        votes.cast_vote(session, first.id, max_, 1)
        moderation.flag(session, second.id, max_, "spam")
        watching.watch_thread(session, max_, block.id, "watching")
        session.commit()
        return {"block": block.id, "first": first.id, "second": second.id, "reply": reply.id}


def member(session, name: str) -> Member:
    return session.scalars(sa.select(Member).where(Member.name == name)).one()


def signed_in(app, username: str) -> ForumClient:
    client = app.test_client()
    assert client.submit("/login", {"username": username, "password": PASSWORD}).status_code == 302
    return client


@pytest.fixture
def writings(monkeypatch) -> list[int]:
    """The thread pages written whole (rather than assembled), by thread."""
    written: list[int] = []
    write = thread_page.written_page

    def counting(block_id, *args, **kwargs):
        written.append(block_id)
        return write(block_id, *args, **kwargs)

    monkeypatch.setattr(thread_page, "written_page", counting)
    return written


def body(response) -> str:
    data = response.get_data()
    return (gzip.decompress(data) if response.headers.get("Content-Encoding") == "gzip" else data).decode()


def fresh(client: ForumClient, url: str) -> str:
    """The page rendered past every memo and kept page."""
    return client.get(url, environ_overrides={RENDER_FRESH: True}).get_data(as_text=True)


def tokens(page: str) -> set[str]:
    """The session tokens a page's CSRF tokens sign: two signed in different seconds carry the same one."""
    return {token.split(".")[0] for token in set(META_TOKEN.findall(page)) | set(FORM_TOKEN.findall(page))}


def test_one_writing_serves_every_member_each_their_own_page(app, thread, writings):
    url = f"/blocks/{thread['block']}"
    readers = {name: signed_in(app, name) for name in ("zoe", "max", "mia", "ann")}
    for client in readers.values():  # each member's arguments as they see them are kept once
        client.get(url)
    vote_as(app, "moe", thread["first"], -1)
    writings.clear()
    pages = {name: body(client.get(url, headers={"Accept-Encoding": "gzip"})) for name, client in readers.items()}
    assert writings == [thread["block"]]  # zoe's reading wrote the page; the others' were assembled from it
    for name, client in readers.items():
        page = pages[name]
        expected = fresh(client, url)
        assert comparable(page.encode()) == comparable(expected.encode()), name
        assert tokens(page) == tokens(expected) and len(tokens(page)) == 1, name  # their session's token, only
        assert f"Signed in as <strong>{name}</strong>" in page
    # Nothing of another member's: zoe's page neither presses max's vote nor offers mia's tools, and their tokens
    # differ.
    assert len({next(iter(tokens(page))) for page in pages.values()}) == len(pages)
    vote_box = re.compile(rf'id="vote-{thread["first"]}".*?</div>', re.S)
    assert 'aria-pressed="true"' in vote_box.search(pages["max"])[0]
    assert 'aria-pressed="true"' not in vote_box.search(pages["zoe"])[0]
    assert pages["max"] != pages["zoe"].replace("zoe", "max")
    edit = f"/arguments/{thread['reply']}/edit"
    assert edit in pages["mia"] and edit not in pages["zoe"] and edit not in pages["max"]
    assert 'class="watch-watching" aria-pressed="true"' in pages["max"]
    assert 'class="watch-watching" aria-pressed="true"' not in pages["zoe"]


def vote_as(app, name: str, argument: int, value: int) -> None:
    with app.app_context():
        session = get_session()
        votes.cast_vote(session, argument, member(session, name), value)
        session.commit()


def test_after_a_vote_one_writing_again_and_the_voter_sees_their_vote(app, thread, writings):
    url = f"/blocks/{thread['block']}"
    zoe, ann = signed_in(app, "zoe"), signed_in(app, "ann")
    zoe.get(url), ann.get(url)
    vote_as(app, "ann", thread["second"], -1)
    writings.clear()
    zoe.get(url), ann.get(url)
    # zoe's reading wrote the new version's page; ann's down-vote had never been shown, so hers was written too.
    assert writings == [thread["block"]] * 2
    vote_as(app, "moe", thread["first"], 1)
    writings.clear()
    zoe_page, ann_page = body(zoe.get(url)), body(ann.get(url))
    assert writings == [thread["block"]]
    assert comparable(ann_page.encode()) == comparable(fresh(ann, url).encode())
    assert comparable(zoe_page.encode()) == comparable(fresh(zoe, url).encode())
    vote_box = re.compile(rf'id="vote-{thread["second"]}".*?</div>', re.S)
    assert 'aria-pressed="true"' in vote_box.search(ann_page)[0]
    assert 'aria-pressed="true"' not in vote_box.search(zoe_page)[0]


def test_a_moderator_and_a_reply_form_are_written_whole(app, thread, writings):
    url = f"/blocks/{thread['block']}"
    moe, zoe = signed_in(app, "moe"), signed_in(app, "zoe")
    moe.get(url)
    zoe.get(f"{url}?reply_to={thread['first']}")
    assert writings == [thread["block"], thread["block"]]
    zoe.get(url)
    zoe.get(url)
    assert len(writings) == 3


def test_a_host_that_has_not_turned_shared_pages_on_writes_each_members_page_whole(database_url, writings):
    # A host's layout may show its user's own details, which no other member may be shown: off unless turned on.
    host = Flask(__name__)
    host.config.update(SECRET_KEY="host secret", TESTING=True, FORUM_DATABASE_URL=database_url)
    Forum(host)
    assert host.config["FORUM_SHARED_MEMBER_PAGES"] is False
    host.extensions["forum"].dispose()
    app = site(database_url, "memory://", FORUM_SHARED_MEMBER_PAGES=False)
    try:
        made = make_thread(app)
        block = made["block"]
        readers = [signed_in(app, name) for name in ("zoe", "max", "mia", "ann")]
        for client in readers:
            client.get(f"/blocks/{block}")
        writings.clear()
        for client in readers:
            client.get(f"/blocks/{block}", headers={"Accept-Encoding": "gzip"})
        assert writings == []  # their own copies, each written whole before
        vote_as(app, "moe", made["first"], -1)
        for client in readers:
            client.get(f"/blocks/{block}")
        assert writings == [block] * len(readers)
    finally:
        app.extensions["forum"].dispose()


def test_readers_of_a_new_version_wait_for_one_writing(app, thread, writings):
    url = f"/blocks/{thread['block']}"
    readers = [signed_in(app, name) for name in ("zoe", "max", "mia", "ann")]
    for client in readers:
        client.get(url)
    vote_as(app, "moe", thread["first"], -1)
    writings.clear()
    pages: list[str] = []
    start = threading.Barrier(len(readers))

    def read(client: ForumClient) -> None:
        start.wait()
        pages.append(body(client.get(url)))

    threads = [threading.Thread(target=read, args=(client,)) for client in readers]
    for reader in threads:
        reader.start()
    for reader in threads:
        reader.join()
    assert len(pages) == len(readers) and all("Signed in as" in page for page in pages)
    assert writings == [thread["block"]]


def test_a_verified_site_finds_every_assembled_copy_as_it_renders_it(database_url, thread_of_verified):
    app, url = thread_of_verified
    zoe, max_ = signed_in(app, "zoe"), signed_in(app, "max")
    for client in (zoe, max_, zoe, max_):  # the second readings are hits, each checked against a fresh rendering
        response = client.get(url, headers={"Accept-Encoding": "gzip"})
        assert response.status_code == 200


@pytest.fixture
def thread_of_verified(database_url: str) -> Iterator:
    """A verify-mode site (every hit rendered afresh and compared) with two members and a seeded thread."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                      "FORUM_CACHE_VERIFY": True})
    app.test_client_class = ForumClient
    with app.app_context():
        session = get_session()
        for name in ("zoe", "max"):
            account = accounts.register(session, name, PASSWORD, role=Role.MEMBER)
            members.ensure_member(session, str(account.id), name)
        article = import_article(session, ParsedArticle(
            title="Tolls", date=None, blocks=[ParsedBlock("paragraph", "The toll rose.", [])], references={},
        ))
        session.flush()
        seeding.seed_discussion(session, article.id, arguments_per_thread=6, votes_per_argument=1)
        block = article.blocks[0]
        first = session.scalars(sa.select(Argument.id).where(Argument.block_id == block.id)).first()
        votes.cast_vote(session, first, member(session, "max"), 1)
        session.commit()
        url = f"/blocks/{block.id}"
    yield app, url
    app.extensions["forum"].dispose()
