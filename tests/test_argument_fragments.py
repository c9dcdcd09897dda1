"""Kept arguments: a vote writes again only what it changed, and every kept argument is what a fresh rendering shows.

The thread page keeps each argument's HTML by the argument's own state and the viewer's kind
(`forum/views/argument_tree.py`), and writes the counts in at each request. These tests count the arguments a
read writes after a vote, and compare pages assembled from kept arguments with the same pages rendered afresh,
past every memo, after each kind of write, for a reader, a voter, the author and a moderator.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa

from forum.caching.verify import RENDER_FRESH, difference
from forum.db import get_session
from forum.importing import ParsedArticle, ParsedBlock
from forum.models import Argument, Block, Member, Role
from forum.services import accounts, arguments, members, moderation, seeding, threads, votes
from forum.services.article_storage import import_article
from forum.views.argument_tree import ArgumentTree
from tests.helpers import ForumClient
from tests.queries import statements
from wsgi import create_app

ARGUMENTS = 24


@pytest.fixture
def uncached(database_url: str) -> Iterator:
    """The site without a page cache (the memos stay on), so that every read renders its page."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                      "FORUM_CACHE_URL": "none://"})
    app.test_client_class = ForumClient
    yield app
    app.extensions["forum"].dispose()


@pytest.fixture
def thread(uncached, make_user_in) -> dict[str, int]:
    """A thread of `ARGUMENTS` seeded arguments (replies, sources, votes) and mia's reply to the first; mia and moe,
    a moderator, have accounts."""
    mia, moe = make_user_in(uncached, "mia", Role.MEMBER), make_user_in(uncached, "moe", Role.MODERATOR)
    with uncached.app_context():
        session = get_session()
        article = import_article(session, ParsedArticle(
            title="Tolls", date=None, blocks=[ParsedBlock("paragraph", "The toll rose three times.", [])],
            references={},
        ))
        session.flush()
        seeding.seed_discussion(session, article.id, arguments_per_thread=ARGUMENTS, votes_per_argument=3)
        block = article.blocks[0]
        first = session.scalars(sa.select(Argument).where(Argument.block_id == block.id).order_by(Argument.id)).first()
        mia_member = members.ensure_member(session, str(mia.id), "mia")
        members.ensure_member(session, str(moe.id), "moe")
        # mia answers the argument the writes fall on: her page shows her own argument's tools too.
        arguments.post_argument(session, block, mia_member, stance="support", body="Twice, by my count.",
                                parent_id=first.id)
        session.commit()
        return {"block": block.id, "argument": first.id, "author": first.author_id}


@pytest.fixture
def make_user_in():
    """Create a site account in an app of the test's own."""

    def make(app, username: str, role: Role):
        with app.app_context():
            session = get_session()
            account = accounts.register(session, username, "a long test password", role=role)
            session.commit()
            return account

    return make


def signed_in(app, username: str) -> ForumClient:
    """A client signed in through the login form."""
    client = app.test_client()
    response = client.submit("/login", {"username": username, "password": "a long test password"})
    assert response.status_code == 302
    return client


@pytest.fixture
def written(monkeypatch) -> list[int]:
    """The ids of the arguments the thread page writes rather than takes from the kept ones, as it writes them."""
    ids: list[int] = []
    write = ArgumentTree.write_item

    def counting(self, a, *args, **kwargs):
        ids.append(a.id)
        return write(self, a, *args, **kwargs)

    monkeypatch.setattr(ArgumentTree, "write_item", counting)
    return ids


def fresh(client: ForumClient, url: str):
    """The page rendered past every memo, as verify mode's second rendering asks for it."""
    return client.get(url, environ_overrides={RENDER_FRESH: True})


def member(session, name: str) -> Member:
    return session.scalars(sa.select(Member).where(Member.name == name)).one()


def test_a_vote_then_a_read_writes_no_argument_again_but_the_voters_own(uncached, thread, written):
    url = f"/blocks/{thread['block']}"
    reader, mia = uncached.test_client(), signed_in(uncached, "mia")
    assert reader.get(url).status_code == 200 and mia.get(url).status_code == 200
    assert len(set(written)) == ARGUMENTS + 1  # the first reads write every argument once
    written.clear()
    with uncached.app_context():
        session = get_session()
        votes.cast_vote(session, thread["argument"], member(session, "mia"), 1)
        session.commit()
    page = reader.get(url).get_data(as_text=True)
    assert written == []
    assert "Score " in page
    mine = mia.get(url).get_data(as_text=True)
    # Only the argument whose buttons mia's vote changed is written again, for her.
    assert written == [thread["argument"]]
    start = mine.index(f'id="vote-{thread["argument"]}"')
    assert 'aria-pressed="true"' in mine[start:mine.index("</div>", start)]


def reads_of_the_arguments(app, client: ForumClient, url: str) -> tuple[int, int, str]:
    """A read of the page: how many statements read the thread's arguments whole, how many their counts alone,
    and the page."""
    with statements(app) as seen:
        page = client.get(url)
    assert page.status_code == 200
    whole = [q for q in seen.queries if "forum_arguments.body" in q]
    counts = [q for q in seen.queries if q.startswith("SELECT forum_arguments.id, forum_arguments.up")]
    return len(whole), len(counts), page.get_data(as_text=True)


