"""Gunicorn's settings for the standalone site: gunicorn reads ./gunicorn.conf.py when started here."""

# Warns at start-up when several workers would each keep their own rate-limit counts or page cache.
from forum.workers import post_worker_init  # noqa: F401
