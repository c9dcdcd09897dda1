"""Query budgets: the reading pages and API reads run a few statements, the same for 3 arguments as for 200.

Counted: every statement the forum's engine sends (`tests.queries`). Not counted: the transaction's own
BEGIN/ROLLBACK (SQLite's BEGIN is listed apart; PostgreSQL's is psycopg's and never reaches the engine's
events) and the connection setup PRAGMAs run once per new SQLite connection.
"""

from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.importing import ParsedArticle, ParsedBlock, Reference
from forum.models import Argument, Article, Block, Watch
from forum.services import consensus, members, seeding, votes
from tests.queries import statements

BUDGET = 6


def parsed(title: str) -> ParsedArticle:
    """An article of two cited paragraphs, under a heading."""
    return ParsedArticle(
        title=title,
        date=None,
        blocks=[
            ParsedBlock("paragraph", "Fares fell by half in the first year.[1]", [1]),
            ParsedBlock("heading", "What it cost", []),
            ParsedBlock("paragraph", "The subsidy came out of the parking budget.[2]", [2]),
        ],
        references={1: Reference(1, "Annual report", "https://city.example/report")},
    )


@pytest.fixture
def forum(app, make_user):
    """Two articles, one with threads of 3 arguments and one with threads of 200, and a member who voted."""
    from forum.services.article_storage import import_article

    user = make_user("mia")
    with app.app_context():
        session = get_session()
        found = {}
        for size in (3, 200):
            article = import_article(session, parsed(f"Free buses, {size}"))
            session.flush()
            seeding.seed_discussion(session, article.id, arguments_per_thread=size, votes_per_argument=4)
            found[size] = {"article": article.id, "block": article.blocks[0].id}
            first = session.scalars(
                sa.select(Argument).where(Argument.block_id == article.blocks[0].id).order_by(Argument.id).limit(1)
            ).one()
            found[size].update(argument=first.id, member=first.author_id)
        mia = members.ensure_member(session, str(user.id), "mia")
        moderator = seeding.seed_moderator(session)
        session.flush()
        for size in (3, 200):
            ids = session.scalars(
                sa.select(Argument.id).where(Argument.block_id == found[size]["block"]).order_by(Argument.id)
            ).all()
            for n, argument_id in enumerate(ids[:3]):
                votes.cast_vote(session, argument_id, mia, 1 if n % 2 == 0 else -1)
            # Both threads have a verdict with its history and key arguments, whatever the seeding drew.
            block = session.get(Block, found[size]["block"])
            consensus.set_consensus(
                session, block.id, moderator, status="contested", note="Both sides have a point.",
                version=block.consensus_version, key_arguments=ids[:2],
            )
        session.commit()
    return found


PAGES = ["article", "thread", "api_article", "api_arguments", "argument", "api_argument", "member", "api_member",
         "api_member_arguments", "search", "api_search", "api_events", "report"]


def url(app, kind: str, ids: dict[str, int]) -> str:
    """The URL of one reading page of the article `ids` names."""
    if kind == "article":
        with app.app_context():
            slug = get_session().get(Block, ids["block"]).article.slug
        return f"/articles/{ids['article']}/{slug}"
    if kind == "thread":
        return f"/blocks/{ids['block']}"
    if kind == "report":
        return f"/articles/{ids['article']}/report"
    if kind == "api_article":
        return f"/api/v1/articles/{ids['article']}"
    if kind in ("argument", "api_argument"):
        return f"{'/api/v1' if kind.startswith('api') else ''}/arguments/{ids['argument']}"
    if kind in ("member", "api_member"):
        return f"{'/api/v1' if kind.startswith('api') else ''}/members/{ids['member']}"
    if kind in ("search", "api_search"):
        # A word of many arguments, their sources and the article's text: a full first page from the big one.
        return f"{'/api/v1' if kind.startswith('api') else ''}/search?q=evidence&article={ids['article']}"
    if kind == "api_events":
        return f"/api/v1/blocks/{ids['block']}/events"
    if kind == "api_member_arguments":
        return f"/api/v1/members/{ids['member']}/arguments"
    return f"/api/v1/blocks/{ids['block']}/arguments"


# Bearer tokens are for the API only; pages read the browser session.
READERS = [(kind, who) for kind in PAGES for who in ("anonymous", "member", "token")
           if who != "token" or kind.startswith("api")]


@pytest.mark.parametrize(("kind", "who"), READERS)
def test_reads_run_few_statements_whatever_the_thread_size(app, client, forum, kind, who):
    headers = {}
    if who == "member":
        client.submit("/login", {"username": "mia", "password": "a long test password"})
    if who == "token":
        token = client.post("/api/v1/tokens", json={"username": "mia", "password": "a long test password"}).json["token"]
        headers["Authorization"] = f"Bearer {token}"
    # The first read renders (and fills the page cache, the thread's snapshot, the kept HTML); the
    # second may use them. Both are held to the budget, and neither may grow with the thread.
    client.get("/", headers=headers)  # the pool's connection and the layout's templates, once
    counts = {}
    for size in (3, 200):
        target = url(app, kind, forum[size])
        for attempt in ("first", "again"):
            with statements(app) as seen:
                response = client.get(target, headers=headers)
            assert response.status_code == 200
            counts[size, attempt] = len(seen)
            assert seen.writes == [], seen.report()
            assert seen.commits == 0
            assert len(seen) <= BUDGET, seen.report()
    assert counts[3, "first"] == counts[200, "first"]
    assert counts[3, "again"] == counts[200, "again"]


