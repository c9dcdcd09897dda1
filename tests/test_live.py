"""Live threads: a thread's changes reach its Server-Sent Events stream after commit, and only then; ids let a
client that reconnects catch up; what an event says is what every reader may see; streams are bounded."""

from __future__ import annotations

import time
import uuid
from types import SimpleNamespace

import pytest
import redis
import sqlalchemy as sa

from forum.db import get_session
from forum.live import staging
from forum.live.brokers import MemoryBroker, RedisBroker
from forum.models import Argument, Member, Role
from forum.services import arguments, votes
from forum.workers import stream_ceiling
from tests.articles import make_article
from tests.live_streams import open_stream
from wsgi import create_app

REDIS_URL = "redis://127.0.0.1:6379/0"
SECRET = "The secret words of a hidden argument"


def token(app, name: str, password: str) -> str:
    """A bearer token of the account `name`."""
    return app.test_client().post("/api/v1/tokens", json={"username": name, "password": password}).json["token"]


@pytest.fixture
def thread(app, make_user):
    """An article, and the tokens of a member, another member and a moderator."""
    app.config.update(FORUM_EVENTS_MAX_AGE=3, FORUM_EVENTS_HEARTBEAT=15)
    ids = make_article(app)
    people = {name: make_user(name, role) for name, role in
              (("mia", Role.MEMBER), ("ray", Role.MEMBER), ("moe", Role.MODERATOR))}
    tokens = {name: token(app, name, user.password) for name, user in people.items()}
    return SimpleNamespace(app=app, block=ids["block1"], other=ids["block2"], tokens=tokens,
                           events=f"/api/v1/blocks/{ids['block1']}/events")


def post(client, thread, body: str = "Twice, not thrice.", who: str = "mia", stance: str = "counter") -> int:
    """Post an argument through the API; its id."""
    answer = client.api("POST", f"/api/v1/blocks/{thread.block}/arguments", {"stance": stance, "body": body},
                        token=thread.tokens[who])
    assert answer.status_code == 201, answer.json
    return answer.json["id"]


def test_each_kind_of_change_reaches_the_threads_stream_with_an_id(thread, client):
    stream = open_stream(thread.app.test_client(), thread.events)
    assert stream.status == 200
    assert stream.headers["Content-Type"].startswith("text/event-stream")
    assert stream.headers["Cache-Control"] == "private, no-store"
    argument = post(client, thread)
    assert client.api("PUT", f"/api/v1/arguments/{argument}/vote", {"value": 1},
                      token=thread.tokens["ray"]).status_code == 200
    assert client.api("PUT", f"/api/v1/blocks/{thread.block}/consensus",
                      {"status": "contested", "note": "", "version": 0}, token=thread.tokens["moe"]).status_code == 200
    assert client.api("POST", f"/api/v1/arguments/{argument}/hide", {"reason": "Off topic."},
                      token=thread.tokens["moe"]).status_code == 200
    got = stream.rest()
    assert [(e.kind, e.data) for e in got] == [
        ("argument", {"id": got[0].id, "argument_id": argument, "parent_id": None, "stance": "counter",
                      "action": "posted"}),
        ("vote", {"id": got[1].id, "argument_id": argument, "score": 1, "up": 1, "down": 0}),
        ("consensus", {"id": got[2].id, "status": "contested", "version": 1}),
        ("hidden", {"id": got[3].id, "argument_id": argument, "hidden": True}),
    ]
    assert len({e.id for e in got}) == 4


def test_another_threads_changes_stay_out_of_the_stream(thread, client):
    stream = open_stream(thread.app.test_client(), thread.events)
    client.api("POST", f"/api/v1/blocks/{thread.other}/arguments", {"stance": "support", "body": "Yes."},
               token=thread.tokens["mia"])
    assert stream.rest() == []


def test_no_event_ever_carries_an_arguments_words(thread, client):
    stream = open_stream(thread.app.test_client(), thread.events)
    argument = post(client, thread, body=SECRET)
    moe = thread.tokens["moe"]
    client.api("POST", f"/api/v1/arguments/{argument}/hide", {"reason": "Abuse."}, token=moe)
    # A moderator's edit of the hidden argument is told, but not what it now says.
    assert client.api("PATCH", f"/api/v1/arguments/{argument}", {"body": SECRET + " (edited)", "reason": "Typo."},
                      token=moe).status_code == 200
    client.api("POST", f"/api/v1/arguments/{argument}/restore", {"reason": "Fine after all."}, token=moe)
    got = stream.rest()
    assert [(e.kind, e.data.get("action", e.data.get("hidden"))) for e in got] == [
        ("argument", "posted"), ("hidden", True), ("argument", "edited"), ("hidden", False)]
    for event in got:
        assert "secret" not in event.raw.lower() and "Abuse" not in event.raw and "Typo" not in event.raw


