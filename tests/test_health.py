"""`GET /healthz`: what a load balancer asks every second, on both databases, with Redis up, down or unused."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from tests.queries import statements
from tests.servers import free_port
from wsgi import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"


def site(database_url: str, **config):
    """The site on `database_url` with `config` over the test settings."""
    return create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url, **config})


def test_a_healthy_site_without_redis_says_so_in_one_statement(app, client):
    client.get("/healthz")  # the pool's first connection
    with statements(app) as seen:
        answer = client.get("/healthz")
    assert answer.status_code == 200
    assert answer.json == {"database": "ok", "redis": "unused"}
    assert len(seen) == 1, seen.report()
    assert answer.headers["Cache-Control"] == "private, no-store"
    assert "Set-Cookie" not in answer.headers


def test_health_is_never_rate_limited(app, client):
    assert all(client.get("/healthz").status_code == 200 for _ in range(60))


def test_a_signed_in_browser_gets_no_cookie_from_it(client, as_member):
    answer = client.get("/healthz")
    assert answer.status_code == 200
    assert "Set-Cookie" not in answer.headers


@pytest.mark.parametrize("setting", ["FORUM_CACHE_URL", "FORUM_RATELIMIT_STORAGE_URI", "FORUM_EVENTS_URL"])
def test_each_redis_the_site_uses_is_checked(database_url, setting):
    up = site(database_url, **{setting: REDIS_URL})
    try:
        answer = up.test_client().get("/healthz")
        assert (answer.status_code, answer.json) == (200, {"database": "ok", "redis": "ok"})
    finally:
        up.extensions["forum"].dispose()
    down = site(database_url, **{setting: f"redis://127.0.0.1:{free_port()}/0"})
    try:
        answer = down.test_client().get("/healthz")
        assert (answer.status_code, answer.json) == (503, {"database": "ok", "redis": "failed"})
    finally:
        down.extensions["forum"].dispose()


def test_a_database_that_cannot_be_reached_is_503_naming_it(tmp_path):
    down = site(f"postgresql://postgres@127.0.0.1:{free_port()}/test", FORUM_CACHE_URL="none://")
    try:
        answer = down.test_client().get("/healthz")
        assert answer.status_code == 503
        assert answer.json == {"database": "failed", "redis": "unused"}
    finally:
        down.extensions["forum"].dispose()


def test_a_redis_that_stops_answering_fails_within_a_second(database_url, monkeypatch):
    """A Redis that takes connections but never answers (a listening socket nobody reads) holds nothing long."""
    import socket
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    port = listener.getsockname()[1]
    stuck = site(database_url, FORUM_CACHE_URL=f"redis://127.0.0.1:{port}/0")
    try:
        started = time.monotonic()
        answer = stuck.test_client().get("/healthz")
        assert answer.status_code == 503 and answer.json["redis"] == "failed"
        assert time.monotonic() - started < 1.5
    finally:
        stuck.extensions["forum"].dispose()
        listener.close()


def test_it_works_where_the_forum_is_mounted_in_a_host(database_url):
    from flask import Flask
    from flask_login import LoginManager

    from forum import Forum

    host = Flask(__name__)
    host.config.update(SECRET_KEY="x", FORUM_URL_PREFIX="/community", FORUM_DATABASE_URL=database_url)
    LoginManager(host)
    Forum(host)
    try:
        answer = host.test_client().get("/community/healthz")
        assert answer.json == {"database": "ok", "redis": "unused"}
    finally:
        host.extensions["forum"].dispose()


def test_a_postgresql_url_may_turn_prepared_statements_off_for_pgbouncer(postgres_database):
    from forum.db import make_engine

    engine = make_engine(postgres_database + "?prepare_threshold=none", {}, 10)
    try:
        with engine.connect() as connection:
            assert connection.connection.dbapi_connection.prepare_threshold is None
            for _ in range(10):  # past psycopg's default threshold of 5: still nothing prepared
                connection.execute(sa.text("SELECT 1"))
            prepared = connection.execute(sa.text("SELECT count(*) FROM pg_prepared_statements")).scalar()
            assert prepared == 0
    finally:
        engine.dispose()
    engine = make_engine(postgres_database + "?prepare_threshold=2", {}, 10)
    with engine.connect() as connection:
        assert connection.connection.dbapi_connection.prepare_threshold == 2
    engine.dispose()
    with pytest.raises(ValueError, match="prepare_threshold"):
        make_engine(postgres_database + "?prepare_threshold=lots", {}, 10)
