"""The page cache's stores, each bounded by the bytes it holds, whatever the readers ask for.

Two stores share the bytes `FORUM_CACHE_BYTES` allows: members' own copies (one entry each) are kept apart, in
at most `FORUM_CACHE_MEMBER_BYTES`, so that a crowd of signed-in readers, each with a copy of their own, can
never push out the pages every anonymous reader shares (a page and its gzip copy, two entries); those keep
the rest. An entry weighs its bytes and a fixed allowance for its key and bookkeeping, so that a flood of tiny
entries is bounded too. In memory, the least recently read entries go first; in Redis, an index of the forum's
own (a sorted set by time of storing, beside the byte size of each entry) is trimmed in the same script that
stores, so that several workers storing at once still leave at most the bound, and nothing else in that Redis
(rate limits) is ever evicted for pages. A count of entries (`FORUM_CACHE_SIZE`, deprecated) still bounds
each store when a host sets it.
"""

from __future__ import annotations

import logging
import threading
import time
import warnings
from collections import OrderedDict
from collections.abc import Mapping
from typing import Any

import redis
from cachelib import BaseCache, NullCache, RedisCache
from redis import RedisError

logger = logging.getLogger(__name__)


# What an entry costs beyond its page's bytes: in memory its key, the bytes objects' headers and the store's
# own record of it (about 350 bytes in CPython); in Redis the key, its index entry and its size.
ENTRY_OVERHEAD = 400


def page_bytes(value: Any) -> int:
    """The bytes a page holds: a page, or a member's copy (its parts split at its CSRF token and their deflate
    streams alike)."""
    if isinstance(value, (bytes, str)):
        return len(value)
    if isinstance(value, (list, tuple)):
        return sum(page_bytes(part) for part in value)
    return 0


def weight(key: str, value: Any) -> int:
    """What an entry counts against its store's bytes: its page's bytes, its key and a fixed allowance."""
    return page_bytes(value) + len(key) + ENTRY_OVERHEAD


