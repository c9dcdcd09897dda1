"""A chain of replies a thousand deep: the API nests 32 levels and lists the rest flat, the page folds; no 500."""

import pytest
import sqlalchemy as sa

from forum.api.present import MAX_NESTING
from forum.db import get_session
from forum.models import Argument
from forum.services import members
from tests.articles import make_article

DEPTH = 1_000


def reply_chain(app, block_id: int, depth: int) -> list[int]:
    """`depth` arguments, each answering the one before, written in bulk; their ids, the first at the top.

    Two statements rather than a thousand posts, each of which costs a few: the rows are those a post
    writes, the member and the thread's new version made by the services that make them.
    """
    with app.app_context():
        session = get_session()
        author = members.ensure_member(session, "writer", "Writer")
        rows = [
            {"block_id": block_id, "author_id": author.id, "stance": "question",
             "body": f"Why, at level {n}?", "html": f"<p>Why, at level {n}?</p>\n"}
            for n in range(depth)
        ]
        ids = session.scalars(sa.insert(Argument).returning(Argument.id, sort_by_parameter_order=True), rows).all()
        session.execute(sa.update(Argument), [{"id": c, "parent_id": p} for p, c in zip(ids, ids[1:])])
        session.commit()
        return list(ids)


@pytest.fixture
def chain(app):
    ids = make_article(app)
    return ids["block1"], reply_chain(app, ids["block1"], DEPTH)


def test_the_api_nests_32_levels_and_lists_deeper_replies_flat_in_reading_order(client, chain):
    block_id, ids = chain
    response = client.get(f"/api/v1/blocks/{block_id}/arguments")
    assert response.status_code == 200
    tree = response.json["arguments"]
    assert len(tree) == 1 and response.json["next"] is None
    node, nested = tree[0], [tree[0]["id"]]
    for _ in range(MAX_NESTING - 1):
        assert len(node["replies"]) == 1
        node = node["replies"][0]
        nested.append(node["id"])
    assert nested == ids[:MAX_NESTING]
    deeper = node["replies"]
    assert [a["id"] for a in deeper] == ids[MAX_NESTING:]
    assert [a["parent_id"] for a in deeper] == ids[MAX_NESTING - 1 : -1]
    assert all(a["replies"] == [] for a in deeper)
    assert deeper[-1]["body"] == f"Why, at level {DEPTH - 1}?"


def test_the_page_folds_the_chain_and_a_reply_at_its_end_is_posted(client, chain, as_member):
    block_id, ids = chain
    page = client.get(f"/blocks/{block_id}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"Show {DEPTH - 4} more replies" in text
    assert f"Why, at level {DEPTH - 1}?" in text and f'id="argument-{ids[-1]}"' in text
    answer = client.api(
        "POST", f"/api/v1/blocks/{block_id}/arguments",
        {"stance": "support", "body": "Because it goes on.", "parent_id": ids[-1]},
    )
    assert answer.status_code == 201
    assert client.get(f"/api/v1/blocks/{block_id}/arguments").status_code == 200
