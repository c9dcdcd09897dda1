"""Votes: one per member per argument, counters that always equal the vote rows, and who may vote."""

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)

from forum.db import get_session
from forum.models import Argument, Block, Member, Vote
from forum.services import votes
from forum.services.arguments import post_argument
from forum.services.members import ensure_member
from tests.articles import make_article


@pytest.fixture
def thread(app, make_user, client):
    """An article, a thread on it with one argument by `mia`, and tokens for mia, bob and cat."""
    ids = make_article(app)
    tokens = {}
    for name in ("mia", "bob", "cat"):
        user = make_user(name)
        body = {"username": name, "password": user.password}
        tokens[name] = client.post("/api/v1/tokens", json=body).json["token"]
    argument = client.api(
        "POST", f"/api/v1/blocks/{ids['block1']}/arguments",
        {"stance": "counter", "body": "Twice, not three times."}, token=tokens["mia"],
    ).json
    return {"ids": ids, "tokens": tokens, "argument": argument["id"]}


def vote(client, thread, name, value, argument=None):
    argument = argument or thread["argument"]
    return client.api("PUT", f"/api/v1/arguments/{argument}/vote", {"value": value},
                      token=thread["tokens"][name])


def test_vote_change_and_retract(client, thread):
    assert vote(client, thread, "bob", 1).json == {"score": 1, "up": 1, "down": 0, "my_vote": 1}
    assert vote(client, thread, "cat", -1).json == {"score": 0, "up": 1, "down": 1, "my_vote": -1}
    assert vote(client, thread, "bob", -1).json == {"score": -2, "up": 0, "down": 2, "my_vote": -1}
    assert vote(client, thread, "bob", -1).json == {"score": -2, "up": 0, "down": 2, "my_vote": -1}
    assert vote(client, thread, "cat", 0).json == {"score": -1, "up": 0, "down": 1, "my_vote": 0}
    seen_by_bob = client.get(
        f"/api/v1/blocks/{thread['ids']['block1']}/arguments",
        headers={"Authorization": f"Bearer {thread['tokens']['bob']}"},
    ).json["arguments"][0]
    assert (seen_by_bob["score"], seen_by_bob["my_vote"]) == (-1, -1)


def test_who_may_vote(client, app, thread):
    path = f"/api/v1/arguments/{thread['argument']}/vote"
    assert client.api("PUT", path, {"value": 1}).status_code == 401
    own = vote(client, thread, "mia", 1)
    assert own.status_code == 403 and "your own" in own.json["error"]["message"]
    assert vote(client, thread, "bob", 1, argument=9999).status_code == 404
    for bad in (2, "1", None, 0.5, True, False, 1.0):  # strict: a boolean or a float is no vote
        assert vote(client, thread, "bob", bad).status_code == 422
    with app.app_context():
        session = get_session()
        session.get(Block, thread["ids"]["block1"]).locked = True
        session.commit()
    locked = vote(client, thread, "bob", 1)
    assert locked.status_code == 403 and "locked" in locked.json["error"]["message"]
    with app.app_context():
        session = get_session()
        session.get(Block, thread["ids"]["block1"]).locked = False
        session.get(Argument, thread["argument"]).hidden = True
        session.commit()
    assert vote(client, thread, "bob", 1).status_code == 403
    with app.app_context():
        assert get_session().scalar(sa.select(sa.func.count()).select_from(Vote)) == 0


def test_no_vote_on_a_withdrawn_argument(client, thread):
    client.api("DELETE", f"/api/v1/arguments/{thread['argument']}", token=thread["tokens"]["mia"])
    assert vote(client, thread, "bob", 1).status_code == 409


def test_one_row_per_member_and_argument(app, thread, client):
    for value in (1, -1, 1, 1, -1):
        vote(client, thread, "bob", value)
    with app.app_context():
        rows = get_session().execute(sa.select(Vote.member_id, Vote.value)).all()
    assert len(rows) == 1 and rows[0].value == -1


def test_a_removed_members_votes_go_with_their_counters(app, client, thread):
    vote(client, thread, "bob", 1)
    vote(client, thread, "cat", -1)
    with app.app_context():
        session = get_session()
        bob = session.scalar(sa.select(Member).where(Member.name == "bob"))
        assert votes.remove_votes_of(session, bob) == 1
        session.commit()
        argument = session.get(Argument, thread["argument"])
        assert (argument.up, argument.down, argument.score) == (0, 1, -1)


