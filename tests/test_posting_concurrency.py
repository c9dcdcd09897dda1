"""Members posting in one thread at the same moment all get their arguments in: page versions never deadlock."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator

import pytest
import sqlalchemy as sa
from flask import Flask

from forum.models import Argument, Base, Block
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
    """Both posts reference the thread (PostgreSQL takes a KEY SHARE lock on it) before either moves its version.

    Locking the thread to move its version must not wait on those locks, or the two wait on each other.
    """
    app = postgres_app
    ids = make_article(app)
    state = app.extensions["forum"]
    with app.app_context():
        with state.writer_sessionmaker() as session:
            for n in range(2):
                ensure_member(session, f"poster{n}", f"Poster {n}")
            session.commit()
    both_flushed = threading.Barrier(2, timeout=WAIT)
    failures: list[BaseException] = []

    def post(n: int) -> None:
        try:
            with app.app_context(), state.writer_sessionmaker() as session:
                author = ensure_member(session, f"poster{n}", f"Poster {n}")
                post_argument(
                    session, session.get(Block, ids["block1"]), author, stance="support", body=f"Post {n}.",
                    sources=[SourceInput(url=f"https://example.org/{n}")],
                )
                session.flush()  # the argument is in: its thread is referenced, not yet moved
                both_flushed.wait()
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
    assert {"Post 0.", "Post 1."} <= bodies
