"""Static files under URLs that carry their content's hash, so that a page loads the scripts it was made with.

Every `url_for` of a versioned static endpoint (the forum's `forum.static`, the standalone site's `static`) gains
`?v=` and the first 16 hex digits of the file's SHA-256, read once per process and file. A request whose `v` is the
hash of the file this host has is answered `Cache-Control: public, max-age=31536000, immutable`: browsers and
proxies keep it for a year without asking again, and a new release's file has another URL.

A request with any other `v` (a page from an older or newer release, during a rolling upgrade) gets the file this
host has, with `no-cache`: what it gets is not what that hash names, so nothing may keep it as if it were. It is
not redirected to the current hash: while two hosts disagree on a file's hash, a redirect made by one could be
answered by the other with a redirect back.
"""

from __future__ import annotations

import hashlib
from typing import Any

from flask import Flask, Response, current_app, request
from werkzeug.security import safe_join

IMMUTABLE = "public, max-age=31536000, immutable"
STALE = "no-cache"
VERSION_ARG = "v"
HASH_DIGITS = 16
EXTENSION_KEY = "forum_static_versions"


def file_hash(folder: str, filename: str) -> str | None:
    """The first hex digits of the SHA-256 of `filename` in `folder`, or None when there is no such file."""
    path = safe_join(folder, filename)
    if path is None:
        return None
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as file:
            for chunk in iter(lambda: file.read(1 << 16), b""):
                digest.update(chunk)
    except OSError:  # missing, a folder, unreadable: the URL goes without a version
        return None
    return digest.hexdigest()[:HASH_DIGITS]


class StaticVersions:
    """The static endpoints of one app whose URLs are versioned, and their files' hashes once read."""

    def __init__(self) -> None:
        self.folders: dict[str, str] = {}
        self.known: dict[tuple[str, str], str | None] = {}

    def version(self, endpoint: str, filename: str) -> str | None:
        """The hash of `filename` served by `endpoint` (read afresh each time in debug mode, where files change)."""
        key = (endpoint, filename)
        if key not in self.known or current_app.debug:
            self.known[key] = file_hash(self.folders[endpoint], filename)
        return self.known[key]

    def add_version(self, endpoint: str, values: dict[str, Any]) -> None:
        """`url_for`'s hook: a versioned endpoint's URL gets `?v=HASH` of its file."""
        filename = values.get("filename")
        if endpoint in self.folders and isinstance(filename, str) and VERSION_ARG not in values:
            if hashed := self.version(endpoint, filename):
                values[VERSION_ARG] = hashed

    def cache(self, response: Response) -> Response:
        """Immutable caching for a file asked for by its current hash; none for a file asked for by another."""
        endpoint = request.endpoint
        asked = request.args.get(VERSION_ARG)
        filename = (request.view_args or {}).get("filename")
        if endpoint not in self.folders or asked is None or not isinstance(filename, str):
            return response
        if response.status_code not in (200, 304):
            return response
        if asked == self.version(endpoint, filename):
            response.headers["Cache-Control"] = IMMUTABLE
        else:
            response.headers["Cache-Control"] = STALE
            response.headers.pop("Expires", None)
        return response


def version_static_urls(app: Flask, endpoint: str, folder: str) -> None:
    """Version the URLs of `endpoint` (a static route serving `folder`) on `app`, and cache what they serve."""
    versions = app.extensions.get(EXTENSION_KEY)
    if versions is None:
        versions = app.extensions[EXTENSION_KEY] = StaticVersions()
        app.url_defaults(versions.add_version)
        app.after_request(versions.cache)
    versions.folders[endpoint] = folder
