"""Build the deployment of deploy/ on this machine and prove it: correctness across hosts, then faults under load.

    .venv/bin/python bench/topology.py                 # about 4 minutes: correctness, then three load phases
    .venv/bin/python bench/topology.py --quick         # correctness only, under a minute
    .venv/bin/python bench/topology.py --keep          # leave the run's folder (configs and every log)

What it builds, every piece its own process group on loopback addresses only (nothing outside this machine):
HAProxy (deploy/haproxy.cfg) in front of `--hosts` app hosts, each `gunicorn -c deploy/gunicorn.conf.py` bound
to its own address 127.0.0.2, 127.0.0.3, ...; PgBouncer (deploy/pgbouncer.ini, transaction mode) in front of a
fresh PostgreSQL database made for the run and dropped after it (`flask forum db upgrade` runs against
PostgreSQL directly); a Redis server of its own on a free port of 127.0.0.1, so that restarting it disturbs no
other user of the machine's Redis. The configs are written into a temporary folder from deploy/'s files, with
the ports, the database and the run's folder put in; nothing is installed and systemd is not used.

Needs `haproxy`, `pgbouncer` and `redis-server` on PATH (Debian: `apt-get install haproxy pgbouncer
redis-server`) and PostgreSQL at 127.0.0.1:5432 as `postgres` with trust authentication (`--postgres-url`).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import os
import queue
import random
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEPLOY = ROOT / "deploy"
sys.path.insert(0, str(ROOT))

import httpx
import sqlalchemy as sa
from harness import BenchError, engine_for, flask_forum, fresh_database, markdown_table, plain_table, tail

from forum.models import Argument

DEFAULT_POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"
DEMO_ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
PASSWORD = "topology password 1"
START_TIMEOUT = 60
# Writes under load go to many threads at a rate no member reaches by hand: their limits are raised, so that the
# limiter still runs in every request. Sign-in keeps its limit of 10 a minute, which the run checks across hosts.
APP_CONFIG = {
    "FORUM_RATELIMIT_POST": "1000000 per minute",
    "FORUM_RATELIMIT_POST_NEW_MEMBER": "1000000 per minute",
    "FORUM_RATELIMIT_READ": "1000000 per minute",
    "FORUM_RATELIMIT_VOTE": "1000000 per minute",
}
LOAD_MEMBERS = 4
PHASES = ("checks", "kill", "rolling", "redis")
WRITE_SHARE = 0.15


# -- processes -----------------------------------------------------------------------------------------------


@dataclass
class Process:
    """One process group we started, with its log."""

    name: str
    popen: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        """Whether its leader still runs."""
        return self.popen.poll() is None

    def signal_group(self, signum: int) -> None:
        """Send `signum` to its whole process group (its own session: nothing else of the machine)."""
        try:
            os.killpg(self.popen.pid, signum)
        except ProcessLookupError:
            pass

    def stop(self, grace: float = 15) -> None:
        """TERM to the group, then KILL what lingers."""
        if self.alive():
            self.signal_group(signal.SIGTERM)
            try:
                self.popen.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        self.signal_group(signal.SIGKILL)
        try:
            self.popen.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass


def spawn(name: str, command: list[str], log: Path, env: dict[str, str] | None = None,
          cwd: Path = ROOT) -> Process:
    """Start `command` in a session (and process group) of its own, its output going to `log`."""
    with log.open("ab") as out:
        popen = subprocess.Popen(command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 stdin=subprocess.DEVNULL, start_new_session=True)
    return Process(name, popen, log)


def free_port(address: str = "127.0.0.1") -> int:
    """A TCP port of `address` that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind((address, 0))
        return sock.getsockname()[1]


def wait_until(condition: Callable[[], bool], seconds: float, what: str, process: Process | None = None) -> float:
    """Wait for `condition()`; the seconds it took. Fails with the process's log when it does not come."""
    started = time.monotonic()
    while True:
        try:
            if condition():
                return time.monotonic() - started
        except (OSError, httpx.HTTPError):
            pass
        if process is not None and not process.alive():
            raise BenchError(f"{process.name} stopped while waiting for {what}:\n{tail(process.log)}")
        if time.monotonic() - started > seconds:
            said = f":\n{tail(process.log)}" if process is not None else ""
            raise BenchError(f"{what} did not happen within {seconds:.0f} s{said}")
        time.sleep(0.1)


def find_program(name: str) -> str:
    """The path of `name` (also looked for in the sbin folders, where Debian puts daemons)."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/sbin:/usr/local/sbin")
    if not found:
        raise BenchError(f"{name} is not installed (Debian/Ubuntu: sudo apt-get install {name}).")
    return found


# -- configs from deploy/ --------------------------------------------------------------------------------------


def rewrite_settings(template: str, settings: dict[str, str]) -> str:
    """`template` (an ini file) with the value of each `key = value` line named in `settings` replaced.

    Each key must be in the template: a renamed setting in deploy/ fails the run rather than going unnoticed.
    """
    seen = set()
    lines = []
    for line in template.splitlines():
        key = line.split("=", 1)[0].strip()
        if "=" in line and not line.lstrip().startswith(";") and key in settings:
            line = f"{key} = {settings[key]}"
            seen.add(key)
        lines.append(line)
    if missing := set(settings) - seen:
        raise BenchError(f"deploy/pgbouncer.ini has no {', '.join(sorted(missing))}")
    return "\n".join(lines) + "\n"


def pgbouncer_config(folder: Path, port: int, database: str) -> Path:
    """deploy/pgbouncer.ini with this run's port and database, trust authentication and no Unix socket."""
    (folder / "userlist.txt").write_text('"postgres" ""\n')
    text = rewrite_settings((DEPLOY / "pgbouncer.ini").read_text(), {
        "forum": f"host=127.0.0.1 port=5432 dbname={database}",
        "listen_port": str(port),
        "auth_type": "trust",
        "auth_file": str(folder / "userlist.txt"),
    })
    text += "unix_socket_dir =\n"
    path = folder / "pgbouncer.ini"
    path.write_text(text)
    return path


