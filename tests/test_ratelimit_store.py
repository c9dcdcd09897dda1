"""Members' writes counted in Redis: every limit of a write in one round trip, shared by every process, and in the
process's own memory while Redis fails."""

import uuid
from collections.abc import Iterator

import pytest
import redis
import sqlalchemy as sa
from flask import Flask
from limits import parse_many

from forum import limit_store
from forum.models import Argument, Role
from tests.articles import make_article
from tests.helpers import ForumClient
from wsgi import create_app

REDIS = "redis://127.0.0.1:6379/0"


def redis_app(database_url: str, prefix: str) -> Flask:
    """The site with its limits counted in Redis under `prefix` (two apps with one prefix: two workers)."""
    return create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                       "FORUM_RATELIMIT_STORAGE_URI": REDIS, "FORUM_RATELIMIT_KEY_PREFIX": prefix})


@pytest.fixture
def prefix() -> Iterator[str]:
    """A key prefix of the test's own, its keys deleted after it."""
    name = f"forum-test-{uuid.uuid4().hex}"
    yield name
    store = redis.Redis.from_url(REDIS)
    for key in store.scan_iter(f"{name}*"):
        store.delete(key)


@pytest.fixture
def app(database_url, prefix) -> Iterator[Flask]:
    app = redis_app(database_url, prefix)
    yield app
    app.extensions["forum"].dispose()


@pytest.fixture
def token(app, client, make_user) -> str:
    """A bearer token of a member in their first day (two posting limits)."""
    user = make_user("mia", Role.MEMBER)
    return client.post("/api/v1/tokens", json={"username": "mia", "password": user.password}).json["token"]


def post(client, block_id, token):
    body = f"Which year? ({uuid.uuid4().hex[:6]})"
    return client.api("POST", f"/api/v1/blocks/{block_id}/arguments", {"stance": "question", "body": body},
                      token=token)


def window(app, limit: str, kind: str = "post") -> int:
    """How many writes the (one) member's window of `limit` holds in Redis."""
    prefix = app.config["FORUM_RATELIMIT_KEY_PREFIX"]
    store = app.extensions["forum"].limiter.limiter.storage.get_connection()
    (item,) = parse_many(limit)
    suffix = f"/{item.amount}/{item.multiples}/{item.GRANULARITY.name}"
    (key,) = [k for k in store.scan_iter(f"*{prefix}/{kind}/member:*") if k.decode().endswith(suffix)]
    return int(store.llen(key))


def commands_sent(app, monkeypatch) -> list[str]:
    """The commands the limiter's Redis client sends from now on."""
    client = app.extensions["forum"].limiter.limiter.storage.get_connection()
    sent: list[str] = []
    original = client.execute_command

    def execute(*args, **options):
        sent.append(str(args[0]))
        return original(*args, **options)

    monkeypatch.setattr(client, "execute_command", execute)
    return sent


def test_a_new_members_post_is_counted_in_both_limits_in_one_round_trip(app, client, token, monkeypatch):
    """A member in their first day posts under two limits: each post counts in both, one command for the two, and the
    count stands as the next post's look at the windows."""
    ids = make_article(app)
    app.config["FORUM_RATELIMIT_POST"] = "100 per 10 minutes"
    app.config["FORUM_RATELIMIT_POST_NEW_MEMBER"] = "50 per day"
    assert post(client, ids["block1"], token).status_code == 201
    sent = commands_sent(app, monkeypatch)
    assert [post(client, ids["block1"], token).status_code for _ in range(3)] == [201] * 3
    assert sent == ["EVALSHA"] * 3
    assert window(app, "100 per 10 minutes") == window(app, "50 per day") == 4


def test_a_small_limit_refuses_at_its_count_across_processes(database_url, prefix, app, client, token):
    """Two processes (apps) on one Redis: the writes of both are counted, and the limit refuses at its count."""
    ids = make_article(app)
    other = redis_app(database_url, prefix)
    other.test_client_class = ForumClient
    try:
        for each in (app, other):
            each.config["FORUM_RATELIMIT_POST_NEW_MEMBER"] = "3 per day"
        statuses = [post(c, ids["block1"], token).status_code for c in (client, other.test_client()) * 2]
        assert statuses == [201, 201, 201, 429]
        assert window(app, "3 per day") == 3
    finally:
        other.extensions["forum"].dispose()


def test_a_redis_failing_at_the_count_leaves_the_post_counted_in_the_process(app, client, token, monkeypatch):
    """Redis drops as the post is counted: the post stands (201, stored once), counted in this process's memory,
    which counts alone for a while; the limit still holds there."""
    ids = make_article(app)
    app.config["FORUM_RATELIMIT_POST_NEW_MEMBER"] = "3 per day"
    monkeypatch.setattr(limit_store, "_paused_until", {})
    monkeypatch.setattr(limit_store, "FALLBACK", type(limit_store.FALLBACK)(type(limit_store.FALLBACK.storage)()))
    assert post(client, ids["block1"], token).status_code == 201

    looked_at = limit_store.rooms_left

    def dropped_at_the_count(storage, script, items, identifiers, hit):
        if hit:
            raise redis.ConnectionError("Connection reset by peer")
        return looked_at(storage, script, items, identifiers, hit)

    monkeypatch.setattr(limit_store, "rooms_left", dropped_at_the_count)
    assert post(client, ids["block1"], token).status_code == 201
    with app.extensions["forum"].sessionmaker() as session:
        assert session.scalar(sa.select(sa.func.count()).select_from(Argument)) == 2
    assert limit_store._paused_until  # counting in the process now: one there, two more pass, then refused
    assert [post(client, ids["block1"], token).status_code for _ in range(3)] == [201, 201, 429]
    assert window(app, "3 per day") == 1