def test_a_stream_of_an_unpublished_article_is_refused_to_readers(thread, client, make_user):
    admin = make_user("ada", Role.ADMIN)
    article = client.get(f"/api/v1/blocks/{thread.block}/arguments")  # noqa: F841 - the thread exists
    with thread.app.app_context():
        from forum.models import Block
        article_id = get_session().get(Block, thread.block).article_id
    assert client.api("DELETE", f"/api/v1/articles/{article_id}", token=token(thread.app, "ada", admin.password),
                      json={"reason": "Withdrawn by the author."}).status_code == 200
    assert thread.app.test_client().get(thread.events).status_code == 410
    assert thread.app.test_client().get("/api/v1/blocks/999999/events").status_code == 404


def test_a_rolled_back_write_publishes_nothing(thread, client):
    broker = thread.app.extensions["forum"].events
    with thread.app.app_context():
        session = get_session()
        mia = session.scalar(sa.select(Member).where(Member.name == "mia"))
        if mia is None:  # a member row is made on first write
            post(client, thread, body="First of mia's.")
            mia = session.scalar(sa.select(Member).where(Member.name == "mia"))
        before = broker.latest(thread.block)
        from forum.models import Block
        block = session.get(Block, thread.block)
        arguments.post_argument(session, block, mia, stance="support", body="Never committed.")
        session.rollback()
        assert broker.latest(thread.block) == before
        # A savepoint rolled back drops its own events; the transaction's others are published at commit.
        with session.begin_nested():
            pass
        savepoint = session.begin_nested()
        arguments.post_argument(session, session.get(Block, thread.block), mia, stance="support",
                                body="Rolled back with its savepoint.")
        savepoint.rollback()
        kept = arguments.post_argument(session, session.get(Block, thread.block), mia, stance="question",
                                       body="Committed.")
        session.commit()
        got = broker.read(thread.block, before, 1)
        assert [e.data["argument_id"] for e in got] == [kept.id]
        # A write refused half-way (a stale verdict) tells nothing either.
        after = broker.latest(thread.block)
    assert client.api("PUT", f"/api/v1/blocks/{thread.block}/consensus",
                      {"status": "supported", "note": "", "version": 7}, token=thread.tokens["moe"]).status_code == 409
    assert broker.read(thread.block, after, 0.2) == []


def test_a_vote_refused_by_the_policy_tells_nothing(thread, client):
    argument = post(client, thread)
    broker = thread.app.extensions["forum"].events
    mark = broker.latest(thread.block)
    # Her own argument: refused.
    assert client.api("PUT", f"/api/v1/arguments/{argument}/vote", {"value": 1},
                      token=thread.tokens["mia"]).status_code == 403
    assert broker.read(thread.block, mark, 0.2) == []


def test_a_client_that_reconnects_with_its_last_event_id_gets_what_it_missed(thread, client):
    first = post(client, thread, body="One.")
    stream = open_stream(thread.app.test_client(), thread.events)
    seen = stream.next()
    assert seen is None or seen.kind  # nothing since the stream opened, or the stream ended
    broker = thread.app.extensions["forum"].events
    mark = broker.latest(thread.block)
    missed = [post(client, thread, body=f"Missed {n}.") for n in range(3)]
    again = open_stream(thread.app.test_client(), thread.events, headers={"Last-Event-ID": mark})
    assert [e.data["argument_id"] for e in again.rest()] == missed
    # The same through the query (what the page's script sends when it opens a stream again itself).
    again = open_stream(thread.app.test_client(), f"{thread.events}?last_event_id={mark}")
    assert [e.data["argument_id"] for e in again.rest()] == missed
    # A malformed id is no id: the stream starts from now.
    fresh = open_stream(thread.app.test_client(), thread.events, headers={"Last-Event-ID": "x" * 5000})
    assert fresh.status == 200 and fresh.rest() == []
    assert first not in missed


