"""One definition of what counts: withdrawn and hidden arguments are in no number and carry no verdict."""

from __future__ import annotations

import lxml.html
import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Invalid
from forum.models import Argument, Block, Role
from forum.services import arguments, consensus, members, moderation
from forum.services.counting import counted_arguments, counts
from tests.articles import make_article


@pytest.fixture
def world(app, make_user):
    """Four arguments on the first paragraph: two that count, one withdrawn, one hidden."""
    ids = make_article(app)
    mia, moe = make_user("mia"), make_user("moe", Role.MODERATOR)
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, str(mia.id), "mia")
        moderator = members.ensure_member(session, str(moe.id), "moe")
        block = session.get(Block, ids["block1"])
        made = {}
        for name, stance in (("kept", "counter"), ("also", "support"), ("withdrawn", "counter"),
                             ("hidden", "question")):
            made[name] = arguments.post_argument(session, block, author, stance=stance, body=f"The {name} one.").id
        session.flush()
        arguments.withdraw_argument(session, session.get(Argument, made["withdrawn"]), author)
        moderation.hide(session, made["hidden"], moderator, "Off topic.")
        session.commit()
        return {**ids, **made, "mia": mia, "moe": moe}


def test_every_surface_counts_the_same_arguments(client, world, login):
    block = world["block1"]
    api = client.get(f"/api/v1/articles/{world['article']}").json["blocks"][1]["thread"]
    assert api["arguments"] == 2 and api["counts"] == {"counter": 1, "support": 1, "question": 0}
    listing = client.get("/api/v1/articles").json["articles"][0]
    assert listing["arguments"] == 2

    article = client.get(f"/articles/{world['article']}", follow_redirects=True).get_data(as_text=True)
    summary = lxml.html.fromstring(article).get_element_by_id(f"summary-{block}")
    assert summary.xpath('.//a[@class="thread-link"]')[0].text_content() == "Discuss this paragraph (2)"
    assert "2 arguments" in client.get("/").get_data(as_text=True)

    thread = lxml.html.fromstring(client.get(f"/blocks/{block}").get_data(as_text=True))
    assert thread.get_element_by_id("arguments-title").text_content() == "Arguments (2)"
    # Moderators see the hidden and withdrawn ones in place, and the same count.
    login(world["moe"])
    thread = lxml.html.fromstring(client.get(f"/blocks/{block}").get_data(as_text=True))
    assert thread.get_element_by_id("arguments-title").text_content() == "Arguments (2)"
    assert thread.xpath(f'//*[@id="argument-{world["hidden"]}"]')


def test_withdrawn_and_hidden_arguments_are_never_offered_as_key_arguments(client, world, login):
    login(world["moe"])
    doc = lxml.html.fromstring(client.get(f"/blocks/{world['block1']}").get_data(as_text=True))
    offered = sorted(int(box.get("value")) for box in doc.xpath('//input[@name="key_arguments"]'))
    assert offered == sorted([world["kept"], world["also"]])


@pytest.mark.parametrize("name", ["withdrawn", "hidden"])
def test_a_verdict_cannot_rest_on_an_argument_that_does_not_count(app, world, name):
    with app.app_context():
        session = get_session()
        moe = members.ensure_member(session, str(world["moe"].id), "moe")
        with pytest.raises(Invalid) as refused:
            consensus.set_consensus(session, world["block1"], moe, status="contested", note="", version=0,
                                    key_arguments=[world["kept"], world[name]])
        assert refused.value.field == "key_arguments" and str(world[name]) in refused.value.message
        session.rollback()
        change = consensus.set_consensus(session, world["block1"], moe, status="contested", note="", version=0,
                                         key_arguments=[world["kept"]])
        assert change.key_arguments == [world["kept"]]


def test_the_rule_in_sql_and_in_python_agree(app, world):
    with app.app_context():
        session = get_session()
        rows = session.scalars(sa.select(Argument).order_by(Argument.id)).all()
        in_sql = set(session.scalars(sa.select(Argument.id).where(counted_arguments())))
        assert {a.id for a in rows if counts(a)} == in_sql == {world["kept"], world["also"]}
