"""Reading a thread's Server-Sent Events in tests: from the Flask test client, or from a served site over HTTP."""

from __future__ import annotations

import http.client
import json
import queue
import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit


@dataclass
class Received:
    """One event as a browser's EventSource would see it, and when it came."""

    id: str
    kind: str
    data: dict
    raw: str


@dataclass
class Stream:
    """The events of one open stream, read by a thread of its own into a queue (None once it ends)."""

    status: int
    headers: dict[str, str]
    events: queue.Queue = field(default_factory=queue.Queue)
    comments: list[str] = field(default_factory=list)
    thread: threading.Thread | None = None

    def next(self, timeout: float = 5.0) -> Received | None:
        """The next event, or None when the stream ended or nothing came within `timeout`."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def rest(self, timeout: float = 10.0) -> list[Received]:
        """Every event until the stream ends."""
        found = []
        while (event := self.next(timeout)) is not None:
            found.append(event)
        return found

    def read(self, chunks: Iterable[bytes]) -> None:
        """Parse SSE text from `chunks` into events and comment lines."""
        buffer = ""
        for chunk in chunks:
            buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
            while "\n\n" in buffer:
                block, buffer = buffer.split("\n\n", 1)
                fields: dict[str, str] = {}
                for line in block.split("\n"):
                    if line.startswith(":"):
                        self.comments.append(line[1:].strip())
                    elif ": " in line:
                        name, value = line.split(": ", 1)
                        fields[name] = value
                if "event" in fields:
                    self.events.put(Received(fields.get("id", ""), fields["event"],
                                             json.loads(fields.get("data", "{}")), block))
        self.events.put(None)

    def start(self, chunks: Iterable[bytes]) -> Stream:
        """Read `chunks` on a thread of its own."""
        self.thread = threading.Thread(target=self.read, args=(chunks,), daemon=True)
        self.thread.start()
        return self


def open_stream(client, url: str, headers: dict[str, str] | None = None) -> Stream:
    """Open a stream through a Flask test client."""
    response = client.get(url, headers=headers or {}, buffered=False)
    stream = Stream(response.status_code, dict(response.headers))
    if response.status_code != 200:
        stream.events.put(None)
        return stream

    def chunks() -> Iterable[bytes]:
        yield from response.response
        response.close()  # as a WSGI server closes what it served

    return stream.start(chunks())


def open_http_stream(url: str, headers: dict[str, str] | None = None, timeout: float = 30) -> Stream:
    """Open a stream of a served site over HTTP."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    connection.request("GET", parts.path + (f"?{parts.query}" if parts.query else ""),
                       headers={"Accept": "text/event-stream", **(headers or {})})
    response = connection.getresponse()
    stream = Stream(response.status, dict(response.getheaders()))
    if response.status != 200:
        response.read()
        stream.events.put(None)
        return stream

    def chunks() -> Iterable[bytes]:
        try:
            while line := response.readline():
                yield line
        except OSError:
            return

    return stream.start(chunks())
