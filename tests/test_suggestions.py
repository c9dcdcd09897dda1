"""Suggested consensus: each argument's helpfulness, each thread's computed status by the product's rules, the
command that scores, the API, the ranking, the moderators' panel and queue, and pages after a rescoring.

The scorer itself is tested with its simulations; here a fixed stand-in (`chosen`) says which argument is
how helpful, so that these tests read the rules and the plumbing around any scorer.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from datetime import timedelta

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, Block, Role, ScoringRun, Suggestion, utcnow
from forum.scoring import ALGORITHM, ArgumentScore
from forum.services import arguments, consensus, members, moderation, scoring_runs, votes
from forum.services.suggestions import Scored, suggest
from forum.services.threads import SORT_KEYS
from tests.articles import SAMPLE, make_article
from tests.helpers import PASSWORD, ForumClient
from tests.queries import statements

# --- the rules, alone -----------------------------------------------------------------------------------


def scored(id_: int, stance: str, helpfulness: float | None, helpful: bool | None = None) -> Scored:
    return Scored(id_, stance, helpfulness, helpful if helpful is not None else (helpfulness or 0) >= 0.4)


@pytest.mark.parametrize(
    ("arguments", "open_slots", "status", "basis"),
    [
        ([scored(1, "support", 0.6), scored(2, "counter", 0.1)], 0, "supported", [1]),
        ([scored(1, "support", 0.2), scored(2, "counter", 0.5)], 3, "refuted", [2]),
        ([scored(1, "support", 0.45), scored(2, "counter", 0.7), scored(3, "question", 0.9)], 0, "contested", [2, 1]),
        ([scored(1, "support", 0.1), scored(3, "question", 0.5)], 0, "needs_sources", [3]),
        ([scored(1, "support", 0.1)], 1, "needs_sources", []),
        ([scored(1, "support", None, None), scored(2, "counter", 0.39)], 0, "open", []),
        ([], 0, "open", []),
    ],
    ids=["supported", "refuted", "contested", "helpful question", "open citation", "open", "empty"],
)
def test_the_rules_give_each_thread_its_status_and_basis(arguments, open_slots, status, basis):
    made = suggest(arguments, open_slots)
    assert made.status == status
    assert [b["argument_id"] for b in made.basis] == basis
    assert all(set(b) == {"argument_id", "stance", "helpfulness"} for b in made.basis)


# --- a scored forum ------------------------------------------------------------------------------------


@dataclass
class Chosen:
    """What the stand-in scorer answers, by argument id."""

    scores: dict[int, ArgumentScore]


@pytest.fixture
def chosen(monkeypatch) -> Chosen:
    """A stand-in for the scorer: every voted argument gets the score the test chose (else too few votes)."""
    picked = Chosen({})

    def score_votes(voters, arguments, values, *, seed=0):
        return {a: picked.scores.get(a, ArgumentScore(None, None, 1)) for a in set(arguments)}

    monkeypatch.setattr(scoring_runs, "score_votes", score_votes)
    return picked


def helpful(value: float = 0.6) -> ArgumentScore:
    return ArgumentScore(value, True, 8, 0.1, (5, 3))


def unhelpful(value: float = 0.05) -> ArgumentScore:
    return ArgumentScore(value, False, 8)


@dataclass
class Forum:
    """The sample article with arguments on its threads (by name) and the ids of its blocks."""

    ids: dict[str, int]
    args: dict[str, int]
    moderator: int


@pytest.fixture
def forum(app, make_user) -> Forum:
    """Threads to score: block0 (no footnotes) gets a helpful support, a partisan counter, a helpful reply
    that disagrees and a hidden helpful counter; block4 a helpful counter; block5 both; block1 a helpful
    question; block3 nothing (it cites open footnotes). Five voters vote on every argument."""
    ids = make_article(app)
    moe_user = make_user("moe", Role.MODERATOR)
    make_user("mia")
    posts = [
        ("s0", "block0", "support", None), ("c0", "block0", "counter", None), ("r0", "block0", "counter", "s0"),
        ("h0", "block0", "counter", None), ("c4", "block4", "counter", None), ("s5", "block5", "support", None),
        ("c5", "block5", "counter", None), ("q1", "block1", "question", None),
    ]
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, "author", "author")
        moe = members.ensure_member(session, str(moe_user.id), "moe")
        made: dict[str, int] = {}
        for name, block, stance, parent in posts:
            argument = arguments.post_argument(
                session, session.get(Block, ids[block]), author, stance=stance, body=f"Argument {name}.",
                parent_id=made[parent] if parent else None,
            )
            session.flush()
            made[name] = argument.id
        session.commit()
        voters = [members.ensure_member(session, f"voter{n}", f"voter {n}") for n in range(5)]
        for voter in voters:
            for argument_id in made.values():
                votes.cast_vote(session, argument_id, voter, 1)
        moderation.hide(session, made["h0"], moe, "Off topic")
        session.commit()
    return Forum(ids, made, moe_user.id)


def choose_all(chosen: Chosen, forum: Forum) -> None:
    a = forum.args
    chosen.scores = {a["s0"]: helpful(0.7), a["c0"]: unhelpful(), a["r0"]: helpful(0.8), a["h0"]: helpful(0.9),
                     a["c4"]: helpful(0.5), a["s5"]: helpful(0.45), a["c5"]: helpful(0.65), a["q1"]: helpful(0.41)}


def score(app, **options) -> scoring_runs.ScoringReport:
    with app.app_context():
        session = get_session()
        report = scoring_runs.score(session, **options)
        session.commit()
        return report


def stored(app) -> dict[int, Suggestion]:
    with app.app_context():
        session = get_session()
        found = {s.block_id: s for s in session.scalars(sa.select(Suggestion))}
        session.expunge_all()
        return found


def test_a_scoring_stores_helpfulness_and_every_threads_suggestion(app, chosen, forum):
    choose_all(chosen, forum)
    report = score(app)
    assert report.votes == 5 * 8  # the hidden argument's votes too: it was hidden after them
    assert report.algorithm == ALGORITHM
    assert re.fullmatch(r"[0-9a-f]{64}", report.digest)
    with app.app_context():
        rows = dict(get_session().execute(sa.select(Argument.id, Argument.helpful)).all())
    assert rows[forum.args["s0"]] is True and rows[forum.args["c0"]] is False
    found = stored(app)
    ids = forum.ids
    # A reply's stance reads against its argument, and a hidden argument counts for nothing.
    assert found[ids["block0"]].status == "supported"
    assert [b["argument_id"] for b in found[ids["block0"]].basis] == [forum.args["s0"]]
    # Each basis argument keeps how many raters of each side of the scorer's factor rated it.
    assert found[ids["block0"]].basis[0] == {
        "argument_id": forum.args["s0"], "stance": "support", "helpfulness": 0.7, "sides": [5, 3],
    }
    assert found[ids["block4"]].status == "refuted"
    assert found[ids["block5"]].status == "contested"
    assert [b["argument_id"] for b in found[ids["block5"]].basis] == [forum.args["c5"], forum.args["s5"]]
    assert found[ids["block1"]].status == "needs_sources"
    assert found[ids["block3"]].status == "needs_sources" and found[ids["block3"]].basis == []
    # Every thread is scored (headings have none), each naming the algorithm and the input's digest.
    assert ids["block2"] not in found
    assert {s.algorithm for s in found.values()} == {ALGORITHM}
    assert {s.input_digest for s in found.values()} == {report.digest}
    # Members who voted, by the stance of the top-level arguments that count.
    assert found[ids["block0"]].voters == {"support": 5, "counter": 5, "question": 0}


def test_scoring_again_with_nothing_changed_writes_nothing_and_moves_no_page(app, chosen, forum):
    choose_all(chosen, forum)
    score(app)
    with app.app_context():
        versions = dict(get_session().execute(sa.select(Block.id, Block.version)).all())
    again = score(app)
    assert (again.arguments_changed, again.suggestions_changed) == (0, 0)
    with app.app_context():
        session = get_session()
        assert dict(session.execute(sa.select(Block.id, Block.version)).all()) == versions
        assert session.scalar(sa.select(sa.func.count()).select_from(ScoringRun)) == 2
    # A changed score moves its thread alone.
    chosen.scores[forum.args["c0"]] = helpful(0.55)
    third = score(app)
    assert (third.arguments_changed, third.suggestions_changed) == (1, 1)
    assert stored(app)[forum.ids["block0"]].status == "contested"
    with app.app_context():
        now = dict(get_session().execute(sa.select(Block.id, Block.version)).all())
    assert {b for b in now if now[b] != versions[b]} == {forum.ids["block0"]}


def test_scoring_one_article_writes_that_articles_threads_alone(app, chosen, forum):
    choose_all(chosen, forum)
    other = make_article(app, dataclasses.replace(SAMPLE, title="Another toll"))
    score(app, article_id=forum.ids["article"])
    found = stored(app)
    assert forum.ids["block0"] in found
    assert other["block0"] not in found


# --- the command ---------------------------------------------------------------------------------------


def test_flask_forum_score_scores_now_and_says_what_changed(app, runner, chosen, forum):
    choose_all(chosen, forum)
    result = runner.invoke(args=["forum", "score"])
    assert result.exit_code == 0, result.output
    assert "Scored 40 votes" in result.output
    assert "Input digest" in result.output
    assert stored(app)[forum.ids["block0"]].status == "supported"
    assert runner.invoke(args=["forum", "score", "--article", "99999"]).exit_code != 0
    assert "--article" in runner.invoke(args=["forum", "score", "--watch", "--article", "1"]).output


def test_watch_scores_only_when_the_votes_call_for_it(app, runner, chosen, forum):
    choose_all(chosen, forum)
    watch = ["forum", "score", "--watch", "--rounds", "1", "--poll", "0", "--after-votes", "3", "--every", "3600"]
    assert "Scored" in runner.invoke(args=watch).output  # never scored: due
    assert "Scored" not in runner.invoke(args=watch).output  # nothing changed
    with app.app_context():
        session = get_session()
        voter = members.ensure_member(session, "late", "late voter")
        votes.cast_vote(session, forum.args["c4"], voter, -1)
        session.commit()
    assert "Scored" not in runner.invoke(args=watch).output  # one new vote of three, and not an hour yet
    with app.app_context():
        session = get_session()
        state = scoring_runs.freshness(session)
    assert state.changed and state.new_votes == 1
    later = state.last_scored + timedelta(hours=2)
    assert scoring_runs.due(state, after_votes=3, every=3600, now=later)
    assert not scoring_runs.due(state, after_votes=3, every=3600, now=utcnow())


# --- the API -------------------------------------------------------------------------------------------


def test_the_suggestion_in_the_api(app, client, chosen, forum):
    url = f"/api/v1/blocks/{forum.ids['block0']}/suggestion"
    never = client.get(url)
    assert never.status_code == 200
    assert never.json == {"status": "open", "basis": [], "scored_at": None, "algorithm": None}
    choose_all(chosen, forum)
    score(app)
    answer = client.get(url).json
    assert set(answer) == {"status", "basis", "scored_at", "algorithm"}
    assert answer["status"] == "supported"
    assert answer["basis"] == [{"argument_id": forum.args["s0"], "stance": "support", "helpfulness": 0.7}]
    assert answer["algorithm"] == ALGORITHM and answer["scored_at"]
    assert client.get(f"/api/v1/blocks/{forum.ids['block2']}/suggestion").status_code == 404  # a heading


def test_arguments_in_the_api_carry_their_helpfulness(app, client, chosen, forum):
    block = forum.ids["block0"]
    before = client.get(f"/api/v1/blocks/{block}/arguments").json["arguments"]
    assert {(a["helpfulness"], a["helpful"]) for a in before} == {(None, None)}
    choose_all(chosen, forum)
    score(app)
    after = {a["id"]: a for a in client.get(f"/api/v1/blocks/{block}/arguments").json["arguments"]}
    assert (after[forum.args["s0"]]["helpfulness"], after[forum.args["s0"]]["helpful"]) == (0.7, True)
    assert after[forum.args["c0"]]["helpful"] is False


# --- ranking -------------------------------------------------------------------------------------------


@dataclass
class Ranked:
    id: int
    up: int
    down: int
    score: int
    created_at: object
    helpfulness: float | None
    helpful: bool | None


def test_best_ranks_by_helpfulness_where_known_and_a_brigade_does_not_lift_its_argument():
    now = utcnow()
    brigaded = Ranked(1, 300, 0, 300, now, 0.02, False)  # up-voted by one camp alone
    bridging = Ranked(2, 9, 3, 6, now, 0.55, True)
    fresh = Ranked(3, 4, 0, 4, now, None, None)
    stale = Ranked(4, 1, 2, -1, now, None, None)
    bridging_more = Ranked(5, 5, 3, 2, now, 0.7, True)
    order = sorted([brigaded, bridging, fresh, stale, bridging_more], key=SORT_KEYS["best"])
    assert [a.id for a in order] == [5, 2, 3, 4, 1]
    assert sorted([brigaded, bridging], key=SORT_KEYS["top"])[0] is brigaded  # raw score still has its sort


def test_threads_rank_best_by_helpfulness(app, client, chosen, forum):
    block = forum.ids["block0"]
    a = forum.args
    listed = client.get(f"/api/v1/blocks/{block}/arguments").json["arguments"]
    assert [x["id"] for x in listed] == [a["s0"], a["c0"], a["h0"]]  # equal votes: oldest first
    choose_all(chosen, forum)
    score(app)
    listed = client.get(f"/api/v1/blocks/{block}/arguments").json["arguments"]
    assert [x["id"] for x in listed] == [a["h0"], a["s0"], a["c0"]]
    page = client.get(f"/blocks/{forum.ids['block5']}").get_data(as_text=True)
    assert "helpfulness 0.65" in page and "<strong>Helpful</strong>" in page


# --- the pages -----------------------------------------------------------------------------------------


def sign_in(app, username: str) -> ForumClient:
    app.test_client_class = ForumClient
    client = app.test_client()
    assert client.submit("/login", {"username": username, "password": PASSWORD}).status_code == 302
    return client


def test_moderators_see_the_suggestion_beside_the_form_and_accept_fills_it(app, chosen, forum):
    choose_all(chosen, forum)
    score(app)
    moe = sign_in(app, "moe")
    url = f"/blocks/{forum.ids['block5']}"
    page = moe.get(url).get_data(as_text=True)
    assert "Suggested consensus" in page
    assert "5 on the support side" in page
    assert "rated by 5 and 3 members of the two sides" in page
    assert f'href="#argument-{forum.args["c5"]}"' in page
    assert "accept=suggestion" in page
    filled = moe.get(url + "?accept=suggestion").get_data(as_text=True)
    assert re.search(r'<option value="contested" selected>', filled)
    for name in ("c5", "s5"):
        assert re.search(rf'value="{forum.args[name]}" checked', filled)
    assert "save to make it the verdict" in filled
    # Only saving makes it the verdict.
    assert stored(app)[forum.ids["block5"]].status == "contested"
    with app.app_context():
        assert get_session().get(Block, forum.ids["block5"]).consensus_status == "open"


def test_readers_see_the_verdict_and_the_suggestion_marked_as_computed(app, client, make_user, chosen, forum):
    choose_all(chosen, forum)
    score(app)
    page = client.get(f"/blocks/{forum.ids['block0']}").get_data(as_text=True)
    assert "Computed from members’ votes, not a moderator’s verdict" in page
    assert "Suggested: Supported" in page
    assert "Suggested consensus" not in page and "accept=suggestion" not in page
    mia = sign_in(app, "mia")
    assert "accept=suggestion" not in mia.get(f"/blocks/{forum.ids['block0']}?accept=suggestion").get_data(as_text=True)
    with app.app_context():
        slug = get_session().get(Block, forum.ids["block0"]).article.slug
    article = client.get(f"/articles/{forum.ids['article']}/{slug}").get_data(as_text=True)
    summary = article[article.index(f'id="summary-{forum.ids["block0"]}"'):]
    assert "Computed:" in summary[: summary.index("</div>")]


def test_a_verdict_that_disagrees_with_a_confident_suggestion_shows_in_the_queue(app, chosen, forum):
    choose_all(chosen, forum)
    score(app)
    with app.app_context():
        session = get_session()
        moe = members.ensure_member(session, str(forum.moderator), "moe")
        consensus.set_consensus(session, forum.ids["block0"], moe, status="refuted", note="", version=0)
        consensus.set_consensus(session, forum.ids["block4"], moe, status="refuted", note="", version=0)
        session.commit()
    page = sign_in(app, "moe").get("/moderation").get_data(as_text=True)
    section = page[page.index('id="second-looks-title"'):page.index('id="changes-title"')]
    assert f"/blocks/{forum.ids['block0']}#suggestion" in section  # refuted against a supported suggestion
    assert f"/blocks/{forum.ids['block4']}" not in section  # agrees


def test_a_rescoring_moves_every_kept_page_it_changes(app, client, chosen, forum):
    """Pages kept before a rescoring show its results after it: the thread, its JSON, its suggestion."""
    choose_all(chosen, forum)
    score(app)
    block = forum.ids["block0"]
    urls = [f"/blocks/{block}", f"/api/v1/blocks/{block}/arguments", f"/api/v1/blocks/{block}/suggestion"]
    kept = {}
    for url in urls:
        client.get(url)
        with statements(app) as seen:
            kept[url] = client.get(url).get_data(as_text=True)
        assert len(seen) == 1, seen.report()  # from the cache
    chosen.scores[forum.args["c0"]] = helpful(0.5)
    score(app)
    for url in urls:
        now = client.get(url).get_data(as_text=True)
        assert now != kept[url], url
    assert client.get(urls[2]).json["status"] == "contested"
    assert "Suggested: Contested" in client.get(urls[0]).get_data(as_text=True)
