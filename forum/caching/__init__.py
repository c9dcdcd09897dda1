"""The read path: kept pages, the keys they are kept under, and the reads that decide a cached answer.

`store` keeps pages (memory or Redis, bounded); `pages` says which pages are kept and under which key;
`viewer_key` who asks, by `forum.auth`'s rules; `raw_reads` reads versions past the ORM; `serving` answers and
keeps pages inside Flask; `middleware` answers cookie-less readers before Flask; `memos` keeps what a page
is rendered from. `install` wires it into an app; the middleware is the site's (or a host's) choice.
"""

from __future__ import annotations

from flask import Flask

from forum.caching.serving import serve_cached, store_page
from forum.caching.store import check_cache_bounds, check_cache_url
from forum.flask_internals import run_first_on_blueprint

# The blueprint whose pages are kept (its API's too).
BLUEPRINT = "forum"


def install(app: Flask) -> None:
    """Wire the read path into `app`: refuse a mistyped store URL at start-up, then answer a kept page first
    of all the forum's request hooks, and keep a rendered one last of its response hooks."""
    check_cache_url(app.config["FORUM_CACHE_URL"] or "none://")
    check_cache_bounds(app.config)
    run_first_on_blueprint(app, BLUEPRINT, serve_cached, store_page)