@pytest.mark.parametrize("who", ["anonymous", "token"])
def test_a_repeat_export_with_its_validator_answers_304_in_a_few_statements_whatever_the_size(
        app, client, forum, who):
    headers = {}
    if who == "token":
        token = client.post("/api/v1/tokens", json={"username": "mia", "password": "a long test password"}).json["token"]
        headers["Authorization"] = f"Bearer {token}"
    client.get("/", headers=headers)
    counts = {}
    for size in (3, 200):
        target = f"/api/v1/articles/{forum[size]['article']}/export?format=aif"
        first = client.get(target, headers=headers)
        tag = first.headers["ETag"]
        first.close()
        with statements(app) as seen:
            response = client.get(target, headers={**headers, "If-None-Match": tag})
        assert response.status_code == 304 and response.get_data() == b""
        assert seen.writes == [] and seen.commits == 0, seen.report()
        assert len(seen) <= BUDGET, seen.report()
        counts[size] = len(seen)
    assert counts[3] == counts[200]


def plan(connection: sa.Connection, statement: sa.Executable, values: dict) -> str:
    """The database's plan for `statement` with `values` (EXPLAIN on PostgreSQL, EXPLAIN QUERY PLAN on SQLite)."""
    compiled = statement.compile(dialect=connection.dialect)
    params = compiled.construct_params(values)
    if compiled.positional:
        params = tuple(params[name] for name in compiled.positiontup)
    sqlite = connection.dialect.name == "sqlite"
    rows = connection.exec_driver_sql(("EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN ") + str(compiled), params)
    return "\n".join(str(row[-1] if sqlite else row[0]) for row in rows)


def test_a_thread_pages_statements_are_served_by_indexes(app, forum):
    """Reading a thread never scans the arguments, votes or sources of the whole forum."""
    from forum.caching.pages import THREAD_VERSIONS
    from forum.caching.viewer_key import ACCOUNT_MEMBER, TOKEN_MEMBER
    from forum.services.citation_slots import BLOCK_SLOTS
    from forum.services.thread_page import THREAD
    from forum.services.threads import ARGUMENTS_WITH_VOTES, SOURCES, VOTES

    engine = app.extensions["forum"].engine
    block, article = forum[200]["block"], forum[200]["article"]
    values = {"block_id": block, "viewer_id": 1, "article_id": article, "account_id": 1, "digest": "0" * 64}
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # The tables are small here, so let the planner choose a scan only where no index serves.
            connection.exec_driver_sql("SET enable_seqscan = off")
        statements = (THREAD_VERSIONS, ACCOUNT_MEMBER, TOKEN_MEMBER, THREAD, BLOCK_SLOTS, ARGUMENTS_WITH_VOTES,
                      SOURCES, VOTES)
        for statement in statements:
            text = plan(connection, statement, values)
            for table in ("forum_arguments", "forum_votes", "forum_sources", "forum_blocks", "forum_members",
                          "forum_accounts", "forum_api_tokens", "forum_notifications", "forum_watches"):
                assert not re.search(rf"(Seq Scan on|SCAN) {table}\b", text), f"{table} scanned:\n{text}"


# A post with one source through the API: who posts (one read), the thread with its checks (one read), then the
# writes: on PostgreSQL one statement, on SQLite the argument, its sources, the watch and the two page versions.
POST_STATEMENTS = {"postgresql": 3, "sqlite": 7}


def test_a_post_runs_its_few_statements_and_commits_once(app, client, forum):
    token = client.post("/api/v1/tokens", json={"username": "mia", "password": "a long test password"}).json["token"]
    block = forum[200]["block"]
    with app.app_context():
        before = get_session().execute(
            sa.select(Block.version, Article.version).join(Article).where(Block.id == block)
        ).one()
    body = {"stance": "support", "body": "Counted, with *one* source.",
            "sources": [{"url": "https://example.org/counted", "title": "Counted"}]}
    with statements(app) as seen:
        response = client.post(f"/api/v1/blocks/{block}/arguments", json=body,
                               headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 201, response.json
    assert response.json["sources"][0]["url"] == "https://example.org/counted"
    dialect = app.extensions["forum"].engine.dialect.name
    assert len(seen) == POST_STATEMENTS[dialect], seen.report()
    assert seen.commits == 1
    with app.app_context():
        session = get_session()
        after = session.execute(
            sa.select(Block.version, Article.version).join(Article).where(Block.id == block)
        ).one()
        argument = session.get(Argument, response.json["id"])
        assert argument is not None
        assert [s.url for s in argument.sources] == ["https://example.org/counted"]
        watched = session.scalar(sa.select(Watch.level).where(Watch.member_id == argument.author_id,
                                                              Watch.block_id == block))
    assert tuple(after) == (before[0] + 1, before[1] + 1)
    assert watched == "watching"