def test_a_read_after_votes_alone_reads_the_counts_not_the_arguments(uncached, thread):
    url, reader = f"/blocks/{thread['block']}", uncached.test_client()
    assert reads_of_the_arguments(uncached, reader, url)[:2] == (1, 0)  # the first read reads them all
    with uncached.app_context():
        session = get_session()
        votes.cast_vote(session, thread["argument"], member(session, "mia"), -1)
        session.commit()
        votes.cast_vote(session, thread["argument"], member(session, "moe"), -1)
        session.commit()
        voted = session.get(Argument, thread["argument"])
        tally = f"Score {voted.score}</strong> <span class=\"vote-split\">({voted.up} up, {voted.down} down)"
    whole, counts, page = reads_of_the_arguments(uncached, reader, url)
    assert (whole, counts) == (0, 1)
    assert difference(page.encode(), fresh(reader, url).get_data()) is None
    start = page.index(f'id="vote-{thread["argument"]}"')
    assert tally in page[start:page.index("</div>", start)]
    # An edit moves the page version alone: the next read reads the arguments whole, though a vote came after.
    with uncached.app_context():
        session = get_session()
        edit(session, thread["argument"])
        session.commit()
        votes.cast_vote(session, thread["argument"], member(session, "mia"), 1)
        session.commit()
    whole, counts, page = reads_of_the_arguments(uncached, reader, url)
    assert (whole, counts) == (1, 0)
    assert "Edited: the toll rose twice." in page


def test_counts_read_again_name_the_same_arguments_or_the_thread_is_read_whole():
    """Counts that name an argument the snapshot lacks (a row written since) make it read the thread again."""
    record = threads.ArgumentRecord(
        id=1, block_id=1, parent_id=None, author_id=1, author=threads.AuthorRef(1, "a"), stance="support", body="b",
        html="<p>b</p>", created_at=None, edited_at=None, withdrawn_at=None, up=1, down=0, score=1, hidden=False,
        hidden_reason=None, moderator_edited=False, sources=(),
    )
    assert threads.with_counts((record,), [(1, 1, 0, 1)]) == (record,)
    assert threads.with_counts((record,), [(1, 1, 0, 1)])[0] is record  # unchanged: the same record
    assert threads.with_counts((record,), [(1, 2, 1, 1)])[0].down == 1
    assert threads.with_counts((record,), [(2, 1, 0, 1)]) is None
    assert threads.with_counts((record,), [(1, 1, 0, 1), (2, 0, 0, 0)]) is None


def rename(session, argument: int) -> None:
    author = session.get(Argument, argument).author
    members.ensure_member(session, author.user_id, "Renamed Author")


def edit(session, argument: int) -> None:
    found = session.get(Argument, argument)
    arguments.edit_argument(session, found, found.author, body="Edited: the toll rose twice.")


def hide(session, argument: int) -> None:
    moderation.hide(session, argument, member(session, "moe"), "Off topic.")


def restore(session, argument: int) -> None:
    hide(session, argument)
    session.flush()
    moderation.restore(session, argument, member(session, "moe"), "Back on topic.")


def flag(session, argument: int) -> None:
    moderation.flag(session, argument, member(session, "mia"), "spam")


def vote(session, argument: int) -> None:
    votes.cast_vote(session, argument, member(session, "mia"), -1)


def withdraw(session, argument: int) -> None:
    found = session.get(Argument, argument)
    arguments.withdraw_argument(session, found, found.author)


def lock(session, argument: int) -> None:
    moderation.lock(session, session.get(Argument, argument).block_id, member(session, "moe"), True, "Settled.")


def score(session, argument: int) -> None:
    session.execute(sa.update(Argument).where(Argument.id == argument).values(helpfulness=0.7, helpful=True))


WRITES: dict[str, Callable] = {
    "vote": vote, "edit": edit, "hide": hide, "restore": restore, "flag": flag, "withdraw": withdraw,
    "lock": lock, "rename": rename, "score": score,
}


@pytest.mark.parametrize("write", list(WRITES))
def test_every_kept_argument_is_what_a_fresh_rendering_shows_after_each_write(uncached, thread, write):
    readers = {
        "reader": uncached.test_client(), "voter": signed_in(uncached, "mia"), "moderator": signed_in(uncached, "moe"),
    }
    urls = [f"/blocks/{thread['block']}", f"/blocks/{thread['block']}?sort=new", f"/arguments/{thread['argument']}"]
    for client in readers.values():
        for url in urls:
            assert client.get(url).status_code == 200  # every argument kept for every kind of viewer
    with uncached.app_context():
        session = get_session()
        WRITES[write](session, thread["argument"])
        session.commit()
    for name, client in readers.items():
        for url in urls:
            kept, rendered = client.get(url), fresh(client, url)
            assert kept.status_code == rendered.status_code == 200
            diff = difference(kept.get_data(), rendered.get_data())
            assert diff is None, f"{name} at {url} after {write}:\n{diff}"


def test_a_locked_thread_takes_its_vote_buttons_from_no_kept_argument(uncached, thread):
    url = f"/blocks/{thread['block']}"
    mia = signed_in(uncached, "mia")
    assert 'class="vote-button vote-up"' in mia.get(url).get_data(as_text=True)
    with uncached.app_context():
        session = get_session()
        session.get(Block, thread["block"]).locked = True
        session.commit()
    assert 'class="vote-button' not in mia.get(url).get_data(as_text=True)


def test_a_host_users_name_holding_what_marks_a_kept_fragments_gaps_is_shown_as_text(uncached, thread):
    # A host may name its users anything; NUL marks the open places of a kept argument (its times, its token).
    with uncached.app_context():
        session = get_session()
        named = members.ensure_member(session, "host-user-7", "Zed\x00ago:1e999\x00 \x00csrf\x00")
        arguments.post_argument(session, session.get(Block, thread["block"]), named, stance="question",
                                body="Which toll?")
        session.commit()
        assert named.name == "Zedago:1e999 csrf"
    page = uncached.test_client().get(f"/blocks/{thread['block']}")
    assert page.status_code == 200
    assert "Zedago:1e999 csrf" in page.get_data(as_text=True)
