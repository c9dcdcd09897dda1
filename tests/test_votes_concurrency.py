"""Votes stay exact when many members vote at once through several worker processes."""

import json
import random
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.db import get_session
from forum.errors import Forbidden
from forum.models import Argument, Block, Member, Vote
from forum.services import tokens
from forum.services.arguments import post_argument
from forum.services.members import ensure_member, remove_member
from forum.services.votes import vote
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


def race_of_a_vote_and_its_voters_removal(app, removal_first: bool) -> tuple[bool, int, int]:
    """A member's vote and their removal in two transactions at once, the one begun first holding its locks
    while the other starts: (whether the vote was refused, the removed member's votes left, the argument's up)."""
    ids = make_article(app)
    engine = app.extensions["forum"].engine
    with app.app_context():
        session = get_session()
        author, voter = ensure_member(session, "author", "Author"), ensure_member(session, "racer", "Racer")
        argument = post_argument(session, session.get(Block, ids["block1"]), author, stance="counter", body="Text.")
        session.commit()
        voter_id, argument_id = voter.id, argument.id
    removing, voting = so.Session(engine), so.Session(engine)
    refused: list[bool] = []

    def remove() -> None:
        remove_member(removing, removing.get(Member, voter_id))
        removing.flush()

    def cast() -> None:
        try:
            vote(voting, argument_id, voter_id, 1)
            refused.append(False)
        except Forbidden:
            refused.append(True)
        voting.flush()

    first, second = (remove, cast) if removal_first else (cast, remove)
    first()
    with ThreadPoolExecutor(1) as pool:
        waiting = pool.submit(second)
        time.sleep(0.5)
        assert not waiting.done()  # the second waits on the first's locks
        (removing if removal_first else voting).commit()
        waiting.result(timeout=30)
        (voting if removal_first else removing).commit()
    with app.app_context():
        session = get_session()
        left = session.scalar(sa.select(sa.func.count()).select_from(Vote).where(Vote.member_id == voter_id))
        return refused[0], left, session.get(Argument, argument_id).up


# Two writers at once: PostgreSQL's (SQLite takes one writer at a time).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_vote_begun_before_its_voters_removal_is_taken_back_with_their_others(app):
    assert race_of_a_vote_and_its_voters_removal(app, removal_first=False) == (False, 0, 0)


# Two writers at once: PostgreSQL's (SQLite takes one writer at a time).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_vote_begun_during_its_voters_removal_waits_and_is_refused(app):
    assert race_of_a_vote_and_its_voters_removal(app, removal_first=True) == (True, 0, 0)
