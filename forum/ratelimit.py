"""Rate limits on the forum's writes with Flask-Limiter, counted per member (per address before sign-in).

A member's writes (posting, editing, voting, flagging) count what was done, not what was tried: the page
or API view runs the write inside `counted(kind)`, which refuses it once the member's limits are reached
and counts it only when it succeeded, so that a preview, an extra source row or a form refused for a
mistake costs nothing, and a refusal comes back in the form, with what was typed. Registration is limited
per address by Flask-Limiter itself: `LIMITS` lists it, and `apply_limits` hangs it on the view, so that
the host's own routes are never counted. Password checks are limited by `guard_sign_in`, which the sign-in
form, `POST /api/v1/tokens` and the change-password form call around their check, since what it counts
depends on the check's outcome. Every refusal (429) says when to try again, and carries `Retry-After`.
"""

from __future__ import annotations

import functools
import ipaddress
import math
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any, TypeVar

from flask import Flask, current_app, request
from flask_limiter import Limiter
from limits import RateLimitItem, parse_many
from limits.strategies import RateLimiter

from forum.auth import current_viewer
from forum.errors import ForumError, NotAuthenticated, TooManyRequests
from forum.limit_store import FallingBack, per_limit, strategy_of
from forum.models import utcnow
from forum.usernames import username_key

T = TypeVar("T")

NEW_MEMBER_AGE = timedelta(days=1)


def client_address() -> str:
    """The client's address (behind a proxy, as ProxyFix reports it); for IPv6, its /64 network.

    One IPv6 subscriber holds a whole /64 and may send from any of its 2**64 addresses: counted one by one,
    each would be a fresh address with limits of its own (and one more guess at a locked name).
    """
    return f"address:{address_key(request.remote_addr or '')}"


def address_key(text: str) -> str:
    """What per-address limits count an address as: an IPv4 address (mapped into IPv6 or not), or a /64."""
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return text  # not an address (a unix socket's empty one): counted as it is
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((int(address) >> 64 << 64, 64)))
    return str(address)


def member_key() -> str:
    """The signed-in member, so that many members behind one address are not limited together."""
    viewer = current_viewer()
    return f"member:{viewer.user_id}" if viewer.is_authenticated else client_address()


def setting(name: str) -> Callable[[], str]:
    """The limit in `FORUM_RATELIMIT_<NAME>`, read at request time so a host may change it."""
    return lambda: current_app.config[f"FORUM_RATELIMIT_{name}"]


def posting_limits() -> str:
    """The posting limits of the member: stricter in their first day."""
    config = current_app.config
    joined = current_viewer().joined_at
    if joined is None or utcnow() - joined < NEW_MEMBER_AGE:
        return f"{config['FORUM_RATELIMIT_POST']}; {config['FORUM_RATELIMIT_POST_NEW_MEMBER']}"
    return str(config["FORUM_RATELIMIT_POST"])


def try_again_in(seconds: int) -> str:
    """When to try again, said for people."""
    if seconds >= 120:
        return f"Try again in {math.ceil(seconds / 60)} minutes."
    return f"Try again in {seconds} second{'s' if seconds != 1 else ''}."


def seconds_left() -> int:
    """Seconds until the limit Flask-Limiter has just found exceeded lets a request through again."""
    limit = current_app.extensions["forum"].limiter.current_limit
    return max(1, limit.reset_at - int(time.time())) if limit is not None else 60