def haproxy_config(folder: Path, port: int, hosts: list[AppHost], check_status: bool = False) -> Path:
    """deploy/haproxy.cfg with this run's port and app hosts, a stats socket, and which host answered.

    `check_status` puts a check on the status alone in place of deploy's, to measure what it would do.
    """
    template = (DEPLOY / "haproxy.cfg").read_text()
    if check_status:
        template = re.sub(r"http-check expect rstring .*", "http-check expect status 200", template)
    if "bind 127.0.0.1:8080" not in template or "    server " not in template:
        raise BenchError("deploy/haproxy.cfg no longer has the bind and server lines this script replaces")
    lines = [line for line in template.splitlines() if not line.startswith("    server ")]
    text = "\n".join(lines).replace("bind 127.0.0.1:8080", f"bind 127.0.0.1:{port}")
    # HAProxy needs two descriptors a connection: fit `maxconn` to what this machine allows a process.
    descriptors = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if descriptors != resource.RLIM_INFINITY:
        text = re.sub(r"maxconn (\d+)", lambda m: f"maxconn {min(int(m.group(1)), (descriptors - 200) // 2)}",
                      text, count=1)
    text = text.replace("global\n", f"global\n    stats socket {folder / 'haproxy.sock'} mode 600 level admin\n", 1)
    text += "\n    # Which host answered (for the run's report only).\n    http-response set-header X-Served-By %s\n"
    text += "".join(f"    server {h.name} {h.address}:{h.port} check\n" for h in hosts)
    path = folder / "haproxy.cfg"
    path.write_text(text)
    return path


def forum_env_file() -> dict[str, str]:
    """deploy/forum.env as a dictionary."""
    found = {}
    for line in (DEPLOY / "forum.env").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            found[key.strip()] = value.strip()
    return found


# -- the topology -----------------------------------------------------------------------------------------------


@dataclass
class AppHost:
    """One app host: gunicorn on its own loopback address."""

    name: str
    address: str
    port: int
    instance: Path
    process: Process | None = None

    @property
    def base(self) -> str:
        """Its base URL."""
        return f"http://{self.address}:{self.port}"


@dataclass
class Seed:
    """What the checks use: members' tokens and passwords, the article's threads."""

    tokens: dict[str, str]
    blocks: list[int]


