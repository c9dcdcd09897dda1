"""The page cache cannot be flooded: pages are kept only under the query parameters they read, every store
(memory and Redis) holds at most its bytes, and members' own copies, kept apart in `FORUM_CACHE_MEMBER_BYTES`,
never push out the pages anonymous readers share."""

from __future__ import annotations

import logging
import threading
import uuid

import pytest
import redis
import sqlalchemy as sa

from forum.caching.middleware import PATHS_REMEMBERED, CachedPages
from forum.caching.store import ENTRY_OVERHEAD, MemoryPages, RedisPages, weight
from forum.db import get_session
from forum.models import Argument, Block
from forum.services import accounts, arguments, members
from tests.articles import make_article
from tests.helpers import PASSWORD, ForumClient
from tests.queries import statements
from wsgi import create_app

REDIS_URL = "redis://127.0.0.1:6379/5"


def junk_queries(argument: int) -> list[str]:
    """A thousand query strings that no page reads, or with values that name nothing."""
    kinds = [
        "utm_source=mail{i}",
        "sort=best{i}",
        "sort=new&sort=top&n={i}",
        "reply_to=9{i:06d}",  # an id that is no argument of the thread
        "reply_to=0{i}",
        f"sort=new&reply_to={argument}&x={{i}}",
        "after=-{i}",
        "{i}",
        "limit=5&after={i}",
        "sort=top&junk={i}",
    ]
    return [kinds[i % len(kinds)].format(i=i) for i in range(1000)]


@pytest.fixture
def site(app, make_user):
    """A thread with one argument; the app serves it through the WSGI fast path, as the standalone site does."""
    ids = make_article(app)
    user = make_user("mia")
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, str(user.id), "mia")
        argument = arguments.post_argument(
            session, session.get(Block, ids["block1"]), author, stance="counter", body="Twice, not thrice."
        )
        session.commit()
    return {"block": ids["block1"], "article": ids["article"], "argument": argument.id}


def new_client(app) -> ForumClient:
    app.test_client_class = ForumClient
    return app.test_client()


def flood(app, site, store, with_cookie: bool) -> None:
    """Read the real pages, then a thousand junk URLs: the store is left as the real pages left it."""
    client = new_client(app)
    if with_cookie:  # past the fast path, into the app's own cache look-up
        client.set_cookie("unrelated", "1")
    real = [f"/blocks/{site['block']}", f"/blocks/{site['block']}?sort=new", "/",
            f"/api/v1/blocks/{site['block']}/arguments?sort=top&limit=10", f"/api/v1/articles/{site['article']}"]
    for url in real:
        assert client.get(url).status_code == 200
    kept = (store.count, store.bytes)
    assert kept[0] >= len(real)

    for query in junk_queries(site["argument"]):
        for path in (f"/blocks/{site['block']}", f"/api/v1/blocks/{site['block']}/arguments", "/"):
            response = client.get(f"{path}?{query}")
            assert response.status_code < 500

    assert (store.count, store.bytes) == kept
    for url in real:
        with statements(app) as seen:
            assert client.get(url).status_code == 200
        assert len(seen) == 1, seen.report()  # still answered from the cache


@pytest.mark.parametrize("with_cookie", [False, True], ids=["fast path", "in the app"])
def test_junk_queries_leave_the_memory_cache_as_it_was(app, site, with_cookie):
    flood(app, site, app.extensions["forum"].page_cache, with_cookie)


@pytest.fixture
def redis_app(database_url):
    """The site with its pages in Redis, under a prefix of its own, cleaned up afterwards."""
    try:
        redis.Redis.from_url(REDIS_URL).ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} cannot be reached: {error}")
    prefix = f"forum-test-{uuid.uuid4().hex}:"
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                      "FORUM_SITE_NAME": "Test Forum", "FORUM_CACHE_URL": REDIS_URL,
                      "FORUM_CACHE_KEY_PREFIX": prefix})
    yield app
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(f"{prefix}*"):
        store.delete(key)
    app.extensions["forum"].dispose()


