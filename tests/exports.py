"""A debate to export: every stance, replies to any depth, a question answered, sources, votes, verdicts with a
history, an accepted citation, a hidden argument with a reply and a withdrawn one; and readers of the exports."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from forum.db import get_session
from forum.models import Argument, Block, Role
from forum.services import citations, consensus, moderation, votes
from forum.services.arguments import SourceInput, post_argument, withdraw_argument
from forum.services.members import ensure_member
from tests.articles import make_article

INTEROP = Path(__file__).parent / "interop"
# Text that would read as syntax in every format, were it not escaped.
HOSTILE = 'Tolls [1] <rise> #again @[P1] // not a comment "quoted" \\ back * star _under_ {data} + - :'


def build_debate(app) -> dict[str, Any]:
    """The debate; returns the ids that the tests name."""
    ids = make_article(app)
    with app.app_context():
        session = get_session()
        mia = ensure_member(session, "u-mia", "Mia")
        rita = ensure_member(session, "u-rita", "Rita")
        moe = ensure_member(session, "u-moe", "Moe")
        moe.role = Role.MODERATOR.value
        first, second = session.get(Block, ids["block1"]), session.get(Block, ids["block3"])
        counter = post_argument(session, first, mia, stance="counter", body="It rose **twice**, not thrice.",
                                sources=[SourceInput("https://council.example/tolls", "Toll history",
                                                     "Raised in 2021 and 2023.", 2)])
        support = post_argument(session, first, rita, stance="support", body=HOSTILE)
        reply = post_argument(session, first, rita, stance="counter", body="The minutes list three rises.",
                              parent_id=counter.id)
        deeper = post_argument(session, first, mia, stance="support", body="One was withdrawn.",
                               parent_id=reply.id)
        question = post_argument(session, first, mia, stance="question", body="Which year was the first?")
        answer = post_argument(session, first, rita, stance="support", body="2019, per the minutes.",
                               parent_id=question.id)
        hidden = post_argument(session, second, rita, stance="counter", body="Spam spam spam.")
        under_hidden = post_argument(session, second, mia, stance="support", body="Reply under the spam.",
                                     parent_id=hidden.id)
        withdrawn = post_argument(session, second, mia, stance="support", body="I take this back.")
        kept = post_argument(session, second, mia, stance="counter", body="Shift workers drive less.")
        session.flush()
        votes.cast_vote(session, counter.id, rita, 1)
        votes.cast_vote(session, support.id, mia, -1)
        moderation.hide(session, hidden.id, moe, "Spam")
        withdraw_argument(session, withdrawn, mia)
        consensus.set_consensus(session, first.id, moe, status="contested", note="Both sides.", version=0,
                                key_arguments=[counter.id, support.id])
        consensus.set_consensus(session, first.id, moe, status="refuted", note="The minutes settle it.",
                                version=1, key_arguments=[counter.id])
        citations.accept_citation(session, ids["article"], 2, moe, counter.sources[0].id)
        session.commit()
        return {**ids, "counter": counter.id, "support": support.id, "reply": reply.id, "deeper": deeper.id,
                "question": question.id, "answer": answer.id, "hidden": hidden.id, "under_hidden": under_hidden.id,
                "withdrawn": withdrawn.id, "kept": kept.id, "moe": moe.id}


def forum_relations(app, article_id: int, moderator: bool) -> set[tuple[str, str, str]]:
    """What the forum holds: (argument, "support" or "attack", what it answers) for every argument a reader (or a
    moderator) sees that is no question; a paragraph is b<id>, an argument a<id>."""
    with app.app_context():
        rows = get_session().execute(
            sa.select(Argument.id, Argument.parent_id, Argument.block_id, Argument.stance, Argument.hidden)
            .join(Block, Block.id == Argument.block_id).where(Block.article_id == article_id)
        ).all()
    hidden = {r.id for r in rows if r.hidden} if not moderator else set()
    parents = {r.id: r.parent_id for r in rows}

    def left_out(argument_id: int | None) -> bool:
        while argument_id is not None:
            if argument_id in hidden:
                return True
            argument_id = parents[argument_id]
        return False

    kinds = {"counter": "attack", "support": "support"}
    return {
        (f"a{r.id}", kinds[r.stance], f"a{r.parent_id}" if r.parent_id else f"b{r.block_id}")
        for r in rows if r.stance in kinds and not left_out(r.id)
    }


def parse_argdown(text: str) -> dict[str, Any]:
    """Argdown parsed by Argdown's own parser (installed into tests/interop by npm on first use)."""
    node, npm = shutil.which("node"), shutil.which("npm")
    assert node and npm, "the Argdown round trip needs Node.js and npm (Debian's nodejs and npm)"
    if not (INTEROP / "node_modules" / "@argdown" / "core").exists():
        subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=INTEROP, check=True, capture_output=True,
                       timeout=300)
    done = subprocess.run([node, str(INTEROP / "argdown_parse.mjs")], input=text.encode(), capture_output=True,
                          check=True, timeout=120)
    return json.loads(done.stdout)


def canonical(export: dict[str, Any]) -> dict[str, Any]:
    """An export with its ids renumbered in reading order (blocks, arguments and members each apart), so that
    the exports of two forums compare."""
    data = json.loads(json.dumps(export))
    blocks: dict[int, int] = {}
    arguments: dict[int, int] = {}
    members: dict[int, int] = {}

    def number(table: dict[int, int], value: int | None) -> int | None:
        return None if value is None else table.setdefault(value, len(table) + 1)

    def person(value: dict | None) -> None:
        if value is not None:
            value["id"] = number(members, value["id"])

    data["article"]["id"] = 0
    for block in data["blocks"]:
        number(blocks, block["id"])
    for block in data["blocks"]:
        block["id"], block["merged_into"] = number(blocks, block["id"]), number(blocks, block["merged_into"])
        if block["thread"] is None:
            continue
        stack = list(reversed(block["thread"]["arguments"]))
        while stack:
            a = stack.pop()
            a["id"], a["parent_id"] = number(arguments, a["id"]), number(arguments, a["parent_id"])
            person(a["author"])
            stack.extend(reversed(a["replies"]))
    for block in data["blocks"]:
        if block["thread"] is None:
            continue
        verdict = block["thread"]["consensus"]
        verdict["key_arguments"] = [number(arguments, i) for i in verdict["key_arguments"]]
        person(verdict["set_by"])
        for change in verdict["history"]:
            change["key_arguments"] = [number(arguments, i) for i in change["key_arguments"]]
            person(change["by"])
    for slot in data["citations"]:
        if slot["accepted"]:
            slot["accepted"]["argument_id"] = number(arguments, slot["accepted"]["argument_id"])
        for proposal in slot["proposals"]:
            proposal["argument_id"] = number(arguments, proposal["argument_id"])
    return data
