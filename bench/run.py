"""The forum's pages and API through gunicorn (2 workers), beside two bare Flask apps on the same database.

    .venv/bin/python bench/run.py [--duration 10] [--arguments 200] [--databases sqlite,postgresql]
    .venv/bin/python bench/run.py --large 1000000      # adds the scale check

For each database kind it builds a fresh database (a SQLite file in a temporary folder; a new
PostgreSQL database, dropped at the end) with `flask forum` commands: the schema, the demo article
seeded with `--arguments` arguments in each thread (the thread under test is its first paragraph), a
small article whose one thread holds 3 arguments, and a second copy of the demo article that takes
the votes and posts, so that the pages measured do not change under them. It serves the site, a
hello-world Flask app, a Flask app rendering 200 rows from one query (bench/bare_pages.py) and a
Flask app whose vote and post are one statement and a commit each (bench/bare_writes.py), each with
`gunicorn --workers 2`, and drives every target with wrk in alternating rounds. It prints one table
with each target's ratio to the hello-world app and to the bare 200-row page, and each write's to its
bare twin, then the same table in Markdown.

With `--large N` it also builds a database holding N arguments (the same data set plus filler
articles) and compares the thread page's latency there with the small database's, one request at a
time, in alternating rounds. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import bare_writes
from dataset import BENCH, MEMBER_AGENT, ROOT, DataSet, build, csrf_for, sign_in, vote_as_member
from harness import (
    DEFAULT_POSTGRES,
    BenchError,
    Result,
    cpu_idle,
    forum_env,
    fresh_database,
    gunicorn,
    load_average,
    log_problems,
    machine,
    measure,
    require_wrk,
    server_version,
    statuses_text,
    tail,
)
from report import Outcome, Row, Scale, report, unexpected
from wrk_scripts import Target, static_lua, targets_for, write_script

WORKERS = 2
# Votes and posts hammer a handful of members: the per-member limits would turn most of that into
# 429s. Raised rather than switched off, so the limiter's check stays in the measured path.
RAISED_LIMITS = {
    "FORUM_RATELIMIT_VOTE": "1000000 per hour",
    "FORUM_RATELIMIT_POST": "1000000 per hour",
    "FORUM_RATELIMIT_POST_NEW_MEMBER": "1000000 per day",
}


# -- load ----------------------------------------------------------------------------------------


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


def chosen(targets: list[Target], wanted: list[str]) -> list[Target]:
    """The targets whose names hold one of `wanted` (all without it), the two yardsticks always."""
    if not wanted:
        return targets
    return [t for t in targets if t.server in ("hello", "rows") or any(w in t.name for w in wanted)]


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
            logs = {name: workdir / f"{name}-gunicorn.log" for name in ("forum", "hello", "rows", "bare", "large")}
            bare_writes.create_tables(url)
            rows_env = {**env, "BARE_DATABASE_URL": url, "BARE_BLOCK_ID": str(data.thread)}
            # Every server up at once (an idle sync worker costs nothing), so that runs can alternate.
            bases = {
                "forum": stack.enter_context(gunicorn(
                    forum_spec(args, prefix), env, ROOT, logs["forum"], "/api/v1/articles", WORKERS)),
                "hello": stack.enter_context(gunicorn(
                    "bare_pages:hello", env, BENCH, logs["hello"], "/", WORKERS)),
                "rows": stack.enter_context(gunicorn(
                    "bare_pages:rows", rows_env, BENCH, logs["rows"], "/health", WORKERS)),
                "bare": stack.enter_context(gunicorn(
                    "bare_writes:app", {**env, "BARE_DATABASE_URL": url}, BENCH, logs["bare"], "/health", WORKERS)),
            }
            if large:
                bases["large"] = stack.enter_context(gunicorn(
                    forum_spec(args, prefix + "-large"), large_env, ROOT, logs["large"], "/api/v1/articles",
                    WORKERS))
            cookie = sign_in(bases["forum"])
            vote_as_member(bases["forum"], data)
            csrf = csrf_for(bases["forum"], f"/blocks/{data.write_threads[0]}", cookie)
            targets = chosen(targets_for(data, cookie, csrf, bases["forum"], args), args.targets)
            check_first(targets, bases, workdir)
            idle = cpu_idle()
            info[f"idle {kind}"] = f"{idle:.0%}"
            if idle < 0.8:
                print(f"[{kind}] warning: the machine is busy before the runs (CPU {idle:.0%} idle); "
                      "expect noisy numbers", flush=True)
            results = {t.name: Result(kind, t.name) for t in targets}
            run_rounds(kind, targets, bases, results, workdir, args, load_of(args))
            for target in targets:
                outcome.rows.append(Row(results[target.name], target.ok, target.yardstick))
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
    parser.add_argument("--targets", default="",
                        help="measure only the rows whose names hold one of these comma-separated words, beside "
                             "the two yardsticks (e.g. 'anonymous'; all rows without it)")
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
    args.targets = [word.strip() for word in args.targets.split(",") if word.strip()]
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
        markdown = report(outcomes, conditions_of(args, info))
        if args.markdown:
            args.markdown.write_text(markdown)
    return status


if __name__ == "__main__":
    sys.exit(main())
