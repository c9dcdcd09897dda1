"""The forum's pages and API through gunicorn (2 workers), beside two bare Flask apps on the same database.

    .venv/bin/python bench/run.py [--duration 10] [--arguments 200] [--databases sqlite,postgresql]
    .venv/bin/python bench/run.py --large 1000000      # adds the scale check

For each database kind it builds a fresh database (a SQLite file in a temporary folder; a new
PostgreSQL database, dropped at the end) with `flask forum` commands: the schema, the demo article
seeded with `--arguments` arguments in each thread (the thread under test is its first paragraph), a
small article whose one thread holds 3 arguments, and a second copy of the demo article that takes
the votes and posts, so that the pages measured do not change under them. It serves the site, a
hello-world Flask app and a Flask app rendering 200 rows from one query (bench/bare_pages.py), each
with `gunicorn --workers 2`, and drives every target with wrk in alternating rounds. It prints one
table with each target's ratio to the hello-world app and to the bare 200-row page, then the same
table in Markdown.

With `--large N` it also builds a database holding N arguments (the same data set plus filler
articles) and compares the thread page's latency there with the small database's, one request at a
time, in alternating rounds. See bench/README.md.
"""

from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import json
import math
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from harness import (
    COUNT_STATUSES,
    DEFAULT_POSTGRES,
    BenchError,
    Result,
    cpu_idle,
    engine_for,
    flask_forum,
    forum_env,
    fresh_database,
    gunicorn,
    load_average,
    log_problems,
    long_article,
    lua_string,
    machine,
    markdown_table,
    measure,
    plain_table,
    require_wrk,
    server_version,
    statuses_text,
    tail,
)

from forum.models import Argument, Article, Block, Member

DEMO_ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
WORKERS = 2
MEMBER = "benchreader"
MEMBER_PASSWORD = "a long benchmark password"
# The member's browser, as the site sees it at sign-in and on every later request: Flask-Login ties a session
# to the address and User-Agent it began with, and marks it not fresh (a changed cookie) when they differ.
MEMBER_AGENT = "forum-bench/1"
SMALL_THREAD_ARGUMENTS = 3
WRITE_ARGUMENTS_PER_THREAD = 20
FILLER_PARAGRAPHS = 250  # per filler article: a seeding of 250 threads x 200 arguments fits in memory
SCALE_TARGET = 1.20  # the large database's latency should stay within 20 % of the small one's
# Votes and posts hammer a handful of members: the per-member limits would turn most of that into
# 429s. Raised rather than switched off, so the limiter's check stays in the measured path.
RAISED_LIMITS = {
    "FORUM_RATELIMIT_VOTE": "1000000 per hour",
    "FORUM_RATELIMIT_POST": "1000000 per hour",
    "FORUM_RATELIMIT_POST_NEW_MEMBER": "1000000 per day",
}
# What a browser (or an HTTP library) sends with every GET: kept pages are then sent gzip-compressed.
BROWSER = {"Accept-Encoding": "gzip, deflate"}
SMALL_ARTICLE = """A Short Note on Bus Lanes

The bus lane on Mill Road saved riders four minutes a trip in its first month, the operator says.[1]

References

[1] Operator's monthly report. https://example.org/reports/bus-lane
"""


@dataclass
class Target:
    """One row of the table: what wrk sends, to which server, and which statuses count as success."""

    name: str
    server: str  # "forum", "hello", "rows" or "large"
    lua: Callable[[str], str]  # run id -> the request part of the Lua script
    ok: frozenset[int] = frozenset(range(200, 300))
    probe: Callable[[], str | None] | None = None  # before each run; a reason to skip it, or None


@dataclass
class DataSet:
    """What the load needs to know about a built database."""

    article_path: str
    thread: int  # the thread under test
    small_thread: int
    write_threads: list[int]
    write_arguments: list[tuple[int, int]]  # (argument id, author member id)
    seed_tokens: list[tuple[int, str]]  # (member id, bearer secret)
    member_token: str
    arguments: int  # in the whole database
    thread_arguments: list[int]  # the ids of the thread under test's arguments


@dataclass
class Row:
    """A measured target, and the statuses that count as success on it."""

    result: Result
    ok: frozenset[int]


# -- building the data ---------------------------------------------------------------------------


def import_article(env: dict[str, str], path: Path, title: str | None = None) -> int:
    """Import a text file; return the article's id."""
    extra = ["--title", title] if title else []
    return json.loads(flask_forum(env, "import", str(path), "--json", *extra))["id"]


