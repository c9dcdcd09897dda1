"""A pytest plugin for bench/fuzz.py: counts the requests the tests send to the app (through Werkzeug's test
client, which Flask's and schemathesis's both are) and writes the number to the file in FUZZ_REQUESTS_FILE."""

from __future__ import annotations

import os
from pathlib import Path

from werkzeug.test import Client

sent = 0
_run_wsgi_app = Client.run_wsgi_app


def counting_run_wsgi_app(self, environ, buffered=False):
    """Werkzeug's own, counted."""
    global sent
    sent += 1
    return _run_wsgi_app(self, environ, buffered)


Client.run_wsgi_app = counting_run_wsgi_app


def pytest_sessionfinish(session, exitstatus):
    """Write the count where bench/fuzz.py reads it."""
    if path := os.environ.get("FUZZ_REQUESTS_FILE"):
        Path(path).write_text(str(sent))
