"""Long random fuzzing, for a nightly job or a developer: schemathesis against the served site, then Hypothesis.

    .venv/bin/python bench/fuzz.py [--minutes 10] [--database sqlite|postgresql|both] [--seed N] [--seeds K]
                                   [--personas member,admin] [--schemathesis-only]

For each database it makes a fresh one (a SQLite file in a temporary folder; a new PostgreSQL database,
dropped at the end), builds it with the forum's own commands (`db upgrade`, `import` of the demo article,
`seed-discussion`, `create-user` for a member, a moderator and an admin, `create-token` for the member and
the admin), serves the site with `gunicorn --workers 2` on 127.0.0.1 (reading the repository's
gunicorn.conf.py, as the standalone site is served), and spends its share of `--minutes`:

1. two thirds (all of it with `--schemathesis-only`) on schemathesis's CLI against `/api/v1/openapi.json`,
   every phase (examples, coverage, fuzzing, stateful), with each persona's bearer token (the member's and the
   admin's) and each of `--seeds` seeds (seed, seed + 1, ...) in turn, with the checks not_a_server_error,
   status_code_conformance, content_type_conformance and response_schema_conformance;
2. one third on the Hypothesis fuzz tests (tests/test_input_fuzz.py, tests/test_api_fuzz.py and the search's
   query fuzz in tests/test_search_pages.py) under the `nightly` profile: random, as many cases per test as
   FORUM_FUZZ_EXAMPLES says (1,000 unless set), on that kind of database.

It prints a summary (operations, cases, failures by kind), the seeds, how to replay each run, and where the
reports and the server's log are; the exit status is 1 when anything failed. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))

from harness import BenchError, flask_forum, forum_env, fresh_database, gunicorn, log_problems, tail

DEMO_ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
POSTGRES_URL = "postgresql://postgres@127.0.0.1:5432/test"
WORKERS = 2
PASSWORD = "a long fuzzing password"
PERSONAS = {"member": "member", "moderator": "moderator", "admin": "admin"}
TOKEN_HOLDERS = ("member", "admin")
CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance"
# Revoking its own token would lock the fuzzer out of every other operation for the rest of the run.
REVOKE = "delete_tokens_current"
FUZZ_TESTS = ["tests/test_input_fuzz.py", "tests/test_api_fuzz.py",
              "tests/test_search_pages.py::test_any_query_answers_200_or_422"]
# The per-member write limits would turn most of the fuzzer's writes into 429s and leave the code behind
# them unreached; they are raised, not switched off, so that the limiter's checks stay in every request.
# Sign-in limits stay as they are: a 429 on POST /tokens is an answer to check too.
FORUM_CONFIG = {
    "FORUM_RATELIMIT_POST": "1000000 per hour",
    "FORUM_RATELIMIT_POST_NEW_MEMBER": "1000000 per day",
    "FORUM_RATELIMIT_EDIT": "1000000 per hour",
    "FORUM_RATELIMIT_VOTE": "1000000 per hour",
    "FORUM_RATELIMIT_FLAG": "1000000 per day",
}


@dataclass
class StRun:
    """One schemathesis run: whose token, what it did, what it found."""

    persona: str
    seed: int
    command: list[str]
    seconds: float
    report: dict
    log: Path

    @property
    def failures(self) -> Counter:
        """Failing cases by kind ("Server error", "Undocumented status code", ...)."""
        kinds: Counter = Counter()
        for group in self.report.get("failures", []):
            kinds[group["title"]] += group["count"]
        return kinds

    @property
    def errors(self) -> Counter:
        """Schemathesis failing in itself, by kind: no answer of the site, but a part of the run that did not run."""
        kinds: Counter = Counter()
        for error in self.report.get("errors", []):
            kinds[error["title"]] += error["count"]
        return kinds


@dataclass
class HypothesisRun:
    """One pytest run of the fuzz tests under the nightly profile."""

    seed: int
    examples: int
    command: list[str]
    seconds: float
    requests: int
    failed_tests: list[str]
    log: Path


@dataclass
class Outcome:
    """What the runs on one database did and found."""

    database: str
    st_runs: list[StRun] = field(default_factory=list)
    hypothesis_runs: list[HypothesisRun] = field(default_factory=list)
    server_problems: list[str] = field(default_factory=list)
    server_log: Path | None = None

    @property
    def failed(self) -> bool:
        """Whether anything failed."""
        return (any(run.failures for run in self.st_runs) or any(r.failed_tests for r in self.hypothesis_runs)
                or bool(self.server_problems))


# -- the site ------------------------------------------------------------------------------------


def prepare(env: dict[str, str]) -> dict[str, str]:
    """Schema, the demo article with a small discussion, one account per role; bearer tokens by persona."""
    flask_forum(env, "db", "upgrade")
    article = json.loads(flask_forum(env, "import", str(DEMO_ARTICLE), "--json"))
    flask_forum(env, "seed-discussion", str(article["id"]), "--arguments-per-thread", "4",
                "--votes-per-argument", "2")
    for name, role in PERSONAS.items():
        flask_forum(env, "create-user", f"fuzz-{name}", "--role", role, stdin=PASSWORD + "\n")
    return {name: flask_forum(env, "create-token", f"fuzz-{name}", "--label", "fuzz").strip()
            for name in TOKEN_HOLDERS}


def schemathesis_run(base: str, token: str, persona: str, seconds: int, seed: int, reports: Path) -> StRun:
    """Run schemathesis's CLI against the served site with `persona`'s token for about `seconds`."""
    name = f"st-{persona}-{seed}"
    report = reports / f"{name}.json"
    command = [
        str(Path(sys.executable).with_name("st")), "run", f"{base}/api/v1/openapi.json",
        "--checks", CHECKS, "--phases", "examples,coverage,fuzzing,stateful",
        "--max-time", str(seconds), "--seed", str(seed), "--workers", "2",
        "--header", f"Authorization: Bearer {token}",
        "--exclude-operation-id", REVOKE, "--request-timeout", "30",
        "--report", "json,pytest", "--report-dir", str(reports),
        "--report-json-path", str(report), "--report-pytest-path", str(reports / f"{name}-failures.py"),
        "--no-color",
    ]
    log = reports / f"{name}.log"
    started = time.monotonic()
    with log.open("w") as out:  # run from the reports' folder, where schemathesis keeps its own files
        subprocess.run(command, cwd=reports, stdout=out, stderr=subprocess.STDOUT, timeout=seconds + 600,
                       check=False)
    if not report.exists():
        raise BenchError(f"schemathesis wrote no report:\n{tail(log)}")
    return StRun(persona, seed, command, time.monotonic() - started, json.loads(report.read_text()), log)


# -- the Hypothesis tests ------------------------------------------------------------------------


def hypothesis_rounds(kind: str, seconds: float, seed: int, postgres_url: str, reports: Path) -> list[HypothesisRun]:
    """Run the fuzz tests under the nightly profile, in rounds of new seeds, until `seconds` are spent.

    The first round is short, to learn how long a case takes; the next ones are sized to fill the time left.
    """
    runs: list[HypothesisRun] = []
    deadline = time.monotonic() + seconds
    examples = 50
    while True:
        run = hypothesis_round(kind, examples, seed + len(runs), postgres_url, reports)
        runs.append(run)
        left = deadline - time.monotonic()
        per_example = run.seconds / run.examples
        if run.failed_tests or left < 2 * per_example * 50:
            return runs
        examples = max(50, int(left / per_example * 0.9))


def hypothesis_round(kind: str, examples: int, seed: int, postgres_url: str, reports: Path) -> HypothesisRun:
    """One pytest run of the fuzz tests on `kind`, `examples` cases per property, from `seed`."""
    log, counted = reports / f"hypothesis-{seed}.log", reports / f"hypothesis-{seed}.requests"
    command = [
        sys.executable, "-m", "pytest", *FUZZ_TESTS, "-q", "-p", "no:cacheprovider", "-k", kind,
        "--hypothesis-profile", "nightly", f"--hypothesis-seed={seed}",
    ]
    env = {**os.environ, "FORUM_FUZZ_EXAMPLES": str(examples), "FORUM_TEST_POSTGRES_URL": postgres_url,
           "PYTHONDONTWRITEBYTECODE": "1", "FUZZ_REQUESTS_FILE": str(counted),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH), os.environ.get("PYTHONPATH")]))}
    env.pop("CI", None)  # the ci profile would derandomise the runs
    started = time.monotonic()
    with log.open("w") as out:
        done = subprocess.run([*command, "-p", "count_requests"], cwd=ROOT, env=env, stdout=out,
                              stderr=subprocess.STDOUT, check=False)
    text = log.read_text(errors="replace")
    failed = re.findall(r"^FAILED (\S+)", text, re.MULTILINE)
    if done.returncode != 0 and not failed:
        failed = [f"pytest exited with {done.returncode}"]
    requests = int(counted.read_text()) if counted.exists() else 0
    return HypothesisRun(seed, examples, command, time.monotonic() - started, requests, failed, log)


# -- one database ----------------------------------------------------------------------------------


def fuzz_database(kind: str, args: argparse.Namespace, reports: Path) -> Outcome:
    """Build, serve and fuzz one kind of database for its share of the time."""
    outcome = Outcome(kind)
    seconds = args.minutes * 60 / len(args.databases)
    workdir = reports / kind
    workdir.mkdir()
    with ExitStack() as stack:
        url = stack.enter_context(fresh_database(kind, workdir, args.postgres_url, label="fuzz"))
        env = forum_env(url, workdir)
        print(f"[{kind}] building the database", flush=True)
        tokens = prepare(env)
        log = workdir / "gunicorn.log"
        outcome.server_log = log
        base = stack.enter_context(gunicorn(f"wsgi:create_app({FORUM_CONFIG!r})", env, ROOT, log,
                                            "/api/v1/openapi.json", WORKERS, config=ROOT / "gunicorn.conf.py"))
        part = 1 if args.schemathesis_only else 2 / 3
        share = max(10, int(seconds * part / len(args.personas) / args.seeds))
        for seed in range(args.seed, args.seed + args.seeds):
            for persona in args.personas:
                print(f"[{kind}] schemathesis as the {persona}, {share}s, seed {seed}", flush=True)
                outcome.st_runs.append(schemathesis_run(base, tokens[persona], persona, share, seed, workdir))
        outcome.server_problems = log_problems(log)
    if args.schemathesis_only:
        return outcome
    left = max(30.0, seconds / 3)
    print(f"[{kind}] the Hypothesis fuzz tests, nightly profile, about {left:.0f}s", flush=True)
    outcome.hypothesis_runs = hypothesis_rounds(kind, left, args.seed, args.test_postgres_url, workdir)
    return outcome


# -- report ----------------------------------------------------------------------------------------


def keeps(outcome: Outcome) -> bool:
    """Whether the run's reports are worth keeping: something failed, or schemathesis did."""
    return outcome.failed or any(run.errors for run in outcome.st_runs)