def seed(env: dict[str, str], article: int, per_thread: int, votes: int) -> None:
    """`forum seed-discussion` on one article."""
    flask_forum(env, "seed-discussion", str(article), "--arguments-per-thread", str(per_thread),
                "--votes-per-argument", str(votes))


def build(kind: str, env: dict[str, str], url: str, workdir: Path, args: argparse.Namespace,
          total: int = 0) -> DataSet:
    """Schema, articles, seeded discussions, an account and tokens; up to `total` arguments with filler."""
    flask_forum(env, "db", "upgrade")
    main = import_article(env, DEMO_ARTICLE)
    seed(env, main, args.arguments, args.votes_per_argument)
    small_path = workdir / "small-article.txt"
    small_path.write_text(SMALL_ARTICLE)
    small = import_article(env, small_path)
    seed(env, small, SMALL_THREAD_ARGUMENTS, args.votes_per_argument)
    writes = import_article(env, DEMO_ARTICLE, "Where the votes and posts go")
    seed(env, writes, WRITE_ARGUMENTS_PER_THREAD, args.votes_per_argument)
    if total:
        fill(kind, env, url, workdir, args, total)
    flask_forum(env, "create-user", MEMBER, "--role", "member", stdin=MEMBER_PASSWORD + "\n")
    if kind == "postgresql":
        analyze(url)  # as autovacuum would soon after a bulk load: the planner sees the real sizes
    return inspect(env, url, main, small, writes, args)


def fill(kind: str, env: dict[str, str], url: str, workdir: Path, args: argparse.Namespace,
         total: int) -> None:
    """Import and seed filler articles until the database holds about `total` arguments."""
    missing = total - count_arguments(url)
    per_article = FILLER_PARAGRAPHS * args.arguments
    plans = []  # (article number, paragraphs)
    for number in range(math.ceil(max(0, missing) / per_article)):
        paragraphs = min(FILLER_PARAGRAPHS, math.ceil((missing - number * per_article) / args.arguments))
        plans.append((number + 1, paragraphs))
    print(f"[{kind}] filling with {len(plans)} articles of up to {per_article} arguments", flush=True)

    def one(plan: tuple[int, int]) -> None:
        number, paragraphs = plan
        path = workdir / f"filler-{number}.txt"
        path.write_text(long_article(f"Filler article {number}: the town in figures", paragraphs))
        seed(env, import_article(env, path), args.arguments, args.votes_per_argument)
        path.unlink()
        print(f"[{kind}] filler article {number}/{len(plans)} seeded", flush=True)

    # PostgreSQL takes two seedings at once (one per CPU); SQLite has one writer at a time.
    with ThreadPoolExecutor(max_workers=2 if kind == "postgresql" else 1) as pool:
        list(pool.map(one, plans))


def count_arguments(url: str) -> int:
    """How many arguments the database holds."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            return connection.execute(sa.select(sa.func.count()).select_from(Argument)).scalar_one()
    finally:
        engine.dispose()


def analyze(url: str) -> None:
    """ANALYZE a PostgreSQL database."""
    engine = engine_for(url).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("ANALYZE")
    finally:
        engine.dispose()


def inspect(env: dict[str, str], url: str, main: int, small: int, writes: int,
            args: argparse.Namespace) -> DataSet:
    """Find the threads and arguments the load needs, and make the bearer tokens."""
    engine = engine_for(url)
    try:
        with engine.connect() as connection:
            def threads(article: int) -> list[int]:
                return list(connection.scalars(
                    sa.select(Block.id)
                    .where(Block.article_id == article, Block.kind == "paragraph")
                    .order_by(Block.position)
                ))

            slug = connection.scalar(sa.select(Article.slug).where(Article.id == main))
            seed_members = connection.execute(
                sa.select(Member.user_id, Member.id).where(Member.user_id.like("seed:%")).order_by(Member.id)
            ).all()
            write_threads = threads(writes)
            write_arguments = connection.execute(
                sa.select(Argument.id, Argument.author_id).where(Argument.block_id.in_(write_threads))
            ).all()
            thread = threads(main)[0]
            small_thread = threads(small)[0]
            in_thread = list(connection.scalars(
                sa.select(Argument.id).where(Argument.block_id == thread).order_by(Argument.id)
            ))
            total = connection.scalar(sa.select(sa.func.count()).select_from(Argument))
    finally:
        engine.dispose()
    if len(in_thread) != args.arguments:
        raise BenchError(f"The thread under test holds {len(in_thread)} arguments, not {args.arguments}.")
    owners = [seed_members[n % len(seed_members)] for n in range(args.tokens)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        secrets = list(pool.map(
            lambda name: flask_forum(env, "create-token", name, "--label", "bench").strip(),
            [owner.user_id for owner in owners] + [MEMBER],
        ))
    return DataSet(
        article_path=f"/articles/{main}/{slug}",
        thread=thread,
        small_thread=small_thread,
        write_threads=write_threads,
        write_arguments=[(a.id, a.author_id) for a in write_arguments],
        seed_tokens=[(owner.id, secret) for owner, secret in zip(owners, secrets)],
        member_token=secrets[-1],
        arguments=total,
        thread_arguments=in_thread,
    )


# -- signing in ----------------------------------------------------------------------------------


class CsrfField(html.parser.HTMLParser):
    """Finds the value of the form's hidden `csrf_token` input."""

    def __init__(self) -> None:
        super().__init__()
        self.token: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input" and found.get("name") == "csrf_token":
            self.token = found.get("value")


