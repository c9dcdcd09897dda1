"""How long a long article takes to import: `flask forum import` of a 3,000-paragraph text, on each database.

    .venv/bin/python bench/imports.py [--paragraphs 3000] [--rounds 3] [--databases sqlite,postgresql]

For each database it makes a fresh one (`forum db upgrade`), writes an article of `--paragraphs`
paragraphs, each citing one of 40 references listed at its end, and imports it `--rounds` times
through the command line, each time as a new article. Beside each import it times the same command
asked only for its help (`flask forum import --help`), which loads the app and exits: the part of the
wall time that is Python starting, not importing. It prints the median of each, and the median of each
import less the start-up timed beside it, and checks that every paragraph became a thread.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

from harness import (
    DEFAULT_POSTGRES,
    BenchError,
    flask_forum,
    forum_env,
    fresh_database,
    long_article,
    machine,
    markdown_table,
    plain_table,
)

REFERENCES = 40


def timed(env: dict[str, str], *args: str) -> tuple[float, str]:
    """Run `flask forum ARGS...`; its wall time in seconds and its output."""
    started = time.perf_counter()
    output = flask_forum(env, *args)
    return time.perf_counter() - started, output


def bench_database(kind: str, args: argparse.Namespace, workdir: Path) -> list[str]:
    """Import the article `--rounds` times on a fresh database of `kind`; the table's row."""
    with fresh_database(kind, workdir, args.postgres_url) as url:
        env = forum_env(url, workdir)
        flask_forum(env, "db", "upgrade")
        text = workdir / "long-article.txt"
        text.write_text(long_article("The Town in Figures, Paragraph by Paragraph", args.paragraphs, REFERENCES))
        imports, startups = [], []
        for round_ in range(args.rounds):
            # A title of its own each round: the same text twice would be refused as a duplicate.
            seconds, output = timed(env, "import", str(text), "--title", f"The Town in Figures ({round_ + 1})",
                                    "--json")
            summary = json.loads(output)
            if summary["threads"] != args.paragraphs:
                raise BenchError(f"{summary['threads']} threads imported, not {args.paragraphs}.")
            imports.append(seconds)
            startups.append(timed(env, "import", "--help")[0])
        total, startup = statistics.median(imports), statistics.median(startups)
        alone = statistics.median(i - s for i, s in zip(imports, startups))  # less the start-up beside it
        print(f"[{kind}] imports: {', '.join(f'{s:.2f}' for s in imports)} s; start-up: "
              f"{', '.join(f'{s:.2f}' for s in startups)} s", flush=True)
        return [kind, f"{args.paragraphs:,}", f"{text.stat().st_size / 1000:.0f} KB", f"{total:.2f}",
                f"{startup:.2f}", f"{alone:.2f}"]


def main(argv: list[str] | None = None) -> int:
    """Measure each database; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--paragraphs", type=int, default=3000, help="paragraphs in the article (3000)")
    parser.add_argument("--rounds", type=int, default=3, help="imports per database; the median is shown (3)")
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql (both)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help="where to create and drop the database "
                             f"(BENCH_POSTGRES_URL, else {DEFAULT_POSTGRES})")
    args = parser.parse_args(argv)
    if args.paragraphs < 1 or args.rounds < 1:
        parser.error("--paragraphs and --rounds must be at least 1")
    workdir = Path(tempfile.mkdtemp(prefix="forum-imports-"))
    rows = []
    try:
        for kind in args.databases.split(","):
            rows.append(bench_database(kind.strip(), args, workdir))
    except BenchError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    headers = ["database", "paragraphs", "text", "import s (median)", "start-up s", "import alone s"]
    print()
    print(plain_table(headers, rows, numeric_from=1))
    print()
    print(markdown_table(headers, rows, numeric_from=1))
    print("\n" + "; ".join(machine()[:2]))  # the CPUs and Python: no wrk here
    return 0


if __name__ == "__main__":
    sys.exit(main())