def report(outcomes: list[Outcome], args: argparse.Namespace, reports: Path, seconds: float) -> None:
    """Print what ran and what it found, and how to replay it."""
    seeds = f"seeds {args.seed} to {args.seed + args.seeds - 1}" if args.seeds > 1 else f"seed {args.seed}"
    print(f"\nFuzzing done in {seconds / 60:.1f} minutes, {seeds}.\n")
    for outcome in outcomes:
        print(f"{outcome.database}:")
        for run in outcome.st_runs:
            operations = (run.report.get("operations") or {}).get("tested", 0)
            cases = run.report["test_cases"]["generated"]
            found = ", ".join(f"{kind}: {n}" for kind, n in run.failures.most_common()) or "no failures"
            errors = "".join(f"; schemathesis's own error, not the site's: {kind} ({n})"
                             for kind, n in run.errors.most_common())
            print(f"  schemathesis as the {run.persona}, seed {run.seed}: {operations} operations, {cases} cases in "
                  f"{run.seconds:.0f}s; {found}{errors}")
        for run in outcome.hypothesis_runs:
            found = ", ".join(run.failed_tests) or "no failures"
            print(f"  Hypothesis, seed {run.seed}: {run.requests} requests ({run.examples} cases per property) in "
                  f"{run.seconds:.0f}s; {found}")
        if outcome.server_problems:
            print(f"  the server's log has {len(outcome.server_problems)} lines of errors, "
                  f"e.g. {outcome.server_problems[0][:200]}")
    print("\nReplay:")
    if not any(outcome.failed for outcome in outcomes):
        print("  nothing to replay")
    for outcome in outcomes:
        for run in outcome.st_runs:
            if run.failures:
                print(f"  {outcome.database}, schemathesis as the {run.persona}, seed {run.seed}: each failure with "
                      f"its curl command in {run.log}, as a test in {run.log.with_name(f'{run.log.stem}-failures.py')}")
            elif run.errors:
                print(f"  {outcome.database}, schemathesis as the {run.persona}, seed {run.seed}: its error in "
                      f"{run.log}")
        for run in outcome.hypothesis_runs:
            if run.failed_tests:
                print(f"  {outcome.database}, Hypothesis: FORUM_FUZZ_EXAMPLES={run.examples} "
                      f"{' '.join(run.command[2:])} (its output in {run.log})")
        if outcome.server_problems:
            print(f"  {outcome.database}: the server's log, {outcome.server_log}")
    if any(outcome.failed for outcome in outcomes):
        print(f"  the whole run: bench/fuzz.py --seed {args.seed} --seeds {args.seeds} --database {args.database} "
              f"--personas {','.join(args.personas)}{' --schemathesis-only' if args.schemathesis_only else ''} "
              f"--minutes {args.minutes:g} (schemathesis draws the same cases in the same order; how far it "
              "gets depends on the machine)")
    if args.keep or any(keeps(outcome) for outcome in outcomes):
        print(f"\nReports and logs: {reports}")