class Topology:
    """The deployment, started piece by piece; `close()` stops every piece (also on failure or Ctrl-C)."""

    def __init__(self, folder: Path, hosts: int, postgres_admin: str, check_status: bool = False) -> None:
        self.folder = folder
        self.check_status = check_status
        self.stack = ExitStack()
        self.postgres_admin = postgres_admin
        self.hosts = [AppHost(chr(ord("a") + n), f"127.0.0.{n + 2}", 0, folder / f"instance-{n}")
                      for n in range(hosts)]
        self.processes: list[Process] = []
        self.redis: Process | None = None
        self.haproxy: Process | None = None
        self.redis_port = 0
        self.balancer_port = 0
        self.direct_url = ""
        self.app_url = ""
        self.env: dict[str, str] = {}

    # pieces

    def start(self) -> None:
        """PostgreSQL database, schema, PgBouncer, Redis, the app hosts, HAProxy: in that order."""
        programs = {name: find_program(name) for name in ("haproxy", "pgbouncer", "redis-server")}
        self.check_loopback()
        self.direct_url = self.stack.enter_context(
            fresh_database("postgresql", self.folder, self.postgres_admin, label="topology"))
        database = sa.make_url(self.direct_url).database
        # Schema upgrades go to PostgreSQL directly (deploy/README.md), never through the transaction pool.
        flask_forum(self.command_env(self.direct_url, self.folder / "instance-cli"), "db", "upgrade")

        pool_port = free_port()
        ini = pgbouncer_config(self.folder, pool_port, str(database))
        self.folder.chmod(0o755)  # PgBouncer refuses to run as root: it runs as nobody and reads its config here
        bouncer = self.keep(spawn("pgbouncer", [programs["pgbouncer"], "-u", "nobody", str(ini)],
                                  self.folder / "pgbouncer.log"))
        wait_until(lambda: port_open("127.0.0.1", pool_port), 20, "PgBouncer listening", bouncer)
        self.app_url = f"postgresql://postgres@127.0.0.1:{pool_port}/forum?prepare_threshold=none"

        self.redis_port = free_port()
        self.start_redis()

        self.env = self.host_env()
        for host in self.hosts:
            host.port = free_port(host.address)
            self.start_host(host)
        self.balancer_port = free_port()
        config = haproxy_config(self.folder, self.balancer_port, self.hosts, self.check_status)
        self.haproxy = self.keep(spawn("haproxy", [programs["haproxy"], "-db", "-f", str(config)],
                                       self.folder / "haproxy.log"))
        for host in self.hosts:
            self.wait_state(host, "UP", START_TIMEOUT)

    def check_loopback(self) -> None:
        """Every host's address must be a loopback address this machine can bind (Linux routes all of 127/8)."""
        for host in self.hosts:
            if not host.address.startswith("127."):
                raise BenchError(f"{host.address} is not a loopback address")
            try:
                free_port(host.address)
            except OSError as error:
                raise BenchError(f"cannot bind {host.address} on this machine: {error}") from None

    def keep(self, process: Process) -> Process:
        """Remember `process` so that `close()` stops it."""
        self.processes.append(process)
        return process

    def command_env(self, url: str, instance: Path) -> dict[str, str]:
        """The environment of a `flask forum` command on `url`."""
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "topology", "FORUM_INSTANCE_PATH": str(instance)}
        env.pop("FLASK_APP", None)
        return env

    def host_env(self) -> dict[str, str]:
        """deploy/forum.env with this run's PgBouncer, Redis and secret."""
        env = {**os.environ, **forum_env_file()}
        env.pop("FLASK_APP", None)
        env["DATABASE_URL"] = self.app_url
        env["SECRET_KEY"] = f"topology {uuid.uuid4().hex}"
        for name in ("FORUM_CACHE_URL", "FORUM_RATELIMIT_STORAGE_URI", "FORUM_EVENTS_URL"):
            env[name] = re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{self.redis_port}", env[name])
        env["GUNICORN_ACCESS_LOG"] = ""
        return env

    def start_redis(self) -> None:
        """A Redis server of the run's own, keeping nothing on disk."""
        self.redis = self.keep(spawn("redis", [
            find_program("redis-server"), "--bind", "127.0.0.1", "--port", str(self.redis_port), "--save", "",
            "--appendonly", "no", "--dir", str(self.folder), "--maxmemory-policy", "allkeys-lru",
        ], self.folder / "redis.log"))
        wait_until(lambda: port_open("127.0.0.1", self.redis_port), 20, "Redis listening", self.redis)

    def stop_redis(self) -> None:
        """Stop the Redis server (its data goes with it: it keeps none on disk)."""
        assert self.redis is not None
        self.redis.stop()
        self.processes.remove(self.redis)

    def start_host(self, host: AppHost) -> None:
        """gunicorn with deploy/gunicorn.conf.py on the host's address, in a process group of its own."""
        spec = f"wsgi:create_app({APP_CONFIG!r})"
        env = {**self.env, "FORUM_INSTANCE_PATH": str(host.instance)}
        host.process = self.keep(spawn(f"host {host.name}", [
            sys.executable, "-m", "gunicorn", "-c", str(DEPLOY / "gunicorn.conf.py"),
            "-b", f"{host.address}:{host.port}", spec,
        ], self.folder / f"host-{host.name}.log", env=env))
        wait_until(lambda: httpx.get(f"{host.base}/healthz", timeout=2).status_code == 200,
                   START_TIMEOUT, f"host {host.name} healthy", host.process)

    def kill_host(self, host: AppHost) -> None:
        """kill -9 the host's whole process group: its master and workers die at once, as with a power cut."""
        assert host.process is not None
        host.process.signal_group(signal.SIGKILL)
        host.process.popen.wait(10)
        self.processes.remove(host.process)

    def workers(self, host: AppHost) -> set[int]:
        """The process ids of the host's gunicorn workers."""
        assert host.process is not None
        master = host.process.popen.pid
        found = set()
        for entry in Path("/proc").iterdir():
            if entry.name.isdigit():
                try:
                    stat = (entry / "stat").read_text()
                except OSError:
                    continue
                if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                    found.add(int(entry.name))
        return found

    # HAProxy

    @property
    def balancer(self) -> str:
        """The site's base URL, through HAProxy."""
        return f"http://127.0.0.1:{self.balancer_port}"

    def states(self) -> dict[str, str]:
        """HAProxy's view of each app host (UP, DOWN, ...), from its stats socket."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.settimeout(2)
            sock.connect(str(self.folder / "haproxy.sock"))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        rows = csv.DictReader(io.StringIO(data.decode().lstrip("# ")))
        return {row["svname"]: row["status"].split()[0] for row in rows
                if row["pxname"] == "app_hosts" and row["svname"] not in ("FRONTEND", "BACKEND")}

    def wait_state(self, host: AppHost, state: str, seconds: float) -> float:
        """Seconds until HAProxy sees `host` in `state`."""
        return wait_until(lambda: self.states().get(host.name) == state, seconds, f"HAProxy: {host.name} {state}",
                          self.haproxy)

    # data

    def seed(self) -> Seed:
        """Members with tokens, and the demo article, made through `flask forum` on PostgreSQL directly."""
        env = self.command_env(self.direct_url, self.folder / "instance-cli")
        names = ["mira", "jonas", "carol", *(f"load{n}" for n in range(LOAD_MEMBERS))]
        tokens = {}
        for name in names:
            flask_forum(env, "create-user", name, stdin=PASSWORD + "\n")
            tokens[name] = flask_forum(env, "create-token", name).strip()
        summary = json.loads(flask_forum(env, "import", str(DEMO_ARTICLE), "--json"))
        article = httpx.get(f"{self.balancer}/api/v1/articles/{summary['id']}", timeout=10).json()
        blocks = [b["id"] for b in article["blocks"] if b.get("thread") is not None]
        if len(blocks) < 2:
            raise BenchError("the demo article has fewer than two threads")
        return Seed(tokens, blocks)

    def stored_bodies(self, marker: str) -> Counter:
        """How many times each argument body containing `marker` is stored, read from PostgreSQL directly."""
        engine = engine_for(self.direct_url)
        try:
            with engine.connect() as connection:
                rows = connection.execute(
                    sa.select(Argument.body).where(Argument.body.contains(marker, autoescape=True))
                ).scalars().all()
        finally:
            engine.dispose()
        return Counter(rows)

    def close(self) -> None:
        """Stop every process group (the balancer first, Redis and PgBouncer last), then drop the database."""
        for process in reversed(self.processes):
            process.stop(grace=10)
        self.processes.clear()
        self.stack.close()


def port_open(address: str, port: int) -> bool:
    """Whether something accepts connections at `address:port`."""
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((address, port)) == 0


# -- clients ----------------------------------------------------------------------------------------------------


def post_argument(base: str, block: int, body: str, token: str | None = None,
                  session: tuple[str, str] | None = None, timeout: float = 10) -> httpx.Response:
    """POST an argument to `block` through `base`, with a bearer token or a (cookie, CSRF token) session."""
    headers = {}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if session:
        headers["Cookie"], headers["X-CSRFToken"] = session
    return httpx.post(f"{base}/api/v1/blocks/{block}/arguments", json={"stance": "support", "body": body},
                      headers=headers, timeout=timeout)


def sign_in(base: str, name: str) -> str:
    """Sign in by the form at `base`; the session's Cookie header."""
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login")
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if not csrf:
            raise BenchError("the sign-in page has no CSRF field")
        answer = client.post("/login", data={"csrf_token": csrf.group(1), "username": name, "password": PASSWORD})
        if answer.status_code != 302:
            raise BenchError(f"signing in as {name} answered {answer.status_code}")
        return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def page_csrf(page: str) -> str:
    """The CSRF token a signed-in page carries."""
    found = re.search(r'<meta name="csrf-token" content="([^"]+)"', page)
    if not found:
        raise BenchError("a signed-in page carries no CSRF token")
    return found.group(1)