@pytest.mark.parametrize("with_cookie", [False, True], ids=["fast path", "in the app"])
def test_junk_queries_leave_the_redis_cache_as_it_was(redis_app, with_cookie):
    ids = make_article(redis_app)
    with redis_app.app_context():
        session = get_session()
        author = members.ensure_member(session, "7", "mia")
        argument = arguments.post_argument(
            session, session.get(Block, ids["block1"]), author, stance="counter", body="Twice, not thrice."
        )
        session.commit()
    site = {"block": ids["block1"], "article": ids["article"], "argument": argument.id}
    store = redis_app.extensions["forum"].page_cache
    assert isinstance(store, RedisPages)
    flood(redis_app, site, store, with_cookie)


def test_a_page_is_kept_under_the_parameters_it_reads_in_any_order(app, site):
    client = new_client(app)
    url = f"/api/v1/blocks/{site['block']}/arguments"
    first = client.get(f"{url}?sort=new&limit=5")
    with statements(app) as seen:
        again = client.get(f"{url}?limit=5&sort=new")
    assert len(seen) == 1 and again.get_data() == first.get_data()
    assert again.headers["ETag"] == first.headers["ETag"]


@pytest.mark.parametrize("url", ["/blocks/{block}?sort=new&utm=1", "/blocks/{block}?reply_to=99999",
                                 "/blocks/{block}?sort=NEW", "/?after=0012"])
def test_a_page_with_a_query_it_does_not_read_is_answered_but_not_kept(app, site, url):
    client = new_client(app)
    store = app.extensions["forum"].page_cache
    before = store.count
    response = client.get(url.format(**site))
    assert response.status_code in (200, 422)
    assert "ETag" not in response.headers
    assert store.count == before


@pytest.mark.parametrize("path", ["/blocks/0{block}", "/blocks/000000{block}", "/api/v1/blocks/00{block}/arguments",
                                  "/articles/0{article}/{slug}", "/api/v1/articles/0{article}"])
def test_an_id_with_leading_zeros_names_nothing_and_keeps_nothing(app, site, path):
    """Every spelling of an id would be a page of its own in the cache: only the forum's own ("7") is an id."""
    client = new_client(app)
    slug = client.get(f"/articles/{site['article']}").headers["Location"].rsplit("/", 1)[1]
    store = app.extensions["forum"].page_cache
    before = store.count
    response = client.get(path.format(slug=slug, **site))
    assert response.status_code == 404 and "ETag" not in response.headers
    assert store.count == before


# ---------------------------------------------------------------- the stores' bounds


def test_memory_store_drops_the_least_recently_read_beyond_its_bytes():
    each = weight("a", b"x" * 10)
    store = MemoryPages(size=None, max_bytes=3 * each, default_timeout=60)
    for key in "abc":
        store.set(key, b"x" * 10)
    store.get("a")  # read: now the most recent
    store.set("d", b"x" * 10)
    assert [store.get(k) is not None for k in "abcd"] == [True, False, True, True]
    assert (store.count, store.bytes) == (3, 3 * each)


def test_memory_store_keeps_to_its_bytes_whatever_the_count():
    store = MemoryPages(size=None, max_bytes=3_000, default_timeout=60)
    for n in range(10):
        store.set(f"member-copy-{n}", [b"x" * 300, b"y" * 300])  # a member's copy, split at its token
    assert store.bytes <= 3_000 and store.count == 2
    assert store.set("too-big", b"z" * 3_000) is False
    assert store.get("too-big") is None and store.bytes <= 3_000


def test_tiny_entries_count_for_their_keys_and_bookkeeping_too():
    """Bytes alone would let a flood of tiny entries hold the memory of their keys and records unbounded."""
    store = MemoryPages(size=None, max_bytes=100_000, default_timeout=60)
    for n in range(10_000):
        store.set(f"forum-page:{n:040x}", b"{}")
    assert store.count * ENTRY_OVERHEAD <= store.bytes <= 100_000


def test_a_count_of_entries_still_bounds_a_store_when_given():
    store = MemoryPages(size=3, max_bytes=100_000, default_timeout=60)
    for key in "abcd":
        store.set(key, b"x" * 10)
    assert store.count == 3 and store.get("a") is None