# endpoint -> [(scope, limit, key, message)]; only POST, PUT, PATCH and DELETE requests count.
LIMITS = {
    "forum_accounts.register": [
        ("register", setting("REGISTER"), client_address, "Too many new accounts from here.")
    ],
    "forum_accounts.request_password_reset": [
        ("password-reset", setting("PASSWORD_RESET"), client_address, "Too many password reset requests from here.")
    ],
}
# A member's writes, each counted by `counted` once done: kind -> (its limits, what a refusal says). Searching,
# the one read that costs the database real work, is counted the same way (per member, or per address).
MEMBER_WRITES: dict[str, tuple[Callable[[], str], str]] = {
    "post": (posting_limits, "You are posting faster than the forum allows."),
    "edit": (setting("EDIT"), "You are editing faster than the forum allows."),
    "vote": (setting("VOTE"), "You are voting faster than the forum allows."),
    "flag": (setting("FLAG"), "You are flagging more than the forum allows in a day."),
    "search": (setting("SEARCH"), "You are searching faster than the forum allows."),
    # An export reads a whole article's debate: counted when one is sent (a 304 is not).
    "export": (setting("EXPORT"), "You are exporting faster than the forum allows."),
    # Cheap, but each moves pages: a watch the pages of its thread or article, a read the member's own copies.
    "watch": (setting("WATCH"), "You are changing what you watch faster than the forum allows."),
    "read": (setting("READ"), "You are marking notifications read faster than the forum allows."),
}
WRITES = ["POST", "PUT", "PATCH", "DELETE"]


STORE_TIMEOUT = 1  # seconds a limit's store may take to answer


def make_limiter(app: Flask) -> Limiter:
    """The forum's own limiter on `app`; `FORUM_RATELIMIT_STORAGE_URI` (Redis) shares counts between workers."""
    limiter = Limiter(
        key_func=client_address,
        storage_uri=app.config["FORUM_RATELIMIT_STORAGE_URI"],
        # A Redis that stops answering must not hold requests: after a second, this process counts alone.
        storage_options={"socket_timeout": STORE_TIMEOUT, "socket_connect_timeout": STORE_TIMEOUT},
        in_memory_fallback_enabled=True,
        strategy="moving-window",
        headers_enabled=True,
        key_prefix=app.config["FORUM_RATELIMIT_KEY_PREFIX"],
        enabled=app.config["FORUM_RATELIMIT_ENABLED"],
    )
    limiter.init_app(app)
    # The limiter's own limits are those `LIMITS` hangs on a few views, on writes, which check them in their own
    # wrappers (`apply_limits`); its check before every request serves default and blueprint limits, of which the
    # forum sets none. Left on, that bookkeeping cost a tenth of a vote (members' writes are counted by `counted`,
    # past it). The filter keeps a host's `RATELIMIT_DEFAULT`, which the limiter also reads, off the forum's views.
    limiter.request_filter(lambda: request.method not in WRITES or request.endpoint not in LIMITS)
    hooks = app.before_request_funcs.get(None, [])
    check = getattr(limiter, "_check_request_limit", None)  # Flask-Limiter's own name: should it change, it stays
    if check in hooks:  # not hung there when the limits are switched off
        hooks.remove(check)
    return limiter


def refusal_message(message: str) -> Callable[[], str]:
    """A limit's refusal: its `message` and when to try again, worked out when it refuses."""
    return lambda: f"{message} {try_again_in(seconds_left())}"


def apply_limits(app: Flask, limiter: Limiter) -> None:
    """Wrap those of the app's views that `LIMITS` names in their limits (this app's views only)."""
    for endpoint, limits in LIMITS.items():
        view: Any = app.view_functions.get(endpoint)
        if view is None or getattr(view, "forum_limited", False):
            continue
        for scope, value, key, message in limits:
            view = limiter.limit(
                value, key_func=key, scope=scope, methods=WRITES, error_message=refusal_message(message)
            )(view)
        view.forum_limited = True
        app.view_functions[endpoint] = view


def seconds_until(
    strategy: FallingBack | RateLimiter, scope: str, key: str, exhausted: list[RateLimitItem]
) -> int:
    """Seconds until every limit in `exhausted` lets `key` through again."""
    prefix = current_app.config["FORUM_RATELIMIT_KEY_PREFIX"]
    reset = max(strategy.get_window_stats(item, prefix, scope, key).reset_time for item in exhausted)
    return max(1, math.ceil(reset - time.time()))


# ---------------------------------------------------------------- a member's writes