@dataclass
class Event:
    """One SSE event: its id, kind, data and when it came."""

    id: str
    kind: str
    data: dict
    at: float


class EventStream:
    """A thread's event stream read on a thread of its own, as a browser's EventSource would."""

    def __init__(self, url: str, last_event_id: str | None = None) -> None:
        self.events: queue.Queue[Event | None] = queue.Queue()
        self.client = httpx.Client(timeout=httpx.Timeout(10, read=60))
        self.status = 0
        self.opened = threading.Event()
        headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
        self.thread = threading.Thread(target=self.read, args=(url, headers), daemon=True)
        self.thread.start()
        if not self.opened.wait(10):
            raise BenchError(f"the stream {url} did not open")

    def read(self, url: str, headers: dict[str, str]) -> None:
        """Parse events into the queue until the stream ends or is closed."""
        try:
            with self.client.stream("GET", url, headers=headers) as response:
                self.status = response.status_code
                self.opened.set()
                fields: dict[str, str] = {}
                for line in response.iter_lines():
                    if not line:
                        if "event" in fields:
                            self.events.put(Event(fields.get("id", ""), fields["event"],
                                                  json.loads(fields.get("data", "{}")), time.monotonic()))
                        fields = {}
                    elif not line.startswith(":") and ": " in line:
                        name, value = line.split(": ", 1)
                        fields[name] = value
        except (httpx.HTTPError, RuntimeError, ValueError):
            pass  # closed by us, or ended by the server
        finally:
            self.opened.set()
            self.events.put(None)

    def next(self, timeout: float) -> Event | None:
        """The next event, or None when none came within `timeout` or the stream ended."""
        try:
            return self.events.get(timeout=timeout)
        except queue.Empty:
            return None

    def close(self) -> None:
        """Close the connection."""
        self.client.close()
        self.thread.join(5)


# -- load ------------------------------------------------------------------------------------------------------


@dataclass
class Outcome:
    """One request of the load: what it was, when, and how it ended."""

    kind: str
    started: float
    ended: float
    status: int  # 0: no answer (connection error or timeout)
    body: str = ""  # a write's body, which names it
    error: str = ""  # why there was no answer


