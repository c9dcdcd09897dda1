"""Each gunicorn worker's resident memory while many distinct members read the 200-argument threads.

    .venv/bin/python bench/memory.py                         # 1,000 members, 60 s, SQLite
    .venv/bin/python bench/memory.py --members 200 --duration 20 --databases sqlite,postgresql

A member's thread page is a copy of their own (their votes, their name, their CSRF token), kept in the page
cache's members' part: a thousand members reading eleven threads each make eleven thousand distinct pages of
hundreds of kilobytes. This builds the page benchmark's data set (bench/dataset.py), makes `--members` accounts
(straight through the forum's account service, in this process), serves the site with `gunicorn --workers 2`
(each worker with its own `memory://` cache, the site's default), signs every member in through the /login
form, then has wrk send `--duration` seconds of thread pages, each request as a random member reading a random
thread of the article, while this script reads every worker's resident set size (VmRSS in /proc) every half
second. It prints, per worker, the RSS once every member has signed in, the highest seen during the reading and
at its end, beside the target (300 MB a worker).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path

from dataset import MEMBER_AGENT, ROOT, build, fetch, make_members, sign_in
from harness import (
    COUNT_STATUSES,
    DEFAULT_POSTGRES,
    BenchError,
    forum_env,
    fresh_database,
    gunicorn,
    lua_string,
    markdown_table,
    measure,
    plain_table,
    require_wrk,
    server_processes,
    statuses_text,
)
from wrk_scripts import BROWSER

WORKERS = 2
TARGET_MB = 300
# Every member signs in once through /login: the limit on sign-ins from one address is raised for that.
SETTINGS = {"FORUM_RATELIMIT_LOGIN": "1000000 per hour"}


def readers_lua(cookies: list[str], threads: list[int], seed: int) -> str:
    """Each request as a random member (their cookie and browser) reading a random thread."""
    shown_cookies = ", ".join(lua_string(cookie) for cookie in cookies)
    shown_threads = ", ".join(str(thread) for thread in threads)
    headers = {**BROWSER, "User-Agent": MEMBER_AGENT}
    shown_headers = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
    return f"""
local cookies = {{ {shown_cookies} }}
local threads = {{ {shown_threads} }}
function init(args)
  statuses = {{}}
  math.randomseed({seed} + number * 7919)
