"""The `Forum` extension: settings, per-app state and the blueprint."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

import sqlalchemy.orm as so
from flask import Flask
from flask_login import user_logged_in, user_logged_out

from forum import caching
from forum.caching import invalidation_hooks
from forum.caching.memos import Fragments, StateNumbers, argument_fragments
from forum.caching.raw_reads import make_read_engine, release_connections
from forum.caching.store import make_cache
from forum.cli_jobs import forum_cli  # the forum's commands, its jobs' included
from forum.csrf import rotate_csrf
from forum.db import WRITER_OPTION, close_session, make_engine, resolve_database_url
from forum.health import health
from forum.live import staging
from forum.live.brokers import Broker, check_events_url, make_broker
from forum.live.streams import StreamGate
from forum.ratelimit import apply_limits, make_limiter
from forum.routing import AnyPathConverter, IdConverter
from forum.services.threads import Snapshots, thread_snapshots
from forum.static_versions import version_static_urls
from forum.views import blueprint
from forum.views.member_thread_page import KindPages, kind_pages

if TYPE_CHECKING:
    import sqlalchemy as sa
    from cachelib import BaseCache
    from flask_limiter import Limiter

DEFAULTS: dict[str, Any] = {
    "FORUM_URL_PREFIX": "/forum",
    "FORUM_DATABASE_URL": None,
    "FORUM_ENGINE_OPTIONS": {},
    "FORUM_SQLITE_BUSY_TIMEOUT": 10,
    "FORUM_DISPLAY_NAME": None,
    "FORUM_USER_ID": None,
    "FORUM_LOAD_USER": None,
    "FORUM_SITE_NAME": "Forum",
    "FORUM_BASE_TEMPLATE": "forum/base.html",
    "FORUM_TEMPLATE_INDEX": "forum/index.html",
    "FORUM_TEMPLATE_ERROR": "forum/error.html",
    "FORUM_TEMPLATE_LOGIN": "forum/login.html",
    "FORUM_TEMPLATE_REGISTER": "forum/register.html",
    "FORUM_TEMPLATE_CHANGE_PASSWORD": "forum/change_password.html",
    "FORUM_TEMPLATE_ARTICLE": "forum/article.html",
    "FORUM_TEMPLATE_REPORT": "forum/report.html",
    "FORUM_TEMPLATE_THREAD": "forum/thread.html",
    "FORUM_TEMPLATE_EDIT_ARGUMENT": "forum/edit_argument.html",
    "FORUM_TEMPLATE_VERSIONS": "forum/versions.html",
    "FORUM_TEMPLATE_ARGUMENT": "forum/argument.html",
    "FORUM_TEMPLATE_MEMBER": "forum/member.html",
    "FORUM_TEMPLATE_IMPORT": "forum/import.html",
    "FORUM_TEMPLATE_MODERATION": "forum/moderation.html",
    "FORUM_TEMPLATE_AUDIT": "forum/audit.html",
    "FORUM_TEMPLATE_MEMBERS": "forum/members.html",
    "FORUM_TEMPLATE_UNPUBLISH": "forum/unpublish.html",
    "FORUM_TEMPLATE_SEARCH": "forum/search.html",
    "FORUM_TEMPLATE_NOTIFICATIONS": "forum/notifications.html",
    "FORUM_TEMPLATE_PASSWORD_RESET": "forum/password_reset.html",
    "FORUM_TEMPLATE_NEW_PASSWORD": "forum/new_password.html",
    "FORUM_TEMPLATE_ACCOUNT_MAIL": "forum/account_mail.html",
    "FORUM_TEMPLATE_UNSUBSCRIBE": "forum/unsubscribe.html",
    "FORUM_MAX_BODY": 10_000,
    "FORUM_MAX_SOURCES": 10,
    "FORUM_MAX_URL": 2_000,
    "FORUM_MAX_TITLE": 300,
    "FORUM_MAX_QUOTE": 2_000,
    "FORUM_DUPLICATE_POST_WINDOW": 600,
    "FORUM_IMPORT_MAX_BYTES": 2_000_000,
    # Room for the largest import and a form's overhead; every other body is far smaller.
    "FORUM_MAX_CONTENT_LENGTH": 4_000_000,
    # The longest address (path and query string) the forum reads: 414 past it. Below gunicorn's request line
    # limit (`gunicorn.conf.py`), so that the forum answers first.
    "FORUM_MAX_REQUEST_URL": 4_000,
    "FORUM_IMPORT_TIMEOUT": 10,
    # Tests import from servers on 127.0.0.1; a real forum never fetches from its own network.
    "FORUM_IMPORT_ALLOW_PRIVATE_ADDRESSES": False,
    "FORUM_PASSWORD_MIN_LENGTH": 10,
    "FORUM_CSRF_TIME_LIMIT": None,
    "FORUM_CONTENT_SECURITY_POLICY": None,
    "FORUM_RATELIMIT_ENABLED": True,
    "FORUM_RATELIMIT_STORAGE_URI": "memory://",
    "FORUM_RATELIMIT_KEY_PREFIX": "forum",
    "FORUM_RATELIMIT_LOGIN": "10 per minute",
    "FORUM_RATELIMIT_REGISTER": "5 per hour",
    "FORUM_RATELIMIT_POST": "20 per 10 minutes",
    "FORUM_RATELIMIT_POST_NEW_MEMBER": "10 per day",
    "FORUM_RATELIMIT_EDIT": "30 per hour",
    "FORUM_RATELIMIT_VOTE": "300 per hour",
    "FORUM_RATELIMIT_FLAG": "20 per day",
    "FORUM_RATELIMIT_SEARCH": "60 per minute",
    "FORUM_RATELIMIT_EXPORT": "30 per hour",
    "FORUM_RATELIMIT_WATCH": "60 per hour",
    "FORUM_RATELIMIT_READ": "120 per minute",
    "FORUM_RATELIMIT_PASSWORD_RESET": "5 per hour",
    # Mail (`docs/mail.md`): the server `forum send-mail` hands mail to, and the site's address for links in it.
    "FORUM_MAIL_SERVER": "localhost",
    "FORUM_MAIL_PORT": 25,
    "FORUM_MAIL_USE_TLS": False,
    "FORUM_MAIL_USERNAME": None,
    "FORUM_MAIL_PASSWORD": None,
    "FORUM_MAIL_SENDER": "forum@localhost",
    "FORUM_MAIL_TIMEOUT": 10,
    "FORUM_SITE_URL": None,
    # A host's user's address, `FORUM_USER_EMAIL(user)`; none by default, so that a host's users get no mail.
    "FORUM_USER_EMAIL": None,
    # How long a password reset link lives, and how long a sender's claim on a mail holds.
    "FORUM_PASSWORD_RESET_SECONDS": 3600,
    "FORUM_MAIL_CLAIM_SECONDS": 300,
    # Retries: the first after this many seconds, each next one twice as late, up to the most; then given up.
    "FORUM_MAIL_RETRY_SECONDS": 60,
    "FORUM_MAIL_RETRY_MAX_SECONDS": 3600,
    "FORUM_MAIL_MAX_ATTEMPTS": 30,
    "FORUM_MAIL_BATCH": 50,
    "FORUM_CACHE_URL": "memory://",
    # The page cache is bounded by bytes: all kept pages at most FORUM_CACHE_BYTES, of which members' own copies at
    # most FORUM_CACHE_MEMBER_BYTES (the rest is the shared pages'). FORUM_CACHE_SIZE, a count of entries, is
    # deprecated: None (no count) unless a host still sets it.
    "FORUM_CACHE_SIZE": None,
    "FORUM_CACHE_BYTES": 64_000_000,
    "FORUM_CACHE_MEMBER_BYTES": 16_000_000,
    "FORUM_CACHE_TIMEOUT": 3600,
    # Members' thread pages assembled from one page written per version for all plain members
    # (`forum.views.member_thread_page`). Off unless the layout shows nothing of the signed-in member but the
    # forum's own account menu: a host's layout showing its user's e-mail, say, would be shared with the others.
    "FORUM_SHARED_MEMBER_PAGES": False,
    "FORUM_CACHE_KEY_PREFIX": "forum-page:",
    # Verify mode: every cache hit is also rendered afresh and compared, a difference answered with a 500
    # (`forum.caching.verify`). For tests: it renders every page that the cache would spare.
    "FORUM_CACHE_VERIFY": False,
    # Live threads (`forum.live`): where events go (unset: this process only; redis://HOST:PORT/DB: every
    # worker and host), how many each thread keeps for reconnecting clients, and how streams behave.
    "FORUM_EVENTS_URL": None,
    "FORUM_EVENTS_BACKLOG": 500,
    "FORUM_EVENTS_KEY_PREFIX": "forum-events:",
    "FORUM_EVENTS_HEARTBEAT": 15,
    "FORUM_EVENTS_MAX_AGE": 300,
    # Open streams one process holds (each holds a thread); deploy/gunicorn.conf.py sets it from its threads.
    "FORUM_EVENTS_MAX_STREAMS": 50,
    # Streams one client address may hold in one process: the tabs of a household or a small office behind one
    # address, not the whole room (opening another ends the address's oldest).
    "FORUM_EVENTS_MAX_STREAMS_PER_CLIENT": 16,
}


@dataclass
class ForumState:
    """What the forum keeps for one app: its database engine and session factory."""

    database_url: str
    engine_options: dict[str, Any] = field(default_factory=dict)
    sqlite_busy_timeout: float = 10

    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)
    _engine: sa.Engine | None = field(default=None, repr=False, compare=False)
    limiter: Limiter | None = field(default=None, repr=False, compare=False)
    cache_url: str = "memory://"
    cache_size: int | None = None
    cache_bytes: int = 64_000_000
    cache_member_bytes: int = 16_000_000
    cache_timeout: int = 3600
    cache_key_prefix: str = "forum-page:"
    events_url: str | None = None
    events_backlog: int = 500
    events_key_prefix: str = "forum-events:"
    redis_probes: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)
    stream_gate: StreamGate = field(default_factory=StreamGate, repr=False, compare=False)
    # Whether the server still serves: streams end when it says no (gunicorn's worker sets it: forum.workers).
    serving: Callable[[], bool] = field(default=lambda: True, repr=False, compare=False)

    @property
    def engine(self) -> sa.Engine:
        """The engine, made on first use (so that `init_app` does no I/O), once even under threads."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = make_engine(
                        self.database_url, self.engine_options, self.sqlite_busy_timeout
                    )
        return self._engine

    def dispose(self) -> None:
        """Close every pooled connection the forum holds (its engine's and its quick reads')."""
        if "read_engine" in self.__dict__:
            release_connections(self.read_engine)
            self.read_engine.dispose()
        if self._engine is not None:
            self._engine.dispose()
        if "events" in self.__dict__:
            self.events.close()
        for probe in self.redis_probes.values():
            probe.close()

    @cached_property
    def read_engine(self) -> sa.Engine:
        """Where a cached page's one-row reads run (`forum.caching.raw_reads`): the engine itself on SQLite."""
        return make_read_engine(self.engine, self.database_url, self.engine_options, self.sqlite_busy_timeout)

    @cached_property
    def snapshots(self) -> Snapshots:
        """Threads' arguments by page version, read once per version in this process."""
        return thread_snapshots()

    @cached_property
    def fragments(self) -> Fragments:
        """Arguments' HTML by their state and viewer kind, written once in this process."""
        return argument_fragments()

    @cached_property
    def argument_states(self) -> StateNumbers:
        """A number for each argument's state as the pages show it, the key of its kept HTML."""
        return StateNumbers()

    @cached_property
    def member_pages(self) -> KindPages:
        """Members' thread pages as all plain members share them, by version, written once in this process."""
        return kind_pages()

    @cached_property
    def page_cache(self) -> BaseCache:
        """The anonymous readers' shared pages, in the cache's bytes less the members' part (made on first use:
        a Redis client connects only then)."""
        return make_cache(
            self.cache_url,
            size=self.cache_size,
            max_bytes=self.cache_bytes - self.cache_member_bytes,
            timeout=self.cache_timeout,
            prefix=self.cache_key_prefix,
        )

    @cached_property
    def member_cache(self) -> BaseCache:
        """Members' own copies, in their part of the cache's bytes: however many sign in, the shared pages keep
        theirs."""
        return make_cache(
            self.cache_url,
            size=self.cache_size,
            max_bytes=self.cache_member_bytes,
            timeout=self.cache_timeout,
            prefix=self.cache_key_prefix,
            index="members-",
        )

    def clear_page_caches(self) -> None:
        """Forget every kept page, shared and members' own."""
        self.page_cache.clear()
        self.member_cache.clear()

    @cached_property
    def events(self) -> Broker:
        """Where committed changes of threads go and streams read them (a Redis client connects on first use)."""
        return make_broker(self.events_url, self.events_backlog, self.events_key_prefix)

    @cached_property
    def sessionmaker(self) -> so.sessionmaker[so.Session]:
        """The factory of the forum's sessions, bound to its own engine; their commits publish live events."""
        return so.sessionmaker(bind=self.engine, expire_on_commit=False, info={staging.BROKER: self.events})

    @cached_property
    def writer_sessionmaker(self) -> so.sessionmaker[so.Session]:
        """The factory of sessions that write: on SQLite they begin by taking the write lock."""
        engine = self.engine.execution_options(**{WRITER_OPTION: True})
        return so.sessionmaker(bind=engine, expire_on_commit=False, info={staging.BROKER: self.events})