@dataclass
class Load:
    """`clients` threads sending a mix of page reads, API reads and writes through the balancer until stopped."""

    base: str
    seed: Seed
    marker: str
    clients: int
    outcomes: list[Outcome] = field(default_factory=list)
    stopping: threading.Event = field(default_factory=threading.Event)
    threads: list[threading.Thread] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def start(self) -> None:
        """Start the clients."""
        for n in range(self.clients):
            thread = threading.Thread(target=self.client, args=(n,), daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self) -> list[Outcome]:
        """Stop the clients after their current request; every outcome."""
        self.stopping.set()
        for thread in self.threads:
            thread.join(30)
        return self.outcomes

    def client(self, n: int) -> None:
        """One client's loop."""
        rng = random.Random(n)
        token = self.seed.tokens[f"load{n % LOAD_MEMBERS}"]
        with httpx.Client(base_url=self.base, timeout=10) as client:
            count = 0
            while not self.stopping.is_set():
                block = rng.choice(self.seed.blocks)
                roll = rng.random()
                body = ""
                started = time.monotonic()
                try:
                    if roll < WRITE_SHARE:
                        count += 1
                        kind, body = "write", f"Load {self.marker} client {n} write {count}."
                        response = client.post(f"/api/v1/blocks/{block}/arguments",
                                               json={"stance": "support", "body": body},
                                               headers={"Authorization": f"Bearer {token}"})
                    elif roll < 0.55:
                        kind = "page"
                        response = client.get(f"/blocks/{block}")
                    elif roll < 0.85:
                        kind = "api"
                        response = client.get(f"/api/v1/blocks/{block}/arguments")
                    else:
                        kind = "member api"
                        response = client.get(f"/api/v1/blocks/{block}/arguments",
                                              headers={"Authorization": f"Bearer {token}"})
                    status = response.status_code
                    error = ""
                except httpx.HTTPError as failure:
                    kind, status, error = "write" if body else "read", 0, type(failure).__name__
                with self.lock:
                    self.outcomes.append(Outcome(kind, started, time.monotonic(), status, body, error))


def failed(outcome: Outcome) -> bool:
    """Whether a request of the load failed (no answer, or a server error; the load expects no 4xx either)."""
    return outcome.status == 0 or outcome.status >= 400


@dataclass
class Ledger:
    """What the writes of a load phase came to in PostgreSQL."""

    acknowledged: int
    lost: int
    duplicated: int
    unacknowledged_stored: int


def reconcile(topology: Topology, outcomes: list[Outcome], marker: str) -> Ledger:
    """Acknowledged writes against the stored rows: none may be missing or stored twice."""
    stored = topology.stored_bodies(marker)
    writes = [o for o in outcomes if o.body]
    acknowledged = {o.body for o in writes if o.status == 201}
    unacknowledged = {o.body for o in writes if o.status != 201}
    return Ledger(
        acknowledged=len(acknowledged),
        lost=sum(1 for body in acknowledged if stored[body] == 0),
        duplicated=sum(1 for count in stored.values() if count > 1),
        unacknowledged_stored=sum(1 for body in unacknowledged if stored[body] > 0),
    )


# -- checks ----------------------------------------------------------------------------------------------------


@dataclass
class Row:
    """A line of the report."""

    check: str
    passed: bool
    figures: str


def check_writes_cross_hosts(topology: Topology, seed: Seed) -> Row:
    """A write through one host is on every other host's next page: anonymous, member, token; both caches."""
    member_cookie = sign_in(topology.hosts[0].base, "mira")
    seen, looked = 0, 0
    misses = []
    for writer in topology.hosts:
        for reader in topology.hosts:
            if reader is writer:
                continue
            for method in ("token", "session"):
                block = seed.blocks[0]
                thread_page = f"{reader.base}/blocks/{block}"
                api = f"{reader.base}/api/v1/blocks/{block}/arguments"
                member = {"Cookie": member_cookie}
                token = {"Authorization": f"Bearer {seed.tokens['jonas']}"}
                # Both caches warm on the reader first: the anonymous page cache (shared, in Redis) and the
                # rendered fragments every reader's page is built from.
                for _ in range(2):
                    httpx.get(thread_page, timeout=10)
                    httpx.get(api, timeout=10)
                    httpx.get(thread_page, headers=member, timeout=10)
                    httpx.get(api, headers=token, timeout=10)
                body = f"Across hosts {uuid.uuid4().hex}: written on {writer.name}, read on {reader.name}."
                if method == "token":
                    made = post_argument(writer.base, block, body, token=seed.tokens["jonas"])
                else:
                    page = httpx.get(f"{writer.base}/blocks/{block}", headers=member, timeout=10).text
                    made = post_argument(writer.base, block, body, session=(member_cookie, page_csrf(page)))
                if made.status_code != 201:
                    raise BenchError(f"a write on host {writer.name} answered {made.status_code}: {made.text}")
                for persona, url, headers in (("anonymous page", thread_page, {}), ("anonymous API", api, {}),
                                              ("member page", thread_page, member), ("token API", api, token)):
                    looked += 1
                    if body in httpx.get(url, headers=headers, timeout=10).text:
                        seen += 1
                    else:
                        misses.append(f"{persona} on {reader.name} after a {method} write on {writer.name}")
    return Row("a write on one host is on another's next page", not misses,
               f"{seen}/{looked} next reads show it" + (f"; missing: {', '.join(misses)}" if misses else ""))


def check_sessions(topology: Topology, seed: Seed) -> Row:
    """A session made by signing in on one host is valid on every other, for pages and writes."""
    first, *others = topology.hosts
    cookie = sign_in(first.base, "jonas")
    valid = 0
    for host in others:
        page = httpx.get(f"{host.base}/blocks/{seed.blocks[1]}", headers={"Cookie": cookie}, timeout=10).text
        signed_in = "Sign out" in page
        made = post_argument(host.base, seed.blocks[1], f"Session from {first.name} on {host.name}.",
                             session=(cookie, page_csrf(page))) if signed_in else None
        valid += bool(signed_in and made is not None and made.status_code == 201)
    return Row(f"a session from host {first.name} is valid elsewhere", valid == len(others),
               f"{valid}/{len(others)} other hosts: signed-in page and a write")


