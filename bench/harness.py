"""What the benchmarks share: fresh databases, `flask forum` commands, gunicorn servers, wrk runs, tables.

Each benchmark builds its own data and Lua scripts; this module runs them the same way every time.
A Lua script given to `wrk()` must end with `COUNT_STATUSES`, which counts the responses by status
and prints one `BENCH_RESULT {...}` line that `measure()` reads.
"""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import sqlalchemy as sa

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
START_TIMEOUT = 60  # seconds for gunicorn to answer
COMMAND_TIMEOUT = 900  # seconds for one `flask forum ...` command (a large seeding takes minutes)


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
        """Responses per second in this run."""
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
        return sum(s.p50_ms for s in self.slices) / len(self.slices) if self.slices else 0.0

    @property
    def p99_ms(self) -> float:
        """The mean of the rounds' 99th percentiles."""
        return sum(s.p99_ms for s in self.slices) / len(self.slices) if self.slices else 0.0

    @property
    def statuses(self) -> dict[int, int]:
        """Responses by HTTP status over all rounds."""
        total: dict[int, int] = {}
        for s in self.slices:
            for status, n in s.statuses.items():
                total[status] = total.get(status, 0) + n
        return total

    @property
    def non_2xx(self) -> int:
        """Responses whose status is not 2xx."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def errors(self) -> int:
        """Socket errors (connect, read, write, timeout) over all rounds."""
        return sum(sum(s.socket_errors.values()) for s in self.slices)


# -- processes ---------------------------------------------------------------------------------


def require_wrk() -> None:
    """Fail with instructions when wrk is not installed."""
    import shutil

    if shutil.which("wrk") is None:
        raise BenchError(
            "wrk is not installed; the benchmarks drive the servers with it.\n"
            "Install it (Debian/Ubuntu: sudo apt-get install wrk; macOS: brew install wrk) and run again."
        )


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, or nothing."""
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
def gunicorn(
    app_spec: str, env: dict[str, str], chdir: Path, log: Path, ready: str, workers: int,
    config: Path | None = None,
) -> Iterator[str]:
    """Serve `app_spec` with gunicorn's sync workers on a free port of 127.0.0.1; yield its base URL.

    `config` is a gunicorn config file to read (the standalone site's gunicorn.conf.py), whatever folder the
    script was started from; without it, gunicorn reads ./gunicorn.conf.py if there is one.
    """
    port = free_port()
    command = [
        sys.executable, "-m", "gunicorn", "--workers", str(workers), "--bind", f"127.0.0.1:{port}",
        "--chdir", str(chdir), "--log-level", "warning", "--timeout", "60",
        "--graceful-timeout", "5", *(["--config", str(config)] if config is not None else []), app_spec,
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


def server_processes(base: str) -> tuple[int, list[int]]:
    """The gunicorn serving `base` (Linux): its master's pid (the one whose command line binds that address, started
    by none of its kind) and its workers' (the processes the master started)."""
    bind = f"127.0.0.1:{base.rsplit(':', 1)[1]}".encode()
    parents: dict[int, int] = {}
    binding: set[int] = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            if bind in (entry / "cmdline").read_bytes().split(b"\0"):
                binding.add(int(entry.name))
        except (OSError, ValueError, IndexError):
            continue
    masters = [pid for pid in binding if parents.get(pid) not in binding]
    if len(masters) != 1:
        raise BenchError(f"Cannot tell the gunicorn serving {base} ({len(masters)} masters found).")
    return masters[0], sorted(pid for pid, parent in parents.items() if parent == masters[0])


def forum_env(url: str, workdir: Path) -> dict[str, str]:
    """The environment for the standalone site and its commands on the database at `url`."""
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "SECRET_KEY": "benchmark",
        "FORUM_INSTANCE_PATH": str(workdir / "instance"),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    env.pop("FLASK_APP", None)
    return env


def flask_forum(env: dict[str, str], *args: str, stdin: str | None = None) -> str:
    """Run `flask --app wsgi forum ARGS...` on the benchmark's database; return its stdout."""
    command = [sys.executable, "-m", "flask", "--app", "wsgi", "forum", *args]
    try:
        done = subprocess.run(
            command, cwd=ROOT, env=env, input=stdin, capture_output=True, text=True,
            timeout=COMMAND_TIMEOUT, check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"flask forum {' '.join(args)} took over {COMMAND_TIMEOUT}s") from None
    if done.returncode != 0:
        raise BenchError(f"flask forum {' '.join(args)} failed:\n{done.stderr.strip()}")
    return done.stdout


def long_article(title: str, paragraphs: int, references: int = 0) -> str:
    """An article of distinct, plausible paragraphs with footnotes; with `references`, their list at the end."""
    topics = ["parking", "deliveries", "buses", "cycling", "rents", "trees", "noise", "footfall"]
    footnotes = references or 9
    lines = [title, ""]
    for n in range(paragraphs):
        topic = topics[n % len(topics)]
        lines += [
            f"Paragraph {n + 1} on {topic}: the council counted {n * 37 % 1000 + 100} cases in year "
            f"{2000 + n % 25}, and the figure for {topic} moved by {n % 17 + 1} percent after the "
            f"change, which critics dispute.[{n % footnotes + 1}]",
            "",
        ]
    if references:
        lines += ["References", ""]
        lines += [f"[{n}] Council bulletin {n}. https://example.org/bulletins/{n}"
                  for n in range(1, references + 1)]
    return "\n".join(lines) + "\n"


# -- databases ---------------------------------------------------------------------------------


def engine_for(url: str) -> sa.Engine:
    """An engine on `url`, with plain `postgresql://` going through psycopg 3 as the forum does."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return sa.create_engine(parsed)


@contextmanager
def fresh_database(kind: str, workdir: Path, postgres_admin: str, label: str = "forum") -> Iterator[str]:
    """A new, empty database of `kind`; yield its URL; drop it afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{workdir / f'{label}.sqlite3'}"  # the folder goes with the run
        return
    name = f"forum_bench_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = engine_for(postgres_admin).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    except sa.exc.OperationalError as error:
        admin.dispose()
        raise BenchError(
            f"Cannot create a PostgreSQL database through {postgres_admin} (is PostgreSQL running, "
            f"and may this user create databases? --postgres-url points elsewhere): {error}"
        ) from None
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
    """"SQLite 3.x" or "PostgreSQL 15.x", for the report."""
    if kind == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            return "PostgreSQL " + connection.exec_driver_sql("SHOW server_version").scalar_one()
    finally:
        engine.dispose()


# -- load ----------------------------------------------------------------------------------------


# The end of every benchmark's Lua script: count responses by status in each thread, and report
# them with the run's totals and percentiles as one JSON line.
COUNT_STATUSES = r"""
local bench_threads = {}

function setup(thread)
  table.insert(bench_threads, thread)
  thread:set("number", #bench_threads)
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  local counts = {}
  for _, thread in ipairs(bench_threads) do
    for status, n in pairs(thread:get("statuses")) do
      counts[status] = (counts[status] or 0) + n
    end
  end
  local parts = {}
  for status, n in pairs(counts) do
    table.insert(parts, string.format('"%d": %d', status, n))
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_RESULT {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, ' ..
    '"connect": %d, "read": %d, "write": %d, "timeout": %d, "statuses": {%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, table.concat(parts, ", ")))
end
"""


def lua_string(text: str) -> str:
    """`text` as a Lua string literal."""
    return json.dumps(text, ensure_ascii=False)  # JSON escapes quotes, backslashes and controls as Lua does


def wrk(base: str, lua: Path, seconds: int, *, threads: int, connections: int, timeout: int) -> dict:
    """Run wrk with a script ending in COUNT_STATUSES; return its BENCH_RESULT."""
    command = [
        "wrk", "--threads", str(min(threads, connections)), "--connections", str(connections),
        "--duration", f"{seconds}s", "--timeout", f"{timeout}s", "--script", str(lua), base,
    ]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60, check=False)
    except subprocess.TimeoutExpired:
        raise BenchError(f"wrk ran well past its {seconds:g}s") from None
    found = [line for line in done.stdout.splitlines() if line.startswith("BENCH_RESULT ")]
    if done.returncode != 0 or not found:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    return json.loads(found[-1].removeprefix("BENCH_RESULT "))