def sign_in(base: str) -> str:
    """Sign the benchmark's member in through the /login form; return the Cookie header it earned."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", MEMBER_AGENT)]
    with opener.open(base + "/login", timeout=30) as response:
        parser = CsrfField()
        parser.feed(response.read().decode())
    if not parser.token:
        raise BenchError("The /login page has no csrf_token field.")
    form = urllib.parse.urlencode(
        {"username": MEMBER, "password": MEMBER_PASSWORD, "csrf_token": parser.token, "next": ""}
    ).encode()
    try:
        with opener.open(base + "/login", data=form, timeout=30) as response:
            page = response.read().decode()
    except urllib.error.HTTPError as error:
        raise BenchError(f"Signing in through /login answered {error.code}.") from None
    if MEMBER not in page:
        raise BenchError("Signing in through /login did not sign the member in.")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    # The Cookie header alone, as wrk will send it, must carry the session.
    status, _, page = fetch(base, "/", {"Cookie": cookie, "User-Agent": MEMBER_AGENT})
    if status != 200 or MEMBER not in page:
        raise BenchError(f"The session cookie from /login does not sign the member in ({status}).")
    return cookie


def vote_as_member(base: str, data: DataSet) -> None:
    """Have the member vote on one argument in ten of the thread under test, as a reader would."""
    for n, argument in enumerate(data.thread_arguments[::10]):
        request = urllib.request.Request(
            f"{base}/api/v1/arguments/{argument}/vote", method="PUT",
            data=json.dumps({"value": 1 if n % 3 else -1}).encode(),
            headers={"Authorization": f"Bearer {data.member_token}", "Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30):
                pass
        except urllib.error.HTTPError as error:
            raise BenchError(f"The member's vote on argument {argument} answered {error.code}.") from None


def fetch(base: str, path: str, headers: dict[str, str]) -> tuple[int, dict[str, str], str]:
    """One GET; its status, headers and body, whatever the status."""
    request = urllib.request.Request(base + path, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, dict(response.headers), response.read().decode(errors="replace")
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read().decode(errors="replace")


# -- load ----------------------------------------------------------------------------------------


def static_lua(method: str, path: str, headers: dict[str, str] | None = None) -> Callable[[str], str]:
    """The same request every time."""
    shown = ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in (headers or {}).items())

    def script(_run: str) -> str:
        return (
            "local prepared\n"
            "function init(args)\n  statuses = {}\n"
            f"  prepared = wrk.format({lua_string(method)}, {lua_string(path)}, {{ {shown} }})\nend\n"
            "function request()\n  return prepared\nend\n"
        )

    return script


def vote_lua(data: DataSet, seed_: int) -> Callable[[str], str]:
    """A random vote (1, -1, 0) on a random argument of the write article, never the voter's own."""
    arguments = ", ".join(f"{{{a}, {b}}}" for a, b in data.write_arguments)
    tokens = ", ".join(f"{{{member}, {lua_string(secret)}}}" for member, secret in data.seed_tokens)

    def script(_run: str) -> str:
        return f"""
local arguments = {{ {arguments} }}
local tokens = {{ {tokens} }}
local values = {{ "1", "-1", "0" }}
function init(args)
  statuses = {{}}
  math.randomseed({seed_} + number * 7919)
end
function request()
  local argument = arguments[math.random(#arguments)]
  local token
  repeat token = tokens[math.random(#tokens)] until token[1] ~= argument[2]
  return wrk.format("PUT", "/api/v1/arguments/" .. argument[1] .. "/vote",
    {{ ["Authorization"] = "Bearer " .. token[2], ["Content-Type"] = "application/json" }},
    '{{"value": ' .. values[math.random(#values)] .. '}}')
end
"""

    return script


