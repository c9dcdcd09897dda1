"""Members posting in one thread at the same moment all get their arguments in: page versions never deadlock."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from forum.models import Argument, Article, Base, Block
from forum.services.arguments import SourceInput, post_argument
from forum.services.members import ensure_member
from tests.articles import make_article
from wsgi import create_app

WAIT = 20  # seconds a poster waits for the other before the test gives up


@pytest.fixture
def postgres_app(new_postgres_database: Callable[[], str]) -> Iterator[Flask]:
    """The site on a fresh PostgreSQL database alone: SQLite writers take the database's write lock first, so
    they never interleave."""
    url = new_postgres_database()
    engine = sa.create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    Base.metadata.create_all(engine)
    engine.dispose()
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": url})
    yield app
    app.extensions["forum"].dispose()


def test_two_posts_with_sources_in_one_thread_at_once_both_commit(postgres_app: Flask) -> None:
    """A post references the thread (PostgreSQL takes a KEY SHARE lock on it) and moves its page version and its
    article's in the same statement: a second post in the thread waits for the first to commit, then goes in.

    Moving a version must not wait on the KEY SHARE locks of posts under way, or two posts wait on each other
    (PostgreSQL would break that off with a deadlock error): here the second post arrives while the first holds
    its transaction open.
    """
    app = postgres_app
    ids = make_article(app)
    state = app.extensions["forum"]
    with app.app_context():
        with state.writer_sessionmaker() as session:
            for n in range(2):
                ensure_member(session, f"poster{n}", f"Poster {n}")
            session.commit()
    with app.app_context(), state.sessionmaker() as session:
        block = session.get(Block, ids["block1"])
        assert block is not None
        before = (block.version, session.get(Article, block.article_id).version)  # type: ignore[union-attr]
    first_posted, second_started = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def post(n: int) -> None:
        try:
            with app.app_context(), state.writer_sessionmaker() as session:
                author = ensure_member(session, f"poster{n}", f"Poster {n}")
                session.flush()
                if n == 1:
                    assert first_posted.wait(WAIT)
                    second_started.set()
                post_argument(
                    session, session.get(Block, ids["block1"]), author, stance="support", body=f"Post {n}.",
                    sources=[SourceInput(url=f"https://example.org/{n}")],
                )
                if n == 0:
                    first_posted.set()
                    assert second_started.wait(WAIT)
                    time.sleep(0.5)  # the second post is under way meanwhile, waiting on this one
                session.commit()
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=post, args=(n,)) for n in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 2)
    assert failures == []
    with app.app_context(), state.sessionmaker() as session:
        bodies = set(session.scalars(sa.select(Argument.body).where(Argument.block_id == ids["block1"])))
        block = session.get(Block, ids["block1"])
        assert block is not None
        after = (block.version, session.get(Article, block.article_id).version)  # type: ignore[union-attr]
    assert {"Post 0.", "Post 1."} <= bodies
    assert after == (before[0] + 2, before[1] + 2)  # each post moved both pages once