def measure(base: str, lua: Path, seconds: int, **load: int) -> Slice:
    """One wrk run (threads, connections, timeout as keywords), as a Slice."""
    raw = wrk(base, lua, seconds, **load)
    return Slice(
        requests=raw["requests"],
        seconds=raw["duration_us"] / 1e6,
        p50_ms=raw["p50_us"] / 1000,
        p99_ms=raw["p99_us"] / 1000,
        statuses={int(status): n for status, n in raw["statuses"].items()},
        socket_errors={k: raw[k] for k in ("connect", "read", "write", "timeout") if raw[k]},
    )


def statuses_text(statuses: dict[int, int]) -> str:
    """"200: 812, 429: 3"."""
    return ", ".join(f"{status}: {n}" for status, n in sorted(statuses.items()))


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


# -- report --------------------------------------------------------------------------------------


def plain_table(headers: list[str], rows: list[list[str]], numeric_from: int) -> str:
    """A table for the terminal; columns from `numeric_from` on are right-aligned."""
    widths = [max(len(h), *(len(row[i]) for row in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.rjust(w) if i >= numeric_from else c.ljust(w) for i, (c, w) in enumerate(zip(cells, widths))
        ).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def markdown_table(headers: list[str], rows: list[list[str]], numeric_from: int) -> str:
    """The same table in Markdown, numbers right-aligned."""
    align = ["---" if i < numeric_from else "---:" for i in range(len(headers))]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in [headers, align, *rows])


def machine() -> list[str]:
    """The machine's CPUs, Python and wrk, for the report."""
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
    ).stdout.split(" [")[0].strip()
    return [f"{os.cpu_count()} CPUs ({cpu})", f"Python {platform.python_version()}", wrk_version]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages."""
    return " ".join(f"{x:.2f}" for x in os.getloadavg())
