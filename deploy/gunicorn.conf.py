"""Gunicorn's settings for one app host of the deployment: `gunicorn -c deploy/gunicorn.conf.py -b ADDR wsgi:app`.

Threaded workers (gthread): a live thread's event stream holds one thread for minutes while it waits, so a
sync worker per stream would leave no worker for pages after a handful of readers. Each worker runs
`GUNICORN_THREADS` threads and holds at most `FORUM_EVENTS_MAX_STREAMS` streams, never more than its threads
less a quarter (at least four): `forum.workers.post_worker_init` sets the ceiling from these settings, and
streams beyond it are answered 503 with `Retry-After` at once. Pages always find a thread.
Each value can be overridden from the environment (GUNICORN_WORKERS, GUNICORN_THREADS, ...).
"""

import multiprocessing
import os

# Fits live streams to each worker's threads, ends them when the worker stops, and warns about stores
# (rate limits, page cache) left in one process's memory.
from forum.workers import post_worker_init  # noqa: F401

worker_class = "gthread"
# Processes: one per core is enough with threads (the GIL is released while waiting on PostgreSQL and Redis).
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count()))
# Threads per process: pages and streams share them.
threads = int(os.environ.get("GUNICORN_THREADS", "32"))
# Connections one worker keeps open, idle keep-alive and streams included.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", "1000"))
# A worker that stops answering its arbiter for this long is restarted. Streams do not count: gthread's main
# loop keeps notifying while its threads wait.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
# On a restart (SIGTERM, SIGHUP) a worker stops taking connections and finishes what it holds: pages within
# seconds, streams within `forum.live.streams.WAIT_SLICE`, after which browsers reconnect to another host.
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Longer than the balancer's idle keep-alive to the host, so that gunicorn never closes a connection the
# balancer is about to reuse (deploy/haproxy.cfg: `timeout http-keep-alive 10s`).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "15"))
# The forum's own URL limit (4,000 characters) is said before gunicorn's (see the root gunicorn.conf.py).
limit_request_line = 8190
# Behind the balancer: which address may set X-Forwarded-*; the app trusts FORUM_TRUSTED_PROXIES hops.
forwarded_allow_ips = os.environ.get("GUNICORN_FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESS_LOG") or None
errorlog = "-"
