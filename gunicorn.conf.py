"""Gunicorn's settings for the standalone site: gunicorn reads ./gunicorn.conf.py when started here."""

# Warns at start-up when several workers would each keep their own rate-limit counts or page cache.
from forum.workers import post_worker_init  # noqa: F401

# The longest request line gunicorn reads (its most; the default is 4094). The forum's own limit on an address,
# `FORUM_MAX_REQUEST_URL` (4,000 characters), is reached well before it, and answered as the forum answers every
# error (JSON under /api/v1, a page elsewhere); gunicorn's own answer (414, text/html) is left for lines of
# more than 8,190 bytes. 0 would lift gunicorn's limit altogether, but its parser then reads a line of any length
# into memory, copying it again with each piece that arrives: a way for one client to hold a worker.
limit_request_line = 8190