def test_streams_beyond_the_ceiling_are_refused_with_retry_after_and_their_places_come_back(thread):
    thread.app.config.update(FORUM_EVENTS_MAX_STREAMS=2, FORUM_EVENTS_MAX_AGE=1)
    streams = [open_stream(thread.app.test_client(), thread.events) for _ in range(2)]
    refused = thread.app.test_client().get(thread.events)
    assert refused.status_code == 503
    assert refused.headers["Retry-After"] == "15"
    assert refused.json["error"]["code"] == "busy"
    for stream in streams:
        stream.rest()
        stream.thread.join(5)
    time.sleep(0.1)
    assert thread.app.extensions["forum"].stream_gate.open == 0
    later = open_stream(thread.app.test_client(), thread.events)
    assert later.status == 200
    later.rest()


def test_a_clients_newest_stream_ends_its_oldest_so_nobody_takes_every_place(thread):
    thread.app.config.update(FORUM_EVENTS_MAX_STREAMS=10, FORUM_EVENTS_MAX_STREAMS_PER_CLIENT=2,
                             FORUM_EVENTS_MAX_AGE=5)
    gate = thread.app.extensions["forum"].stream_gate
    first, second = (open_stream(thread.app.test_client(), thread.events) for _ in range(2))
    third = open_stream(thread.app.test_client(), thread.events)  # a reader who moved on to another page
    assert third.status == 200
    first.thread.join(5)
    assert not first.thread.is_alive() and second.thread.is_alive() and gate.open == 2
    # Another reader, at another address, is not touched.
    elsewhere = thread.app.test_client()
    elsewhere.environ_base["REMOTE_ADDR"] = "127.0.0.9"
    other = open_stream(elsewhere, thread.events)
    assert other.status == 200 and gate.open == 3
    for stream in (second, third, other):
        stream.rest()
        stream.thread.join(10)
    time.sleep(0.1)
    assert gate.open == 0 and gate.by_client == {}


def test_a_quiet_stream_sends_heartbeats_and_ends_after_its_lifetime(thread):
    thread.app.config.update(FORUM_EVENTS_HEARTBEAT=0.3, FORUM_EVENTS_MAX_AGE=1.2)
    started = time.monotonic()
    stream = open_stream(thread.app.test_client(), thread.events)
    assert stream.rest() == []
    assert 1.0 <= time.monotonic() - started < 5
    assert stream.comments.count("heartbeat") >= 2


def test_the_thread_page_subscribes_and_marks_what_it_refreshes(thread, client):
    page = client.get(f"/blocks/{thread.block}").get_data(as_text=True)
    assert f'sse-connect="/api/v1/blocks/{thread.block}/events"' in page
    assert 'data-live="arguments"' in page and 'data-live="verdict"' in page
    assert 'aria-live="polite"' in page
    script = client.get("/forum-static/forum/htmx-ext-sse.js")
    assert script.status_code == 200
    assert b"htmx-ext-sse 2.2.4" in script.data and b"0BSD" in script.data


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own on the test Redis, its keys removed afterwards."""
    prefix = f"forum-test-events-{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} cannot be reached: {error}")
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def site(database_url: str, prefix: str, **config):
    """Another process's worth of the site on the same database, its events through Redis."""
    return create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                       "FORUM_EVENTS_URL": REDIS_URL, "FORUM_EVENTS_KEY_PREFIX": prefix,
                       "FORUM_EVENTS_MAX_AGE": 3, "FORUM_RATELIMIT_ENABLED": False, **config})


def test_an_event_raised_on_one_app_reaches_a_stream_on_another_within_a_second(
    thread, database_url, redis_prefix
):
    here, there = site(database_url, redis_prefix), site(database_url, redis_prefix)
    try:
        stream = open_stream(there.test_client(), thread.events)
        time.sleep(0.2)
        writer = here.test_client()
        timings = []
        for n in range(5):
            started = time.monotonic()
            answer = writer.post(f"/api/v1/blocks/{thread.block}/arguments", json={"stance": "support",
                                 "body": f"Seen over there, {n}."},
                                 headers={"Authorization": f"Bearer {thread.tokens['mia']}"})
            assert answer.status_code == 201
            event = stream.next(timeout=2)
            assert event is not None and event.data["argument_id"] == answer.json["id"]
            timings.append(time.monotonic() - started)
        assert max(timings) < 1.0, timings
    finally:
        here.extensions["forum"].dispose()
        there.extensions["forum"].dispose()


