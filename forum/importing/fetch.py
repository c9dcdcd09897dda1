"""Fetching an article from a URL: public http and https addresses only, one deadline, a size cap, a content type."""

from __future__ import annotations

import codecs
import http
import ssl
from collections.abc import Callable

import httpcore
import httpx

from forum.urls import NOT_WEB, url_problem

from .common import ImportRefused, too_large
from .network import Address, AddressNotAllowed, Deadline, GuardedBackend, Resolver, is_public, resolve

ACCEPTED = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown")
USER_AGENT = "flask-debate-forum article import/1.0"
REDIRECTS = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


def shown(url: str) -> str:
    """A URL short enough for a message."""
    return url if len(url) <= 200 else url[:200] + "…"


def check_url(url: str) -> httpx.URL:
    """The URL parsed, or ImportRefused unless it is an http or https address with a host and no password."""
    url = (url or "").strip()
    problem = url_problem(url)
    if problem == NOT_WEB:
        raise ImportRefused("Only http and https addresses can be imported.")
    if problem:
        raise ImportRefused(f"The address {shown(url)} {problem}.")
    try:
        parsed = httpx.URL(url)
    except httpx.InvalidURL:
        raise ImportRefused(f"The address {shown(url)} is not a valid web address.") from None
    if parsed.userinfo:
        # The article's address is shown to every reader; a password in it would be too.
        raise ImportRefused(
            f"The address {shown(url)} holds a user name or password; import public pages only."
        )
    return parsed


def as_utf8(body: bytes, content_type: str) -> tuple[bytes, str]:
    """A body in a declared non-UTF-8 charset recoded to UTF-8, so that a well-labelled page still imports."""
    media, _, params = content_type.partition(";")
    charset = next(
        (
            p.split("=", 1)[1].strip().strip("\"'")
            for p in params.split(";")
            if p.strip().lower().startswith("charset=")
        ),
        None,
    )
    if not charset:
        return body, content_type
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        return body, content_type
    if name in ("utf-8", "utf-8-sig", "ascii"):
        return body, content_type
    try:
        return body.decode(name).encode("utf-8"), f"{media.strip()}; charset=utf-8"
    except (UnicodeDecodeError, UnicodeEncodeError):
        return body, content_type


def header(response: httpcore.Response, name: bytes) -> str:
    """A response header's value, or ""."""
    value = next((v for k, v in response.headers if k.lower() == name), b"")
    return value.decode("latin-1").strip()


def fetch_url(
    url: str,
    *,
    timeout: float = 10,
    max_bytes: int = 2_000_000,
    allow: Callable[[Address], bool] = is_public,
    resolver: Resolver = resolve,
    ssl_context: ssl.SSLContext | None = None,
) -> tuple[bytes, str]:
    """The body and content type of an article page, or ImportRefused with the reason.

    Every address a host resolves to must pass `allow` (public addresses only, by default), at the first request
    and after each redirect; the connection goes to the address checked. The whole fetch, from the DNS lookup to
    the last byte, ends within `timeout` seconds. `ssl_context` names the certificates to trust (certifi's by default).
    """
    target = first = check_url(url)
    deadline = Deadline(timeout)
    backend = GuardedBackend(deadline, allow, resolver)
    try:
        with httpcore.ConnectionPool(network_backend=backend, ssl_context=ssl_context, retries=0) as pool:
            for _ in range(MAX_REDIRECTS + 1):
                with pool.stream(
                    "GET",
                    httpcore.URL(
                        scheme=target.raw_scheme, host=target.raw_host, port=target.port, target=target.raw_path
                    ),
                    headers=[
                        (b"Host", target.netloc),
                        (b"User-Agent", USER_AGENT.encode()),
                        (b"Accept", ", ".join(ACCEPTED).encode()),
                        (b"Accept-Encoding", b"identity"),
                    ],
                    extensions={"timeout": dict.fromkeys(("connect", "read", "write", "pool"), timeout)},
                ) as response:
                    location = header(response, b"location")
                    if response.status in REDIRECTS and location:
                        target = redirect_target(target, location)
                        continue
                    return read_page(response, url, max_bytes)
    except ImportRefused:
        raise
    except AddressNotAllowed:
        where = (
            f"The address {shown(url)} is"
            if target is first
            else f"The page redirects to {shown(str(target))}, which is"
        )
        raise ImportRefused(f"{where} not allowed: the forum imports only from public web addresses.") from None
    except (httpcore.TimeoutException, httpcore.NetworkError, httpcore.ProtocolError, OSError):
        # One message for every failure: which one it was (refused, timed out, no route) maps the network.
        raise ImportRefused(
            f"The page at {shown(url)} could not be fetched; check the address, or save the page and upload it."
        ) from None
    raise ImportRefused(f"The page at {shown(url)} redirects more than {MAX_REDIRECTS} times.")


def redirect_target(current: httpx.URL, location: str) -> httpx.URL:
    """Where a redirect leads, checked like the address first given."""
    try:
        joined = str(current.join(location))
    except httpx.InvalidURL:
        joined = location
    if not joined.lower().startswith(("http://", "https://")):
        raise ImportRefused(
            f"The page redirects to {shown(joined)}, which is not an http or https address."
        )
    return check_url(joined)


def read_page(response: httpcore.Response, url: str, max_bytes: int) -> tuple[bytes, str]:
    """The body of a successful answer, refused when it is an error, not an article, or over the size limit."""
    if not 200 <= response.status < 300:
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = "an error"
        raise ImportRefused(f"The server answered {response.status} {reason} for {shown(url)}.")
    content_type = header(response, b"content-type")
    media = content_type.split(";")[0].strip().lower()
    if media not in ACCEPTED:
        raise ImportRefused(
            f"The page at {shown(url)} is {media[:100] or 'of no stated type'}, "
            "not an article in HTML, plain text or Markdown."
        )
    length = header(response, b"content-length")
    if length.isascii() and length.isdigit() and int(length) > max_bytes:
        raise too_large(max_bytes)
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_stream():
        size += len(chunk)
        if size > max_bytes:
            # Stop reading: the rest is never downloaded.
            raise too_large(max_bytes)
        chunks.append(chunk)
    return as_utf8(b"".join(chunks), content_type)