def post_lua(data: DataSet, seed_: int) -> Callable[[str], str]:
    """A new argument with a source in a thread of the write article; every body is unique."""
    threads = ", ".join(str(t) for t in data.write_threads)
    tokens = ", ".join(lua_string(secret) for _, secret in data.seed_tokens)

    def script(run: str) -> str:
        return f"""
local threads = {{ {threads} }}
local tokens = {{ {tokens} }}
local stances = {{ "counter", "support", "question" }}
local sent = 0
function init(args)
  statuses = {{}}
  math.randomseed({seed_} + number * 7919)
end
function request()
  sent = sent + 1
  -- The run, the wrk thread and a counter make every body unique, so no post is a duplicate.
  local body = string.format('{{"stance": "%s", "body": "Benchmark post {run}-%d-%d: the *figures* ' ..
    'for this paragraph deserve a second look.", "sources": [{{"url": "https://example.org/bench/%d", ' ..
    '"title": "Bench source"}}]}}', stances[math.random(#stances)], number, sent, sent)
  return wrk.format("POST", "/api/v1/blocks/" .. threads[math.random(#threads)] .. "/arguments",
    {{ ["Authorization"] = "Bearer " .. tokens[math.random(#tokens)],
       ["Content-Type"] = "application/json" }}, body)
end
"""

    return script


def write_script(workdir: Path, target: Target, run: str) -> Path:
    """The whole Lua file for one run of a target."""
    path = workdir / f"{target.server}-{run}.lua"
    path.write_text(target.lua(run) + COUNT_STATUSES)
    return path


def targets_for(data: DataSet, cookie: str, forum: str, args: argparse.Namespace) -> list[Target]:
    """The table's rows, in order."""
    thread = f"/blocks/{data.thread}"
    api = f"/api/v1/blocks/{data.thread}/arguments"
    n = args.arguments
    repeat = {"headers": {}}

    def etag() -> str | None:
        # The thread page's current validator, as a browser would have kept it from its last visit.
        status, headers, _ = fetch(forum, thread, {})
        tag = {k.lower(): v for k, v in headers.items()}.get("etag")
        if status != 200 or not tag:
            return "the thread page sends no ETag"
        repeat["headers"] = {"If-None-Match": tag}
        return None

    def repeat_lua(run: str) -> str:
        return static_lua("GET", thread, {**BROWSER, **repeat["headers"]})(run)

    def get(path: str, headers: dict[str, str] | None = None) -> Callable[[str], str]:
        return static_lua("GET", path, {**BROWSER, **(headers or {})})

    return [
        Target("hello world (bare Flask)", "hello", get("/")),
        Target("200 rows, one query (bare Flask)", "rows", get("/rows")),
        Target("home page", "forum", get("/")),
        Target("article page", "forum", get(data.article_path)),
        Target(f"thread page ({n} arguments), anonymous", "forum", get(thread)),
        Target(f"thread page ({n} arguments), anonymous, no compression", "forum", static_lua("GET", thread)),
        Target(f"thread page ({n} arguments), member", "forum",
               get(thread, {"Cookie": cookie, "User-Agent": MEMBER_AGENT})),
        Target(f"thread page ({n} arguments), repeat visit (If-None-Match)", "forum", repeat_lua,
               ok=frozenset([*range(200, 300), 304]), probe=etag),
        Target(f"thread page ({SMALL_THREAD_ARGUMENTS} arguments), anonymous", "forum",
               get(f"/blocks/{data.small_thread}")),
        Target(f"API arguments ({n}), anonymous", "forum", get(api)),
        Target(f"API arguments ({n}), member token", "forum",
               get(api, {"Authorization": f"Bearer {data.member_token}"})),
        Target("API vote", "forum", vote_lua(data, args.seed)),
        Target("API post argument", "forum", post_lua(data, args.seed)),
    ]


def load_of(args: argparse.Namespace) -> dict[str, int]:
    """wrk's settings from the command line."""
    return {"threads": args.threads, "connections": args.connections, "timeout": args.timeout}


