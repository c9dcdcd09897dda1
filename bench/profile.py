"""Where a page's time goes: the thread and article pages under pyinstrument, through Flask's test client.

    .venv/bin/python bench/profile.py [--requests 50] [--database sqlite|postgresql] [--out DIR]

It builds the same data set as bench/run.py (a fresh database: the demo article with `--arguments`
arguments in each thread, replies, sources and votes), then, in this process, requests each page
once to warm up and `--requests` times under pyinstrument: the thread page anonymously and as a
signed-in member (signed in through the /login form), and the article page. For each it prints the
mean time per request, the top of the call tree and the functions that spend the most time
themselves; `--out DIR` also writes each profile as text and as pyinstrument's HTML.
No server, no network: this is the forum's own Python and database work, one request at a time.
"""

from __future__ import annotations

import argparse
import os
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

from dataset import MEMBER, MEMBER_PASSWORD, CsrfField, build
from harness import DEFAULT_POSTGRES, BenchError, forum_env, fresh_database

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


def profile(name: str, get: Callable[[], int], requests: int, args: argparse.Namespace) -> None:
    """Warm a page up, profile `requests` requests of it, and print (and maybe write) the results."""
    status = get()
    if status != 200:
        raise BenchError(f"{name} answered {status}.")
    profiler = Profiler(interval=args.interval)
    started = time.perf_counter()
    profiler.start()
    for _ in range(requests):
        get()
    profiler.stop()
    mean_ms = (time.perf_counter() - started) * 1000 / requests
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

            app = create_app()
            anonymous = app.test_client()
            member = app.test_client()
            sign_in(member)
            thread = f"/blocks/{data.thread}"
            pages = [
                (f"thread page ({args.arguments} arguments), anonymous", anonymous, thread),
                (f"thread page ({args.arguments} arguments), member", member, thread),
                ("article page", anonymous, data.article_path),
            ]
            for name, client, path in pages:
                profile(name, lambda c=client, p=path: c.get(p).status_code, args.requests, args)
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
