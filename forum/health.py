"""`GET /healthz`: whether this host can serve, for a load balancer that asks every second.

One trivial statement on the database and a PING to each Redis the forum uses (page cache, rate limits, live
events), each with a short timeout. Its own blueprint, so that none of the forum's request hooks runs for
it: no session or viewer is read, nothing is rate limited or cached.
"""

from __future__ import annotations

import logging

import redis
import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from flask.typing import ResponseReturnValue

from forum.security import PRIVATE

logger = logging.getLogger(__name__)

health = Blueprint("forum_health", __name__)
# Seconds a Redis PING may take before the host is called unhealthy.
REDIS_TIMEOUT = 0.5
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
SETTINGS = ("FORUM_CACHE_URL", "FORUM_RATELIMIT_STORAGE_URI", "FORUM_EVENTS_URL")


def redis_urls() -> list[str]:
    """The Redis URLs the app's settings name, each once."""
    urls = [str(current_app.config.get(name) or "") for name in SETTINGS]
    return list(dict.fromkeys(u for u in urls if u.lower().startswith(REDIS_SCHEMES)))


def database_ok() -> bool:
    """Whether one `SELECT 1` on the forum's engine answers."""
    try:
        with current_app.extensions["forum"].engine.connect() as connection:
            connection.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001 - any failure is an unhealthy database
        logger.warning("Health check: the database does not answer", exc_info=True)
        return False


def redis_ok(urls: list[str]) -> bool:
    """Whether every Redis in `urls` answers a PING within the timeout."""
    probes = current_app.extensions["forum"].redis_probes
    try:
        for url in urls:
            if url not in probes:
                probes[url] = redis.Redis.from_url(
                    url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
                )
            probes[url].ping()
        return True
    except Exception:  # noqa: BLE001 - any failure is an unhealthy Redis
        logger.warning("Health check: Redis does not answer", exc_info=True)
        return False


@health.get("/healthz")
def healthz() -> ResponseReturnValue:
    """200 with `{"database": "ok", "redis": "ok" | "unused"}`, or 503 with what failed said `"failed"`."""
    urls = redis_urls()
    database = "ok" if database_ok() else "failed"
    cache = ("ok" if redis_ok(urls) else "failed") if urls else "unused"
    failed = database == "failed" or cache == "failed"
    response = jsonify(database=database, redis=cache)
    response.status_code = 503 if failed else 200
    response.headers["Cache-Control"] = PRIVATE
    return response
