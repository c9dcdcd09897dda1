"""A web server on 127.0.0.1 that serves articles to import, and misbehaves on purpose: slow, endless, trickling."""

from __future__ import annotations

import http.server
import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

FIXTURES = Path(__file__).parent / "fixtures" / "articles"

PAGES: dict[str, tuple[int, str, bytes]] = {
    "/article.html": (200, "text/html; charset=utf-8", (FIXTURES / "night-trains.html").read_bytes()),
    "/article.txt": (200, "text/plain", (FIXTURES / "riverside-library.txt").read_bytes()),
    "/article.md": (200, "text/markdown; charset=utf-8", (FIXTURES / "tram-fares.md").read_bytes()),
    "/latin1.html": (
        200,
        "text/html; charset=iso-8859-1",
        "<h1>Café</h1><p>Crème brûlée.</p>".encode("latin-1"),
    ),
    "/bad-reference.md": (
        200,
        "text/markdown",
        b"# Bad Links\n\nA claim.[^1]\n\n[^1]: See http://[oops/ for more.\n",
    ),
    "/image.png": (200, "image/png", b"\x89PNG\r\n\x1a\n"),
    "/big.txt": (200, "text/plain", b"x" * 5000),
    "/missing": (404, "text/html", b"gone"),
}
# Where each redirect leads; `{port}` is the server's own.
REDIRECTS = {
    "/redirect": "/article.txt",
    "/redirect-ftp": "ftp://127.0.0.1/file",
    "/loop": "/loop",
    "/to-127.0.0.2": "http://127.0.0.2:{port}/article.txt",
}


class Handler(http.server.BaseHTTPRequestHandler):
    """Serves PAGES and REDIRECTS; /slow waits, /endless never ends, /trickle and /trickle-headers drip."""

    def do_GET(self) -> None:
        """Answer one request, and note its Host header."""
        self.server.hosts.append(self.headers.get("Host"))  # type: ignore[attr-defined]
        path = self.path
        if path == "/slow":
            time.sleep(2)
        if path in REDIRECTS:
            self.send_response(302)
            self.send_header("Location", REDIRECTS[path].format(port=self.server.server_address[1]))
            self.end_headers()
        elif path == "/endless":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.drip(b"y" * 1024, times=2000, pause=0)
        elif path == "/trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.drip(b"y", times=40, pause=0.5)
        elif path == "/trickle-headers":
            head = b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: " + b"y" * 40
            self.drip(head, times=1, pause=0.5, bytewise=True)
        else:
            status, content_type, body = PAGES.get(path, (200, "text/plain", b"Slow\n\nA body."))
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    def drip(self, data: bytes, *, times: int, pause: float, bytewise: bool = False) -> None:
        """Send `data` `times` times (or byte by byte), pausing between sends, until the client goes away."""
        pieces = [data[i : i + 1] for i in range(len(data))] if bytewise else [data] * times
        try:
            for piece in pieces:
                self.wfile.write(piece)
                self.wfile.flush()
                time.sleep(pause)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        """Keep test output quiet."""


@contextmanager
def article_server(tls: ssl.SSLContext | None = None) -> Iterator[tuple[str, list[str]]]:
    """Serve the pages above on 127.0.0.1 (over TLS with `tls`); yield the base URL and the Host headers it got."""
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    httpd.daemon_threads = True
    httpd.hosts = []  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        scheme = "https" if tls is not None else "http"
        yield f"{scheme}://127.0.0.1:{httpd.server_address[1]}", httpd.hosts  # type: ignore[attr-defined]
    finally:
        httpd.shutdown()
        httpd.server_close()