# -- main ----------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line, checked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10, help="time for the whole run, all databases (10)")
    parser.add_argument("--database", default="both", choices=["sqlite", "postgresql", "both"],
                        help="which database the site runs on (both, each for half the time)")
    parser.add_argument("--seed", type=int, default=None, help="seed of every random choice (random, printed)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", POSTGRES_URL),
                        help="PostgreSQL to create and drop the served site's database through "
                             f"(BENCH_POSTGRES_URL, else {POSTGRES_URL}); the Hypothesis tests make theirs there too")
    parser.add_argument("--seeds", type=int, default=1,
                        help="schemathesis runs of consecutive seeds from --seed, sharing its time (1)")
    parser.add_argument("--personas", default=",".join(TOKEN_HOLDERS),
                        help="whose bearer tokens schemathesis sends, in turn: member, admin or both (member,admin)")
    parser.add_argument("--schemathesis-only", action="store_true",
                        help="all the time to schemathesis; leave out the Hypothesis tests")
    parser.add_argument("--keep", action="store_true", help="keep the reports and logs even when nothing failed")
    args = parser.parse_args(argv)
    if args.minutes <= 0:
        parser.error("--minutes must be more than 0")
    if args.seeds < 1:
        parser.error("--seeds must be 1 or more")
    args.personas = [name.strip() for name in args.personas.split(",") if name.strip()]
    if not args.personas or set(args.personas) - set(TOKEN_HOLDERS):
        parser.error(f"--personas takes {' and '.join(TOKEN_HOLDERS)}, separated by commas")
    args.databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    args.seed = random.randrange(2**31) if args.seed is None else args.seed
    args.test_postgres_url = args.postgres_url
    return args


def main(argv: list[str] | None = None) -> int:
    """Fuzz each database and report; 1 when anything failed."""
    args = parse_args(argv)
    # A TERM (or a time limit) unwinds like Ctrl-C, so that servers and databases are cleaned up.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(f"seed {args.seed} (replay this run with --seed {args.seed})", flush=True)
    reports = Path(tempfile.mkdtemp(prefix="forum-fuzz-"))
    started = time.monotonic()
    outcomes: list[Outcome] = []
    status = 0
    try:
        for kind in args.databases:
            outcomes.append(fuzz_database(kind, args, reports))
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        status = 130
    report(outcomes, args, reports, time.monotonic() - started)
    failed = any(outcome.failed for outcome in outcomes)
    if not (status or args.keep or any(keeps(outcome) for outcome in outcomes)):
        shutil.rmtree(reports, ignore_errors=True)
    return status or int(failed)


if __name__ == "__main__":
    sys.exit(main())
