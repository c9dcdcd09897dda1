"""The yardsticks for the page benchmark: two minimal Flask apps, served as the forum is.

- `hello`: `GET /` answers "Hello, world!": what a request through gunicorn and Flask costs at least.
- `rows`: `GET /rows` runs one SQLAlchemy query for 200 arguments of one thread with their authors'
  names, on the forum's own database and tables, and renders them through a Jinja template as a
  list of articles (body HTML, author, score, date): the least a page of 200 arguments costs.

No forum code runs in either. Serve them with `gunicorn --chdir bench bare_pages:hello` and, with
`BARE_DATABASE_URL` and `BARE_BLOCK_ID` set, `bare_pages:rows` (the benchmark does both).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask

SQLITE_BUSY_TIMEOUT = 10  # seconds, as the forum's default FORUM_SQLITE_BUSY_TIMEOUT
ROWS = 200

# The forum's tables, named here rather than imported, so that the yardstick shares no code with it.
arguments = sa.table(
    "forum_arguments",
    sa.column("id"), sa.column("block_id"), sa.column("author_id"), sa.column("stance"),
    sa.column("html"), sa.column("score"), sa.column("created_at"),
)
members = sa.table("forum_members", sa.column("id"), sa.column("name"))

PAGE = """<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Thread {{ block_id }}</title></head>
<body>
<main>
<h1>Thread {{ block_id }}</h1>
{% for row in rows %}
<article id="argument-{{ row.id }}" class="argument {{ row.stance }}">
  <header>{{ row.name }} &middot; {{ row.created_at }} &middot; score {{ row.score }}</header>
  <div class="body">{{ row.html | safe }}</div>
</article>
{% endfor %}
</main>
</body>
</html>
"""


def make_engine(url: str) -> sa.Engine:
    """An engine on `url`; plain `postgresql://` goes to psycopg 3, SQLite gets a busy timeout."""
    parsed = sa.make_url(url)
    if parsed.drivername in ("postgres", "postgresql"):
        return sa.create_engine(parsed.set(drivername="postgresql+psycopg"), pool_pre_ping=True)
    return sa.create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT})


def create_hello() -> Flask:
    """The hello-world app."""
    app = Flask(__name__)

    @app.get("/")
    def hello() -> str:
        return "Hello, world!"

    return app


def create_rows(url: str, block_id: int) -> Flask:
    """The app whose one page renders 200 arguments of thread `block_id` from one query."""
    app = Flask(__name__)
    engine = make_engine(url)
    page = app.jinja_env.from_string(PAGE)  # compiled once, as Flask caches a template file
    query = (
        sa.select(arguments.c.id, arguments.c.stance, arguments.c.html, arguments.c.score,
                  arguments.c.created_at, members.c.name)
        .join(members, members.c.id == arguments.c.author_id)
        .where(arguments.c.block_id == block_id)
        .order_by(arguments.c.score.desc(), arguments.c.id)
        .limit(ROWS)
    )

    @app.get("/health")
    def health() -> dict:
        return {"ok": True}

    @app.get("/rows")
    def rows() -> str:
        with engine.connect() as connection:
            found = connection.execute(query).all()
        return page.render(block_id=block_id, rows=found)

    return app


hello = create_hello()
rows = (
    create_rows(os.environ["BARE_DATABASE_URL"], int(os.environ["BARE_BLOCK_ID"]))
    if "BARE_DATABASE_URL" in os.environ and "BARE_BLOCK_ID" in os.environ
    else None
)