@pytest.fixture
def redis_store():
    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(f"Redis at {REDIS_URL} cannot be reached: {error}")
    prefix = f"forum-test-{uuid.uuid4().hex}:"
    yield lambda **bounds: RedisPages(client, prefix=prefix, default_timeout=60, **bounds)
    for key in client.scan_iter(f"{prefix}*"):
        client.delete(key)


def test_redis_store_keeps_to_its_count_and_bytes_under_parallel_stores(redis_store):
    each = weight("forum-test-00000000000000000000000000000000:0-00", b"x" * 900)
    store = redis_store(size=None, max_bytes=20 * each)
    prefix = store.index_keys[0][: -len("index")]

    def write(worker: int) -> None:
        for n in range(50):
            store.set_many({f"{prefix}{worker}-{n}": b"x" * 900, f"{prefix}{worker}-{n}:gzip": b"z" * 100})

    workers = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    client = store._write_client
    kept = [key for key in client.scan_iter(f"{prefix}*") if not key.decode().endswith(("index", "sizes", "bytes"))]
    assert 0 < store.count == len(kept)
    assert store.bytes == sum(client.strlen(key) + len(key) + ENTRY_OVERHEAD for key in kept) <= 20 * each
    # The newest page is kept (which worker stored last is the threads' choice: a page stored after them all).
    store.set(f"{prefix}last", b"y" * 900)
    assert store.get(f"{prefix}last") == b"y" * 900 and store.bytes <= 20 * each


def test_redis_store_keeps_to_a_count_of_entries_when_given(redis_store):
    store = redis_store(size=3, max_bytes=100_000)
    prefix = store.index_keys[0][: -len("index")]
    for n in range(5):
        store.set(f"{prefix}{n}", b"x" * 10)
    assert store.count == 3 and store.get(f"{prefix}0") is None and store.get(f"{prefix}4") == b"x" * 10


def test_redis_store_clears_its_own_pages_and_nothing_else(redis_store):
    store = redis_store(size=None, max_bytes=10_000)
    prefix = store.index_keys[0][: -len("index")]
    client = store._write_client
    client.set(f"{prefix}rate-limit", b"7")  # something else in the same Redis
    store.set(f"{prefix}page", b"x" * 10)
    store.clear()
    assert store.get(f"{prefix}page") is None and store.count == 0
    assert client.get(f"{prefix}rate-limit") == b"7"


def test_rendering_stores_keep_to_their_characters_however_many_versions_are_read(app, site, client):
    """Each vote makes a version, and a read of each a snapshot of the whole thread and its fragments:
    a process keeps no more text for them than its bounds, whatever the count."""
    state = app.extensions["forum"]
    state.snapshots.max_chars = state.fragments.max_chars = 30_000
    long_body = "A long argument. " * 500  # 8,500 characters
    with app.app_context():
        session = get_session()
        writer = members.ensure_member(session, "writer", "writer")
        arguments.post_argument(session, session.get(Block, site["block"]), writer, stance="support", body=long_body)
        session.commit()
    for _ in range(8):
        with app.app_context():
            session = get_session()
            # A recount, as a vote makes: it moves the thread's version.
            session.execute(sa.update(Argument).where(Argument.block_id == site["block"]).values(score=Argument.score))
            session.commit()
        page = client.get(f"/blocks/{site['block']}")
        assert page.status_code == 200 and long_body.strip() in page.get_data(as_text=True)
    kept = [record for snapshot in state.snapshots.items.values() for record in snapshot.records]
    assert 0 < sum(len(record.body) + len(record.html) for record in kept) <= 30_000
    assert 0 < sum(len(fragment.text) for fragment in state.fragments.items.values()) <= 30_000