# A look at a member's window stands for this many seconds in the process that took it, while at least half the
# limit remains beyond what the process counted since: their next writes then cost no round trip to the store
# before the write, only the count after it. In a Redis store the count answers with the window's new count too, and
# is the process's next look: a member writing at least once a second in a process costs it no look at all.
LOOK_LASTS = 1.0
# Only limits this generous are spared the look: each process may pass up to half of one unseen by the others
# within a second, which matters nothing to a hundred votes an hour and much to five flags a day.
LOOK_SPARES_FROM = 20
MOST_LOOKS = 10_000  # members' windows remembered at once; past it, the old looks are forgotten
_looks: dict[tuple[str, ...], list[float]] = {}  # key -> [when, what remained then, noted here since]
# Writes of this process under way in each window (noted, not counted yet): what a look taken meanwhile misses.
_under_way: dict[tuple[str, ...], int] = {}


@functools.lru_cache(maxsize=64)
def parsed(limits: str) -> list[RateLimitItem]:
    """The limits a setting names ("20 per 10 minutes; 10 per day"), parsed once."""
    return parse_many(limits)


def spared(item: RateLimitItem, key: tuple[str, ...], now: float) -> bool:
    """Whether the process's look at `item`'s window this last second leaves room enough not to look again."""
    look = _looks.get(key)
    return (look is not None and item.amount >= LOOK_SPARES_FROM and now - look[0] < LOOK_LASTS
            and look[1] - look[2] >= item.amount / 2)


def remember(items: list[RateLimitItem], identifiers: tuple[str, ...], rooms: list[int]) -> None:
    """Keep what the store just said of `items`' windows as the process's look at them."""
    now = time.monotonic()
    if len(_looks) >= MOST_LOOKS:
        # A copy of the items, taken at once: other threads of the worker may add or forget looks meanwhile.
        for stale in [k for k, (when, _, _) in list(_looks.items()) if now - when >= LOOK_LASTS]:
            _looks.pop(stale, None)
    for item, room in zip(items, rooms):
        key = (str(item), *identifiers)
        _looks[key] = [now, room, _under_way.get(key, 0)]


def exhausted_limits(
    strategy: FallingBack | RateLimiter, items: list[RateLimitItem], identifiers: tuple[str, ...]
) -> list[RateLimitItem]:
    """Those of `items` with no room for one more write: by the looks of this last second, else by new ones (one
    round trip for all of them in a Redis store)."""
    now = time.monotonic()
    unseen = [item for item in items if not spared(item, (str(item), *identifiers), now)]
    if not unseen:
        return []
    if isinstance(strategy, FallingBack):
        rooms = strategy.rooms(unseen, identifiers, hit=False)
    else:
        rooms = per_limit(strategy, unseen, identifiers, hit=False)
    assert rooms is not None
    remember(unseen, identifiers, rooms)
    return [item for item, room in zip(unseen, rooms) if room < 1]


def note_under_way(items: list[RateLimitItem], identifiers: tuple[str, ...], writes: int, room: int) -> None:
    """`writes` more (or, negative, fewer) writes under way in `items`' windows, and `room` more taken from the
    process's looks at them."""
    for item in items:
        key = (str(item), *identifiers)
        if (look := _looks.get(key)) is not None:
            look[2] += room
        if left := _under_way.get(key, 0) + writes:
            _under_way[key] = left
        else:
            _under_way.pop(key, None)


def count_done(strategy: FallingBack | RateLimiter, items: list[RateLimitItem], identifiers: tuple[str, ...]) -> None:
    """Count a write done in each of `items`' windows (one round trip for all of them in a Redis store)."""
    if isinstance(strategy, FallingBack):
        rooms = strategy.rooms(items, identifiers, hit=True)
    else:
        rooms = per_limit(strategy, items, identifiers, hit=True)
    if rooms is not None:
        remember(items, identifiers, rooms)


