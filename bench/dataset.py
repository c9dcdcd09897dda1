"""The data the page benchmarks load, and the member who reads it signed in.

`build()` makes a fresh database's schema, the demo article seeded with `--arguments` arguments in each thread
(the thread under test is its first paragraph), a small article whose one thread holds 3 arguments, a second copy
of the demo article that takes the votes and posts, an account and bearer tokens; with `total`, filler articles up
to that many arguments. bench/run.py and bench/profile.py both load it.
"""

from __future__ import annotations

import argparse
import html.parser
import http.cookiejar
import json
import math
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa
from argon2 import PasswordHasher
from flask import Flask
from harness import BenchError, engine_for, flask_forum, long_article

from forum import Forum
from forum.db import get_session
from forum.models import Argument, Article, Block, Member
from forum.services import accounts

DEMO_ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
MEMBER = "benchreader"
MEMBER_PASSWORD = "a long benchmark password"
# The member's browser, as the site sees it at sign-in and on every later request: Flask-Login ties a session
# to the address and User-Agent it began with, and marks it not fresh (a changed cookie) when they differ.
MEMBER_AGENT = "forum-bench/1"
SMALL_THREAD_ARGUMENTS = 3
WRITE_ARGUMENTS_PER_THREAD = 20
FILLER_PARAGRAPHS = 250  # per filler article: a seeding of 250 threads x 200 arguments fits in memory
SMALL_ARTICLE = """A Short Note on Bus Lanes

The bus lane on Mill Road saved riders four minutes a trip in its first month, the operator says.[1]

References

[1] Operator's monthly report. https://example.org/reports/bus-lane
"""


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
    main_threads: list[int] = field(default_factory=list)  # every thread of the article under test


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
            main_threads = threads(main)
            thread = main_threads[0]
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
        main_threads=main_threads,
    )


class OneHash(PasswordHasher):
    """The forum's password hasher, hashing the members' one password once for all of them.

    Every account then stores a real hash of it (Argon2id with the same parameters), and signing in verifies it
    as usual; only the thousand hashings on sign-up, minutes of CPU that measure nothing here, are spared.
    """

    def __init__(self, hasher: PasswordHasher) -> None:
        super().__init__(hasher.time_cost, hasher.memory_cost, hasher.parallelism, hasher.hash_len,
                         hasher.salt_len, type=hasher.type)
        self.once: dict[str, str] = {}

    def hash(self, password: str | bytes, *, salt: bytes | None = None) -> str:
        """The password's hash, made on its first call."""
        key = password if isinstance(password, str) else password.decode()
        if key not in self.once:
            self.once[key] = super().hash(password, salt=salt)
        return self.once[key]


def make_members(url: str, names: list[str]) -> None:
    """Create the members' accounts through the forum's own service."""
    app = Flask(__name__)
    app.config.update(FORUM_DATABASE_URL=url, SECRET_KEY="benchmark")
    Forum(app)
    hasher, accounts.hasher = accounts.hasher, OneHash(accounts.hasher)
    try:
        with app.app_context():
            session = get_session()
            for name in names:
                accounts.register(session, name, MEMBER_PASSWORD)
            session.commit()
    finally:
        accounts.hasher = hasher
        app.extensions["forum"].dispose()


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


def sign_in(base: str, username: str = MEMBER, password: str = MEMBER_PASSWORD) -> str:
    """Sign a member (the benchmark's own by default) in through the /login form; return the Cookie header it
    earned."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.addheaders = [("User-Agent", MEMBER_AGENT)]
    with opener.open(base + "/login", timeout=30) as response:
        parser = CsrfField()
        parser.feed(response.read().decode())
    if not parser.token:
        raise BenchError("The /login page has no csrf_token field.")
    form = urllib.parse.urlencode(
        {"username": username, "password": password, "csrf_token": parser.token, "next": ""}
    ).encode()
    try:
        with opener.open(base + "/login", data=form, timeout=30) as response:
            page = response.read().decode()
    except urllib.error.HTTPError as error:
        raise BenchError(f"Signing in through /login answered {error.code}.") from None
    if username not in page:
        raise BenchError(f"Signing in through /login did not sign {username} in.")
    cookie = "; ".join(f"{c.name}={c.value}" for c in jar)
    # The Cookie header alone, as wrk will send it, must carry the session.
    status, _, page = fetch(base, "/", {"Cookie": cookie, "User-Agent": MEMBER_AGENT})
    if status != 200 or username not in page:
        raise BenchError(f"The session cookie from /login does not sign {username} in ({status}).")
    return cookie


def csrf_for(base: str, path: str, cookie: str) -> str:
    """The CSRF token that the signed-in member's copy of the page at `path` carries in its forms."""
    status, _, page = fetch(base, path, {"Cookie": cookie, "User-Agent": MEMBER_AGENT})
    parser = CsrfField()
    parser.feed(page)
    if status != 200 or not parser.token:
        raise BenchError(f"The member's copy of {path} carries no CSRF token ({status}).")
    return parser.token


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
