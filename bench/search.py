"""Search: latency p50/p95 on many arguments, and what the index adds to the cost of posting.

    .venv/bin/python bench/search.py [--arguments 1000000] [--databases sqlite,postgresql] [--searches 200]
                                     [--posts 2000] [--postgres-url URL] [--keep FOLDER [--reindex]]

A fresh database of each kind gets the forum's tables and search index, one article of 1,000 paragraphs, and
`--arguments` arguments of 12 to 40 words drawn from a 5,000-word vocabulary (Zipf-like), inserted in batches
with the index's triggers on. Latency: `forum.services.search.search` (a first page of 20, every kind) for
`--searches` queries of one to three words, rare and common, some with a phrase, an OR or a -word; the same
queries on every run, whatever else it does. Posting cost: `--posts` arguments inserted one by one, each in its
own transaction, with the index and then without it (its triggers dropped), and the ratio of the two times;
the posted arguments are deleted again.

Filling a million arguments takes a long while: `--keep FOLDER` keeps the databases it fills (the SQLite file
in FOLDER, a PostgreSQL database named `forum_bench_search_<arguments>`) and uses them again on the next run
with the same `--arguments`. `--reindex` drops a kept database's search index and builds it again from its
data, as an upgrade does, for a run after the index itself changed.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

import sqlalchemy as sa  # noqa: E402
import sqlalchemy.orm as so  # noqa: E402

from bench.harness import DEFAULT_POSTGRES, engine_for, fresh_database  # noqa: E402
from forum.models import Argument, Base  # noqa: E402
from forum.search.schema import (  # noqa: E402
    create_search_index,
    drop_search_index,
    drop_search_triggers,
)
from forum.services.search import search  # noqa: E402

BATCH = 10_000
SHAPES = ("word", "words", "phrase", "or", "-word")


def vocabulary(rng: random.Random, size: int = 5_000) -> list[str]:
    """Made-up words of 3 to 10 letters."""
    return ["".join(rng.choice("abcdefghijklmnoprstuvw") for _ in range(rng.randint(3, 10))) for _ in range(size)]


def body(rng: random.Random, words: list[str], weights: list[float]) -> str:
    """An argument's text."""
    return " ".join(rng.choices(words, weights, k=rng.randint(12, 40))) + "."


def fill(engine: sa.Engine, count: int, rng: random.Random, words: list[str], weights: list[float]) -> None:
    """One article, its paragraphs, one member and `count` arguments."""
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO forum_members (id, user_id, name, role, created_at) VALUES (1, 'bench', 'bench', 'member', "
            "CURRENT_TIMESTAMP)")
        connection.exec_driver_sql(
            "INSERT INTO forum_articles (id, title, slug, created_at, version) VALUES (1, 'Bench', 'bench', "
            "CURRENT_TIMESTAMP, 0)")
        connection.execute(sa.text(
            "INSERT INTO forum_blocks (id, article_id, position, kind, text, locked, consensus_status, "
            "consensus_note, consensus_version, consensus_note_html, consensus_key_arguments, version) VALUES "
            "(:id, 1, :id, 'paragraph', :text, false, 'open', '', 0, '', '[]', 0)"),
            [{"id": n, "text": body(rng, words, weights)} for n in range(1, 1001)])
    insert = sa.text(
        "INSERT INTO forum_arguments (block_id, author_id, stance, body, html, created_at, up, down, score, hidden) "
        "VALUES (:block, 1, 'counter', :body, '', CURRENT_TIMESTAMP, 0, 0, 0, false)")
    for start in range(0, count, BATCH):
        rows = [{"block": rng.randint(1, 1000), "body": body(rng, words, weights)}
                for _ in range(min(BATCH, count - start))]
        with engine.begin() as connection:
            connection.execute(insert, rows)
        print(f"\r  {start + len(rows):,} arguments", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)


def queries(rng: random.Random, words: list[str], count: int) -> list[tuple[str, str]]:
    """(shape, query) pairs: one to three words, common and rare, with a phrase, an OR or an excluded word now
    and then."""
    made = []
    for _ in range(count):
        picked = [words[min(int(rng.paretovariate(1.2)) * 7, len(words) - 1)] for _ in range(rng.randint(1, 3))]
        shape = rng.random()
        if shape < 0.15 and len(picked) > 1:
            made.append(("phrase", f'"{picked[0]} {picked[1]}"'))
        elif shape < 0.3 and len(picked) > 1:
            made.append(("or", " OR ".join(picked)))
        elif shape < 0.4 and len(picked) > 1:
            made.append(("-word", f"{picked[0]} -{picked[1]}"))
        else:
            made.append(("words" if len(picked) > 1 else "word", " ".join(picked)))
    return made


def latencies(engine: sa.Engine, texts: list[str]) -> list[float]:
    """Milliseconds each search took."""
    taken = []
    with so.Session(engine) as session:
        for text in texts:
            start = time.perf_counter()
            search(session, text, limit=20)
            taken.append((time.perf_counter() - start) * 1000)
            session.rollback()
    return taken


