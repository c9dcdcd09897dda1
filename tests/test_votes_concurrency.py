"""Votes stay exact when many members vote at once through several worker processes."""

import json
import random
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, Block, Vote
from forum.services import tokens
from forum.services.arguments import post_argument
from forum.services.members import ensure_member
from tests.articles import make_article
from tests.servers import gunicorn

MEMBERS = 12
VOTES_EACH = 25


@pytest.fixture
def served(database_url, tmp_path):
    """The site served by gunicorn with four worker processes on the test database."""
    with gunicorn(database_url, tmp_path / "instance", workers=4) as base:
        yield base


def put_vote(base: str, argument_id: int, token: str, value: int) -> int:
    request = urllib.request.Request(
        f"{base}/api/v1/arguments/{argument_id}/vote", method="PUT",
        data=json.dumps({"value": value}).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_many_members_changing_their_minds_leave_exact_counts(app, served):
    ids = make_article(app)
    with app.app_context():
        session = get_session()
        author = ensure_member(session, "author", "Author")
        argument = post_argument(session, session.get(Block, ids["block1"]), author,
                                 stance="counter", body="Contested.")
        secrets = [tokens.issue_token(session, ensure_member(session, f"v{n}", f"Voter {n}"))[1]
                   for n in range(MEMBERS)]
        session.commit()
        argument_id = argument.id

    rng = random.Random(7)
    # Every member sends a stream of votes, and each stream runs on two threads at once,
    # so that one member's own changes of mind race each other too.
    plan = [(secret, rng.choice([1, -1, 0])) for secret in secrets for _ in range(VOTES_EACH)]
    rng.shuffle(plan)
    with ThreadPoolExecutor(max_workers=16) as pool:
        statuses = list(pool.map(lambda item: put_vote(served, argument_id, *item), plan))

    assert set(statuses) == {200}, sorted(set(statuses))
    with app.app_context():
        session = get_session()
        rows = session.execute(sa.select(Vote.member_id, Vote.value).where(Vote.argument_id == argument_id)).all()
        assert len(rows) == len({member for member, _ in rows})  # no duplicate rows
        counted = session.get(Argument, argument_id)
        assert counted.up == sum(1 for _, v in rows if v == 1)
        assert counted.down == sum(1 for _, v in rows if v == -1)
        assert counted.score == counted.up - counted.down