@contextmanager
def counted(kind: str) -> Iterator[None]:
    """Run a member's write of `kind` ("post", "edit", "vote", "flag") under their limits for it.

    `TooManyRequests` (saying when to try again) once the limits are reached; otherwise the write runs, and
    is counted only if it finishes without an error. Tested first and counted after, two writes sent at the
    very same moment may both pass the last free place. A process that looked at a member's window less than a
    second ago (or counted a write of theirs in it) and saw more than half of a limit of 20 or more free (less its
    writes since) does not look again: only if the member's writes in other processes filled the other half within
    that second could one pass it. The limits are against floods, not exact quotas; every write done is counted in
    the store.
    """
    limiter: Limiter = current_app.extensions["forum"].limiter
    if not limiter.enabled:
        yield
        return
    limits, message = MEMBER_WRITES[kind]
    strategy = strategy_of(limiter)
    items = parsed(limits())
    prefix = current_app.config["FORUM_RATELIMIT_KEY_PREFIX"]
    key = member_key()
    identifiers = (prefix, kind, key)
    exhausted = exhausted_limits(strategy, items, identifiers)
    if exhausted:
        seconds = seconds_until(strategy, kind, key, exhausted)
        raise TooManyRequests(f"{message} {try_again_in(seconds)}", retry_after=seconds)
    # Noted before the write, so that this process's writes under way at once all take room from its look.
    note_under_way(items, identifiers, 1, room=1)
    try:
        yield
    except BaseException:
        note_under_way(items, identifiers, -1, room=-1)
        raise
    # Done: no longer under way, and counted in the store; it takes room from the old look until the count's answer
    # replaces it.
    note_under_way(items, identifiers, -1, room=0)
    count_done(strategy, items, identifiers)


# ---------------------------------------------------------------- signing in
# One count for every password check, wherever it is made. `FORUM_RATELIMIT_LOGIN` limits each of these:
SIGN_IN = "sign-in"  # attempts per address: every password check
FAILED = "sign-in-failed"  # failed checks, per account name and per address


def sign_in_limits() -> list[RateLimitItem]:
    """The limits in `FORUM_RATELIMIT_LOGIN` ("10 per minute", or several joined by ';')."""
    return parse_many(current_app.config["FORUM_RATELIMIT_LOGIN"])


def guard_sign_in(username: str, check: Callable[[], T], failure: type[ForumError] = NotAuthenticated) -> T:
    """Run a sign-in's password `check` under the sign-in limits; `TooManyRequests` when they refuse it.

    `check` raises `failure` for a wrong password (changing the password passes its own error).

    Per address, every attempt counts. Per account name, only failures count, so that a stranger's wrong
    guesses cannot lock the owner out for long: once a name has had its limit of failures, an attempt on
    it is refused, unless it comes from an address with no failure of its own in the window (as the
    owner's usually has), where the right password still signs in. A wrong one from there is refused
    too, and marks the address. An attacker thus gets the limit's guesses, plus one per fresh address.
    """
    limiter: Limiter = current_app.extensions["forum"].limiter
    if not limiter.enabled:
        return check()
    strategy = strategy_of(limiter)
    items = sign_in_limits()
    prefix = current_app.config["FORUM_RATELIMIT_KEY_PREFIX"]
    address, name = client_address(), f"name:{username_key(username)}"

    def refusal(message: str, scope: str, key: str, exhausted: list[RateLimitItem]) -> TooManyRequests:
        seconds = seconds_until(strategy, scope, key, exhausted)
        return TooManyRequests(f"{message} {try_again_in(seconds)}", retry_after=seconds)

    # Every limit is hit, as Flask-Limiter does, so that each window counts every attempt.
    refused = [item for item in items if not strategy.hit(item, prefix, SIGN_IN, address)]
    if refused:
        raise refusal("Too many sign-in attempts from here.", SIGN_IN, address, refused)
    locked = [item for item in items if not strategy.test(item, prefix, FAILED, name)]
    clean = all(
        strategy.get_window_stats(item, prefix, FAILED, address).remaining == item.amount for item in items
    )
    message = "Too many failed sign-ins for this name."
    if locked and not clean:
        raise refusal(message, FAILED, name, locked)
    try:
        return check()
    except failure:
        for item in items:
            strategy.hit(item, prefix, FAILED, name)
            strategy.hit(item, prefix, FAILED, address)
        if locked:
            raise refusal(message, FAILED, name, locked) from None
        raise
