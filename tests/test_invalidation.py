"""Page versions move by mechanism (`forum.caching.invalidation`): every forum column is placed, nothing else moves a
version, a write outside the map is refused, and a write the map forgets fails verify mode's comparison."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.caching import invalidation
from forum.caching.verify import difference
from forum.db import get_session
from forum.models import Argument, Base, Block, Vote
from forum.services import arguments, members, votes
from tests.articles import make_article

FORUM = Path(__file__).resolve().parent.parent / "forum"


def test_every_forum_column_moves_a_page_or_is_declared_shown_on_none():
    """A new table or column fails here until `MAP` says which pages it moves, or `NOT_SHOWN` says none."""
    placed = {m.table for m in invalidation.MAP} | set(invalidation.NOT_SHOWN)
    assert sorted(set(Base.metadata.tables) - placed) == []
    assert invalidation.uncovered_columns() == []
    assert {m.table for m in invalidation.MAP} <= set(Base.metadata.tables)


def version_writes(tree: ast.AST) -> list[int]:
    """Lines that set a block's or an article's `version`: assignments, and `version=` in `.values()`."""
    lines = []
    for node in ast.walk(tree):
        targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
            node, (ast.AugAssign, ast.AnnAssign)) else []
        for target in targets:
            for each in target.elts if isinstance(target, ast.Tuple) else [target]:
                if isinstance(each, ast.Attribute) and each.attr == "version" and any(
                        word in ast.unparse(each.value).lower() for word in ("block", "article")):
                    lines.append(node.lineno)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "values":
            keys = [k.arg for k in node.keywords] + [
                k.value for a in node.args if isinstance(a, ast.Dict) for k in a.keys if isinstance(k, ast.Constant)]
            if "version" in keys:
                lines.append(node.lineno)
        if isinstance(node, ast.Attribute) and node.attr == "version" and isinstance(node.value, ast.Name) \
                and node.value.id in ("Block", "Article") and isinstance(getattr(node, "parent", None), ast.BinOp):
            lines.append(node.lineno)
    return lines


def test_no_function_outside_the_invalidation_module_moves_a_page_version():
    found = {}
    for path in FORUM.rglob("*.py"):
        if path.name == "invalidation.py":
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            for child in ast.iter_child_nodes(node):
                child.parent = node  # type: ignore[attr-defined]
        if lines := version_writes(tree):
            found[str(path.relative_to(FORUM))] = lines
    assert found == {}
    assert version_writes(ast.parse("block.version += 1\nsa.update(Block).values(version=Block.version + 1)"))


def test_a_version_written_past_the_module_is_refused(app):
    ids = make_article(app)
    with app.app_context():
        session = get_session()
        session.get(Block, ids["block1"]).version = 7
        with pytest.raises(invalidation.UnmappedWrite):
            session.flush()
        session.rollback()
        with pytest.raises(invalidation.UnmappedWrite):
            session.execute(sa.update(Block).values(version=Block.version + 1))


def thread_with_an_argument(app, make_user) -> tuple[int, int, object]:
    ids = make_article(app)
    make_user("mia")
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, "mia-id", "mia")
        argument = arguments.post_argument(session, session.get(Block, ids["block1"]), author,
                                           stance="counter", body="The toll rose twice.")
        session.commit()
        return ids["block1"], argument.id, app.test_client()


def vote(app, argument_id: int) -> None:
    with app.app_context():
        session = get_session()
        votes.cast_vote(session, argument_id, members.ensure_member(session, "rita-id", "rita"), 1)
        session.commit()


def test_a_vote_moves_its_thread_page_and_the_cached_copy_is_never_served_stale(app, make_user):
    block, argument, client = thread_with_an_argument(app, make_user)
    assert "Score 0" in client.get(f"/blocks/{block}").get_data(as_text=True)
    assert client.get(f"/blocks/{block}").status_code == 200  # a hit, rendered afresh too and the same
    vote(app, argument)
    assert "Score 1" in client.get(f"/blocks/{block}").get_data(as_text=True)


def test_a_write_whose_table_the_map_forgets_is_refused(app, make_user, monkeypatch):
    _, argument, _ = thread_with_an_argument(app, make_user)
    monkeypatch.setitem(invalidation.COVERED, "forum_arguments", [])
    with app.app_context():
        session = get_session()
        session.get(Argument, argument).body = "Changed."
        with pytest.raises(invalidation.UnmappedWrite):
            session.commit()


@pytest.mark.parametrize("cookie", [False, True], ids=["fast path", "in the app"])
def test_a_write_the_map_wrongly_says_no_page_shows_fails_verify_mode(app, make_user, monkeypatch, caplog, cookie):
    """Votes and scores declared shown on no page: a vote row and its recount move no version, and the next cache
    hit, rendered afresh in verify mode, differs from the kept page: a 500, the difference logged."""
    block, argument, client = thread_with_an_argument(app, make_user)
    if cookie:
        client.set_cookie("unrelated", "1")
    assert client.get(f"/blocks/{block}").status_code == 200
    assert client.get(f"/blocks/{block}").status_code == 200
    monkeypatch.setitem(invalidation.NOT_SHOWN, "forum_votes", None)
    monkeypatch.setitem(invalidation.NOT_SHOWN, "forum_arguments", frozenset({"up", "down", "score"}))
    scores = [entry for entry in invalidation.COVERED["forum_arguments"] if entry[1] != {"up", "down", "score"}]
    monkeypatch.setitem(invalidation.COVERED, "forum_arguments", scores)
    with app.app_context():  # a vote row and its recount, written through the session's events
        session = get_session()
        session.add(Vote(argument_id=argument, member_id=members.ensure_member(session, "rita-id", "rita").id, value=1))
        votes.recount(session, [argument])
        session.commit()
    stale = client.get(f"/blocks/{block}")
    assert stale.status_code == 500
    assert "Score 1" in stale.get_data(as_text=True) and "not the page as rendered now" in caplog.text
    app.config["FORUM_CACHE_VERIFY"] = False
    assert "Score 0" in client.get(f"/blocks/{block}").get_data(as_text=True)  # what a reader would be served


def test_verify_mode_sets_aside_the_csrf_token_under_the_apps_own_field_name():
    """A host that renames Flask-WTF's field still gets its kept copies compared without their tokens."""
    kept = b'<form><input type="hidden" name="form_token" value="first"></form>'
    fresh = b'<form><input type="hidden" name="form_token" value="second"></form>'
    assert difference(kept, fresh, "form_token") is None
    assert difference(kept, fresh) is not None  # under the default name the tokens are content
    assert difference(kept, fresh.replace(b"</form>", b"<p>new</p></form>"), "form_token") is not None


def test_a_write_past_the_sessions_events_moves_its_thread_only_where_the_map_says_so():
    """A vote's own statement moves its thread's versions because `MAP` says its rows move that page alone, and
    `COUNTS_ONLY` that they are counts."""
    assert invalidation.counts_moved(sa.literal(1), votes.WRITES) is not None
    with pytest.raises(invalidation.UnmappedWrite):
        invalidation.counts_moved(sa.literal(1), {"forum_arguments": ["body"]})  # the article page shows it too
    with pytest.raises(invalidation.UnmappedWrite):
        invalidation.counts_moved(sa.literal(1), {"forum_accounts": ["username"]})  # shown on no page
    with pytest.raises(invalidation.UnmappedWrite):
        invalidation.counts_moved(sa.literal(1), {"forum_arguments": ["helpful"]})  # the thread's alone, not a count
    with pytest.raises(invalidation.UnmappedWrite):
        invalidation.counts_moved(sa.literal(1), {"forum_flags": ["argument_id", "member_id"]})
