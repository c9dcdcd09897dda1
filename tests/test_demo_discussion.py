"""`flask forum load-discussion`: the Quick start's hand-written demo discussion, loaded through the services."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest
import sqlalchemy as sa
from host_app.host import create_app as create_host

from forum.db import get_session
from forum.models import (
    Account,
    Argument,
    AuditEntry,
    Block,
    ConsensusChange,
    Flag,
    Member,
    Source,
    Vote,
)
from forum.rendering import render_markdown

ROOT = Path(__file__).resolve().parent.parent
ARTICLE = ROOT / "demo" / "old-town-without-cars.txt"
DISCUSSION = ROOT / "demo" / "discussion.toml"
DEMO_PASSWORD = "demo password"  # the Makefile's, documented in the README
SMALL = """
[[members]]
name = "Mira"
role = "moderator"

[[members]]
name = "Ruth"

[[members]]
name = "Jonas"

[[arguments]]
id = "first"
paragraph = "Shopkeepers are the loudest"
by = "Ruth"
stance = "support"
body = "Traders guess wrong about how their customers travel."
up = ["Jonas"]
"""


def import_demo_article(runner) -> int:
    result = runner.invoke(args=["forum", "import", str(ARTICLE), "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)["id"]


def load(runner, article_id: int, path: Path = DISCUSSION, password: str = DEMO_PASSWORD):
    return runner.invoke(
        args=["forum", "load-discussion", str(article_id), str(path)], input=f"{password}\n"
    )


def written(app) -> dict[str, int]:
    """How many rows of each kind the forum holds."""
    with app.app_context():
        session = get_session()
        return {
            model.__name__: session.scalar(sa.select(sa.func.count()).select_from(model))
            for model in (Account, Member, Argument, Source, Vote, ConsensusChange, Flag, AuditEntry)
        }


def the_file() -> dict:
    return tomllib.loads(DISCUSSION.read_text(encoding="utf-8"))


def test_the_demo_discussion_loads_whole(app, runner):
    demo = the_file()
    article_id = import_demo_article(runner)
    result = load(runner, article_id)
    assert result.exit_code == 0, result.output
    entries = demo["arguments"]
    votes = sum(len(e.get("up", [])) + len(e.get("down", [])) for e in entries)
    assert f"Loaded {len(entries)} arguments" in result.stdout
    assert "Mira (moderator)" in result.stdout

    with app.app_context():
        session = get_session()
        arguments = list(session.scalars(sa.select(Argument).order_by(Argument.id)))
        # A few dozen arguments of every stance, replies three levels deep, on most paragraphs.
        assert len(arguments) == len(entries) >= 36
        assert {a.stance for a in arguments} == {"counter", "support", "question"}
        by_id = {a.id: a for a in arguments}

        def depth(argument: Argument) -> int:
            return 0 if argument.parent_id is None else 1 + depth(by_id[argument.parent_id])

        assert max(depth(a) for a in arguments) >= 3
        assert len({a.block_id for a in arguments}) >= 8
        # In the file's order, spread over the past week.
        assert [a.created_at for a in arguments] == sorted(a.created_at for a in arguments)
        assert (arguments[-1].created_at - arguments[0].created_at).days >= 6

        # Each argument's counters are its votes, as the file gives them; the scores differ.
        assert session.scalar(sa.select(sa.func.count()).select_from(Vote)) == votes
        for argument, entry in zip(arguments, entries):
            assert argument.body == entry["body"].strip()
            assert argument.author.name == entry["by"]
            assert (argument.up, argument.down) == (len(entry.get("up", [])), len(entry.get("down", [])))
            assert len(argument.sources) == len(entry.get("sources", []))
        assert len({a.score for a in arguments}) >= 5
        assert any(s.citation and s.slot_id for a in arguments for s in a.sources)

        roles = dict(session.execute(sa.select(Member.name, Member.role)).all())
        assert roles == {m["name"]: m.get("role", "member") for m in demo["members"]}
        assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == len(demo["members"])

        verdicts = session.execute(
            sa.select(Block.consensus_status, Block.consensus_key_arguments, Block.consensus_note)
            .where(Block.consensus_version > 0).order_by(Block.position)
        ).all()
        assert [v.consensus_status for v in verdicts] == ["contested", "supported"]
        assert all(len(v.consensus_key_arguments) == 3 and v.consensus_note for v in verdicts)
        changes = session.scalars(sa.select(ConsensusChange)).all()
        assert {c.member_name for c in changes} == {"Mira"}

        (flag,) = session.scalars(sa.select(Flag)).all()
        assert (flag.member.name, flag.reason, flag.resolved_at) == ("Ruth", "other", None)
        assert flag.argument.author.name == "Colin"


def test_every_argument_renders_and_the_moderator_can_sign_in(app, runner, client):
    article_id = import_demo_article(runner)
    assert load(runner, article_id).exit_code == 0
    with app.app_context():
        session = get_session()
        arguments = session.execute(sa.select(Argument.id, Argument.block_id, Argument.body, Argument.html)).all()
        assert all(html == render_markdown(body, 10_000) for _, _, body, html in arguments)
        threads = {block_id for _, block_id, _, _ in arguments}

    article = client.get(f"/articles/{article_id}", follow_redirects=True)
    assert article.status_code == 200
    assert "Supported" in article.get_data(as_text=True)
    for block_id in threads:
        page = client.get(f"/blocks/{block_id}", follow_redirects=True)
        assert page.status_code == 200
        text = page.get_data(as_text=True)
        for argument_id, thread, _, html in arguments:
            if thread == block_id:
                assert f'id="argument-{argument_id}"' in text
                assert html in text

    # The demo moderator signs in with the Makefile's password and finds the flag in the queue.
    signed_in = client.submit("/login", {"username": "mira", "password": DEMO_PASSWORD})
    assert signed_in.status_code == 302
    queue = client.get("/moderation").get_data(as_text=True)
    assert "A jibe at the people who agree" in queue


def test_loading_again_is_refused_and_changes_nothing(app, runner):
    article_id = import_demo_article(runner)
    assert load(runner, article_id).exit_code == 0
    before = written(app)
    again = load(runner, article_id)
    assert again.exit_code == 1
    assert f"Article {article_id} has a discussion already" in again.stderr
    assert written(app) == before


def test_the_article_must_exist(app, runner):
    result = load(runner, 404)
    assert result.exit_code == 1
    assert "no such article" in result.stderr
    assert written(app)["Member"] == 0


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('by = "Ruth"', 'by = "Rut"'), "argument 1 (id 'first'): by: no member is called 'Rut'"),
        (('stance = "support"', 'stance = "agree"'), "argument 1 (id 'first'): stance: Input should be"),
        (('body =', 'bodie ='), "argument 1 (id 'first'): unknown field 'bodie'"),
        (('body =', 'body = 5\nx ='), "argument 1 (id 'first'): body: Input should be a valid string"),
        (('paragraph = "Shopkeepers are the loudest"', 'reply_to = "zeroth"'),
         "argument 1 (id 'first'): reply_to: no earlier argument has the id 'zeroth'"),
        (('up = ["Jonas"]', 'up = ["Ruth"]'), "Ruth cannot vote on their own argument"),
        (('role = "moderator"', 'role = "boss"'), "member 1 ('Mira'): role: Input should be"),
    ],
)
def test_a_mistake_in_the_file_is_refused_with_its_entry_named(app, runner, tmp_path, change, message):
    article_id = import_demo_article(runner)
    path = tmp_path / "discussion.toml"
    path.write_text(SMALL.replace(*change, 1))
    result = load(runner, article_id, path)
    assert result.exit_code == 1
    assert message in result.stderr
    assert written(app)["Argument"] == written(app)["Member"] == 0


def test_every_mistake_is_listed_at_once(app, runner, tmp_path):
    article_id = import_demo_article(runner)
    path = tmp_path / "discussion.toml"
    path.write_text(SMALL.replace('by = "Ruth"', 'by = "Rut"').replace('stance = "support"', 'stance = "pro"')
                    + '\n[[flags]]\nargument = "nothing"\nby = "Ruth"\nreason = "spam"\n')
    result = load(runner, article_id, path)
    assert result.exit_code == 1
    assert "The discussion has 3 mistakes" in result.stderr
    for expected in ("argument 1 (id 'first'): stance:", "argument 1 (id 'first'): by: no member",
                     "flag 1 (on 'nothing'): argument: no argument has the id 'nothing'"):
        assert expected in result.stderr


@pytest.mark.parametrize(
    ("addition", "message"),
    [
        # Caught by the services, after members and earlier arguments were written in the same transaction.
        ('[[arguments]]\nparagraph = "Shopkeepers"\nby = "Jonas"\nstance = "counter"\nbody = "Not so."\n'
         '[[arguments.sources]]\nurl = "https://example.org/x"\ncitation = 9\n',
         "argument 2 ('Not so.'): This paragraph has no footnote [9] (it cites: [2], [3])."),
        ('[[arguments]]\nparagraph = "The case from the shops"\nby = "Jonas"\nstance = "counter"\nbody = "No."\n',
         "argument 2 ('No.'): no paragraph of the article begins with 'The case from the shops'."),
        ('[[arguments]]\nparagraph = "The"\nby = "Jonas"\nstance = "counter"\nbody = "No."\n',
         "argument 2 ('No.'): 5 paragraphs begin with 'The': give more of its first words."),
        ('[[verdicts]]\nparagraph = "Shopkeepers"\nby = "Ruth"\nstatus = "supported"\n',
         "verdict 1 (on 'Shopkeepers'): Only a moderator may do this."),
        ('[[verdicts]]\nparagraph = "When the neighbouring"\nby = "Mira"\nstatus = "supported"\n'
         'key_arguments = ["first"]\n',
         "verdict 1 (on 'When the neighbouring'): key_arguments: 'first' is an argument of another paragraph."),
        ('[[flags]]\nargument = "first"\nby = "Jonas"\nreason = "other"\n',
         "flag 1 (on 'first'): Say what is wrong when the reason is 'other'."),
        ('[[flags]]\nargument = "first"\nby = "Ruth"\nreason = "spam"\n',
         "flag 1 (on 'first'): You cannot flag your own argument; withdraw or edit it instead."),
    ],
)
def test_a_refusal_by_the_services_names_the_entry_and_writes_nothing(app, runner, tmp_path, addition, message):
    article_id = import_demo_article(runner)
    before = written(app)  # the import's own audit entry and nothing else
    path = tmp_path / "discussion.toml"
    path.write_text(SMALL + addition)
    result = load(runner, article_id, path)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert written(app) == before


def test_a_short_password_is_refused_for_the_first_account(app, runner):
    article_id = import_demo_article(runner)
    result = load(runner, article_id, password="short")
    assert result.exit_code == 1
    assert "member 1 ('Mira'): A password needs at least 10 characters." in result.stderr
    assert written(app)["Account"] == 0


def test_a_file_that_is_no_toml_is_refused_with_the_line(app, runner, tmp_path):
    path = tmp_path / "discussion.toml"
    path.write_text(SMALL + "[[arguments]\n")
    result = load(runner, 1, path)
    assert result.exit_code == 1
    line = SMALL.count("\n") + 1
    assert f"Cannot read {path} as TOML" in result.stderr and f"(at line {line}," in result.stderr


def test_a_host_app_gets_members_without_accounts(database_url):
    """A host that signs its users in itself has no forum passwords: the demo's members are forum members only."""
    host = create_host({"TESTING": True, "FORUM_DATABASE_URL": database_url})
    try:
        runner = host.test_cli_runner()
        article_id = import_demo_article(runner)
        result = runner.invoke(args=["forum", "load-discussion", str(article_id), str(DISCUSSION)])
        assert result.exit_code == 0, result.output
        assert "password" not in result.stdout
        with host.extensions["forum"].sessionmaker() as session:
            assert session.scalar(sa.select(sa.func.count()).select_from(Account)) == 0
            ids = set(session.scalars(sa.select(Member.user_id)))
            assert ids == {f"demo:{m['name']}" for m in the_file()["members"]}
            assert session.scalar(sa.select(sa.func.count()).select_from(Argument)) == len(the_file()["arguments"])
    finally:
        host.extensions["forum"].dispose()