class Forum:
    """Mounts the forum into a Flask app: `Forum(app)` or `Forum().init_app(app)`."""

    def __init__(self, app: Flask | None = None) -> None:
        if app is not None:
            self.init_app(app)

    def init_app(self, app: Flask) -> None:
        """Register the forum's settings, blueprint, CLI and state on `app`."""
        if "forum" in app.extensions:
            raise RuntimeError(
                "The forum is already registered on this app; call Forum(app) or init_app(app) once."
            )
        for key, value in DEFAULTS.items():
            app.config.setdefault(key, value)
        # Every session's writes move the page versions of what they change, from here on.
        invalidation_hooks.install()
        # Committed changes of threads go to live streams; rolled-back ones never do.
        staging.install()

        app.extensions["forum"] = ForumState(
            database_url=resolve_database_url(
                app.config["FORUM_DATABASE_URL"],
                app.config.get("SQLALCHEMY_DATABASE_URI"),
                app.instance_path,
            ),
            engine_options=dict(app.config["FORUM_ENGINE_OPTIONS"]),
            sqlite_busy_timeout=app.config["FORUM_SQLITE_BUSY_TIMEOUT"],
            cache_url=app.config["FORUM_CACHE_URL"] or "none://",
            cache_size=app.config["FORUM_CACHE_SIZE"],
            cache_bytes=app.config["FORUM_CACHE_BYTES"],
            cache_member_bytes=app.config["FORUM_CACHE_MEMBER_BYTES"],
            cache_timeout=app.config["FORUM_CACHE_TIMEOUT"],
            cache_key_prefix=app.config["FORUM_CACHE_KEY_PREFIX"],
            events_url=app.config["FORUM_EVENTS_URL"],
            events_backlog=app.config["FORUM_EVENTS_BACKLOG"],
            events_key_prefix=app.config["FORUM_EVENTS_KEY_PREFIX"],
        )
        # A mistyped events URL is said at start-up.
        check_events_url(app.config["FORUM_EVENTS_URL"])
        # The read path (a mistyped cache URL is said here, at start-up, not on the first page served).
        caching.install(app)

        # The routes name ids with the `id` converter, which must be known before they are bound.
        app.url_map.converters.setdefault("id", IdConverter)
        app.url_map.converters.setdefault("anypath", AnyPathConverter)
        app.register_blueprint(blueprint, url_prefix=app.config["FORUM_URL_PREFIX"] or None)
        # The forum's scripts and styles are linked by their content's hash (safe across a rolling upgrade).
        version_static_urls(app, f"{blueprint.name}.static", str(blueprint.static_folder))
        # Apart from the forum's blueprint, so that none of its hooks (session, viewer, cache) runs for it.
        app.register_blueprint(health, url_prefix=app.config["FORUM_URL_PREFIX"] or None)
        limiter = app.extensions["forum"].limiter = make_limiter(app)
        apply_limits(app, limiter)
        app.cli.add_command(forum_cli)
        # A CSRF token read before signing in or out is refused after it, whoever's pages sign users in.
        user_logged_in.connect(rotate_csrf, app)
        user_logged_out.connect(rotate_csrf, app)
        app.teardown_appcontext(close_session)
