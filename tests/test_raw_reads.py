"""The one-row reads of a kept page (`forum.caching.raw_reads`): what the ORM reads, on a connection that may
have been lost or reset under them."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
from psycopg import pq

from forum.caching.pages import THREAD_VERSIONS
from forum.caching.raw_reads import PREPARED, compiled_for, read_connection, read_one
from forum.db import get_session
from forum.models import Article, Block
from tests.articles import make_article
from wsgi import create_app


def orm_versions(app, block: int) -> tuple:
    """The thread's versions as the ORM reads them."""
    with app.app_context():
        session = get_session()
        row = session.execute(
            sa.select(Block.version, Article.version, Block.kind).join(Article).where(Block.id == block)
        ).one()
        return tuple(row)


def test_a_read_gives_what_the_orm_reads_and_none_for_nothing(app):
    block = make_article(app)["block1"]
    engine = app.extensions["forum"].read_engine
    assert read_one(engine, THREAD_VERSIONS, {"block_id": block}) == orm_versions(app, block)
    assert read_one(engine, THREAD_VERSIONS, {"block_id": 2_000_000_000}) is None


# A server's connection to lose, reset or hold: PostgreSQL's (SQLite reads a file).
ON_POSTGRESQL = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@ON_POSTGRESQL
def test_a_read_outlives_a_lost_connection_and_a_statement_deallocated_under_it(app):
    block = make_article(app)["block1"]
    state = app.extensions["forum"]
    engine = state.read_engine
    wanted = orm_versions(app, block)
    assert read_one(engine, THREAD_VERSIONS, {"block_id": block}) == wanted
    with state.engine.connect() as connection:  # the server ends every other connection to the database
        connection.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))
    assert read_one(engine, THREAD_VERSIONS, {"block_id": block}) == wanted
    with read_connection(engine) as raw:  # the connection the reads use
        assert raw.info[PREPARED]  # prepared on this connection, and now dropped behind its back
        raw.dbapi_connection.pgconn.exec_(b"DEALLOCATE ALL")
    assert read_one(engine, THREAD_VERSIONS, {"block_id": block}) == wanted


@ON_POSTGRESQL
def test_a_connection_told_not_to_prepare_sends_the_read_whole(app, database_url):
    block = make_article(app)["block1"]
    unprepared = create_app({"TESTING": True, "SECRET_KEY": "test secret",
                             "FORUM_DATABASE_URL": f"{database_url}?prepare_threshold=none"})
    engine = unprepared.extensions["forum"].read_engine
    try:
        assert read_one(engine, THREAD_VERSIONS, {"block_id": block}) == orm_versions(app, block)
        with read_connection(engine) as raw:
            assert PREPARED not in raw.info
            prepared = raw.dbapi_connection.pgconn.exec_(b"SELECT count(*) FROM pg_prepared_statements")
            assert prepared.get_value(0, 0) == b"0"
    finally:
        unprepared.extensions["forum"].dispose()


@ON_POSTGRESQL
def test_the_reads_keep_a_connection_out_of_the_pool_and_give_it_back_on_dispose(app, database_url):
    block = make_article(app)["block1"]
    other = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url})
    state = other.extensions["forum"]
    engine = state.read_engine
    for _ in range(5):
        assert read_one(engine, THREAD_VERSIONS, {"block_id": block}) == orm_versions(app, block)
    assert engine.pool.checkedout() == 1  # one connection, kept for the next read rather than checked in
    with read_connection(engine) as raw:
        assert raw.info[PREPARED]  # the same connection each time: its statement prepared once
    state.dispose()
    assert engine.pool.checkedout() == 0


class WorkerTimeout(BaseException):
    """What a worker's timeout raises into a request (gevent's `Timeout` is not an `Exception` either)."""


@ON_POSTGRESQL
@pytest.mark.parametrize("left", ["in a transaction", "mid-statement"])
def test_a_connection_left_busy_is_not_kept_for_the_next_read(app, database_url, left):
    block = make_article(app)["block1"]
    other = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url})
    state = other.extensions["forum"]
    engine = state.read_engine
    try:
        with pytest.raises(WorkerTimeout), read_connection(engine) as raw:
            busy = raw.dbapi_connection
            if left == "in a transaction":
                busy.pgconn.exec_(b"BEGIN")
            else:
                busy.pgconn.send_query(b"SELECT pg_sleep(0.2)")
            raise WorkerTimeout
        assert engine.pool.checkedout() == 0  # given back to the pool, which rolled it back or dropped it
        assert read_one(engine, THREAD_VERSIONS, {"block_id": block}) == orm_versions(app, block)
        with read_connection(engine) as raw:
            assert raw.dbapi_connection.pgconn.transaction_status == pq.TransactionStatus.IDLE
    finally:
        state.dispose()


def test_statements_first_read_by_many_threads_at_once_each_answer_their_own(app):
    engine = app.extensions["forum"].read_engine
    statements = [sa.select(sa.literal_column(str(n), sa.Integer).label("n")) for n in range(40)]
    start = threading.Barrier(8)

    def first_reads(offset: int) -> list[tuple]:
        start.wait()
        return [(n, read_one(engine, statements[n], {})) for n in range(offset, 40, 8)]

    with ThreadPoolExecutor(8) as pool:
        answers = [answer for chunk in pool.map(first_reads, range(8)) for answer in chunk]
    assert sorted(answers) == [(n, (n,)) for n in range(40)]
    assert len({compiled_for(engine, statement).prepared_as for statement in statements}) == 40