end
function request()
  local headers = {{ {shown_headers} }}
  headers["Cookie"] = cookies[math.random(#cookies)]
  return wrk.format("GET", "/blocks/" .. threads[math.random(#threads)], headers)
end
""" + COUNT_STATUSES


def rss_mb(pid: int) -> float:
    """A process's resident set size in MB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


class Sampler(threading.Thread):
    """Reads the workers' RSS every half second, keeping each one's highest."""

    def __init__(self, workers: list[int]) -> None:
        super().__init__(daemon=True)
        self.workers = workers
        self.highest = {pid: rss_mb(pid) for pid in workers}
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.wait(0.5):
            for pid in self.workers:
                self.highest[pid] = max(self.highest[pid], rss_mb(pid))


def bench_database(kind: str, args: argparse.Namespace) -> list[list[str]]:
    """Build, serve, sign the members in, read, sample: this database's rows."""
    workdir = Path(tempfile.mkdtemp(prefix=f"forum-memory-{kind}-"))
    try:
        with ExitStack() as stack:
            url = stack.enter_context(fresh_database(kind, workdir, args.postgres_url))
            env = forum_env(url, workdir)
            print(f"[{kind}] building the database", flush=True)
            data = build(kind, env, url, workdir, args)
            names = [f"reader{n:04d}" for n in range(args.members)]
            started = time.monotonic()
            make_members(url, names)
            print(f"[{kind}] {len(names)} members made ({time.monotonic() - started:.0f}s)", flush=True)
            config = {**SETTINGS, "FORUM_RATELIMIT_KEY_PREFIX": f"forum-memory-{uuid.uuid4().hex[:8]}",
                      **args.forum_config}
            log = workdir / "forum-gunicorn.log"
            base = stack.enter_context(
                gunicorn(f"wsgi:create_app({config!r})", env, ROOT, log, "/api/v1/articles", WORKERS)
            )
            _, workers = server_processes(base)
            started = time.monotonic()
            with ThreadPoolExecutor(max_workers=4) as pool:
                cookies = list(pool.map(lambda name: sign_in(base, name), names))
            print(f"[{kind}] {len(cookies)} members signed in ({time.monotonic() - started:.0f}s)", flush=True)
            status, _, page = fetch(base, f"/blocks/{data.thread}", {"Cookie": cookies[-1], "User-Agent": MEMBER_AGENT})
            if status != 200 or names[-1] not in page:
                raise BenchError(f"A member's thread page is answered {status}, or not as theirs.")
            first = {pid: rss_mb(pid) for pid in workers}
            lua = workdir / "readers.lua"
            lua.write_text(readers_lua(cookies, data.main_threads, args.seed))
            sampler = Sampler(workers)
            sampler.start()
            run = measure(base, lua, args.duration, threads=2, connections=args.connections, timeout=args.timeout)
            sampler.done.set()
            sampler.join()
            end = {pid: rss_mb(pid) for pid in workers}
            print(f"[{kind}] {run.rate:.0f} pages/s, p50 {run.p50_ms:.1f} ms, p99 {run.p99_ms:.1f} ms "
                  f"({statuses_text(run.statuses)})", flush=True)
            return [
                [kind, f"worker {n + 1}", f"{first[pid]:.0f}", f"{sampler.highest[pid]:.0f}", f"{end[pid]:.0f}",
                 "yes" if sampler.highest[pid] < TARGET_MB else "NO", statuses_text(run.statuses)]
                for n, pid in enumerate(workers)
            ]
    finally:
        if args.keep:
            print(f"[{kind}] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--members", type=int, default=1000, help="distinct members reading (1000)")
    parser.add_argument("--duration", type=int, default=60, help="seconds of reading (60)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's per-request timeout, seconds (10)")
    parser.add_argument("--databases", default="sqlite", help="sqlite and/or postgresql (sqlite)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help=f"where to create and drop the PostgreSQL database ({DEFAULT_POSTGRES})")
    parser.add_argument("--arguments", type=int, default=200, help="arguments in each thread (200)")
    parser.add_argument("--votes-per-argument", type=int, default=5, help="(5)")
    parser.add_argument("--tokens", type=int, default=2, help="bearer tokens the data set makes (2)")
    parser.add_argument("--forum-config", default="{}", help="JSON of more settings for the site")
    parser.add_argument("--seed", type=int, default=1, help="seed of wrk's random choices")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite file)")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if set(args.databases) - {"sqlite", "postgresql"} or not args.databases:
        parser.error("--databases takes sqlite and/or postgresql")
    if args.members < 1 or args.duration < 1 or args.connections < 1:
        parser.error("--members, --duration and --connections must be at least 1")
    try:
        args.forum_config = json.loads(args.forum_config)
    except ValueError as error:
        parser.error(f"--forum-config is not JSON: {error}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run on each database and print the table; 0 when every worker stayed under the target."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows: list[list[str]] = []
    try:
        require_wrk()
        for kind in args.databases:
            rows += bench_database(kind, args)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    headers = ["database", "worker", "RSS after the sign-ins (MB)", "highest RSS (MB)", "RSS at the end (MB)",
               f"under {TARGET_MB} MB", "statuses"]
    print()
    print(plain_table(headers, rows, 2))
    print(f"\n{args.members} members, {args.duration}s of wrk with {args.connections} connections, "
          f"gunicorn --workers {WORKERS} (sync), the page cache in each worker's memory\n")
    print(markdown_table(headers, rows, 2))
    return 0 if all(row[5] == "yes" for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