def check_rate_limits(topology: Topology) -> Row:
    """Sign-in attempts count once for every host: the 11th in a minute is refused whichever host gets it."""
    statuses = []
    # A client address of its own (one trusted proxy hop: the app reads the last X-Forwarded-For entry), so
    # that sign-ins made by the other checks do not count here.
    headers = {"X-Forwarded-For": "127.0.0.77"}
    for n in range(11):
        host = topology.hosts[n % len(topology.hosts)]
        answer = httpx.post(f"{host.base}/api/v1/tokens", json={"username": "carol", "password": "wrong password"},
                            headers=headers, timeout=10)
        statuses.append(answer.status_code)
    refused_on = topology.hosts[10 % len(topology.hosts)].name
    passed = statuses[:10] == [401] * 10 and statuses[10] == 429
    return Row("sign-in limit is global (10 a minute)", passed,
               f"attempts 1-10 spread over {len(topology.hosts)} hosts: {Counter(statuses[:10])[401]}x 401; "
               f"11th on host {refused_on}: {statuses[10]}")


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of `values` fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, int(round(share * len(ordered))) - 1))]


def check_event_delay(topology: Topology, seed: Seed, count: int = 20) -> Row:
    """An event raised on one host reaches a stream held on another within a second (p95)."""
    writer, reader = topology.hosts[0], topology.hosts[-1]
    block = seed.blocks[2 % len(seed.blocks)]
    stream = EventStream(f"{reader.base}/api/v1/blocks/{block}/events")
    delays, missing = [], 0
    try:
        if stream.status != 200:
            raise BenchError(f"the stream on host {reader.name} answered {stream.status}")
        for n in range(count):
            started = time.monotonic()
            made = post_argument(writer.base, block, f"Event {n} from {writer.name}.", token=seed.tokens["mira"])
            wanted = made.json()["id"]
            while (event := stream.next(timeout=3)) is not None and event.data.get("argument_id") != wanted:
                pass
            if event is None:
                missing += 1
            else:
                delays.append(event.at - started)
    finally:
        stream.close()
    p95 = percentile(delays, 0.95) if delays else float("inf")
    return Row(f"an event on host {writer.name} reaches a stream on host {reader.name}", not missing and p95 < 1.0,
               f"{len(delays)}/{count} arrived; p50 {percentile(delays, 0.5) * 1000:.0f} ms, "
               f"p95 {p95 * 1000:.0f} ms (write sent to event read)" if delays else f"0/{count} arrived")


def check_reconnect(topology: Topology, seed: Seed, before: int = 5, missed: int = 10) -> Row:
    """A stream that drops and reconnects with Last-Event-ID (to another host) gets every event it missed."""
    writer, first, second = topology.hosts[0], topology.hosts[-1], topology.hosts[0]
    block = seed.blocks[3 % len(seed.blocks)]
    token = seed.tokens["mira"]
    stream = EventStream(f"{first.base}/api/v1/blocks/{block}/events")
    posted_before = [post_argument(writer.base, block, f"Before the drop {n}.", token=token).json()["id"]
                     for n in range(before)]
    got: list[Event] = []
    while len(got) < before and (event := stream.next(timeout=3)) is not None:
        got.append(event)
    stream.close()
    posted_during = [post_argument(writer.base, block, f"While away {n}.", token=token).json()["id"]
                     for n in range(missed)]
    again = EventStream(f"{second.base}/api/v1/blocks/{block}/events", last_event_id=got[-1].id if got else None)
    replayed: list[Event] = []
    while len(replayed) < missed and (event := again.next(timeout=3)) is not None:
        replayed.append(event)
    after = post_argument(writer.base, block, "After the reconnect.", token=token).json()["id"]
    live = again.next(timeout=3)
    again.close()
    ids = [e.data.get("argument_id") for e in replayed]
    passed = ([e.data.get("argument_id") for e in got] == posted_before and ids == posted_during
              and live is not None and live.data.get("argument_id") == after)
    return Row("a reconnect (to another host) loses no event", passed,
               f"{len(got)}/{before} events live; while away {missed} posted, "
               f"{sum(1 for i in ids if i in posted_during)} replayed on reconnecting, in order: "
               f"{ids == posted_during}; the next one live: {live is not None}")


# -- faults under load -------------------------------------------------------------------------------------------


def run_load(topology: Topology, seed: Seed, clients: int, seconds: float,
             during: Callable[[float], None]) -> tuple[list[Outcome], str, float]:
    """Run the load for `seconds` through the balancer, calling `during(started)` on this thread meanwhile."""
    marker = uuid.uuid4().hex[:12]
    load = Load(topology.balancer, seed, marker, clients)
    started = time.monotonic()
    load.start()
    try:
        during(started)
        left = started + seconds - time.monotonic()
        if left > 0:
            time.sleep(left)
    finally:
        outcomes = load.stop()
    return outcomes, marker, time.monotonic() - started


def summary(outcomes: list[Outcome], seconds: float) -> str:
    """Requests, rate and failures of a load phase."""
    failures = [o for o in outcomes if failed(o)]
    statuses = Counter(f"{o.kind} {o.status or 'no answer (' + o.error + ')'}" for o in failures)
    said = ", ".join(f"{s}: {n}" for s, n in sorted(statuses.items()))
    return (f"{len(outcomes)} requests ({len(outcomes) / seconds:.0f}/s), "
            f"{len(failures)} failed" + (f" ({said})" if said else ""))