class VotingMachine(RuleBasedStateMachine):
    """Random members vote, change their minds and retract on random arguments."""

    def __init__(self, app):
        super().__init__()
        self.app = app

    @initialize()
    def setup(self):
        with self.app.app_context():
            session = get_session()
            session.execute(sa.delete(Vote))
            session.execute(sa.update(Argument).values(up=0, down=0, score=0))
            session.commit()

    @rule(voter=st.integers(0, 4), argument=st.integers(0, 2), value=st.sampled_from([1, -1, 0]))
    def cast(self, voter, argument, value):
        with self.app.app_context():
            session = get_session()
            member = session.scalar(sa.select(Member).where(Member.user_id == f"voter-{voter}"))
            argument_id = self.argument_ids()[argument]
            tally = votes.cast_vote(session, argument_id, member, value)
            session.commit()
            assert tally.my_vote == value

    @rule(voter=st.integers(0, 4), argument=st.integers(0, 2), value=st.sampled_from([1, -1, 0]))
    def cast_committed(self, voter, argument, value):
        """As the API and the thread page vote: on PostgreSQL a transaction of its own, sent in batches."""
        with self.app.app_context():
            session = get_session()
            member_id = session.scalar(sa.select(Member.id).where(Member.user_id == f"voter-{voter}"))
            argument_id = self.argument_ids()[argument]
            session.commit()  # the reads above leave nothing under way
            engine = self.app.extensions["forum"].read_engine
            cast = votes.vote_committed(session, engine, argument_id, member_id, value)
            assert cast.tally.my_vote == value

    def argument_ids(self):
        return list(get_session().scalars(sa.select(Argument.id).order_by(Argument.id)))

    @invariant()
    def counters_equal_the_vote_rows(self):
        with self.app.app_context():
            session = get_session()
            for argument in session.scalars(sa.select(Argument)):
                values = list(session.scalars(sa.select(Vote.value).where(Vote.argument_id == argument.id)))
                assert argument.up == values.count(1)
                assert argument.down == values.count(-1)
                assert argument.score == argument.up - argument.down


def test_counters_always_equal_the_vote_rows(app):
    ids = make_article(app)
    with app.app_context():
        session = get_session()
        author = ensure_member(session, "author", "Author")
        for n in range(5):
            ensure_member(session, f"voter-{n}", f"Voter {n}")
        block = session.get(Block, ids["block1"])
        for n in range(3):
            post_argument(session, block, author, stance="counter", body=f"Argument {n}")
        session.commit()
    run_state_machine_as_test(
        lambda: VotingMachine(app),
        settings=settings(max_examples=25, stateful_step_count=30, deadline=None,
                          suppress_health_check=list(HealthCheck)),
    )


def test_removing_a_member_takes_back_their_votes_and_their_say(app, client, runner, thread, make_user, login):
    vote(client, thread, "bob", 1)
    vote(client, thread, "cat", 1)
    result = runner.invoke(args=["forum", "remove-member", "bob"])
    assert result.exit_code == 0, result.output
    assert "1 vote taken back" in result.stdout
    listed = client.get(f"/api/v1/blocks/{thread['ids']['block1']}/arguments").json["arguments"][0]
    assert (listed["up"], listed["down"], listed["score"]) == (1, 0, 1)
    assert vote(client, thread, "bob", 1).status_code == 401  # the token is revoked
    login_page = client.submit("/login", {"username": "bob", "password": "a long test password"})
    assert login_page.status_code == 302  # bob may still sign in and read
    assert client.get(f"/blocks/{thread['ids']['block1']}").status_code == 200
    posted = client.api("POST", f"/api/v1/blocks/{thread['ids']['block1']}/arguments",
                        {"stance": "counter", "body": "Still here."})
    assert posted.status_code == 403 and "removed" in posted.json["error"]["message"]


def test_removing_an_unknown_member(runner, app):
    result = runner.invoke(args=["forum", "remove-member", "nobody"])
    assert result.exit_code == 1 and "nobody" in result.stderr


# The connections a vote is sent on outlive requests; the server may drop one meanwhile (a restart, a failover).
@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
def test_a_vote_on_a_connection_the_server_dropped_is_sent_again_on_a_fresh_one(app, client, thread):
    assert vote(client, thread, "bob", 1).json["score"] == 1
    with app.app_context():
        session = get_session()
        bob = session.scalar(sa.select(Member.id).where(Member.name == "bob"))
        session.execute(sa.text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))
        session.commit()
        engine = app.extensions["forum"].read_engine
        cast = votes.vote_committed(session, engine, thread["argument"], bob, -1)
        assert (cast.tally.score, cast.tally.down) == (-1, 1)
    assert vote(client, thread, "cat", -1).json == {"score": -2, "up": 0, "down": 2, "my_vote": -1}
    with app.app_context():
        argument = get_session().get(Argument, thread["argument"])
        assert (argument.up, argument.down, argument.score) == (0, 2, -2)
