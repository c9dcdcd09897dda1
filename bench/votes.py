"""Votes per second through gunicorn (4 workers), beside a bare Flask upsert on the same database.

    .venv/bin/python bench/votes.py [--duration 10] [--connections 8] [--databases sqlite,postgresql]

For each database kind it builds a fresh database (a SQLite file in a temporary folder; a new
PostgreSQL database, dropped at the end), runs `flask forum db upgrade`, imports the demo article,
seeds a discussion, creates bearer tokens for the seed members, serves the site with
`gunicorn --workers 4` on 127.0.0.1 and drives `PUT /api/v1/arguments/<id>/vote` with wrk: random
arguments, random values (1, -1, 0), rotating tokens, never a member's own argument. Beside it, it
serves bench/bare_vote.py (one upsert and one commit, no forum code) on the same database the same
way and drives it with the same wrk settings, the runs of the two alternating. It prints one table
with the ratio forum/bare per database, then the same table in Markdown. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import bare_vote
import sqlalchemy as sa

from forum.models import Argument, Member, Vote

DEMO_ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
WORKERS = 4
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT = 60  # seconds for gunicorn to answer
COMMAND_TIMEOUT = 300  # seconds for one `flask forum ...` command
# A handful of members vote hundreds of times a second here: the per-member vote limit would turn most
# of that into 429s. Raised rather than switched off, so the limiter's check stays in the measured path.
FORUM_CONFIG = {"FORUM_RATELIMIT_VOTE": "1000000 per hour"}


class BenchError(Exception):
    """The benchmark could not run; the message says why."""


@dataclass
class Slice:
    """One measured wrk run against one target."""

    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int]
    socket_errors: dict[str, int]

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


@dataclass
class Result:
    """A target's measured runs on one database (one per round)."""

    database: str
    target: str
    slices: list[Slice] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Responses per second over all rounds."""
        seconds = sum(s.seconds for s in self.slices)
        return sum(s.requests for s in self.slices) / seconds if seconds else 0.0

    @property
    def p50_ms(self) -> float:
        """The mean of the rounds' medians (wrk gives no histogram to merge)."""
        return sum(s.p50_ms for s in self.slices) / len(self.slices)

    @property
    def p99_ms(self) -> float:
        return sum(s.p99_ms for s in self.slices) / len(self.slices)

    @property
    def statuses(self) -> dict[int, int]:
        total: dict[int, int] = {}
        for s in self.slices:
            for status, n in s.statuses.items():
                total[status] = total.get(status, 0) + n
        return total

    @property
    def non_2xx(self) -> int:
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def errors(self) -> int:
        return sum(sum(s.socket_errors.values()) for s in self.slices)


# -- processes ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def stop(process: subprocess.Popen) -> None:
    """Stop a gunicorn we started: TERM to the master, then KILL to its process group if it lingers."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # its own session: only its master and workers
    except (ProcessLookupError, PermissionError):
        pass
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass


@contextmanager
def gunicorn(app_spec: str, env: dict[str, str], chdir: Path, log: Path, ready: str) -> Iterator[str]:
    """Serve `app_spec` with gunicorn and 4 workers on a free port of 127.0.0.1; yield its base URL."""
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(WORKERS), "--bind", f"127.0.0.1:{port}",
        "--chdir", str(chdir), "--log-level", "warning", "--timeout", "60",
        "--graceful-timeout", "5", app_spec,
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            command, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            try:
                with urllib.request.urlopen(base + ready, timeout=5):
                    break
            except (OSError, urllib.error.HTTPError):
                if process.poll() is not None or time.monotonic() > deadline:
                    raise BenchError(f"gunicorn ({app_spec}) did not start:\n{tail(log)}") from None
                time.sleep(0.2)
        yield base
    finally:
        stop(process)


def flask_forum(env: dict[str, str], *args: str) -> str:
    """Run `flask --app wsgi forum ARGS...` on the benchmark's database; return its stdout."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "forum", *args]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"flask forum {' '.join(args)} took over {COMMAND_TIMEOUT}s") from None
    if done.returncode != 0:
        raise BenchError(f"flask forum {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


# -- databases ---------------------------------------------------------------------------------


def engine_for(url: str) -> sa.Engine:
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed)