def test_through_redis_a_reconnect_with_last_event_id_loses_nothing(thread, database_url, redis_prefix):
    here, there = site(database_url, redis_prefix), site(database_url, redis_prefix)
    try:
        headers = {"Authorization": f"Bearer {thread.tokens['mia']}"}
        writer = here.test_client()

        def write(n: int) -> int:
            return writer.post(f"/api/v1/blocks/{thread.block}/arguments",
                               json={"stance": "question", "body": f"Question {n}?"}, headers=headers).json["id"]

        stream = open_stream(there.test_client(), thread.events)
        time.sleep(0.2)
        written = [write(0)]
        first = stream.next(timeout=2)
        assert first is not None and first.data["argument_id"] == written[0]
        stream.rest()  # the stream ends (its lifetime); the client is away a while
        written += [write(n) for n in range(1, 6)]
        again = open_stream(here.test_client(), thread.events, headers={"Last-Event-ID": first.id})
        time.sleep(0.2)
        written.append(write(6))
        got = again.rest()
        assert [e.data["argument_id"] for e in got] == written[1:]
        assert len({e.id for e in got}) == len(got)
    finally:
        here.extensions["forum"].dispose()
        there.extensions["forum"].dispose()


def test_a_redis_that_cannot_be_reached_fails_no_write_and_refuses_streams_with_503(thread, database_url, client):
    closed = f"redis://127.0.0.1:{free_port()}/0"
    broken = site(database_url, "forum-test-closed:", FORUM_EVENTS_URL=closed)
    try:
        writer = broken.test_client()
        answer = writer.post(f"/api/v1/blocks/{thread.block}/arguments", json={"stance": "support", "body": "Still."},
                             headers={"Authorization": f"Bearer {thread.tokens['mia']}"})
        assert answer.status_code == 201
        with thread.app.app_context():
            assert get_session().get(Argument, answer.json["id"]) is not None
        refused = broken.test_client().get(thread.events)
        assert refused.status_code == 503
        assert refused.json["error"]["code"] == "events_unavailable"
        assert broken.extensions["forum"].stream_gate.open == 0
    finally:
        broken.extensions["forum"].dispose()


def free_port() -> int:
    """A loopback port nothing listens on."""
    from tests.servers import free_port as port
    return port()


def test_the_memory_broker_keeps_a_bounded_backlog_in_order():
    broker = MemoryBroker(backlog=3, threads=2)
    ids = [broker.publish(1, "vote", {"n": n}) for n in range(5)]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    assert [e.data["n"] for e in broker.read(1, "0-0", 0)] == [2, 3, 4]
    broker.publish(2, "vote", {})
    broker.publish(3, "vote", {})  # a third thread: the first one's backlog goes
    assert broker.latest(1) == "0-0"


def test_the_redis_broker_trims_each_threads_stream(redis_prefix):
    broker = RedisBroker(REDIS_URL, backlog=10, key_prefix=redis_prefix)
    for n in range(500):
        broker.publish(7, "vote", {"n": n})
    assert broker.client.xlen(broker.key(7)) < 200  # MAXLEN ~ trims by whole nodes
    assert broker.read(7, "0-0", 0.1)[-1].data == {"n": 499}
    broker.close()


@pytest.mark.parametrize(("worker_class", "threads", "configured", "ceiling"), [
    ("sync", 1, 50, 0),            # a stream would hold the only worker: none
    ("gthread", 8, 50, 4),         # four threads kept for pages
    ("gthread", 64, 50, 48),       # a quarter kept
    ("gthread", 32, 10, 10),       # the setting when lower
    ("gevent", 1, 200, 200),       # green threads: the setting
])
def test_a_worker_keeps_threads_for_pages(worker_class, threads, configured, ceiling):
    assert stream_ceiling(worker_class, threads, configured) == ceiling


def test_staging_outside_the_forums_sessions_is_ignored(app):
    with app.app_context():
        session = sa.orm.Session(app.extensions["forum"].engine)
        staging.stage(session, 1, "vote", {})
        assert staging.PENDING not in session.info
        session.close()


def test_votes_counts_in_the_event_match_the_answer(thread, client):
    argument = post(client, thread)
    stream = open_stream(thread.app.test_client(), thread.events)
    answer = client.api("PUT", f"/api/v1/arguments/{argument}/vote", {"value": -1}, token=thread.tokens["ray"])
    event = stream.next()
    assert event is not None and event.kind == "vote"
    assert {k: event.data[k] for k in ("score", "up", "down")} == {k: answer.json[k] for k in ("score", "up", "down")}
    assert "my_vote" not in event.data
    with thread.app.app_context():
        assert votes.my_vote(get_session(), argument, None) == 0
