"""Several gunicorn workers, each keeping its own rate-limit counts or page cache, are warned about at start-up."""

from __future__ import annotations

import logging

import pytest

from forum.workers import warn_if_process_local
from tests.servers import gunicorn
from wsgi import create_app

REDIS = "redis://127.0.0.1:6379/0"
WARNING = "memory://, which each process keeps for itself"


@pytest.mark.parametrize(
    ("config", "warned"),
    [
        ({"FORUM_RATELIMIT_STORAGE_URI": "memory://", "FORUM_CACHE_URL": "memory://"},
         "FORUM_RATELIMIT_STORAGE_URI and FORUM_CACHE_URL are memory://"),
        ({"FORUM_RATELIMIT_STORAGE_URI": REDIS, "FORUM_CACHE_URL": "memory://"}, "FORUM_CACHE_URL is memory://"),
        ({"FORUM_RATELIMIT_STORAGE_URI": REDIS, "FORUM_CACHE_URL": REDIS}, None),
    ],
    ids=["both-in-memory", "cache-in-memory", "both-in-redis"],
)
def test_two_gunicorn_workers_warn_of_stores_each_keeps_alone(database_url, tmp_path, config, warned):
    log = tmp_path / "gunicorn.log"
    with gunicorn(database_url, tmp_path / "instance", workers=2, app=f"wsgi:create_app({config!r})", log=log):
        pass
    said = log.read_text()
    if warned is None:
        assert WARNING not in said, said
    else:
        assert said.count(WARNING) == 1, said  # once, not once per worker
        assert "in 2 worker processes" in said and warned in said and "redis://" in said


@pytest.mark.parametrize(
    ("workers", "config", "warns"),
    [
        (1, {}, False),  # one process: its own store is the only one
        (4, {}, True),
        (4, {"FORUM_RATELIMIT_ENABLED": False, "FORUM_CACHE_URL": "none://"}, False),
        (4, {"FORUM_RATELIMIT_ENABLED": False}, True),
    ],
)
def test_the_warning_names_what_each_worker_keeps_alone(database_url, caplog, workers, config, warns):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "FORUM_DATABASE_URL": database_url,
                      "FORUM_RATELIMIT_STORAGE_URI": "memory://", "FORUM_CACHE_URL": "memory://", **config})
    with caplog.at_level(logging.WARNING, logger="forum.workers"):
        assert warn_if_process_local(app, workers) is warns
    assert (WARNING in caplog.text) is warns
    app.extensions["forum"].dispose()


@pytest.mark.parametrize(
    ("config", "said", "unsaid"),
    [
        ({"FORUM_CACHE_URL": REDIS}, "rate limits then count per worker", "caches pages"),
        ({"FORUM_RATELIMIT_STORAGE_URI": REDIS}, "each worker caches pages on its own", "rate limits"),
    ],
)
def test_the_warning_says_what_follows_only_of_the_store_kept_in_memory(database_url, caplog, config, said, unsaid):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "FORUM_DATABASE_URL": database_url,
                      "FORUM_RATELIMIT_STORAGE_URI": "memory://", "FORUM_CACHE_URL": "memory://", **config})
    with caplog.at_level(logging.WARNING, logger="forum.workers"):
        assert warn_if_process_local(app, 2)
    assert said in caplog.text and unsaid not in caplog.text
    app.extensions["forum"].dispose()