@contextmanager
def fresh_database(kind: str, workdir: Path, postgres_admin: str) -> Iterator[str]:
    """A new, empty database of `kind`; yield its URL; drop it afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / 'forum.sqlite3'}"  # the folder goes with the run
        return
    name = f"forum_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = engine_for(postgres_admin).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise BenchError(f"Cannot create a PostgreSQL database through {postgres_admin}: {error}") from None
    try:
        yield sa.make_url(postgres_admin).set(database=name).render_as_string(hide_password=False)
    finally:
        try:
            with admin.connect() as connection:
                connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except sa.exc.SQLAlchemyError as error:
            print(f"warning: could not drop the database {name}: {error}", file=sys.stderr)
        admin.dispose()


def server_version(kind: str, url: str) -> str:
    if kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + connection.exec_driver_sql("SHOW server_version").scalar_one()
    finally:
        engine.dispose()


@dataclass
class Workload:
    arguments: list[tuple[int, int]]  # (argument id, author member id)
    tokens: list[tuple[int, str]]  # (member id, bearer secret)


def prepare_forum(env: dict[str, str], url: str, args: argparse.Namespace) -> Workload:
    """Schema, demo article, seeded discussion and tokens; return what the load generator needs."""
    flask_forum(env, "db", "upgrade")
    article = json.loads(flask_forum(env, "import", str(DEMO_ARTICLE), "--json"))
    flask_forum(
        env, "seed-discussion", str(article["id"]),
        "--arguments-per-thread", str(args.arguments_per_thread),
        "--votes-per-argument", str(args.votes_per_argument),
    )
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            members = connection.execute(
                sa.select(Member.user_id, Member.id)
                .where(Member.user_id.like("seed:%"))
                .order_by(Member.id)
            ).all()
            arguments = connection.execute(
                sa.select(Argument.id, Argument.author_id)
                .where(Argument.hidden.is_(False), Argument.withdrawn_at.is_(None))
                .order_by(Argument.id)
            ).all()
    finally:
        engine.dispose()
    if len(members) < 2 or not arguments:
        raise BenchError(f"The seeding made {len(members)} members and {len(arguments)} arguments.")
    owners = [members[n % len(members)] for n in range(args.tokens)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        secrets = list(pool.map(
            lambda owner: flask_forum(env, "create-token", owner.user_id, "--label", "bench").strip(),
            owners,
        ))
    tokens = [(owner.id, secret) for owner, secret in zip(owners, secrets)]
    if len({member for member, _ in tokens}) < 2:
        raise BenchError("Give tokens to at least two members (--tokens 2 or more).")
    return Workload([(a.id, a.author_id) for a in arguments], tokens)


def counters_exact(url: str) -> tuple[int, int]:
    """(arguments whose counters disagree with their vote rows, vote rows in all)."""
    ups = sa.select(sa.func.count()).where(Vote.argument_id == Argument.id, Vote.value == 1)
    downs = sa.select(sa.func.count()).where(Vote.argument_id == Argument.id, Vote.value == -1)
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            wrong = connection.execute(
                sa.select(sa.func.count()).select_from(Argument).where(
                    (Argument.up != ups.scalar_subquery())
                    | (Argument.down != downs.scalar_subquery())
                    | (Argument.score != Argument.up - Argument.down)
                )
            ).scalar_one()
            rows = connection.execute(sa.select(sa.func.count()).select_from(Vote)).scalar_one()
    finally:
        engine.dispose()
    return wrong, rows


# -- load ----------------------------------------------------------------------------------------


LUA = r"""
-- PUT /api/v1/arguments/<id>/vote with a random value and a rotating bearer token,
-- never on the voter's own argument; counts the statuses of the responses.
local arguments = { %(arguments)s }  -- {argument id, author member id}
local tokens = { %(tokens)s }  -- {member id, secret}
local values = { "1", "-1", "0" }
local threads = {}
local counter = 0

