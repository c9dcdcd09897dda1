"""How long an export of a big debate takes, and how much memory it holds: every format of a 3,000-paragraph
article with 100,000 arguments (a third of them replies), on a fresh database of each kind.

    .venv/bin/python bench/export.py [--paragraphs 3000] [--arguments 100000] [--databases sqlite,postgresql]

For each format it prints the seconds the whole export takes (written to nowhere, as a client would read it), the
CPU seconds of this process among them (the database server's are not; on a busy machine they show the export's
own work), the megabytes written, and the peak of memory Python allocated while writing it (tracemalloc, in a
second run, since tracing slows the first). Flat memory means the peak stays near one batch's worth, whatever the size.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))

import sqlalchemy as sa  # noqa: E402
from harness import DEFAULT_POSTGRES, BenchError, fresh_database  # noqa: E402

from forum.db import get_session  # noqa: E402
from forum.exporting.common import FORMATS  # noqa: E402
from forum.importing import ParsedArticle, ParsedBlock  # noqa: E402
from forum.models import Argument, Base, Block, Member, Source  # noqa: E402
from forum.services import exports  # noqa: E402
from forum.services.article_storage import import_article  # noqa: E402
from wsgi import create_app  # noqa: E402

WORDS = "toll bridge council drivers night shift harbour tax fare survey minutes port crews hospital".split()


def sentence(rng: random.Random, words: int) -> str:
    """Some words of the debate's vocabulary."""
    return " ".join(rng.choice(WORDS) for _ in range(words)).capitalize() + "."


def build(app, paragraphs: int, arguments: int) -> int:
    """The article and its discussion, written in bulk; returns the article's id."""
    rng = random.Random(7)
    parsed = ParsedArticle(title="A long debate", date=None, references={}, blocks=[
        ParsedBlock("paragraph", sentence(rng, 60), []) for _ in range(paragraphs)
    ])
    with app.app_context():
        session = get_session()
        article = import_article(session, parsed)
        session.commit()
        members = [Member(user_id=f"bench-{n}", name=f"Member {n}") for n in range(200)]
        session.add_all(members)
        session.flush()
        blocks = list(session.scalars(sa.select(Block.id).where(Block.article_id == article.id)))
        start = datetime(2024, 1, 1, tzinfo=UTC)
        by_block: dict[int, list[int]] = {}
        next_id = (session.scalar(sa.select(sa.func.max(Argument.id))) or 0) + 1
        rows, sources = [], []
        for n in range(arguments):
            block = rng.choice(blocks)
            siblings = by_block.setdefault(block, [])
            parent = rng.choice(siblings) if siblings and rng.random() < 0.33 else None
            body = sentence(rng, rng.randint(15, 60))
            rows.append({"id": next_id, "block_id": block, "parent_id": parent,
                         "author_id": rng.choice(members).id, "stance": rng.choice(["counter", "support", "question"]),
                         "body": body, "html": f"<p>{body}</p>", "created_at": start + timedelta(seconds=n),
                         "up": 2, "down": 1, "score": 1})
            if n % 5 == 0:
                sources.append({"argument_id": next_id, "position": 0, "url": f"https://example.org/{n}",
                                "title": "A source", "quote": sentence(rng, 12)})
            siblings.append(next_id)
            next_id += 1
        for chunk in range(0, len(rows), 5_000):
            session.execute(sa.insert(Argument), rows[chunk:chunk + 5_000])
        session.execute(sa.insert(Source), sources)
        session.commit()
        return article.id


def run(app, article_id: int, name: str) -> int:
    """Write the export to nowhere; returns its size in bytes."""
    with app.app_context():
        return sum(len(chunk.encode()) for chunk in exports.open_export(get_session(), article_id, name,
                                                                         moderator=True))


def bench_database(kind: str, url: str, options: argparse.Namespace) -> None:
    """Build the debate on one database, then export it in every format and print a line for each."""
    app = create_app({"FORUM_DATABASE_URL": url, "SECRET_KEY": "bench",
                      "FORUM_CACHE_URL": "none://", "FORUM_RATELIMIT_ENABLED": False})
    engine = app.extensions["forum"].engine
    try:
        Base.metadata.create_all(engine)
        began = time.perf_counter()
        article_id = build(app, options.paragraphs, options.arguments)
        if kind == "postgresql":
            with engine.connect() as connection:  # as autovacuum would soon after a bulk load
                connection.exec_driver_sql("ANALYZE")
                connection.commit()
        print(f"{kind}: built {options.paragraphs:,} paragraphs and {options.arguments:,} arguments "
              f"in {time.perf_counter() - began:.1f} s")
        print(f"{'format':<9} {'seconds':>8} {'CPU s':>6} {'MB written':>11} {'peak MB (traced)':>17}")
        for name in FORMATS:
            began, cpu = time.perf_counter(), time.process_time()
            size = run(app, article_id, name)
            seconds, cpu = time.perf_counter() - began, time.process_time() - cpu
            tracemalloc.start()
            run(app, article_id, name)
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            print(f"{name:<9} {seconds:>8.1f} {cpu:>6.1f} {size / 1e6:>11.1f} {peak / 1e6:>17.1f}", flush=True)
    finally:
        app.extensions["forum"].dispose()


def main() -> int:
    """Build the debate on each database, then export it in every format; 0 on success."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--paragraphs", type=int, default=3_000)
    parser.add_argument("--arguments", type=int, default=100_000)
    parser.add_argument("--databases", default="sqlite,postgresql", help="sqlite,postgresql (both)")
    parser.add_argument("--postgres-url", default=os.environ.get("BENCH_POSTGRES_URL", DEFAULT_POSTGRES),
                        help=f"where to create and drop the database (BENCH_POSTGRES_URL, else {DEFAULT_POSTGRES})")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        try:
            for kind in options.databases.split(","):
                with fresh_database(kind.strip(), Path(folder), options.postgres_url, label="export") as url:
                    bench_database(kind.strip(), url, options)
        except BenchError as error:
            print(f"error: {error}", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
