"""Where the forum's own rate-limit counts go: the shared store (Redis), one round trip for all of a write's limits,
or this process's memory for a while after the store failed.

Flask-Limiter's moving window (the `limits` package) keeps each limit's window in Redis as a list of timestamps,
newest first, trimmed to the limit, and asks Redis once per limit: a post in a member's first day, under two
limits, cost two round trips to count. `WINDOWS` does what limits' own `acquire_moving_window.lua` does, on the
same lists under the same keys, for every limit of a write in one script call, and answers with the count each
window holds after it, which is also a fresh look at the window (`forum.ratelimit`). Only a store that is one
Redis (or one behind Sentinel) takes it; a cluster, whose keys may live on different nodes, and the in-memory
store are asked limit by limit.
"""

from __future__ import annotations

import logging
import time
import weakref
from collections.abc import Sequence
from typing import Any

import redis
from flask_limiter import Limiter
from limits import RateLimitItem
from limits.storage import MemoryStorage, RedisClusterStorage, RedisStorage
from limits.strategies import MovingWindowRateLimiter, RateLimiter
from limits.util import WindowStats
from redis.commands.core import Script

logger = logging.getLogger(__name__)
# Where the forum's own counts (sign-ins, members' writes) go while the shared store cannot be reached: in
# this process, as Flask-Limiter's own fallback counts registrations.
FALLBACK = MovingWindowRateLimiter(MemoryStorage())
# What a store that stops answering raises: Redis's own errors, or the socket's.
STORE_ERRORS = (redis.RedisError, OSError)
# After the shared store fails, the seconds for which this process counts alone rather than asking it again on
# every write (and waiting out its timeout each time).
PAUSE_AFTER_FAILURE = 5.0
_paused_until: dict[int, float] = {}


class FallingBack:
    """The shared store's counts, or this process's for any one call the store fails.

    The store is not asked whether it is up first (a round trip on every write): a call it fails is made on
    this process's counts instead, and so are the calls of the next few seconds. A member's write, done and
    committed, is then never answered 500 because counting it failed; the client would send it again.
    """

    def __init__(self, shared: RateLimiter) -> None:
        self.shared = shared

    def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Count one more in `item`'s window; False when that goes past the limit."""
        return bool(self.call("hit", item, *identifiers))

    def test(self, item: RateLimitItem, *identifiers: str) -> bool:
        """Whether one more would stay within `item`'s limit."""
        return bool(self.call("test", item, *identifiers))

    def get_window_stats(self, item: RateLimitItem, *identifiers: str) -> WindowStats:
        """When `item`'s window resets and how much is left in it."""
        stats: WindowStats = self.call("get_window_stats", item, *identifiers)
        return stats

    def call(self, name: str, *args: Any) -> Any:
        """`name` on the shared store's strategy, else on this process's."""
        try:
            return getattr(self.shared, name)(*args)
        except STORE_ERRORS as error:
            self.failed(error)
            return getattr(FALLBACK, name)(*args)

    def rooms(self, items: list[RateLimitItem], identifiers: tuple[str, ...], hit: bool) -> list[int] | None:
        """In one round trip to a Redis store, count one more in each of `items`' windows (`hit`) or not, and say
        how many more each takes; None where the store is asked limit by limit (or failed), having counted."""
        found = windows_script(self.shared)
        if found is None:
            return per_limit(self, items, identifiers, hit)
        try:
            return rooms_left(*found, items, identifiers, hit)
        except STORE_ERRORS as error:
            self.failed(error)
            return per_limit(FALLBACK, items, identifiers, hit)

    def failed(self, error: Exception) -> None:
        """The shared store failed: this process counts alone for a while."""
        logger.warning("The rate limits' store failed (%s): counting in this process meanwhile.", error)
        _paused_until[id(self.shared)] = time.monotonic() + PAUSE_AFTER_FAILURE


def per_limit(
    strategy: FallingBack | RateLimiter, items: list[RateLimitItem], identifiers: tuple[str, ...], hit: bool
) -> list[int] | None:
    """`FallingBack.rooms` asked limit by limit: each window counted (None: what is left of it goes unasked), or
    looked at."""
    if hit:
        for item in items:
            strategy.hit(item, *identifiers)
        return None
    return [strategy.get_window_stats(item, *identifiers).remaining for item in items]


def strategy_of(limiter: Limiter) -> FallingBack | RateLimiter:
    """Where the forum's own counts go: the limiter's store, or this process's memory for a while after it failed."""
    shared = limiter.limiter
    return FALLBACK if _paused_until.get(id(shared), 0.0) > time.monotonic() else FallingBack(shared)


# KEYS: the windows. ARGV[1]: now (seconds); ARGV[2]: "1" to count one more write in each window, "0" to only
# look; then each window's limit and length in seconds. Answers each window's entries within it, after the count.
# A full window takes no entry (as in limits' script): the write was refused before it ran, or, tested first and
# counted after, passed a place another write took meanwhile.
WINDOWS = """
local now = tonumber(ARGV[1])
local counts = {}
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[1 + 2 * i])
  local expiry = tonumber(ARGV[2 + 2 * i])
  local since = now - expiry
  if ARGV[2] == '1' then
    local last = redis.call('lindex', key, limit - 1)
    if not (last and tonumber(last) >= since) then
      redis.call('lpush', key, ARGV[1])
      redis.call('ltrim', key, 0, limit - 1)
      redis.call('expire', key, expiry)
    end
  end
  local length = redis.call('llen', key)
  local count = 0
  if length > 0 then
    local oldest = redis.call('lindex', key, length - 1)
    if tonumber(oldest) >= since then
      count = length
    else
      -- newest first: the last index still within the window, by bisection
      local low, high = 0, length - 2
      while low <= high do
        local mid = math.floor((low + high) / 2)
        if tonumber(redis.call('lindex', key, mid)) >= since then
          count = mid + 1
          low = mid + 1
        else
          high = mid - 1
        end
      end
    end
  end
  counts[i] = count
end
return counts
"""
_scripts: weakref.WeakKeyDictionary[RedisStorage, Script] = weakref.WeakKeyDictionary()


def windows_script(strategy: RateLimiter) -> tuple[RedisStorage, Script] | None:
    """The store and `WINDOWS` registered on its Redis, when `strategy` counts moving windows in one Redis; else
    None (the store is asked limit by limit)."""
    storage = strategy.storage
    if (not isinstance(strategy, MovingWindowRateLimiter) or not isinstance(storage, RedisStorage)
            or isinstance(storage, RedisClusterStorage)):
        return None
    script = _scripts.get(storage)
    if script is None:
        script = _scripts[storage] = storage.get_connection().register_script(WINDOWS.encode())
    return storage, script


def rooms_left(
    storage: RedisStorage, script: Script, items: Sequence[RateLimitItem], identifiers: Sequence[str], hit: bool
) -> list[int]:
    """How many more writes each of `items`' windows takes, after counting one more in each (`hit`) or not, in
    one round trip to the store."""
    keys = [storage.prefixed_key(item.key_for(*identifiers)) for item in items]
    args: list[Any] = [repr(time.time()), "1" if hit else "0"]
    for item in items:
        args += [item.amount, item.get_expiry()]
    counts = script(keys, args)
    return [item.amount - int(count) for item, count in zip(items, counts)]