function setup(thread)
  counter = counter + 1
  thread:set("number", counter)
  table.insert(threads, thread)
end

function init(args)
  math.randomseed(%(seed)d + number * 7919)
  statuses = {}
end

function request()
  local argument = arguments[math.random(#arguments)]
  local token
  repeat token = tokens[math.random(#tokens)] until token[1] ~= argument[2]
  return wrk.format("PUT", "/api/v1/arguments/" .. argument[1] .. "/vote",
    { ["Authorization"] = "Bearer " .. token[2], ["Content-Type"] = "application/json" },
    '{"value": ' .. values[math.random(#values)] .. '}')
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%%d": %%d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %%d, "duration_us": %%d, "p50_us": %%d, "p99_us": %%d, ' ..
    '"connect": %%d, "read": %%d, "write": %%d, "timeout": %%d, "statuses": {%%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, table.concat(parts, ", ")))
end
"""


def write_lua(path: Path, workload: Workload, seed: int) -> None:
    arguments = ", ".join(f"{{{a}, {b}}}" for a, b in workload.arguments)
    tokens = ", ".join(f'{{{member}, "{secret}"}}' for member, secret in workload.tokens)
    path.write_text(LUA % {"arguments": arguments, "tokens": tokens, "seed": seed})


def wrk(base: str, lua: Path, seconds: int, args: argparse.Namespace) -> dict:
    command = [
        "wrk", "--threads", str(args.threads), "--connections", str(args.connections),
        "--duration", f"{seconds}s", "--timeout", f"{args.timeout}s", "--script", str(lua), base,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk ran well past its {seconds:g}s") from None
    found = [line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or not found:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(found[-1].removeprefix("BENCH_RESULT "))


def measure(base: str, lua: Path, seconds: int, args: argparse.Namespace) -> Slice:
    raw = wrk(base, lua, seconds, args)
    return Slice(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        statuses={int(status): n for status, n in raw["statuses"].items()},
        socket_errors={k: raw[k] for k in ("connect", "read", "write", "timeout") if raw[k]},
    )


def cpu_idle(seconds: float = 2.0) -> float:
    """The share of the machine's CPU time left idle over `seconds` (Linux), or NaN."""

    def sample() -> tuple[int, int]:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return values[3] + values[4], sum(values[:8])  # idle + iowait, all but guest time

    try:
        idle0, total0 = sample()
        time.sleep(seconds)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return float("nan")
    return (idle1 - idle0) / max(1, total1 - total0)


def log_problems(log: Path) -> list[str]:
    """Lines of a gunicorn log that tell of errors (tracebacks, locked databases, timeouts)."""
    text = log.read_text(errors="replace") if log.exists() else ""
    words = ("Traceback", "database is locked", "WORKER TIMEOUT", "Error")
    return [line for line in text.splitlines() if any(w in line for w in words)]


def bench_database(kind: str, args: argparse.Namespace, info: dict[str, str]) -> list[Result]:
    workdir = Path(tempfile.mkdtemp(prefix=f"forum-bench-{kind}-"))
    try:
        with fresh_database(kind, workdir, args.postgres_url) as url:
            info[kind] = server_version(kind, url)
            env = {
                **os.environ,
                "DATABASE_URL": url,
                "SECRET_KEY": "benchmark",
                "FORUM_INSTANCE_PATH": str(workdir / "instance"),
                "PYTHONDONTWRITEBYTECODE": "1",
            }
            env.pop("FLASK_APP", None)
            print(f"[{kind}] building the database: schema, demo article, discussion, tokens", flush=True)
            started = time.monotonic()
            workload = prepare_forum(env, url, args)
            print(
                f"[{kind}] {len(workload.arguments)} arguments, {len(workload.tokens)} tokens "
                f"({time.monotonic() - started:.1f}s)",
                flush=True,
            )
            lua = workdir / "vote.lua"
            write_lua(lua, workload, args.seed)

            bare_vote.create_table(url)
            forum_log = workdir / "forum-gunicorn.log"
            bare_log = workdir / "bare-gunicorn.log"
            spec = f"wsgi:create_app({args.forum_config!r})" if args.forum_config else "wsgi:app"
            forum = Result(kind, "forum vote")
            bare = Result(kind, "bare upsert")
            # Both servers up at once (an idle sync worker costs nothing), so that their runs can
            # alternate: forum, bare, bare, forum... spreads drift in the machine's load over both.
            with gunicorn(spec, env, ROOT, forum_log, "/api/v1/articles") as forum_base, \
                    gunicorn("bare_vote:app", {**env, "BARE_DATABASE_URL": url}, BENCH, bare_log,
                             "/health") as bare_base:
                targets = {"forum vote": (forum, forum_base), "bare upsert": (bare, bare_base)}
                if args.warmup > 0:
                    for name, (_, base) in targets.items():
                        print(f"[{kind}] warming up {name} ({base}) for {args.warmup:g}s", flush=True)
                        wrk(base, lua, args.warmup, args)
                idle = cpu_idle()
                info[f"idle {kind}"] = f"{idle:.0%}"
                if idle < 0.8:
                    print(f"[{kind}] warning: the machine is busy before the runs (CPU {idle:.0%} idle); "
                          "expect noisy numbers", flush=True)
                seconds = args.duration // args.rounds
                for round_ in range(args.rounds):
                    order = ["forum vote", "bare upsert"][:: 1 if round_ % 2 == 0 else -1]
                    for name in order:
                        result, base = targets[name]
                        piece = measure(base, lua, seconds, args)
                        result.slices.append(piece)
                        shown = ", ".join(f"{status}: {n}" for status, n in sorted(piece.statuses.items()))
                        print(
                            f"[{kind}] round {round_ + 1}/{args.rounds} {name}: {piece.rate:.0f}/s, "
                            f"p50 {piece.p50_ms:.1f} ms, p99 {piece.p99_ms:.1f} ms ({shown})",
                            flush=True,
                        )
            wrong, rows = counters_exact(url)
            if wrong:
                forum.notes.append(f"{wrong} arguments' counters disagree with their {rows} vote rows")
            if args.rounds > 1:
                ratios = ", ".join(
                    f"{f.rate / b.rate:.2f}" for f, b in zip(forum.slices, bare.slices) if b.rate
                )
                forum.notes.append(f"forum/bare round by round: {ratios}")
            for result, log in ((forum, forum_log), (bare, bare_log)):
                problems = log_problems(log)
                if problems:
                    result.notes.append(f"{len(problems)} error lines in its log, first: {problems[0]}")
                if result.non_2xx or result.errors:
                    result.notes.append("its requests/s counts failed requests too: it is not a rate of votes")
                    if end := tail(log, 15):
                        result.notes.append(f"end of its log:\n{end}")
            return [forum, bare]
    finally:
        if args.keep:
            print(f"[{kind}] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


# -- report --------------------------------------------------------------------------------------


HEADERS = ["database", "target", "requests/s", "p50 ms", "p99 ms", "non-2xx", "socket errors", "forum/bare"]


def rows_of(results: list[Result]) -> list[list[str]]:
    bare_rate = {r.database: r.rate for r in results if r.target == "bare upsert"}
    rows = []
    for r in results:
        ratio = ""
        if r.target == "forum vote" and bare_rate.get(r.database):
            ratio = f"{r.rate / bare_rate[r.database]:.2f}"
        rows.append([
            r.database, r.target, f"{r.rate:.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
            str(r.non_2xx), str(r.errors), ratio,
        ])
    return rows


def plain_table(rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(HEADERS)]
    numeric = {2, 3, 4, 5, 6, 7}

    def line(cells: list[str]) -> str:
        return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([line(HEADERS), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def markdown_table(rows: list[list[str]]) -> str:
    align = ["---", "---"] + ["---:"] * (len(HEADERS) - 2)
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [HEADERS, align, *rows])


def machine(args: argparse.Namespace, info: dict[str, str]) -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    wrk_version = subprocess.run(
        ["wrk", "--version"], capture_output=True, text=True, check=False
    ).stdout.split(" [")[0]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    parts = [
        f"{os.cpu_count()} CPUs ({cpu})", f"load before {info.get('load', '?')}, after {load}",
        f"Python {platform.python_version()}", *(info[k] for k in ("sqlite", "postgresql") if k in info),
        wrk_version.strip(),
        "CPU idle before the runs: "
        + ", ".join(f"{k.removeprefix('idle ')} {v}" for k, v in info.items() if k.startswith("idle ")),
        (f"wrk --threads {args.threads} --connections {args.connections}, "
         f"{args.duration // args.rounds * args.rounds}s per target "
         f"in {args.rounds} alternating runs, after {args.warmup:g}s of warm-up"),
        f"gunicorn --workers {WORKERS} (sync)",
        (f"{args.arguments_per_thread} arguments per thread, {args.votes_per_argument} votes per argument, "
         f"{args.tokens} tokens"),
    ]
    return "; ".join(parts)


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per target (10)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="seconds of discarded load on each target first (2)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="split --duration into this many alternating runs per target (2: forum, bare, "
                             "bare, forum)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2; at most --connections)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's per-request timeout, seconds (10)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql (both)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="a PostgreSQL database to connect to for creating and dropping the "
                             f"benchmark's database (BENCH_POSTGRES_URL, else {DEFAULT_POSTGRES})")
    parser.add_argument("--arguments-per-thread", type=int, default=20)
    parser.add_argument("--votes-per-argument", type=int, default=5)
    parser.add_argument("--tokens", type=int, default=8,
                        help="bearer tokens, given in turn to the seed members (8, one each by default)")
    parser.add_argument("--seed", type=int, default=1, help="seed of wrk's random choices")
    parser.add_argument("--forum-config", default=json.dumps(FORUM_CONFIG),
                        help="JSON of settings for the forum's create_app; the default lifts the per-member "
                             f"vote rate limit out of the way but keeps it in the path: {json.dumps(FORUM_CONFIG)}")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite file)")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - {"sqlite", "postgresql"}
    if unknown or not args.databases:
        parser.error(f"--databases takes sqlite and/or postgresql, not {', '.join(sorted(unknown)) or 'nothing'}")
    # wrk takes whole seconds.
    if args.connections < 1 or args.tokens < 2 or args.rounds < 1 or args.duration < args.rounds:
        parser.error("--connections and --rounds must be at least 1, --tokens at least 2, "
                     "and --duration at least --rounds (whole seconds)")
    args.threads = max(1, min(args.threads, args.connections))
    if args.forum_config:
        try:
            args.forum_config = json.loads(args.forum_config)
        except ValueError as error:
            parser.error(f"--forum-config is not JSON: {error}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if shutil.which("wrk") is None:
        print(
            "wrk is not installed; this benchmark drives the servers with it.\n"
            "Install it (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk) and run again.",
            file=sys.stderr,
        )
        return 2
    # A TERM (or a time limit) unwinds like Ctrl-C, so that servers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = {"load": " ".join(f"{x:.2f}" for x in os.getloadavg())}
    results: list[Result] = []
    status = 0
    try:
        for kind in args.databases:
            results += bench_database(kind, args, info)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if results:
        report(results, args, info)
    return status


def report(results: list[Result], args: argparse.Namespace, info: dict[str, str]) -> None:
    rows = rows_of(results)
    conditions = machine(args, info)
    print()
    print(plain_table(rows))
    print()
    print(conditions)
    notes = [f"{r.database} {r.target}: {note}" for r in results for note in r.notes]
    for r in results:
        if r.non_2xx:
            shown = ", ".join(f"{status}: {n}" for status, n in sorted(r.statuses.items()))
            notes.insert(0, f"{r.database} {r.target}: statuses {shown}")
    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"- {note}")
    print("\nMarkdown:\n")
    print(markdown_table(rows))
    print()
    print(f"Measured on {conditions}.")


if __name__ == "__main__":
    sys.exit(main())