def run_rounds(kind: str, targets: list[Target], bases: dict[str, str], results: dict[str, Result],
               workdir: Path, args: argparse.Namespace, load: dict[str, int], label: str = "") -> None:
    """Warm every target up, then measure them in alternating rounds (forwards, then backwards)."""
    skipped: set[str] = set()
    for target in targets:
        if target.probe and (reason := target.probe()):
            results[target.name].notes.append(f"not measured: {reason}")
            skipped.add(target.name)
    live = [t for t in targets if t.name not in skipped]
    if args.warmup > 0:
        print(f"[{kind}]{label} warming up {len(live)} targets, {args.warmup}s each", flush=True)
        for target in live:
            lua = write_script(workdir, target, f"warm{uuid.uuid4().hex[:8]}")
            measure(bases[target.server], lua, args.warmup, **load)
    seconds = args.duration // args.rounds
    for round_ in range(args.rounds):
        for target in live if round_ % 2 == 0 else live[::-1]:
            if target.probe and (reason := target.probe()):
                raise BenchError(f"{target.name}: {reason} any more")
            lua = write_script(workdir, target, f"r{round_}{uuid.uuid4().hex[:8]}")
            piece = measure(bases[target.server], lua, seconds, **load)
            results[target.name].slices.append(piece)
            print(
                f"[{kind}]{label} round {round_ + 1}/{args.rounds} {target.name}: {piece.rate:.0f}/s, "
                f"p50 {piece.p50_ms:.1f} ms, p99 {piece.p99_ms:.1f} ms ({statuses_text(piece.statuses)})",
                flush=True,
            )


def check_first(targets: list[Target], bases: dict[str, str], workdir: Path) -> None:
    """Send each target's request through wrk for a moment; stop early if it is refused."""
    for target in targets:
        if target.probe and target.probe():
            continue
        lua = write_script(workdir, target, f"check{uuid.uuid4().hex[:8]}")
        for seconds in (2, 15):  # a slow page on a busy machine may not answer within the first
            piece = measure(bases[target.server], lua, seconds, threads=1, connections=1, timeout=10)
            if piece.requests:
                break
        bad = {s: n for s, n in piece.statuses.items() if s not in target.ok}
        if bad or not piece.requests:
            raise BenchError(f"{target.name} is answered {statuses_text(piece.statuses) or 'nothing'}.")


# -- one database ----------------------------------------------------------------------------------


@dataclass
class Scale:
    """The thread page's latency on the small and the large database."""

    database: str
    target: str
    small: Result
    large: Result
    arguments: tuple[int, int]  # (small, large)


@dataclass
class Outcome:
    """Everything measured on one database."""

    rows: list[Row] = field(default_factory=list)
    scale: list[Scale] = field(default_factory=list)


def forum_spec(args: argparse.Namespace, prefix: str) -> str:
    """gunicorn's app spec for the site with the benchmark's settings."""
    config = {
        **RAISED_LIMITS,
        "FORUM_RATELIMIT_STORAGE_URI": args.ratelimit_storage,
        "FORUM_RATELIMIT_KEY_PREFIX": prefix,
        **args.forum_config,
    }
    return f"wsgi:create_app({config!r})"


