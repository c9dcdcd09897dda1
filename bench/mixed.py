"""Readers of a 200-argument thread while votes arrive on it, beside the same readers with no votes.

    .venv/bin/python bench/mixed.py                              # both databases, 10 and 50 votes/s
    .venv/bin/python bench/mixed.py --databases sqlite --duration 6 --rates 10

A heated debate is read most while it is voted on, and every vote moves the thread's version: the next reader
of each kind pays a render. For each database this builds the page benchmark's data set (bench/dataset.py),
makes `--members` members and signs them in through /login, serves the site with `gunicorn --workers 2`, and
runs, in alternating rounds (`--rounds`, the order reversed every other round), one phase per vote rate (0,
then each of `--rates`), each after `--settle` seconds of reading without votes, discarded. In a phase, for
`--duration` seconds, two wrk runs read the thread under test at once, anonymous readers
(`--anonymous-connections`, gzip-taking, no cookie) and members (`--member-connections`, each request as a
random one of them), while a paced driver in this process sends votes on the same thread's arguments at the
phase's rate (`PUT /api/v1/arguments/<id>/vote` with a seed member's token, never on their own argument, at
fixed times, several in flight when answers are slow). It prints each phase's read rates and p99 latencies
beside the no-vote phase's (the targets: reads at least 0.8 of their rate, p99 at most 3 times), and the votes
sent, answered and their p99.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa
from dataset import MEMBER_AGENT, ROOT, DataSet, build, fetch, make_members, sign_in
from harness import (
    COUNT_STATUSES,
    DEFAULT_POSTGRES,
    BenchError,
    Slice,
    engine_for,
    forum_env,
    fresh_database,
    gunicorn,
    log_problems,
    lua_string,
    markdown_table,
    measure,
    plain_table,
    require_wrk,
    statuses_text,
)
from run import RAISED_LIMITS
from wrk_scripts import BROWSER, static_lua

from forum.models import Argument

WORKERS = 2
READ_RATIO_TARGET = 0.8
P99_RATIO_TARGET = 3.0
# Members sign in once each through /login: the limit on sign-ins from one address is raised for that.
SETTINGS = {**RAISED_LIMITS, "FORUM_RATELIMIT_LOGIN": "1000000 per hour"}


@dataclass
class Votes:
    """What the vote driver sent in one phase."""

    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def p99_ms(self) -> float:
        """The 99th percentile of the answered votes' latency."""
        ordered = sorted(self.latencies_ms)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0


@dataclass
class Phase:
    """One vote rate's measured runs: the readers' (anonymous, members) and the votes, over every round."""

    rate: int
    anonymous: list[Slice] = field(default_factory=list)
    members: list[Slice] = field(default_factory=list)
    votes: list[Votes] = field(default_factory=list)

    @staticmethod
    def rate_of(slices: list[Slice]) -> float:
        """Responses per second over the rounds."""
        seconds = sum(s.seconds for s in slices)
        return sum(s.requests for s in slices) / seconds if seconds else 0.0

    @staticmethod
    def p99_of(slices: list[Slice]) -> float:
        """The mean of the rounds' 99th percentiles."""
        return sum(s.p99_ms for s in slices) / len(slices) if slices else 0.0


class VoteDriver(threading.Thread):
    """Sends votes at a fixed rate for a while, each at its planned time, several in flight if answers lag."""

    def __init__(self, base: str, rate: int, seconds: float, arguments: list[tuple[int, int]],
                 tokens: list[tuple[int, str]], seed: int) -> None:
        super().__init__(daemon=True)
        self.base, self.rate, self.seconds = base, rate, seconds
        self.arguments, self.tokens = arguments, tokens
        self.random = random.Random(seed)
        self.votes = Votes()
        self.lock = threading.Lock()

    def vote(self, argument: int, secret: str, value: int) -> None:
        """One vote; its latency and status noted."""
        request = urllib.request.Request(
            f"{self.base}/api/v1/arguments/{argument}/vote", method="PUT", data=json.dumps({"value": value}).encode(),
            headers={"Authorization": f"Bearer {secret}", "Content-Type": "application/json"},
        )
        started = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        except OSError:
            status = 0  # no answer
        elapsed = (time.perf_counter() - started) * 1000
        with self.lock:
            self.votes.statuses[status] = self.votes.statuses.get(status, 0) + 1
            if 200 <= status < 300:
                self.votes.latencies_ms.append(elapsed)

    def run(self) -> None:
        if self.rate <= 0:
            return
        started = time.monotonic()
        with ThreadPoolExecutor(max_workers=16) as pool:
            n = 0
            while (planned := started + n / self.rate) < started + self.seconds:
                time.sleep(max(0.0, planned - time.monotonic()))
                argument, author = self.random.choice(self.arguments)
                voter = self.random.choice([t for t in self.tokens if t[0] != author] or self.tokens)
                pool.submit(self.vote, argument, voter[1], self.random.choice((1, -1, 0)))
                n += 1
            self.votes.sent = n
        self.votes.seconds = self.seconds  # the rate asked for is over the planned window


