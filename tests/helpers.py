"""What tests import beside their fixtures: the test password, a client that sends CSRF tokens, a test's account."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask.testing import FlaskClient

from forum.models import Role

PASSWORD = "a long test password"
CSRF_INPUT = re.compile(r'name="csrf_token" value="([^"]+)"')
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
# How long a browser test waits for a page or an element: long enough for a slow CI machine, short enough
# that a missing element fails in seconds, not minutes.
TIMEOUT_MS = 10_000


class ForumClient(FlaskClient):
    """A test client that knows how to find and send the CSRF token, as a browser page would."""

    def csrf_token(self) -> str:
        """The session's CSRF token, read from a page as a script in the browser would read it."""
        page = self.get("/login").get_data(as_text=True)
        match = CSRF_META.search(page) or CSRF_INPUT.search(page)
        assert match, "no CSRF token on the page"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, **kwargs):
        """POST a form with the session's CSRF token, as the page's form would."""
        return self.post(url, data={"csrf_token": self.csrf_token(), **(data or {})}, **kwargs)

    def api(self, method: str, url: str, json=None, token: str | None = None, **kwargs):
        """Call the JSON API with a bearer token, or with the session and its X-CSRFToken header."""
        headers = dict(kwargs.pop("headers", {}))
        if token:
            headers["Authorization"] = f"Bearer {token}"
        elif method.upper() not in ("GET", "HEAD"):
            headers["X-CSRFToken"] = self.csrf_token()
        return self.open(url, method=method, json=json, headers=headers, **kwargs)


@dataclass
class User:
    """A site account made for a test, with what is needed to sign in as it."""

    id: int
    username: str
    password: str
    role: Role
