"""`flask forum seed-discussion`: a whole synthetic discussion whose numbers add up."""

import sqlalchemy as sa

from forum.db import get_session
from forum.models import (
    Argument,
    Block,
    CitationSlot,
    ConsensusChange,
    Member,
    Source,
    Vote,
    block_citations,
)
from tests.articles import make_article


def test_seed_a_discussion(app, runner):
    ids = make_article(app)
    result = runner.invoke(args=["forum", "seed-discussion", str(ids["article"]),
                                 "--arguments-per-thread", "12", "--votes-per-argument", "6"])
    assert result.exit_code == 0, result.output
    assert "Seeded article" in result.stdout
    # Five threads, one of them marked: counts are said in the singular when there is one.
    assert result.stdout.rstrip().endswith("; 1 thread marked.")
    with app.app_context():
        session = get_session()
        arguments = list(session.scalars(sa.select(Argument)))
        threads = session.scalar(
            sa.select(sa.func.count()).select_from(Block).where(Block.kind != "heading")
        )
        assert len(arguments) == 12 * threads
        assert {a.stance for a in arguments} == {"counter", "support", "question"}
        replies = [a for a in arguments if a.parent_id is not None]
        by_id = {a.id: a for a in arguments}
        assert replies and all(by_id[r.parent_id].block_id == r.block_id for r in replies)
        assert all(a.html.startswith("<p>") for a in arguments)

        votes = session.execute(sa.select(Vote.argument_id, Vote.member_id, Vote.value)).all()
        assert len(votes) == 6 * len(arguments)
        assert all(by_id[argument].author_id != member for argument, member, _ in votes)
        for argument in arguments:
            values = [v for a, _, v in votes if a == argument.id]
            assert (argument.up, argument.down) == (values.count(1), values.count(-1))
            assert argument.score == argument.up - argument.down

        sources = session.execute(
            sa.select(Source.slot_id, Source.citation, Argument.block_id)
            .join(Argument, Argument.id == Source.argument_id)
        ).all()
        assert sources
        cited = set(session.execute(
            sa.select(block_citations.c.block_id, CitationSlot.id, CitationSlot.number)
            .join(CitationSlot, CitationSlot.id == block_citations.c.slot_id)
        ).all())
        filling = [s for s in sources if s.slot_id is not None]
        assert filling and all((s.block_id, s.slot_id, s.citation) in cited for s in filling)

        marked = session.scalars(sa.select(Block).where(Block.consensus_status != "open")).all()
        assert marked and all(block.consensus_version == 1 for block in marked)
        history = session.scalars(sa.select(ConsensusChange)).all()
        assert sorted(c.block_id for c in history) == sorted(b.id for b in marked)
        assert all(c.member_name == "Demo moderator" and c.version == 1 for c in history)


def test_the_article_must_exist(runner, app):
    result = runner.invoke(args=["forum", "seed-discussion", "404"])
    assert result.exit_code == 1
    assert "no such article" in result.stderr


def test_seeding_twice_reuses_the_members(app, runner):
    ids = make_article(app)
    for _ in range(2):
        runner.invoke(args=["forum", "seed-discussion", str(ids["article"]),
                            "--arguments-per-thread", "2", "--votes-per-argument", "3"])
    with app.app_context():
        voters = sa.select(sa.func.count()).select_from(Member).where(Member.user_id.like("seed:%"))
        assert get_session().scalar(voters) == 8


def test_every_seeded_body_is_rendered_as_a_post_would_be(app, runner):
    from forum.rendering import render_markdown

    ids = make_article(app)
    runner.invoke(args=["forum", "seed-discussion", str(ids["article"]),
                        "--arguments-per-thread", "40", "--votes-per-argument", "0"])
    with app.app_context():
        arguments = get_session().execute(sa.select(Argument.body, Argument.html)).all()
        assert len({body for body, _ in arguments}) < len(arguments)  # bodies repeat: one render serves many
        assert all(html == render_markdown(body, 10_000) for body, html in arguments)