def members_lua(cookies: list[str], path: str, seed: int) -> str:
    """Each request as a random one of the signed-in members (their cookie and browser)."""
    shown = ", ".join(lua_string(cookie) for cookie in cookies)
    return f"""
local cookies = {{ {shown} }}
function init(args)
  statuses = {{}}
  math.randomseed({seed} + number * 7919)
end
function request()
  return wrk.format("GET", {lua_string(path)}, {{ ["Accept-Encoding"] = {lua_string(BROWSER["Accept-Encoding"])},
    ["User-Agent"] = {lua_string(MEMBER_AGENT)}, ["Cookie"] = cookies[math.random(#cookies)] }})
end
"""


def thread_arguments(url: str, thread: int) -> list[tuple[int, int]]:
    """The thread's arguments and their authors' member ids."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(sa.select(Argument.id, Argument.author_id).where(Argument.block_id == thread))
            return [(row.id, row.author_id) for row in rows]
    finally:
        engine.dispose()


def run_phase(base: str, phase: Phase, scripts: tuple[Path, Path], data: DataSet, arguments: list[tuple[int, int]],
              args: argparse.Namespace, round_: int) -> None:
    """Readers of both kinds and the paced votes at once, for `--duration` seconds."""
    for script in scripts:  # the page as the last phase's votes left it, rendered before the clock starts
        measure(base, script, args.settle, threads=1, connections=1, timeout=args.timeout)
    driver = VoteDriver(base, phase.rate, args.duration, arguments, data.seed_tokens, args.seed + round_)
    found: dict[str, Slice] = {}

    def read(kind: str, script: Path, connections: int) -> None:
        found[kind] = measure(base, script, args.duration, threads=1, connections=connections, timeout=args.timeout)

    readers = [
        threading.Thread(target=read, args=("anonymous", scripts[0], args.anonymous_connections)),
        threading.Thread(target=read, args=("members", scripts[1], args.member_connections)),
    ]
    for thread in [*readers, driver]:
        thread.start()
    for thread in [*readers, driver]:
        thread.join()
    if len(found) != 2:
        raise BenchError("a wrk run of the readers failed")
    phase.anonymous.append(found["anonymous"])
    phase.members.append(found["members"])
    phase.votes.append(driver.votes)
    anonymous, members = found["anonymous"], found["members"]
    print(f"  {phase.rate:>3} votes/s: anonymous {anonymous.rate:6.0f}/s p99 {anonymous.p99_ms:6.1f} ms "
          f"({statuses_text(anonymous.statuses)}); members {members.rate:5.0f}/s p99 {members.p99_ms:6.1f} ms "
          f"({statuses_text(members.statuses)}); votes {statuses_text(driver.votes.statuses) or 'none'}", flush=True)


def bench_database(kind: str, args: argparse.Namespace) -> list[list[str]]:
    """Build, serve, sign in, measure every phase in alternating rounds: this database's rows."""
    workdir = Path(tempfile.mkdtemp(prefix=f"forum-mixed-{kind}-"))
    try:
        with ExitStack() as stack:
            url = stack.enter_context(fresh_database(kind, workdir, args.postgres_url))
            env = forum_env(url, workdir)
            print(f"[{kind}] building the database", flush=True)
            data = build(kind, env, url, workdir, args)
            names = [f"reader{n:03d}" for n in range(args.members)]
            make_members(url, names)
            arguments = thread_arguments(url, data.thread)
            config = {**SETTINGS, "FORUM_RATELIMIT_STORAGE_URI": args.ratelimit_storage,
                      "FORUM_RATELIMIT_KEY_PREFIX": f"forum-mixed-{os.getpid()}-{uuid.uuid4().hex[:8]}",
                      **args.forum_config}
            log = workdir / "forum-gunicorn.log"
            base = stack.enter_context(
                gunicorn(f"wsgi:create_app({config!r})", env, ROOT, log, "/api/v1/articles", WORKERS)
            )
            with ThreadPoolExecutor(max_workers=4) as pool:
                cookies = list(pool.map(lambda name: sign_in(base, name), names))
            path = f"/blocks/{data.thread}"
            status, _, page = fetch(base, path, {"Cookie": cookies[0], "User-Agent": MEMBER_AGENT})
            if status != 200 or names[0] not in page:
                raise BenchError(f"A member's thread page is answered {status}, or not as theirs.")
            scripts = (workdir / "anonymous.lua", workdir / "members.lua")
            scripts[0].write_text(static_lua("GET", path, BROWSER)("") + COUNT_STATUSES)
            scripts[1].write_text(members_lua(cookies, path, args.seed) + COUNT_STATUSES)
            for script in scripts:  # warm up: every page and member's copy rendered once
                measure(base, script, args.warmup, threads=1, connections=2, timeout=args.timeout)
            phases = [Phase(rate) for rate in [0, *args.rates]]
            for round_ in range(args.rounds):
                print(f"[{kind}] round {round_ + 1}/{args.rounds}", flush=True)
                for phase in phases if round_ % 2 == 0 else phases[::-1]:
                    run_phase(base, phase, scripts, data, arguments, args, round_)
            if problems := log_problems(log):
                print(f"[{kind}] the server's log has {len(problems)} error lines, first: {problems[0]}")
            return rows_of(kind, phases)
    finally:
        if args.keep:
            print(f"[{kind}] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def rows_of(kind: str, phases: list[Phase]) -> list[list[str]]:
    """The table's rows: each reader kind at each vote rate, beside the no-vote phase."""
    quiet = phases[0]
    rows = []
    for phase in phases:
        sent = sum(v.sent for v in phase.votes)
        seconds = sum(v.seconds for v in phase.votes)
        answered = [latency for v in phase.votes for latency in v.latencies_ms]
        statuses: dict[int, int] = {}
        for v in phase.votes:
            for status, n in v.statuses.items():
                statuses[status] = statuses.get(status, 0) + n
        votes = Votes(sent, answered, statuses, seconds)
        for who, slices, before in (("anonymous", phase.anonymous, quiet.anonymous),
                                    ("members", phase.members, quiet.members)):
            rate, p99 = Phase.rate_of(slices), Phase.p99_of(slices)
            read_ratio = rate / Phase.rate_of(before) if Phase.rate_of(before) else 0.0
            p99_ratio = p99 / Phase.p99_of(before) if Phase.p99_of(before) else 0.0
            rows.append([
                kind, who, str(phase.rate), f"{rate:.0f}", f"{p99:.1f}",
                f"{read_ratio:.2f}", f"{p99_ratio:.2f}",
                f"{sent / seconds:.1f}" if seconds else "-",
                f"{votes.p99_ms:.0f}" if answered else "-",
                statuses_text(statuses) or "-",
            ])
    return rows


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="10,50", help="vote rates to measure, votes per second (10,50)")
    parser.add_argument("--duration", type=int, default=10, help="seconds per phase and round (10)")
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds of every phase (2)")
    parser.add_argument("--warmup", type=int, default=2, help="seconds of reading first, discarded (2)")
    parser.add_argument("--settle", type=int, default=1,
                        help="seconds of reading before each phase, discarded: the last phase's last version is "
                             "rendered before the clock starts (1)")
    parser.add_argument("--anonymous-connections", type=int, default=4, help="wrk connections of anonymous readers (4)")
    parser.add_argument("--member-connections", type=int, default=4, help="wrk connections of members (4)")
    parser.add_argument("--members", type=int, default=20, help="signed-in members reading (20)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's per-request timeout, seconds (10)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql (both)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help=f"where to create and drop the PostgreSQL database ({DEFAULT_POSTGRES})")
    parser.add_argument("--arguments", type=int, default=200, help="arguments in the thread under test (200)")
    parser.add_argument("--votes-per-argument", type=int, default=5, help="(5)")
    parser.add_argument("--tokens", type=int, default=8, help="seed members' bearer tokens that vote (8)")
    parser.add_argument("--ratelimit-storage", default="redis://127.0.0.1:6379/0",
                        help="where the site counts rate limits (redis://127.0.0.1:6379/0; memory:// per worker)")
    parser.add_argument("--forum-config", default="{}", help="JSON of more settings for the site")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random choices")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite file)")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    if set(args.databases) - {"sqlite", "postgresql"} or not args.databases:
        parser.error("--databases takes sqlite and/or postgresql")
    try:
        args.rates = [int(rate) for rate in args.rates.split(",") if rate.strip()]
        args.forum_config = json.loads(args.forum_config)
    except ValueError as error:
        parser.error(f"--rates takes whole numbers and --forum-config JSON: {error}")
    if (not args.rates or min(args.rates) < 1 or args.duration < 1 or args.rounds < 1 or args.members < 1
            or args.settle < 1
            or args.tokens < 2 or min(args.anonymous_connections, args.member_connections) < 1):
        parser.error("--rates, --duration, --rounds, --settle, --members and the connections must be at least 1, "
                     "--tokens at least 2")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run on each database and print the table; 0 on success."""
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    rows: list[list[str]] = []
    status = 0
    try:
        require_wrk()
        for kind in args.databases:
            rows += bench_database(kind, args)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if rows:
        headers = ["database", "readers", "votes/s", "reads/s", "p99 ms", "reads / no votes", "p99 / no votes",
                   "votes sent/s", "vote p99 ms", "vote statuses"]
        print()
        print(plain_table(headers, rows, 2))
        print(f"\ntargets: reads / no votes >= {READ_RATIO_TARGET}, p99 / no votes <= {P99_RATIO_TARGET}; "
              f"{args.duration}s per phase in {args.rounds} alternating rounds; wrk with "
              f"{args.anonymous_connections} anonymous and {args.member_connections} member connections; "
              f"{args.members} members; gunicorn --workers {WORKERS} (sync)\n")
        markdown = markdown_table(headers, rows, 2)
        print(markdown)
        if args.markdown:
            args.markdown.write_text(markdown + "\n")
    return status


if __name__ == "__main__":
    sys.exit(main())
