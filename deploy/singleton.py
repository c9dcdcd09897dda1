"""Run a command on one host at a time: `python deploy/singleton.py NAME -- COMMAND...`.

Every host starts it; the one that takes PostgreSQL's advisory lock named NAME runs COMMAND and holds the lock
as long as COMMAND runs, the others wait and try again every few seconds. When the holder's host dies, its
connection drops (TCP keepalives notice a host gone silent within about 30 s), PostgreSQL releases the lock and
another host takes over. Connect to PostgreSQL directly (`FORUM_JOB_DATABASE_URL`, else `DATABASE_URL`):
through PgBouncer in transaction mode a session's lock would not stay with the session.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import time

import psycopg

RETRY_SECONDS = 5


def lock_key(name: str) -> int:
    """A stable signed 64-bit key for the lock named `name`."""
    return int.from_bytes(hashlib.sha256(f"forum-job:{name}".encode()).digest()[:8], "big", signed=True)


def database_url() -> str:
    """The URL of PostgreSQL itself, without SQLAlchemy's driver name or the forum's own options."""
    url = os.environ.get("FORUM_JOB_DATABASE_URL") or os.environ["DATABASE_URL"]
    url = url.replace("postgresql+psycopg://", "postgresql://", 1)
    return url.split("?", 1)[0]


def main(argv: list[str]) -> int:
    """Take the lock, run the command while holding it, and give back its exit status."""
    if len(argv) < 3 or argv[1] != "--":
        print("usage: singleton.py NAME -- COMMAND...", file=sys.stderr)
        return 2
    name, command = argv[0], argv[2:]
    stopping = False

    def stop(_signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    while not stopping:
        try:
            connection = psycopg.connect(database_url(), autocommit=True, keepalives=1, keepalives_idle=10,
                                         keepalives_interval=5, keepalives_count=3, connect_timeout=5)
        except psycopg.Error as error:
            print(f"singleton {name}: PostgreSQL unreachable ({error}); retrying", file=sys.stderr)
            time.sleep(RETRY_SECONDS)
            continue
        with connection:
            row = connection.execute("SELECT pg_try_advisory_lock(%s)", (lock_key(name),)).fetchone()
            if not row or not row[0]:
                time.sleep(RETRY_SECONDS)
                continue
            print(f"singleton {name}: lock taken, running {' '.join(command)}", file=sys.stderr, flush=True)
            child = subprocess.Popen(command)
            while child.poll() is None:
                if stopping:
                    child.terminate()
                    child.wait(30)
                    break
                try:
                    connection.execute("SELECT 1")  # the lock lives with this connection: keep it alive
                except psycopg.Error:
                    # The lock is gone with the connection: another host may run the job now, so stop ours.
                    child.terminate()
                    child.wait(30)
                    break
                time.sleep(RETRY_SECONDS)
            if stopping:
                return 0  # stopped on purpose: the job was ended by us
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