def bench_database(kind: str, args: argparse.Namespace, info: dict[str, str]) -> Outcome:
    """Build the database(s), serve the apps, measure every target; the results of this database."""
    workdir = Path(tempfile.mkdtemp(prefix=f"forum-bench-{kind}-"))
    outcome = Outcome()
    try:
        with ExitStack() as stack:
            url = stack.enter_context(fresh_database(kind, workdir, args.postgres_url))
            info[kind] = server_version(kind, url)
            env = forum_env(url, workdir)
            print(f"[{kind}] building the database", flush=True)
            started = time.monotonic()
            data = build(kind, env, url, workdir, args)
            print(f"[{kind}] {data.arguments} arguments ({time.monotonic() - started:.0f}s)", flush=True)
            large = None
            if args.large:
                large_dir = workdir / "large"
                large_dir.mkdir()
                large_url = stack.enter_context(fresh_database(kind, large_dir, args.postgres_url, "large"))
                large_env = forum_env(large_url, large_dir)
                print(f"[{kind}] building the large database ({args.large} arguments)", flush=True)
                started = time.monotonic()
                large = build(kind, large_env, large_url, large_dir, args, total=args.large)
                print(f"[{kind}] {large.arguments} arguments ({time.monotonic() - started:.0f}s)", flush=True)

            prefix = f"forum-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
            stack.callback(forget_counts, args.ratelimit_storage, prefix)
            logs = {name: workdir / f"{name}-gunicorn.log" for name in ("forum", "hello", "rows", "large")}
            rows_env = {**env, "BARE_DATABASE_URL": url, "BARE_BLOCK_ID": str(data.thread)}
            # Every server up at once (an idle sync worker costs nothing), so that runs can alternate.
            bases = {
                "forum": stack.enter_context(gunicorn(
                    forum_spec(args, prefix), env, ROOT, logs["forum"], "/api/v1/articles", WORKERS)),
                "hello": stack.enter_context(gunicorn(
                    "bare_pages:hello", env, BENCH, logs["hello"], "/", WORKERS)),
                "rows": stack.enter_context(gunicorn(
                    "bare_pages:rows", rows_env, BENCH, logs["rows"], "/health", WORKERS)),
            }
            if large:
                bases["large"] = stack.enter_context(gunicorn(
                    forum_spec(args, prefix + "-large"), large_env, ROOT, logs["large"], "/api/v1/articles",
                    WORKERS))
            cookie = sign_in(bases["forum"])
            vote_as_member(bases["forum"], data)
            targets = targets_for(data, cookie, bases["forum"], args)
            check_first(targets, bases, workdir)
            idle = cpu_idle()
            info[f"idle {kind}"] = f"{idle:.0%}"
            if idle < 0.8:
                print(f"[{kind}] warning: the machine is busy before the runs (CPU {idle:.0%} idle); "
                      "expect noisy numbers", flush=True)
            results = {t.name: Result(kind, t.name) for t in targets}
            run_rounds(kind, targets, bases, results, workdir, args, load_of(args))
            for target in targets:
                outcome.rows.append(Row(results[target.name], target.ok))
            if large:
                outcome.scale = scale_check(kind, data, large, bases, workdir, args)
            for name, log in logs.items():
                if problems := log_problems(log):
                    outcome.rows[0].result.notes.append(
                        f"the {name} server's log has {len(problems)} error lines, first: {problems[0]}")
            if any(row.result.errors or unexpected(row) for row in outcome.rows):
                outcome.rows[0].result.notes.append(f"end of the forum's log:\n{tail(logs['forum'], 15)}")
        return outcome
    finally:
        if args.keep:
            print(f"[{kind}] kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


def scale_check(kind: str, small: DataSet, large: DataSet, bases: dict[str, str], workdir: Path,
                args: argparse.Namespace) -> list[Scale]:
    """The thread page on the small and the large database, one request at a time, alternating."""
    pages = []
    for server, data in (("forum", small), ("large", large)):
        cookie = sign_in(bases[server])
        if server == "large":
            vote_as_member(bases[server], data)
        pages.append([
            Target(f"{server}: thread page, anonymous", server, static_lua("GET", f"/blocks/{data.thread}")),
            Target(f"{server}: thread page, member", server,
                   static_lua("GET", f"/blocks/{data.thread}", {"Cookie": cookie, "User-Agent": MEMBER_AGENT})),
        ])
    # Interleaved so that each pair of small and large runs follows each other closely.
    targets = [t for pair in zip(*pages) for t in pair]
    results = {t.name: Result(kind, t.name) for t in targets}
    check_first(targets, bases, workdir)
    sequential = argparse.Namespace(**{**vars(args), "duration": args.large_duration})
    run_rounds(kind, targets, bases, results, workdir, sequential,
               {"threads": 1, "connections": 1, "timeout": args.timeout}, " scale:")
    return [
        Scale(kind, who, results[f"forum: thread page, {who}"], results[f"large: thread page, {who}"],
              (small.arguments, large.arguments))
        for who in ("anonymous", "member")
    ]


def unexpected(row: Row) -> int:
    """Responses whose status the row does not expect (for plain rows: anything not 2xx)."""
    return sum(n for status, n in row.result.statuses.items() if status not in row.ok)


# -- report --------------------------------------------------------------------------------------


HEADERS = ["target", "database", "requests/s", "p50 ms", "p99 ms", "non-2xx", "304", "socket errors",
           "/ hello world", "/ 200 rows"]
SCALE_HEADERS = ["database", "thread page", "arguments", "p50 ms", "p99 ms", "p50 large/small",
                 "p99 large/small", f"within {SCALE_TARGET - 1:.0%}"]


def table_rows(outcomes: list[Outcome]) -> list[list[str]]:
    """The main table's cells: each row's figures and its rate over the yardsticks' rates."""
    cells = []
    for outcome in outcomes:
        rates = {row.result.target: row.result.rate for row in outcome.rows}
        hello = rates.get("hello world (bare Flask)", 0.0)
        bare = rates.get("200 rows, one query (bare Flask)", 0.0)
        for row in outcome.rows:
            r = row.result
            if not r.slices:
                cells.append([r.target, r.database, "not measured", "", "", "", "", "", "", ""])
                continue
            # A 304 is a success only on the row that asks for one; elsewhere it counts as non-2xx.
            non_2xx = sum(n for status, n in r.statuses.items() if not 200 <= status < 300)
            cells.append([
                r.target, r.database, f"{r.rate:.0f}", f"{r.p50_ms:.1f}", f"{r.p99_ms:.1f}",
                str(non_2xx - r.statuses.get(304, 0) if 304 in row.ok else non_2xx),
                str(r.statuses.get(304, 0)), str(r.errors),
                f"{r.rate / hello:.3f}" if hello else "", f"{r.rate / bare:.2f}" if bare else "",
            ])
    return cells


def scale_rows(outcomes: list[Outcome]) -> list[list[str]]:
    """The scale table's cells: small and large side by side, with the ratios on the large row."""
    cells = []
    for outcome in outcomes:
        for s in outcome.scale:
            p50 = s.large.p50_ms / s.small.p50_ms if s.small.p50_ms else math.nan
            p99 = s.large.p99_ms / s.small.p99_ms if s.small.p99_ms else math.nan
            cells.append([s.database, s.target, f"{s.arguments[0]:,}", f"{s.small.p50_ms:.1f}",
                          f"{s.small.p99_ms:.1f}", "", "", ""])
            cells.append([s.database, s.target, f"{s.arguments[1]:,}", f"{s.large.p50_ms:.1f}",
                          f"{s.large.p99_ms:.1f}", f"{p50:.2f}", f"{p99:.2f}",
                          "yes" if max(p50, p99) <= SCALE_TARGET else "no"])
    return cells


def conditions_of(args: argparse.Namespace, info: dict[str, str]) -> str:
    """The machine and the benchmark's settings, in one line."""
    cpus, python, wrk_version = machine()
    parts = [
        cpus, f"load before {info.get('load', '?')}, after {load_average()}", python,
        *(info[k] for k in ("sqlite", "postgresql") if k in info), wrk_version,
        "CPU idle before the runs: "
        + ", ".join(f"{k.removeprefix('idle ')} {v}" for k, v in info.items() if k.startswith("idle ")),
        (f"wrk --threads {args.threads} --connections {args.connections}, "
         f"{args.duration // args.rounds * args.rounds}s per target in {args.rounds} alternating runs, "
         f"after {args.warmup}s of warm-up"),
        f"gunicorn --workers {WORKERS} (sync) for every app",
        f"{args.arguments} arguments per thread, {args.votes_per_argument} votes per argument",
        f"rate limits raised ({', '.join(f'{k}={v}' for k, v in RAISED_LIMITS.items())}) "
        f"and counted in {args.ratelimit_storage}",
    ]
    if args.large:
        seconds = args.large_duration // args.rounds * args.rounds
        parts.append(f"scale check: wrk with 1 connection (one request at a time), {seconds}s per page "
                     "and database")
    return "; ".join(parts)


def report(outcomes: list[Outcome], args: argparse.Namespace, info: dict[str, str]) -> str:
    """Print the tables, conditions and notes; return the Markdown version."""
    rows = table_rows(outcomes)
    conditions = conditions_of(args, info)
    print()
    print(plain_table(HEADERS, rows, 2))
    scales = scale_rows(outcomes)
    if scales:
        print()
        print(plain_table(SCALE_HEADERS, scales, 2))
    print()
    print(conditions)
    notes = []
    for outcome in outcomes:
        for row in outcome.rows:
            r = row.result
            if unexpected(row) or r.errors:
                notes.append(f"{r.database} {r.target}: statuses {statuses_text(r.statuses)}, "
                             f"socket errors {r.errors}; its rate is not a rate of successes")
            notes += [f"{r.database} {r.target}: {note}" for note in r.notes]
    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"- {note}")
    markdown = markdown_table(HEADERS, rows, 2)
    if scales:
        markdown += "\n\n" + markdown_table(SCALE_HEADERS, scales, 2)
    markdown += f"\n\nMeasured on {conditions}.\n"
    print("\nMarkdown:\n")
    print(markdown)
    return markdown


