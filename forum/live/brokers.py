"""Where a thread's events go once their write is committed, and where open streams read them from.

`MemoryBroker` keeps each thread's latest events in this process (one worker's streams see one worker's
writes); `RedisBroker` appends them to one Redis stream per thread (`XADD ... MAXLEN ~`), which every worker
and host reads, and replays what a reconnecting client missed (`XREAD` from its `Last-Event-ID`). Both number
events as Redis does, `MILLISECONDS-SEQUENCE`, so that ids compare alike whichever keeps them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Any, Protocol

import redis

# The kinds of events a thread's stream carries.
KINDS = frozenset({"argument", "vote", "consensus", "hidden"})
EVENT_ID = re.compile(r"^(\d{1,15})-(\d{1,9})$")
# How long a Redis command may take before the broker gives up on it (a stream then ends, a page says so).
REDIS_TIMEOUT = 2.0
# The longest a stream's XREAD blocks; its socket waits this much longer before calling Redis gone.
LONGEST_WAIT = 20.0


@dataclass(frozen=True)
class Event:
    """One change of a thread: its id (`MS-SEQ`), kind and what it may tell every reader."""

    id: str
    kind: str
    data: dict[str, Any]


def parse_event_id(text: str | None) -> tuple[int, int] | None:
    """An event id as a pair of numbers, or None for a missing or malformed one."""
    match = EVENT_ID.match((text or "").strip())
    return (int(match[1]), int(match[2])) if match else None


class Broker(Protocol):
    """Publishes a thread's events and reads those after a given id."""

    def publish(self, block_id: int, kind: str, data: dict[str, Any]) -> str:
        """Append an event to the thread's backlog; its id."""

    def latest(self, block_id: int) -> str:
        """The id of the thread's newest event, `0-0` when it has none."""

    def read(self, block_id: int, after: str, timeout: float) -> list[Event]:
        """The thread's events after `after`, waiting up to `timeout` seconds for one when there is none."""

    def ping(self) -> None:
        """Raise when the broker cannot be reached."""

    def close(self) -> None:
        """Let go of its connections."""


class MemoryBroker:
    """A bounded backlog per thread in this process; streams wait on a condition for the next event."""

    def __init__(self, backlog: int = 200, threads: int = 10_000) -> None:
        self.backlog = backlog
        self.threads = threads
        self.changed = threading.Condition()
        self.events: dict[int, deque[Event]] = {}
        self.last = (0, 0)

    def _next_id(self) -> str:
        """A new id above every earlier one, from the clock (as Redis makes them)."""
        now = int(time.time() * 1000)
        self.last = (now, 0) if now > self.last[0] else (self.last[0], self.last[1] + 1)
        return f"{self.last[0]}-{self.last[1]}"

    def publish(self, block_id: int, kind: str, data: dict[str, Any]) -> str:
        """Append an event and wake every stream waiting on this process's broker."""
        with self.changed:
            event = Event(self._next_id(), kind, data)
            if block_id not in self.events and len(self.events) >= self.threads:
                # Bounded by threads too: the quietest backlog (the first made) goes.
                self.events.pop(next(iter(self.events)))
            self.events.setdefault(block_id, deque(maxlen=self.backlog)).append(event)
            self.changed.notify_all()
            return event.id

    def latest(self, block_id: int) -> str:
        """The newest event's id in the thread's backlog."""
        with self.changed:
            kept = self.events.get(block_id)
            return kept[-1].id if kept else "0-0"

    def _after(self, block_id: int, after: tuple[int, int]) -> list[Event]:
        """The kept events newer than `after` (call with the condition held)."""
        return [e for e in self.events.get(block_id, ()) if (parse_event_id(e.id) or (0, 0)) > after]

    def read(self, block_id: int, after: str, timeout: float) -> list[Event]:
        """The events after `after`, waiting for the next one up to `timeout`."""
        mark = parse_event_id(after) or (0, 0)
        deadline = time.monotonic() + timeout
        with self.changed:
            while not (found := self._after(block_id, mark)):
                left = deadline - time.monotonic()
                if left <= 0:
                    return []
                self.changed.wait(left)
            return found

    def ping(self) -> None:
        """A process's own memory is always there."""

    def close(self) -> None:
        """Nothing to let go of."""


class RedisBroker:
    """One Redis stream per thread, capped near `backlog` entries, shared by every worker and host."""

    def __init__(self, url: str, backlog: int = 1_000, key_prefix: str = "forum-events:") -> None:
        self.client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT, health_check_interval=30
        )
        # Streams block in XREAD for seconds: their own connections, with a socket timeout to match.
        self.reader = redis.Redis.from_url(
            url, socket_timeout=LONGEST_WAIT + REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        self.backlog = backlog
        self.key_prefix = key_prefix

    def key(self, block_id: int) -> str:
        """The Redis key of a thread's stream."""
        return f"{self.key_prefix}{block_id}"

    def publish(self, block_id: int, kind: str, data: dict[str, Any]) -> str:
        """XADD the event, trimming the stream to about `backlog` entries."""
        added = self.client.xadd(
            self.key(block_id), {"kind": kind, "data": json.dumps(data)}, maxlen=self.backlog, approximate=True
        )
        return added.decode() if isinstance(added, bytes) else str(added)

    def latest(self, block_id: int) -> str:
        """The id of the stream's last entry."""
        last = self.client.xrevrange(self.key(block_id), count=1)
        if not last:
            return "0-0"
        entry_id = last[0][0]
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    def read(self, block_id: int, after: str, timeout: float) -> list[Event]:
        """XREAD after `after`, blocking up to `timeout` (the socket waits a little longer than Redis)."""
        mark = after if parse_event_id(after) else "0-0"
        wait = min(max(timeout, 0.001), LONGEST_WAIT)
        answer: Any = self.reader.xread({self.key(block_id): mark}, count=100, block=int(wait * 1000))
        events = []
        for _key, entries in answer or []:
            for entry_id, fields in entries:
                kind = fields.get(b"kind", b"").decode()
                if kind not in KINDS:
                    continue
                events.append(Event(entry_id.decode(), kind, json.loads(fields.get(b"data", b"{}"))))
        return events

    def ping(self) -> None:
        """PING Redis."""
        self.client.ping()

    def close(self) -> None:
        """Close both clients' connections."""
        self.client.close()
        self.reader.close()


REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


def check_events_url(url: str | None) -> None:
    """Refuse a `FORUM_EVENTS_URL` that names no broker (said at start-up, not on the first write)."""
    if url and not url.lower().startswith((*REDIS_SCHEMES, "memory://")):
        raise ValueError(f"FORUM_EVENTS_URL must be redis://HOST:PORT/DB (or unset), not {url.split(':')[0]}://...")


def make_broker(url: str | None, backlog: int, key_prefix: str = "forum-events:") -> MemoryBroker | RedisBroker:
    """The broker a `FORUM_EVENTS_URL` names: Redis for `redis://` and `rediss://`, else this process's memory."""
    check_events_url(url)
    if url and url.lower().startswith(REDIS_SCHEMES):
        return RedisBroker(url, backlog=backlog, key_prefix=key_prefix)
    return MemoryBroker(backlog=backlog)