def ledger_text(ledger: Ledger) -> str:
    """The writes' reconciliation in words."""
    return (f"{ledger.acknowledged} writes acknowledged: {ledger.lost} lost, {ledger.duplicated} duplicated; "
            f"{ledger.unacknowledged_stored} unacknowledged but stored")


def fault_kill(topology: Topology, seed: Seed, clients: int, seconds: float) -> Row:
    """kill -9 one app host under load: the balancer routes around it, failures are only its requests in flight."""
    victim = topology.hosts[0]
    marks: dict[str, float] = {}

    def kill(started: float) -> None:
        time.sleep(max(0.0, started + seconds / 3 - time.monotonic()))
        marks["kill"] = time.monotonic()
        topology.kill_host(victim)
        topology.wait_state(victim, "DOWN", 30)
        marks["down"] = time.monotonic()

    outcomes, marker, took = run_load(topology, seed, clients, seconds, kill)
    killed_at = marks["kill"]
    in_flight = sum(1 for o in outcomes if o.started <= killed_at <= o.ended)
    failures = [o for o in outcomes if failed(o)]
    late = [o for o in failures if o.started > killed_at]
    ledger = reconcile(topology, outcomes, marker)
    passed = not late and ledger.lost == 0 and ledger.duplicated == 0
    topology.start_host(victim)
    back = topology.wait_state(victim, "UP", 60)
    return Row(f"kill -9 host {victim.name} under {clients} clients, {seconds:.0f} s", passed,
               f"{summary(outcomes, took)}; {len(failures) - len(late)} of them in flight at the kill "
               f"({in_flight} requests were in flight on all hosts), {len(late)} started after it; "
               f"marked down {marks['down'] - killed_at:.1f} s after the kill; {ledger_text(ledger)}; "
               f"restarted and back in {back:.1f} s")


def workers_replaced(topology: Topology, host: AppHost, old: set[int]) -> bool:
    """Whether every worker of `host` is new since `old`, and as many run as before."""
    new = topology.workers(host)
    return bool(new) and not new & old and len(new) >= len(old)


def fault_rolling_restart(topology: Topology, seed: Seed, clients: int, seconds: float) -> Row:
    """Reload every host in turn (gunicorn HUP, as `systemctl reload` does) under load: no request fails."""
    took_each: list[float] = []

    def roll(started: float) -> None:
        gap = seconds / (len(topology.hosts) + 1)
        for n, host in enumerate(topology.hosts, 1):
            time.sleep(max(0.0, started + gap * n - time.monotonic()))
            assert host.process is not None
            old = topology.workers(host)
            begun = time.monotonic()
            os.kill(host.process.popen.pid, signal.SIGHUP)  # to the master, as `systemctl reload` does
            wait_until(partial(workers_replaced, topology, host, old), 60, f"host {host.name}'s new workers",
                       host.process)
            took_each.append(time.monotonic() - begun)

    outcomes, marker, took = run_load(topology, seed, clients, seconds, roll)
    failures = [o for o in outcomes if failed(o)]
    ledger = reconcile(topology, outcomes, marker)
    passed = not failures and ledger.lost == 0 and ledger.duplicated == 0 and len(took_each) == len(topology.hosts)
    return Row(f"rolling restart of {len(topology.hosts)} hosts under {clients} clients, {seconds:.0f} s", passed,
               f"{summary(outcomes, took)}; each host's workers replaced in "
               f"{', '.join(f'{t:.1f}' for t in took_each)} s; {ledger_text(ledger)}")


def fault_redis_restart(topology: Topology, seed: Seed, clients: int, seconds: float, down: float) -> Row:
    """Stop Redis for `down` seconds under load: pages keep coming, writes keep landing, events resume."""
    marks: dict[str, object] = {}

    def restart(started: float) -> None:
        time.sleep(max(0.0, started + seconds / 3 - time.monotonic()))
        topology.stop_redis()
        marks["stopped"] = time.monotonic()
        time.sleep(min(1.0, down / 2))
        marks["health"] = httpx.get(f"{topology.hosts[0].base}/healthz", timeout=5).status_code
        # The fewest hosts HAProxy kept in service at any moment of the outage (sampled five times a second).
        fewest = len(topology.hosts)
        while time.monotonic() < marks["stopped"] + down:  # type: ignore[operator]
            fewest = min(fewest, sum(1 for state in topology.states().values() if state == "UP"))
            time.sleep(0.2)
        marks["fewest"] = fewest
        topology.start_redis()
        marks["started"] = time.monotonic()

    outcomes, marker, took = run_load(topology, seed, clients, seconds, restart)
    failures = [o for o in outcomes if failed(o)]
    ledger = reconcile(topology, outcomes, marker)
    resumed, seen = events_resume(topology, seed)
    healthy = all(httpx.get(f"{h.base}/healthz", timeout=5).status_code == 200 for h in topology.hosts)
    passed = (not failures and ledger.lost == 0 and ledger.duplicated == 0 and resumed is not None and healthy
              and marks["fewest"] == len(topology.hosts))
    return Row(f"Redis stopped {down:.0f} s under {clients} clients, {seconds:.0f} s", passed,
               f"{summary(outcomes, took)}; while down /healthz said {marks['health']} and HAProxy kept at least "
               f"{marks['fewest']}/{len(topology.hosts)} hosts in; {ledger_text(ledger)}; a new stream got an event "
               + (f"{resumed:.1f} s after Redis came back" if resumed is not None else f"never ({dict(seen)})"))


