"""A thread's Server-Sent Events stream: what it writes, how long it lasts, and how many one process holds.

Each open stream holds one of the server's threads (gunicorn's gthread workers: `deploy/gunicorn.conf.py`),
so a process holds at most `FORUM_EVENTS_MAX_STREAMS` and answers 503 beyond it, keeping threads free for
pages. A stream sends a comment line every `FORUM_EVENTS_HEARTBEAT` seconds (proxies drop a silent
connection), ends after `FORUM_EVENTS_MAX_AGE` seconds (the browser reconnects, with `Last-Event-ID`, to
whichever host the balancer picks) and ends early when its worker is stopping.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from forum.live.brokers import Broker, Event, parse_event_id

logger = logging.getLogger(__name__)

# How long one wait for events lasts: a stopping worker or a stream's end is noticed within it.
WAIT_SLICE = 2.0
# What the browser waits before reconnecting a stream that ended (milliseconds).
RETRY_MS = 3000


@dataclass
class StreamGate:
    """Counts the streams this process holds open, under a ceiling; and keeps each client address to a few,
    its oldest stream told to end when it opens one more (a reader who moved on from a page, or someone
    opening streams by the dozen to take every place from the other readers)."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    open: int = 0
    by_client: dict[str, list[threading.Event]] = field(default_factory=dict)

    def enter(self, ceiling: int, client: str = "", per_client: int | None = None) -> threading.Event | None:
        """Take a place for `client`: the new stream's stop flag, or None when this process is full."""
        with self._lock:
            held = self.by_client.setdefault(client, [])
            if per_client is not None and len(held) >= per_client:
                oldest = held.pop(0)
                oldest.set()
                self.open -= 1
            if self.open >= ceiling:
                if not held:
                    del self.by_client[client]
                return None
            stop = threading.Event()
            held.append(stop)
            self.open += 1
            return stop

    def leave(self, client: str, stop: threading.Event) -> None:
        """Give a stream's place back (once: a stream told to end gave it back then)."""
        with self._lock:
            held = self.by_client.get(client, [])
            if stop in held:
                held.remove(stop)
                self.open -= 1
            if not held:
                self.by_client.pop(client, None)


@dataclass(frozen=True)
class StreamSettings:
    """How a stream behaves: heartbeat, lifetime, and whether the process still serves."""

    heartbeat: float
    max_age: float
    serving: Callable[[], bool] = lambda: True
    # Set when the stream must end early: its client opened more than it may hold.
    stop: threading.Event = field(default_factory=threading.Event)


def frame(event: Event) -> str:
    """One event as SSE lines: id, event name and its JSON data."""
    data = json.dumps({"id": event.id, **event.data}, separators=(",", ":"))
    return f"id: {event.id}\nevent: {event.kind}\ndata: {data}\n\n"


def start_after(broker: Broker, block_id: int, last_event_id: str | None) -> str:
    """Where a stream starts: after the client's last event when it sends a valid one, else after now."""
    if parse_event_id(last_event_id) is not None:
        return str(last_event_id).strip()
    return broker.latest(block_id)


def event_lines(broker: Broker, block_id: int, after: str, settings: StreamSettings) -> Iterator[str]:
    """The stream's text: the retry delay, then events and heartbeats until its lifetime ends."""
    yield f"retry: {RETRY_MS}\n: stream of thread {block_id}\n\n"
    started = time.monotonic()
    beat = started
    while settings.serving() and not settings.stop.is_set():
        left = started + settings.max_age - time.monotonic()
        if left <= 0:
            return
        try:
            events = broker.read(block_id, after, min(WAIT_SLICE, left, settings.heartbeat))
        except Exception:  # noqa: BLE001 - a broker gone ends the stream; the browser comes back later
            logger.warning("A live stream lost its broker and ends", exc_info=True)
            return
        for event in events:
            after = event.id
            yield frame(event)
        now = time.monotonic()
        if events:
            beat = now
        elif now - beat >= settings.heartbeat:
            beat = now
            yield ": heartbeat\n\n"
