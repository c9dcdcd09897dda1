"""The server's worker processes, as far as the forum must know them: do its in-memory stores still count?

With `memory://` rate-limit storage (`FORUM_RATELIMIT_STORAGE_URI`) or page cache (`FORUM_CACHE_URL`), each
process keeps its own: under several gunicorn workers, "10 sign-ins a minute" becomes 10 per worker, and a
page cached by one worker is rendered again by the next. Only gunicorn knows how many workers it runs, so
it is asked, through its `post_worker_init` hook (called in each worker once the app is loaded, whether
preloaded or not): the standalone site's `gunicorn.conf.py` installs it, and a host's may import it too.
"""

from __future__ import annotations

import gc
import logging
from typing import Any

from flask import Flask

logger = logging.getLogger(__name__)


# What each setting left at memory:// does under several workers.
CONSEQUENCES = {
    "FORUM_RATELIMIT_STORAGE_URI": "rate limits then count per worker",
    "FORUM_CACHE_URL": "each worker caches pages on its own",
}


def process_local_stores(app: Flask) -> list[str]:
    """The settings of `app` that name a store kept inside one process."""
    config = app.config
    local = []
    if config["FORUM_RATELIMIT_ENABLED"] and str(config["FORUM_RATELIMIT_STORAGE_URI"]).startswith("memory://"):
        local.append("FORUM_RATELIMIT_STORAGE_URI")
    if str(config["FORUM_CACHE_URL"] or "none://").lower().startswith("memory://"):
        local.append("FORUM_CACHE_URL")
    return local


def warn_if_process_local(app: Flask, workers: int, log: Any = logger) -> bool:
    """Log a warning when `workers` processes would each keep their own limits or cache; say whether it did."""
    local = process_local_stores(app)
    if workers <= 1 or not local:
        return False
    log.warning(
        "The forum runs in %d worker processes, but %s %s memory://, which each process keeps for itself: "
        "%s. Set %s to redis://HOST:PORT/DB to share %s.",
        workers, " and ".join(local), "is" if len(local) == 1 else "are",
        ", and ".join(CONSEQUENCES[name] for name in local), " and ".join(local),
        "it" if len(local) == 1 else "them",
    )
    return True


def served_app(wsgi: Any) -> Flask | None:
    """The Flask app behind gunicorn's WSGI callable: itself, or inside middleware that keeps it as `.app`."""
    for _ in range(10):
        if isinstance(wsgi, Flask):
            return wsgi
        wsgi = getattr(wsgi, "app", None)
    return None


# Threads of a gthread worker kept for pages, whatever its live streams hold.
RESERVED_FOR_PAGES = 4
# Worker classes whose requests are green threads: a stream costs no thread of the server.
GREEN_WORKERS = ("gevent", "eventlet")


def stream_ceiling(worker_class: str, threads: int, configured: int) -> int:
    """How many live streams one worker may hold so that pages always find a thread.

    A sync worker serves one request at a time: a stream would hold it for minutes, so it takes none. A
    gthread worker keeps `RESERVED_FOR_PAGES` threads (at least a quarter) from streams; green workers keep
    the configured ceiling.
    """
    if any(green in worker_class.lower() for green in GREEN_WORKERS):
        return configured
    if threads <= 1:
        return 0
    return max(0, min(configured, threads - max(RESERVED_FOR_PAGES, threads // 4)))


def fit_streams_to(worker: Any, app: Flask) -> None:
    """Bound the worker's live streams by its threads, and end them when the worker stops."""
    worker_class = str(getattr(worker.cfg, "worker_class_str", "") or worker.__class__.__name__)
    app.config["FORUM_EVENTS_MAX_STREAMS"] = stream_ceiling(
        worker_class, int(worker.cfg.threads), int(app.config["FORUM_EVENTS_MAX_STREAMS"])
    )
    app.extensions["forum"].serving = lambda: bool(worker.alive)


def freeze_start_up_objects() -> None:
    """Leave the objects made at start-up (modules, the app, its settings and engines) out of the garbage
    collector's passes from now on.

    A full pass walks every object tracked: some 230,000 once the forum is loaded, about 100 ms each time on a
    busy machine, and a heated thread (a new page version each vote, so new snapshots and pages) makes one every
    few seconds. Frozen, they are never walked again; what the requests make still is.
    """
    gc.collect()
    gc.freeze()


def post_worker_init(worker: Any) -> None:
    """Gunicorn's hook: fit live streams to the worker; warn once (in the first worker) about stores each of
    several workers keeps alone; leave the start-up objects out of the garbage collector's passes."""
    freeze_start_up_objects()
    app = served_app(worker.wsgi)
    if app is not None and "forum" in app.extensions:
        fit_streams_to(worker, app)
    # Gunicorn numbers its workers from 1 on: a later or restarted one would only say it again.
    if worker.age == 1 and app is not None and "forum" in app.extensions:
        warn_if_process_local(app, worker.cfg.workers, worker.log)
