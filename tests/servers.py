"""The site served by gunicorn with several worker processes, for tests of what crosses processes."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on the loopback that nothing listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def gunicorn(
    database_url: str, instance: Path, workers: int, app: str = "wsgi:app", log: Path | None = None,
    config: str | None = None, env: dict[str, str] | None = None,
) -> Iterator[str]:
    """Serve `app` (a gunicorn app spec) on the loopback; yield its base URL. `log` keeps gunicorn's output;
    `config` names a settings file (else ./gunicorn.conf.py), `env` adds to the environment."""
    port = free_port()
    environment = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "served in a test",
                   "FORUM_INSTANCE_PATH": str(instance), **(env or {})}
    output = log.open("wb") if log is not None else subprocess.PIPE
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *(["-c", config] if config else []), "--workers", str(workers),
         "--bind", f"127.0.0.1:{port}", "--log-level", "warning", app],
        cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while True:
            try:
                urllib.request.urlopen(f"{base}/api/v1/articles", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    process.kill()
                    said = log.read_text() if log is not None else process.stdout.read().decode()
                    pytest.fail(f"gunicorn did not start: {said}")
                time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        try:
            # Workers finish their requests first; on a loaded machine that can take a while.
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if log is not None:
            output.close()
