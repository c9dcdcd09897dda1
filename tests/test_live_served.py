"""Live threads as deployed: gunicorn with deploy/gunicorn.conf.py, streams that never starve pages, and events
that cross from one server process to another through Redis."""

from __future__ import annotations

import json
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis

from forum.models import Role
from tests.articles import make_article
from tests.live_streams import open_http_stream
from tests.servers import gunicorn

CONFIG = "deploy/gunicorn.conf.py"
REDIS_URL = "redis://127.0.0.1:6379/0"


def get(url: str, headers: dict[str, str] | None = None, timeout: float = 5) -> tuple[int, float]:
    """GET `url`; its status and how long it took."""
    started = time.monotonic()
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:
            answer.read()
            status = answer.status
    except urllib.error.HTTPError as error:
        status = error.code
    return status, time.monotonic() - started


def test_streams_beyond_what_the_threads_hold_never_starve_pages(app, database_url, tmp_path):
    ids = make_article(app)
    # One worker of 8 threads: were each stream to hold a worker (or a thread, without a ceiling), 12 streams
    # would leave pages nothing. The ceiling is 4 streams, keeping 4 threads for pages.
    env = {"GUNICORN_THREADS": "8"}
    # All from one address, as many readers behind one proxy would be: no per-client cap in the way here.
    spec = f"wsgi:create_app({ {'FORUM_EVENTS_MAX_STREAMS_PER_CLIENT': 100}!r})"
    with gunicorn(database_url, tmp_path / "instance", workers=1, config=CONFIG, env=env, app=spec) as base:
        events = f"{base}/api/v1/blocks/{ids['block1']}/events"
        with ThreadPoolExecutor(12) as pool:
            streams = list(pool.map(lambda _: open_http_stream(events), range(12)))
        statuses = sorted(s.status for s in streams)
        assert statuses == [200] * 4 + [503] * 8
        assert all(s.headers.get("Retry-After") == "15" for s in streams if s.status == 503)
        for path in ("/", f"/blocks/{ids['block1']}", "/api/v1/articles", "/healthz"):
            for _ in range(5):
                status, took = get(base + path)
                assert status == 200 and took < 2, (path, status, took)


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own on the test Redis, removed afterwards."""
    prefix = f"forum-test-events-{uuid.uuid4().hex}:"
    client = redis.Redis.from_url(REDIS_URL)
    client.ping()
    yield prefix
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)
    client.close()


def test_an_event_raised_in_one_server_reaches_a_stream_on_another_within_a_second(
    app, database_url, tmp_path, make_user, redis_prefix
):
    ids = make_article(app)
    user = make_user("mia", Role.MEMBER)
    config = {"FORUM_EVENTS_URL": REDIS_URL, "FORUM_EVENTS_KEY_PREFIX": redis_prefix,
              "FORUM_RATELIMIT_ENABLED": False}
    spec = f"wsgi:create_app({config!r})"
    with gunicorn(database_url, tmp_path / "a", workers=2, app=spec, config=CONFIG) as a, \
            gunicorn(database_url, tmp_path / "b", workers=2, app=spec, config=CONFIG) as b:
        request = urllib.request.Request(f"{a}/api/v1/tokens", method="POST",
                                         data=json.dumps({"username": "mia", "password": user.password}).encode(),
                                         headers={"Content-Type": "application/json"})
        token = json.loads(urllib.request.urlopen(request, timeout=10).read())["token"]
        stream = open_http_stream(f"{b}/api/v1/blocks/{ids['block1']}/events")
        assert stream.status == 200
        delays = []
        for n in range(20):
            body = json.dumps({"stance": "support", "body": f"Across servers, {n}."}).encode()
            post = urllib.request.Request(f"{a}/api/v1/blocks/{ids['block1']}/arguments", data=body, method="POST",
                                          headers={"Authorization": f"Bearer {token}",
                                                   "Content-Type": "application/json"})
            started = time.monotonic()
            made = json.loads(urllib.request.urlopen(post, timeout=10).read())["id"]
            event = stream.next(timeout=3)
            delays.append(time.monotonic() - started)
            assert event is not None and event.data["argument_id"] == made
        delays.sort()
        assert delays[int(len(delays) * 0.95) - 1] < 1.0, delays
