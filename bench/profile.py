"""Where a page's or a write's time goes: each under pyinstrument, through Flask's test client.

    .venv/bin/python bench/profile.py [--requests 50] [--database sqlite|postgresql] [--out DIR] [--no-page-cache]
    .venv/bin/python bench/profile.py --only writes --ratelimit-storage redis://127.0.0.1:6379/0

It builds the same data set as bench/run.py (a fresh database: the demo article with `--arguments`
arguments in each thread, replies, sources and votes), then, in this process, sends each request
once to warm up and `--requests` times under pyinstrument: the thread page anonymously and as a
signed-in member (signed in through the /login form), the same two each read just after a vote by
another member on an argument of the thread (the vote itself not profiled), and the article page; then the
writes bench/run.py measures: a vote through the API (a bearer token), a vote through the thread page's htmx
form (the member's session and CSRF token) and a new argument with one source through the API. For each it
prints the mean time per request, the top of the call tree and the functions that spend the most time
themselves; `--out DIR` also writes each profile as text and as pyinstrument's HTML.
`--no-page-cache` serves with `FORUM_CACHE_URL=none://`, so that every read renders its page (the
snapshots and kept arguments stay on): a cold render.
No server, no network: this is the forum's own Python and database work, one request at a time.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from dataset import MEMBER, MEMBER_PASSWORD, CsrfField, DataSet, build
from harness import DEFAULT_POSTGRES, BenchError, forum_env, fresh_database
from run import RAISED_LIMITS

from forum.workers import freeze_start_up_objects

try:
    from pyinstrument import Profiler
except ImportError:  # a clear word rather than a traceback
    Profiler = None


def sign_in(client) -> None:
    """Sign the benchmark's member in through the /login form, CSRF token included."""
    parser = CsrfField()
    parser.feed(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={
        "username": MEMBER, "password": MEMBER_PASSWORD, "csrf_token": parser.token or "", "next": "",
    })
    if response.status_code != 302 or MEMBER not in client.get("/").get_data(as_text=True):
        raise BenchError(f"Signing in through /login failed ({response.status_code}).")


def csrf_of(client, path: str) -> str:
    """The CSRF token a signed-in member's page carries in its `csrf-token` meta tag or its forms."""
    parser = CsrfField()
    parser.feed(client.get(path).get_data(as_text=True))
    if not parser.token:
        raise BenchError(f"{path} carries no CSRF token.")
    return parser.token


def writes(data: DataSet, member, token_client, args: argparse.Namespace) -> list[tuple[str, Callable[[], int]]]:
    """The writes bench/run.py measures, each a function sending one more of them: random votes, unique posts."""
    chooser = random.Random(args.seed)
    values = itertools.cycle([1, -1, 0])
    csrf = csrf_of(member, f"/blocks/{data.write_threads[0]}")
    posted = itertools.count()

    def api_vote() -> int:
        voter, secret = chooser.choice(data.seed_tokens)
        argument = chooser.choice([a for a, author in data.write_arguments if author != voter])
        return token_client.put(f"/api/v1/arguments/{argument}/vote", json={"value": next(values)},
                                headers={"Authorization": f"Bearer {secret}"}).status_code

    def form_vote() -> int:
        argument, _ = chooser.choice(data.write_arguments)
        return member.post(f"/arguments/{argument}/vote", data={"value": str(next(values)), "csrf_token": csrf},
                           headers={"HX-Request": "true"}).status_code

    def api_post() -> int:
        _, secret = chooser.choice(data.seed_tokens)
        n = next(posted)
        body = {"stance": chooser.choice(["counter", "support", "question"]),
                "body": f"Profiled post {n}: the *figures* for this paragraph deserve a second look.",
                "sources": [{"url": f"https://example.org/profile/{n}", "title": "Profile source"}]}
        return token_client.post(f"/api/v1/blocks/{chooser.choice(data.write_threads)}/arguments", json=body,
                                 headers={"Authorization": f"Bearer {secret}"}).status_code

    return [("API vote", api_vote), ("thread page vote (htmx form)", form_vote),
            ("API post argument", api_post)]


def voter(client, data: DataSet) -> Callable[[], None]:
    """A vote by a seed member on the next argument of the thread under test, turn by turn up and down: each
    moves the thread's page version, as votes arriving while people read do."""
    secret = data.seed_tokens[0][1]
    turns = itertools.count()

    def vote() -> None:
        for _ in data.thread_arguments:  # past the member's own arguments, on which they may not vote
            turn = next(turns)
            argument = data.thread_arguments[turn % len(data.thread_arguments)]
            answer = client.put(f"/api/v1/arguments/{argument}/vote", json={"value": 1 if turn % 2 else -1},
                                headers={"Authorization": f"Bearer {secret}"})
            if answer.status_code == 200:
                return
        raise BenchError("No argument of the thread took the seed member's vote.")

    return vote


class GcTimes:
    """The garbage collector's passes while it is entered, counted and timed by generation."""

    def __init__(self) -> None:
        self.seconds = [0.0, 0.0, 0.0]
        self.counts = [0, 0, 0]
        self.started = 0.0

    def callback(self, phase: str, info: dict[str, int]) -> None:
        """Note a pass's start, or its end and time."""
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.seconds[info["generation"]] += time.perf_counter() - self.started
            self.counts[info["generation"]] += 1

    def __enter__(self) -> None:
        gc.callbacks.append(self.callback)

    def __exit__(self, *_: object) -> None:
        gc.callbacks.remove(self.callback)

    def summary(self, requests: int) -> str:
        """Passes and milliseconds per request, by generation."""
        return ", ".join(
            f"gen{n} {self.counts[n] / requests:.2f} passes {self.seconds[n] * 1000 / requests:.2f} ms"
            for n in range(3)
        ) + " per request"