def events_resume(topology: Topology, seed: Seed, seconds: float = 30) -> tuple[float | None, Counter]:
    """Seconds from now until a write on one host reaches a new stream on another (or None); what was seen."""
    started = time.monotonic()
    writer, reader = topology.hosts[0], topology.hosts[-1]
    block = seed.blocks[0]
    seen: Counter = Counter()
    while time.monotonic() - started < seconds:
        stream = EventStream(f"{reader.base}/api/v1/blocks/{block}/events")
        try:
            seen[f"stream {stream.status}"] += 1
            if stream.status == 200:
                made = post_argument(writer.base, block, f"After Redis came back {uuid.uuid4().hex}.",
                                     token=seed.tokens["mira"])
                seen[f"write {made.status_code}"] += 1
                wanted = made.json().get("id")
                while (event := stream.next(timeout=2)) is not None:
                    seen["event"] += 1
                    if event.data.get("argument_id") == wanted:
                        return time.monotonic() - started, seen
        finally:
            stream.close()
        time.sleep(1)
    return None, seen


# -- the run ----------------------------------------------------------------------------------------------------


@contextmanager
def run_folder(keep: bool) -> Iterator[Path]:
    """A temporary folder for configs and logs; removed afterwards unless `keep`."""
    folder = Path(tempfile.mkdtemp(prefix="forum-topology-"))
    try:
        yield folder
    finally:
        if keep:
            print(f"configs and logs kept in {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def report(rows: list[Row], markdown: Path | None) -> None:
    """Print the table (and write it as Markdown)."""
    headers = ["check", "result", "figures"]
    cells = [[r.check, "pass" if r.passed else "FAIL", r.figures] for r in rows]
    print(plain_table(headers, cells, numeric_from=3))
    if markdown is not None:
        markdown.write_text(markdown_table(headers, cells, numeric_from=3) + "\n")


def main() -> int:
    """Build the topology, run the checks and the faults, print the table; 0 when every check passed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--hosts", type=int, default=2, help="app hosts, on 127.0.0.2 and up (default 2)")
    parser.add_argument("--clients", type=int, default=40, help="load clients (threads) in the fault phases")
    parser.add_argument("--seconds", type=float, default=60, help="length of each load phase")
    parser.add_argument("--redis-down", type=float, default=5, help="seconds Redis stays stopped")
    parser.add_argument("--quick", action="store_true", help="correctness across hosts only, no load phases")
    parser.add_argument("--phases", default=",".join(PHASES),
                        help=f"which parts to run, of {','.join(PHASES)} (default: all)")
    parser.add_argument("--check-status", action="store_true",
                        help="HAProxy's health check on the status (200) instead of the database's word, to compare")
    parser.add_argument("--keep", action="store_true", help="keep the folder with the configs and logs")
    parser.add_argument("--markdown", type=Path, help="also write the table here as Markdown")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES))
    args = parser.parse_args()
    if not 2 <= args.hosts <= 20:
        parser.error("--hosts must be between 2 and 20")
    chosen = ["checks"] if args.quick else [p.strip() for p in args.phases.split(",") if p.strip()]
    if unknown := set(chosen) - set(PHASES):
        parser.error(f"unknown phases: {', '.join(sorted(unknown))}")

    def interrupted(_signum: int, _frame: object) -> None:
        raise KeyboardInterrupt

    # Also SIGINT: a shell that starts the script in the background leaves it ignored.
    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    rows: list[Row] = []
    try:
        with run_folder(args.keep) as folder:
            topology = Topology(folder, args.hosts, args.postgres_url, args.check_status)
            try:
                started = time.monotonic()
                topology.start()
                print(f"topology up in {time.monotonic() - started:.1f} s: HAProxy {topology.balancer}, hosts "
                      + ", ".join(h.base for h in topology.hosts), flush=True)
                seed = topology.seed()
                phases: dict[str, list[Callable[[], Row]]] = {
                    "checks": [
                        lambda: check_writes_cross_hosts(topology, seed),
                        lambda: check_sessions(topology, seed),
                        lambda: check_rate_limits(topology),
                        lambda: check_event_delay(topology, seed),
                        lambda: check_reconnect(topology, seed),
                    ],
                    "kill": [lambda: fault_kill(topology, seed, args.clients, args.seconds)],
                    "rolling": [lambda: fault_rolling_restart(topology, seed, args.clients, args.seconds)],
                    "redis": [lambda: fault_redis_restart(topology, seed, args.clients, args.seconds / 2,
                                                          args.redis_down)],
                }
                checks = [check for name in chosen for check in phases[name]]
                for check in checks:
                    row = check()
                    print(f"{'pass' if row.passed else 'FAIL'}  {row.check}: {row.figures}", flush=True)
                    rows.append(row)
            finally:
                topology.close()
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted: every process of the run stopped, its database dropped", file=sys.stderr)
        return 130
    print()
    report(rows, args.markdown)
    return 0 if all(r.passed for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
