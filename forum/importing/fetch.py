"""Fetching an article from a URL: http and https only, with a timeout, a size cap and a content-type check."""

from __future__ import annotations

import codecs
import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request

from forum.weburl import split_url

from .common import ImportRefused, too_large

ACCEPTED = ("text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown")
CHUNK = 64 * 1024
USER_AGENT = "flask-debate-forum article import/1.0"


class Redirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only to http and https addresses."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
        """Refuse a redirect that leaves http and https."""
        if urllib.parse.urlsplit(newurl).scheme.lower() not in ("http", "https"):
            raise ImportRefused(
                f"The page redirects to {newurl}, which is not an http or https address."
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


OPENER = urllib.request.build_opener(Redirects)


def check_url(url: str) -> str:
    """The URL trimmed, or ImportRefused when it is not an http or https address with a host."""
    url = (url or "").strip()
    parts = split_url(url)
    if parts is None:
        raise ImportRefused(f"The address {url} is not a valid URL.")
    if parts.scheme.lower() not in ("http", "https"):
        raise ImportRefused("Only http and https addresses can be imported.")
    if not parts.hostname:
        raise ImportRefused(f"The address {url} has no host name.")
    return url


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


def fetch_url(url: str, *, timeout: float = 10, max_bytes: int = 2_000_000) -> tuple[bytes, str]:
    """The body and content type of an article page, or ImportRefused with the reason."""
    url = check_url(url)
    host = urllib.parse.urlsplit(url).hostname
    request = urllib.request.Request(
        url, headers={"User-Agent": USER_AGENT, "Accept": ", ".join(ACCEPTED)}
    )
    deadline = time.monotonic() + timeout
    try:
        with OPENER.open(request, timeout=timeout) as response:
            content_type = response.headers.get("Content-Type", "") or ""
            media = content_type.split(";")[0].strip().lower()
            if media not in ACCEPTED:
                shown = media or "of no stated type"
                raise ImportRefused(
                    f"The page at {url} is {shown}, not an article in HTML, plain text or Markdown."
                )
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > max_bytes:
                raise too_large(max_bytes)
            chunks: list[bytes] = []
            size = 0
            while True:
                if time.monotonic() > deadline:
                    raise ImportRefused(f"{host} did not send the page within {timeout:g} seconds.")
                chunk = response.read(CHUNK)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    # Stop reading: the rest is never downloaded.
                    raise too_large(max_bytes)
                chunks.append(chunk)
    except ImportRefused:
        raise
    except urllib.error.HTTPError as error:
        raise ImportRefused(f"The server answered {error.code} {error.reason} for {url}.") from None
    except urllib.error.URLError as error:
        reason = error.reason
        if isinstance(reason, (socket.timeout, TimeoutError)):
            raise ImportRefused(f"{host} did not answer within {timeout:g} seconds.") from None
        raise ImportRefused(f"Could not reach {host}: {reason}.") from None
    except TimeoutError:
        raise ImportRefused(f"{host} did not answer within {timeout:g} seconds.") from None
    except (http.client.HTTPException, OSError) as error:
        raise ImportRefused(f"Could not fetch {url}: {error or type(error).__name__}.") from None
    except ValueError as error:
        raise ImportRefused(f"The address {url} is not valid: {error}.") from None
    return as_utf8(b"".join(chunks), content_type)