class MemoryPages(BaseCache):
    """Pages in this process, at most `max_bytes` bytes (and `size` entries, if given), least recently read
    out first."""

    def __init__(self, size: int | None, max_bytes: int, default_timeout: int = 300) -> None:
        super().__init__(default_timeout)
        self.size, self.max_bytes = size, max_bytes
        self._entries: OrderedDict[str, tuple[float, Any, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    @property
    def count(self) -> int:
        """How many entries are kept."""
        return len(self._entries)

    @property
    def bytes(self) -> int:
        """How many bytes the kept entries hold."""
        return self._bytes

    def get(self, key: str) -> Any:
        """The entry, if kept and not expired; it becomes the most recently read."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            if entry[0] and entry[0] <= time.monotonic():
                self._drop(key)
                return None
            self._entries.move_to_end(key)
            return entry[1]

    def set(self, key: str, value: Any, timeout: Any = None) -> bool:
        """Keep an entry, making room by dropping the least recently read; one too big is not kept."""
        seconds = self._normalize_timeout(timeout)
        weighs = weight(key, value)
        with self._lock:
            self._drop(key)
            most = len(self._entries) + 1 if self.size is None else self.size
            if weighs > self.max_bytes or most <= 0:
                return False
            self._entries[key] = (time.monotonic() + seconds if seconds else 0.0, value, weighs)
            self._bytes += weighs
            while len(self._entries) > most or self._bytes > self.max_bytes:
                self._drop(next(iter(self._entries)))
        return True

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        """Keep an entry unless one is kept under that key."""
        return self.get(key) is None and self.set(key, value, timeout)

    def set_many(self, mapping: dict[str, Any], timeout: Any = None) -> list[Any]:
        """Keep several entries."""
        return [key for key, value in mapping.items() if self.set(key, value, timeout)]

    def delete(self, key: str) -> bool:
        """Forget an entry."""
        with self._lock:
            return self._drop(key)

    def has(self, key: str) -> bool:
        """Whether an entry is kept."""
        return self.get(key) is not None

    def clear(self) -> bool:
        """Forget every entry."""
        with self._lock:
            self._entries.clear()
            self._bytes = 0
        return True

    def _drop(self, key: str) -> bool:
        """Forget an entry (the lock held)."""
        entry = self._entries.pop(key, None)
        if entry is None:
            return False
        self._bytes -= entry[2]
        return True


# Store the entries (key, value pairs in ARGV after the settings), then drop what expired and the oldest
# entries until the bounds hold (a count below 0: none). Each entry weighs its value, its key and the fixed
# allowance. Redis runs a script alone, so parallel stores cannot overshoot together.
STORE = """
local index, sizes, total = KEYS[1], KEYS[2], KEYS[3]
local timeout, size, max_bytes = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local overhead = tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local function drop(key)
  local held = redis.call('HGET', sizes, key)
  if held then
    redis.call('DECRBY', total, held)
    redis.call('HDEL', sizes, key)
  end
  redis.call('ZREM', index, key)
  redis.call('DEL', key)
end
if timeout > 0 then
  for _, key in ipairs(redis.call('ZRANGEBYSCORE', index, '-inf', now - timeout)) do drop(key) end
end
local stored = 0
for i = 5, #ARGV, 2 do
  local key, value = ARGV[i], ARGV[i + 1]
  local weight = #value + #key + overhead
  drop(key)
  if weight <= max_bytes and size ~= 0 then
    if timeout > 0 then
      redis.call('SET', key, value, 'EX', timeout)
    else
      redis.call('SET', key, value)
    end
    redis.call('ZADD', index, now, key)
    redis.call('HSET', sizes, key, weight)
    redis.call('INCRBY', total, weight)
    stored = stored + 1
  end
end
while (size >= 0 and redis.call('ZCARD', index) > size) or tonumber(redis.call('GET', total) or '0') > max_bytes do
  local oldest = redis.call('ZRANGE', index, 0, 0)
  if #oldest == 0 then break end
  drop(oldest[1])
end
return stored
"""


class RedisPages(RedisCache):
    """Pages in Redis under the forum's key prefix, at most `max_bytes` bytes (and `size` entries, if given),
    indexed under the prefix and `index` (each store its own index)."""

    def __init__(
        self, client: Any, *, prefix: str, size: int | None, max_bytes: int, default_timeout: int, index: str = ""
    ) -> None:
        super().__init__(host=client, default_timeout=default_timeout)
        self.size, self.max_bytes = size, max_bytes
        # The index's own keys; a page's key is the prefix and 40 hexadecimal digits, never one of these.
        self.index_keys = [f"{prefix}{index}index", f"{prefix}{index}sizes", f"{prefix}{index}bytes"]
        self._store = client.register_script(STORE)
        self._warned_at = -60.0  # when it was last said that Redis does not answer (time.monotonic())

    @property
    def count(self) -> int:
        """How many entries the index keeps."""
        return int(self._read_client.zcard(self.index_keys[0]))

    @property
    def bytes(self) -> int:
        """How many bytes the indexed entries count for (`weight`)."""
        return int(self._read_client.get(self.index_keys[2]) or 0)

    def get(self, key: str) -> Any:
        """The entry, or None when it is not kept or Redis does not answer: the page is then rendered as on a miss."""
        try:
            return super().get(key)
        except RedisError as error:
            self.unreachable(error)
            return None

    def set(self, key: str, value: Any, timeout: Any = None) -> bool:
        """Keep an entry, trimming the oldest beyond the bounds."""
        return bool(self.set_many({key: value}, timeout))

    def set_many(self, mapping: dict[str, Any], timeout: Any = None) -> list[Any]:
        """Keep several entries at once, trimming the oldest beyond the bounds (none while Redis does not answer)."""
        seconds = self._normalize_timeout(timeout)
        most = -1 if self.size is None else self.size
        arguments: list[Any] = [max(seconds, 0), most, self.max_bytes, ENTRY_OVERHEAD]
        for key, value in mapping.items():
            arguments += [key, self.serializer.dumps(value)]
        try:
            stored = self._store(keys=self.index_keys, args=arguments)
        except RedisError as error:
            self.unreachable(error)
            return []
        return list(mapping) if stored == len(mapping) else []

    def unreachable(self, error: RedisError) -> None:
        """Say, at most once a minute per process, that pages are rendered afresh for want of Redis."""
        now = time.monotonic()
        if now - self._warned_at >= 60:
            self._warned_at = now
            logger.warning("The page cache's Redis does not answer (%s): pages are rendered afresh meanwhile.", error)

    def add(self, key: str, value: Any, timeout: Any = None) -> bool:
        """Keep an entry unless one is kept under that key."""
        return self.get(key) is None and self.set(key, value, timeout)

    def clear(self) -> bool:
        """Forget every page this index keeps, and nothing else in that Redis (not a FLUSHDB)."""
        kept = self._read_client.zrange(self.index_keys[0], 0, -1)
        for start in range(0, len(kept), 500):
            self._write_client.delete(*kept[start : start + 500])
        self._write_client.delete(*self.index_keys)
        return True


SCHEMES = {"memory", "redis", "rediss", "unix", "none"}


def check_cache_url(url: str) -> None:
    """Refuse a `FORUM_CACHE_URL` naming no store the forum knows."""
    if url.partition("://")[0].lower() not in SCHEMES or "://" not in url:
        raise ValueError(
            f"FORUM_CACHE_URL must be memory://, redis://HOST:PORT/DB or none://, not {url!r}."
        )


def check_cache_bounds(config: Mapping[str, Any]) -> None:
    """Refuse bounds that leave the shared pages no room; say that a count of entries is deprecated."""
    total, members = config["FORUM_CACHE_BYTES"], config["FORUM_CACHE_MEMBER_BYTES"]
    if not (isinstance(total, int) and isinstance(members, int) and 0 <= members < total):
        raise ValueError(
            "FORUM_CACHE_BYTES must be a number of bytes, and FORUM_CACHE_MEMBER_BYTES (members' own copies) a "
            f"part of it, from 0 up to less than it: not {total!r} and {members!r}."
        )
    if config.get("FORUM_CACHE_SIZE") is not None:
        warnings.warn(
            "FORUM_CACHE_SIZE (a count of entries) is deprecated: the page cache is bounded by FORUM_CACHE_BYTES "
            "and FORUM_CACHE_MEMBER_BYTES. It still bounds each store's entries while it is set.",
            DeprecationWarning,
            stacklevel=2,
        )


def make_cache(
    url: str, *, size: int | None, max_bytes: int, timeout: int, prefix: str, index: str = ""
) -> BaseCache:
    """The store `FORUM_CACHE_URL` names: `memory://` (this process), `redis://...` (shared) or `none://`.

    It keeps at most `max_bytes` bytes (and `size` entries, if given); in Redis its index is named by `index`.
    """
    scheme = url.partition("://")[0].lower()
    if scheme == "memory":
        return MemoryPages(size, max_bytes, default_timeout=timeout)
    if scheme in ("redis", "rediss", "unix"):
        # A Redis that stops answering must not hold pages: after a second, the page is rendered instead.
        client = redis.Redis.from_url(url, socket_timeout=1.0, socket_connect_timeout=1.0)
        return RedisPages(
            client, prefix=prefix, size=size, max_bytes=max_bytes, default_timeout=timeout, index=index
        )
    if scheme == "none":
        return NullCache()
    raise ValueError(f"FORUM_CACHE_URL must be memory://, redis://HOST:PORT/DB or none://, not {url!r}.")
