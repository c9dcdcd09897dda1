"""Votes per second through gunicorn (4 workers), beside a bare Flask upsert on the same database.

    .venv/bin/python bench/votes.py [--duration 10] [--connections 8] [--databases sqlite,postgresql]

For each database kind it builds a fresh database (a SQLite file in a temporary folder; a new
PostgreSQL database, dropped at the end), runs `flask forum db upgrade`, imports the demo article,
seeds a discussion, creates bearer tokens for the seed members, serves the site with
`gunicorn --workers 4` on 127.0.0.1 and drives `PUT /api/v1/arguments/<id>/vote` with wrk: random
arguments, random values (1, -1, 0), rotating tokens, never a member's own argument. Beside it, it
serves bench/bare_writes.py (one upsert and one commit, no forum code) on the same database the same
way and drives it with the same wrk settings, the runs of the two alternating. It prints one table
with the ratio forum/bare per database, then the same table in Markdown. See bench/README.md.
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
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

import bare_writes
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
    machine,
    markdown_table,
    measure,
    plain_table,
    require_wrk,
    server_version,
    statuses_text,
    tail,
    wrk,
)

from forum.models import Argument, Member, Vote

DEMO_ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
WORKERS = 4
# A handful of members vote hundreds of times a second here: the per-member vote limit would turn most
# of that into 429s. Raised rather than switched off, so the limiter's check stays in the measured path.
FORUM_CONFIG = {"FORUM_RATELIMIT_VOTE": "1000000 per hour"}


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
"""


def write_lua(path: Path, workload: Workload, seed: int) -> None:
    """The vote script for wrk, with the workload's arguments and tokens written in."""
    arguments = ", ".join(f"{{{a}, {b}}}" for a, b in workload.arguments)
    tokens = ", ".join(f'{{{member}, "{secret}"}}' for member, secret in workload.tokens)
    path.write_text(LUA % {"arguments": arguments, "tokens": tokens, "seed": seed} + COUNT_STATUSES)


def load(args: argparse.Namespace) -> dict[str, int]:
    """wrk's settings from the command line."""
    return {"threads": args.threads, "connections": args.connections, "timeout": args.timeout}


def bench_database(kind: str, args: argparse.Namespace, info: dict[str, str]) -> list[Result]:
    """Build the database, serve both apps, run the alternating rounds; return the two results."""
    workdir = Path(tempfile.mkdtemp(prefix=f"forum-bench-{kind}-"))
    try:
        with fresh_database(kind, workdir, args.postgres_url) as url:
            info[kind] = server_version(kind, url)
            env = forum_env(url, workdir)
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

            bare_writes.create_tables(url)
            forum_log = workdir / "forum-gunicorn.log"
            bare_log = workdir / "bare-gunicorn.log"
            spec = f"wsgi:create_app({args.forum_config!r})" if args.forum_config else "wsgi:app"
            forum = Result(kind, "forum vote")
            bare = Result(kind, "bare upsert")
            # Both servers up at once (an idle sync worker costs nothing), so that their runs can
            # alternate: forum, bare, bare, forum... spreads drift in the machine's load over both.
            with gunicorn(spec, env, ROOT, forum_log, "/api/v1/articles", WORKERS) as forum_base, \
                    gunicorn("bare_writes:app", {**env, "BARE_DATABASE_URL": url}, BENCH, bare_log,
                             "/health", WORKERS) as bare_base:
                targets = {"forum vote": (forum, forum_base), "bare upsert": (bare, bare_base)}
                if args.warmup > 0:
                    for name, (_, base) in targets.items():
                        print(f"[{kind}] warming up {name} ({base}) for {args.warmup:g}s", flush=True)
                        wrk(base, lua, args.warmup, **load(args))
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
                        piece = measure(base, lua, seconds, **load(args))
                        result.slices.append(piece)
                        shown = statuses_text(piece.statuses)
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
    """The table's rows, with forum/bare on the forum's rows."""
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


def conditions_of(args: argparse.Namespace, info: dict[str, str]) -> str:
    """The machine and the benchmark's settings, in one line."""
    cpus, python, wrk_version = machine()
    parts = [
        cpus, f"load before {info.get('load', '?')}, after {load_average()}",
        python, *(info[k] for k in ("sqlite", "postgresql") if k in info), wrk_version,
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
    """The command line, checked."""
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
    """Run the benchmark on each database and report; 0 on success."""
    args = parse_args(argv)
    try:
        require_wrk()
    except BenchError as error:
        print(error, file=sys.stderr)
        return 2
    # A TERM (or a time limit) unwinds like Ctrl-C, so that servers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = {"load": load_average()}
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
    """The table, the conditions, the notes and the Markdown table."""
    rows = rows_of(results)
    conditions = conditions_of(args, info)
    print()
    print(plain_table(HEADERS, rows, 2))
    print()
    print(conditions)
    notes = [f"{r.database} {r.target}: {note}" for r in results for note in r.notes]
    for r in results:
        if r.non_2xx:
            notes.insert(0, f"{r.database} {r.target}: statuses {statuses_text(r.statuses)}")
    if notes:
        print("\nNotes:")
        for note in notes:
            print(f"- {note}")
    print("\nMarkdown:\n")
    print(markdown_table(HEADERS, rows, 2))
    print()
    print(f"Measured on {conditions}.")


if __name__ == "__main__":
    sys.exit(main())