@pytest.mark.parametrize("with_cookie", [False, True], ids=["fast path", "in the app"])
def test_pages_are_rendered_while_the_caches_redis_does_not_answer(database_url, caplog, with_cookie):
    """The cache only spares work: without its Redis every page is rendered afresh, and that is said once."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                      "FORUM_CACHE_URL": "redis://127.0.0.1:1/0"})  # nothing listens on port 1
    ids = make_article(app)
    client = new_client(app)
    if with_cookie:
        client.set_cookie("unrelated", "1")
    urls = [f"/blocks/{ids['block1']}", "/", f"/api/v1/blocks/{ids['block1']}/arguments",
            f"/api/v1/articles/{ids['article']}"]
    with caplog.at_level(logging.WARNING, logger="forum.caching.store"):
        for url in urls + urls:
            assert client.get(url).status_code == 200
    assert caplog.text.count("The page cache's Redis does not answer") == 1
    app.extensions["forum"].dispose()


# ---------------------------------------------------------------- members' copies apart


def members_app(database_url: str, **config) -> object:
    """The site with a small cache: room for several shared pages, and for about two members' copies."""
    return create_app({"TESTING": True, "SECRET_KEY": "test secret", "FORUM_DATABASE_URL": database_url,
                       "FORUM_SITE_NAME": "Test Forum", "FORUM_CACHE_BYTES": 200_000,
                       "FORUM_CACHE_MEMBER_BYTES": 40_000, **config})


@pytest.mark.parametrize("store_url", ["memory://", REDIS_URL], ids=["memory", "redis"])
def test_members_own_copies_never_push_out_the_shared_pages(database_url, store_url):
    prefix = f"forum-test-{uuid.uuid4().hex}:"
    app = members_app(database_url, FORUM_CACHE_URL=store_url, FORUM_CACHE_KEY_PREFIX=prefix)
    state = app.extensions["forum"]
    try:
        ids = make_article(app)
        threads = [f"/blocks/{ids[name]}" for name in ("block1", "block3")]
        reader = new_client(app)
        for url in threads:
            assert reader.get(url).status_code == 200
        shared = (state.page_cache.count, state.page_cache.bytes)
        assert shared[0] >= len(threads)
        with app.app_context():
            session = get_session()
            for n in range(8):
                accounts.register(session, f"reader{n}", PASSWORD)
            session.commit()
        for n in range(8):  # eight members, each with copies of their own
            member = new_client(app)
            assert member.submit("/login", {"username": f"reader{n}", "password": PASSWORD}).status_code == 302
            for url in threads:
                assert f"reader{n}" in member.get(url).get_data(as_text=True)
            assert state.member_cache.bytes <= 40_000
        assert state.member_cache.count >= 1
        assert (state.page_cache.count, state.page_cache.bytes) == shared
        for url in threads:
            with statements(app) as seen:
                assert reader.get(url).status_code == 200
            assert len(seen) == 1, seen.report()  # still answered from the cache
    finally:
        state.clear_page_caches()
        state.dispose()


def test_a_count_of_entries_is_deprecated_but_still_honoured(database_url):
    with pytest.warns(DeprecationWarning, match="FORUM_CACHE_SIZE"):
        app = members_app(database_url, FORUM_CACHE_SIZE=1)
    ids = make_article(app)
    client = new_client(app)
    for name in ("block1", "block3"):
        assert client.get(f"/blocks/{ids[name]}").status_code == 200
    assert app.extensions["forum"].page_cache.count == 1
    app.extensions["forum"].dispose()


@pytest.mark.parametrize("bounds", [(1_000, 1_000), (1_000, -1), (1_000, 2_000), ("64MB", 0)])
def test_bounds_leaving_the_shared_pages_no_room_are_refused_at_start(database_url, bounds):
    total, members = bounds
    with pytest.raises(ValueError, match="FORUM_CACHE_MEMBER_BYTES"):
        members_app(database_url, FORUM_CACHE_BYTES=total, FORUM_CACHE_MEMBER_BYTES=members)


def test_the_fast_paths_memory_of_paths_stays_bounded_whatever_paths_are_asked(app, site):
    """The WSGI fast path remembers which kept page a path names: junk paths cannot grow that without end."""
    fast_path = app.wsgi_app
    while not isinstance(fast_path, CachedPages):
        fast_path = fast_path.wsgi_app
    client = new_client(app)
    thread = f"/blocks/{site['block']}"
    assert client.get(thread).status_code == 200
    for n in range(PATHS_REMEMBERED + 100):
        assert client.get(f"/blocks/{site['block']}{n:04d}x").status_code == 404
    assert client.get("/blocks/" + "9" * 300).status_code == 404  # too long to remember
    assert len(fast_path.matches) <= PATHS_REMEMBERED
    with statements(app) as seen:
        assert client.get(thread).status_code == 200
    assert len(seen) == 1, seen.report()