def percentiles(taken: list[float]) -> tuple[float, float]:
    """The median and the 95th percentile of some latencies."""
    ordered = sorted(taken)
    return statistics.median(ordered), ordered[max(0, int(len(ordered) * 0.95) - 1)]


def posting_seconds(engine: sa.Engine, count: int, rng: random.Random, words: list[str], weights: list[float]) -> float:
    """Seconds to post `count` arguments one transaction each; they are deleted again afterwards."""
    insert = sa.text(
        "INSERT INTO forum_arguments (block_id, author_id, stance, body, html, created_at, up, down, score, hidden) "
        "VALUES (:block, 1, 'support', :body, '', CURRENT_TIMESTAMP, 0, 0, 0, false)")
    with engine.connect() as connection:
        first = connection.scalar(sa.select(sa.func.max(Argument.id))) or 0
    start = time.perf_counter()
    for _ in range(count):
        with engine.begin() as connection:
            connection.execute(insert, {"block": rng.randint(1, 1000), "body": body(rng, words, weights)})
    taken = time.perf_counter() - start
    with engine.begin() as connection:
        connection.execute(sa.delete(Argument).where(Argument.id > first))
    return taken


def built(engine: sa.Engine, count: int) -> bool:
    """Whether a kept database already holds the forum's tables and `count` arguments."""
    if not sa.inspect(engine).has_table("forum_arguments"):
        return False
    with engine.connect() as connection:
        return connection.scalar(sa.select(sa.func.count()).select_from(Argument)) == count


def shape_cells(shapes: list[str], taken: list[float]) -> list[str]:
    """p50/p95 of each query shape, as table cells."""
    cells = []
    for shape in SHAPES:
        of_shape = [ms for s, ms in zip(shapes, taken, strict=True) if s == shape]
        cells.append("{:.0f}/{:.0f}".format(*percentiles(of_shape)) if of_shape else "-")
    return cells


def run(kind: str, url: str, options: argparse.Namespace) -> list[str]:
    """One database's line of the table."""
    rng = random.Random(7)
    words = vocabulary(rng)
    weights = [1 / (rank + 1) for rank in range(len(words))]
    engine = engine_for(url)
    if not built(engine, options.arguments):
        Base.metadata.drop_all(engine)
        Base.metadata.create_all(engine)
        fill(engine, options.arguments, rng, words, weights)
    elif options.reindex:
        with engine.begin() as connection:
            drop_search_index(connection)
            create_search_index(connection, build=True)
    if kind == "postgresql":
        # As autovacuum leaves a live database: statistics gathered, hint bits set, index pending lists merged.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    shapes, texts = zip(*queries(random.Random(11), words, options.searches), strict=True)
    latencies(engine, list(texts[:10]))  # warm the caches
    taken = latencies(engine, list(texts))
    p50, p95 = percentiles(taken)
    cells = [kind, f"{options.arguments:,}", f"{p50:.1f}", f"{p95:.1f}", f"{max(taken):.1f}",
             *shape_cells(list(shapes), taken)]
    if options.posts:
        posting = random.Random(13)
        indexed = posting_seconds(engine, options.posts, posting, words, weights)
        with engine.begin() as connection:
            drop_search_triggers(connection)
        bare = posting_seconds(engine, options.posts, posting, words, weights)
        with engine.begin() as connection:
            create_search_index(connection)
        cells += [f"{indexed / options.posts * 1000:.2f}", f"{bare / options.posts * 1000:.2f}",
                  f"{indexed / bare:.2f}"]
    engine.dispose()
    return cells


@contextmanager
def database(kind: str, folder: Path, options: argparse.Namespace) -> Iterator[str]:
    """The database of `kind` to measure: a fresh one, or with `--keep` the one kept from an earlier run."""
    if options.keep is None:
        with fresh_database(kind, folder, options.postgres_url, label="search") as url:
            yield url
        return
    if kind == "sqlite":
        yield f"sqlite:///{options.keep / f'search-{options.arguments}.sqlite3'}"
        return
    name = f"forum_bench_search_{options.arguments}"
    admin = engine_for(options.postgres_url).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        if not connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": name}):
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    admin.dispose()
    yield sa.make_url(options.postgres_url).set(database=name).render_as_string(hide_password=False)


def main() -> None:
    """Measure each database and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--arguments", type=int, default=1_000_000)
    parser.add_argument("--searches", type=int, default=200)
    parser.add_argument("--posts", type=int, default=2_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--postgres-url", default=DEFAULT_POSTGRES)
    parser.add_argument("--keep", type=Path, help="keep the filled databases here and use them again")
    parser.add_argument("--reindex", action="store_true", help="build a kept database's search index again")
    options = parser.parse_args()
    if options.keep is not None:
        options.keep.mkdir(parents=True, exist_ok=True)
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for kind in options.databases.split(","):
            with database(kind, Path(folder), options) as url:
                rows.append(run(kind, url, options))
    headers = ["database", "arguments", "p50 ms", "p95 ms", "max ms", *(f"{shape} p50/p95" for shape in SHAPES)]
    if options.posts:
        headers += ["post ms (index)", "post ms (none)", "ratio"]
    print(" | ".join(headers))
    for row in rows:
        print(" | ".join(row))


if __name__ == "__main__":
    main()