def profile(name: str, get: Callable[[], int], requests: int, args: argparse.Namespace,
            before: Callable[[], None] | None = None) -> None:
    """Warm a page up, profile `requests` requests of it (each after `before`, which is not profiled), and
    print (and maybe write) the results."""
    status = get()
    if not 200 <= status < 300:
        raise BenchError(f"{name} answered {status}.")
    profiler = Profiler(interval=args.interval)
    spent = 0.0
    collections = GcTimes()
    for _ in range(requests):
        if before is not None:
            before()
        started = time.perf_counter()
        profiler.start()
        with collections:
            get()
        profiler.stop()
        spent += time.perf_counter() - started
    mean_ms = spent * 1000 / requests
    print(f"  garbage collection: {collections.summary(requests)}; {len(gc.get_objects())} objects tracked", flush=True)
    options = {"filter_threshold": args.threshold}  # hide frames under this share of the total
    tree = profiler.output_text(unicode=True, time="percent_of_total", processor_options=options)
    flat = profiler.output_text(unicode=True, flat=True, time="percent_of_total", processor_options=options)
    # The banner is printed once, above the tree: keep what follows its "Profile at" line.
    lines = flat.splitlines()
    start = next((n + 1 for n, line in enumerate(lines) if line.startswith("Profile at")), 0)
    flat = "\n".join(line for line in lines[start:] if line.strip())
    print(f"\n=== {name}: {requests} requests, {mean_ms:.1f} ms each (with the profiler's overhead) ===\n")
    print("\n".join(tree.splitlines()[: args.lines]))
    print(f"\n--- {name}: where the time is spent, by function (self time) ---\n")
    print("\n".join(flat.splitlines()[: args.flat_lines]))
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        stem = name.replace(" ", "-").replace(",", "").replace("(", "").replace(")", "")
        (args.out / f"{stem}.txt").write_text(tree)
        (args.out / f"{stem}.html").write_text(profiler.output_html())


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=50, help="profiled requests per page (50)")
    parser.add_argument("--database", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="where to create and drop the database "
                             f"(BENCH_POSTGRES_URL, else {DEFAULT_POSTGRES})")
    parser.add_argument("--arguments", type=int, default=200, help="arguments in each thread (200)")
    parser.add_argument("--votes-per-argument", type=int, default=5, help="(5)")
    parser.add_argument("--lines", type=int, default=60, help="lines of each call tree printed (60)")
    parser.add_argument("--flat-lines", type=int, default=25, help="lines of each by-function list (25)")
    parser.add_argument("--threshold", type=float, default=0.01,
                        help="leave out frames under this share of the total time (0.01)")
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval, seconds (0.0005)")
    parser.add_argument("--out", type=Path, help="also write each profile here, as .txt and .html")
    parser.add_argument("--no-page-cache", action="store_true",
                        help="serve with FORUM_CACHE_URL=none://: every read renders its page")
    parser.add_argument("--only", choices=["pages", "writes"], help="profile the pages alone, or the writes alone")
    parser.add_argument("--ratelimit-storage", default="memory://",
                        help="where the writes' rate limits are counted (memory://; bench/run.py counts them "
                             "in redis://127.0.0.1:6379/0)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the writes' random choices")
    args = parser.parse_args(argv)
    if args.requests < 1 or args.arguments < 1:
        parser.error("--requests and --arguments must be at least 1")
    args.tokens = 2  # build() makes bearer tokens for the load benchmark; two are enough here
    return args


def main(argv: list[str] | None = None) -> int:
    """Build the data, then profile each page; 0 on success."""
    args = parse_args(argv)
    if Profiler is None:
        print("pyinstrument is not installed: .venv/bin/python -m pip install -r requirements.txt",
              file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="forum-profile-"))
    try:
        with ExitStack() as stack:
            url = stack.enter_context(fresh_database(args.database, workdir, args.postgres_url))
            env = forum_env(url, workdir)
            print(f"building a {args.database} database, {args.arguments} arguments per thread", flush=True)
            data = build(args.database, env, url, workdir, args)
            os.environ.update({k: env[k] for k in ("DATABASE_URL", "SECRET_KEY", "FORUM_INSTANCE_PATH")})
            from wsgi import create_app

            # The limits raised as bench/run.py raises them: checked and counted, never refusing.
            config = {**RAISED_LIMITS, "FORUM_RATELIMIT_STORAGE_URI": args.ratelimit_storage,
                      "FORUM_RATELIMIT_KEY_PREFIX": f"forum-profile-{os.getpid()}"}
            if args.no_page_cache:
                config["FORUM_CACHE_URL"] = "none://"
            app = create_app(config)
            freeze_start_up_objects()  # as each gunicorn worker does once the app is loaded
            anonymous = app.test_client()
            member = app.test_client()
            sign_in(member)
            thread = f"/blocks/{data.thread}"
            vote = voter(anonymous, data)
            pages = [
                (f"thread page ({args.arguments} arguments), anonymous", anonymous, thread, None),
                (f"thread page ({args.arguments} arguments), member", member, thread, None),
                (f"thread page ({args.arguments} arguments), anonymous, after a vote", anonymous, thread, vote),
                (f"thread page ({args.arguments} arguments), member, after a vote", member, thread, vote),
                ("article page", anonymous, data.article_path, None),
            ]
            chosen = [(name, lambda c=client, p=path: c.get(p).status_code, before)
                      for name, client, path, before in pages]
            if args.only == "writes":
                chosen = []
            if args.only != "pages":
                chosen += [(name, send, None) for name, send in writes(data, member, app.test_client(), args)]
            for name, send, before in chosen:
                profile(name, send, args.requests, args, before)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