# -- main ----------------------------------------------------------------------------------------


def check_redis(uri: str) -> None:
    """Fail clearly when the rate limits' Redis does not answer."""
    if not uri.startswith(("redis://", "rediss://")):
        return
    import redis

    try:
        redis.Redis.from_url(uri, socket_timeout=5).ping()
    except redis.RedisError as error:
        raise BenchError(
            f"Redis at {uri} does not answer ({error}); start it, or count the rate limits in each "
            "worker with --ratelimit-storage memory://"
        ) from None


def forget_counts(uri: str, prefix: str) -> None:
    """Delete the rate-limit counts the served sites kept in Redis under `prefix`."""
    if not uri.startswith(("redis://", "rediss://")):
        return
    import redis

    try:
        client = redis.Redis.from_url(uri, socket_timeout=5)
        keys = list(client.scan_iter(match=f"*{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
    except redis.RedisError as error:
        print(f"warning: could not delete the rate-limit counts under {prefix}: {error}", file=sys.stderr)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per target (10)")
    parser.add_argument("--warmup", type=int, default=2,
                        help="seconds of discarded load per target first (2)")
    parser.add_argument("--rounds", type=int, default=2,
                        help="split --duration into this many alternating runs per target (2)")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections (8)")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads (2; at most --connections)")
    parser.add_argument("--timeout", type=int, default=10, help="wrk's per-request timeout, seconds (10)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql (both)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="a PostgreSQL database to connect to for creating and dropping the "
                             f"benchmark's databases (BENCH_POSTGRES_URL, else {DEFAULT_POSTGRES})")
    parser.add_argument("--arguments", type=int, default=200,
                        help="arguments in each thread of the article under test, replies included (200)")
    parser.add_argument("--votes-per-argument", type=int, default=5, help="(5)")
    parser.add_argument("--large", type=int, default=0, metavar="N",
                        help="also build a database of about N arguments (e.g. 1000000) and compare the "
                             "thread page's latency there with the small database's")
    parser.add_argument("--large-duration", type=int, default=30,
                        help="seconds measured per page and database in the scale check, one request at a "
                             "time (30, split into --rounds)")
    parser.add_argument("--tokens", type=int, default=8,
                        help="bearer tokens for votes and posts, given in turn to the seed members (8)")
    parser.add_argument("--ratelimit-storage", default="redis://127.0.0.1:6379/0",
                        help="where the served site counts rate limits (redis://127.0.0.1:6379/0, under a "
                             "key prefix of its own; memory:// counts in each worker)")
    parser.add_argument("--forum-config", default="{}",
                        help="JSON of more settings for the site's create_app, e.g. "
                             "'{\"FORUM_RATELIMIT_ENABLED\": false}'")
    parser.add_argument("--seed", type=int, default=1, help="seed of wrk's random choices")
    parser.add_argument("--markdown", type=Path, help="also write the Markdown table to this file")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (logs, SQLite files)")
    args = parser.parse_args(argv)
    args.databases = [d.strip() for d in args.databases.split(",") if d.strip()]
    unknown = set(args.databases) - {"sqlite", "postgresql"}
    if unknown or not args.databases:
        shown = ", ".join(sorted(unknown)) or "nothing"
        parser.error(f"--databases takes sqlite and/or postgresql, not {shown}")
    if (args.connections < 1 or args.tokens < 2 or args.rounds < 1 or args.duration < args.rounds
            or args.large_duration < args.rounds):
        parser.error("--connections and --rounds must be at least 1, --tokens at least 2, "
                     "and --duration at least --rounds (wrk takes whole seconds)")
    if args.arguments < 1 or args.votes_per_argument < 0 or args.large < 0:
        parser.error("--arguments must be at least 1; --votes-per-argument and --large cannot be negative")
    args.threads = max(1, min(args.threads, args.connections))
    try:
        args.forum_config = json.loads(args.forum_config)
    except ValueError as error:
        parser.error(f"--forum-config is not JSON: {error}")
    return args


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark on each database and report; 0 on success."""
    args = parse_args(argv)
    # A TERM (or a time limit) unwinds like Ctrl-C, so that servers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = {"load": load_average()}
    outcomes: list[Outcome] = []
    status = 0
    try:
        require_wrk()
        check_redis(args.ratelimit_storage)
        for kind in args.databases:
            outcomes.append(bench_database(kind, args, info))
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    if outcomes:
        markdown = report(outcomes, args, info)
        if args.markdown:
            args.markdown.write_text(markdown)
    return status


if __name__ == "__main__":
    sys.exit(main())
