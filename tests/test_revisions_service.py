"""Revising an article in the service: threads follow their paragraphs through edits, moves, splits, merges
and removals; footnotes follow their text; refusals and failures change nothing."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Conflict, Gone, Invalid, NotFound
from forum.importing import ParsedBlock, Reference
from forum.models import Argument, AuditEntry, Block, BlockRevision, Source, Vote
from forum.revisions.matching import Change, Matching, Placement
from forum.services import consensus, members, publication, revision_apply, revisions
from forum.services.article_storage import import_article
from forum.services.paragraph_history import block_revisions, older_wordings
from tests.revisions import (
    ORIGINAL,
    P1,
    P2,
    P3,
    P4,
    arguments_by_block,
    blocks_of,
    make_discussed_article,
    revised,
    slots_of,
)

EDITED_P1 = P1.replace("Officials call it", "Officials still call it")


@pytest.fixture
def ids(app, make_user):
    """The article with a discussion."""
    return make_discussed_article(app, make_user)


def revise(app, article_id, parsed, matching: Matching | None = None, monkeypatch=None):
    """Revise the article (with a given matching, if any) and commit; the report."""
    with app.app_context():
        session = get_session()
        if matching is not None:
            monkeypatch.setattr(revisions, "match_revision", lambda old, new: matching)
        try:
            report = revisions.revise_article(session, article_id, parsed)
        except Exception:
            session.rollback()
            raise
        session.commit()
        return report


def snapshot(app) -> dict:
    """Everything a revision may change, to compare before and after a refused one."""
    slots = slots_of(app, 1)
    with app.app_context():
        session = get_session()
        tables = [Block, Argument, BlockRevision, Source, Vote]
        return {
            t.__tablename__: sorted(tuple(str(v) for v in row) for row in session.execute(sa.select(t.__table__)))
            for t in tables
        } | {"slots": slots}


def test_an_edited_moved_removed_and_added_revision_keeps_every_thread(app, ids):
    new = revised(
        ParsedBlock("paragraph", EDITED_P1, [1]),
        ParsedBlock("heading", "Who pays", []),
        ParsedBlock("paragraph", P3, []),
        ParsedBlock("paragraph", P2, [2]),
        ParsedBlock("paragraph", "A new paragraph on the ferry, which nobody has costed yet.", []),
    )
    report = revise(app, ids["article"], new)
    assert report.revision == 2
    changes = report.changes
    assert (changes["edited"], changes["added"], changes["removed"], changes["split"], changes["merged"]) == (
        1, 1, 1, 0, 0)
    # How many of the heading and the swapped pair count as moved is the matcher's call.
    assert changes["unchanged"] + changes["moved"] == 3 and changes["moved"] >= 1
    assert report.review == [ids["block0"]]  # the edited paragraph had a verdict
    rows = blocks_of(app, ids["article"])
    assert [r[0] for r in rows[:4]] == [ids["block0"], ids["block1"], ids["block3"], ids["block2"]]
    assert rows[0][1:3] == ("edited", EDITED_P1)
    assert rows[4][1] == "added" and rows[4][0] not in ids.values()
    assert rows[5] == (ids["block4"], "removed", P4, 2)
    # Every argument stays where it was: the removed paragraph keeps its thread.
    assert arguments_by_block(app) == {ids[f"argument{p}"]: ids[f"block{p}"] for p in (0, 2, 3, 4)}
    with app.app_context():
        session = get_session()
        first = session.get(Block, ids["block0"])
        assert first.consensus_status == "contested" and first.consensus_needs_review
        assert [(r.revision, r.text) for r in block_revisions(session, ids["block0"])] == [(1, P1), (2, EDITED_P1)]
        assert [(r.revision, r.text) for r in block_revisions(session, ids["block2"])] == [(1, P2)]
        wordings = older_wordings(session, first)
        assert [(w.revision, w.text, w.arguments) for w in wordings] == [(1, P1, [ids["argument0"]])]
        entry = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "article.revise")).one()
        assert entry.actor_name == "command line" and entry.target_id == ids["article"]
        assert entry.details["revision"] == 2 and entry.details["removed"] == [ids["block4"]]


def test_a_moderator_setting_the_verdict_again_clears_its_review(app, ids):
    revise(app, ids["article"], revised(ParsedBlock("paragraph", EDITED_P1, [1]), *ORIGINAL.blocks[1:]))
    with app.app_context():
        session = get_session()
        moe = members.ensure_member(session, str(ids["moe"]), "moe")
        consensus.set_consensus(session, ids["block0"], moe, status="supported", note="", version=1)
        session.commit()
        assert not session.get(Block, ids["block0"]).consensus_needs_review


def test_a_split_keeps_the_thread_with_the_larger_part(app, ids, monkeypatch):
    first, second = "The council raised the toll for the third time in two years.[1]", "Officials call it maintenance."
    new = revised(ParsedBlock("paragraph", first, [1]), ParsedBlock("paragraph", second, []), *ORIGINAL.blocks[1:])
    matching = Matching(
        (
            Placement(0, Change.SPLIT, 0, (0,), 0.9),
            Placement(1, Change.SPLIT, None, (0,), 0.9),
            *(Placement(i + 1, Change.UNCHANGED, i, (i,), 1.0) for i in range(1, 5)),
        ),
        (),
        (),
    )
    report = revise(app, ids["article"], new, matching, monkeypatch)
    assert report.changes["split"] == 2 and report.review == [ids["block0"]]
    rows = blocks_of(app, ids["article"])
    assert rows[0] == (ids["block0"], "split", first, None)
    assert rows[1][1:] == ("split", second, None) and rows[1][0] not in ids.values()
    assert arguments_by_block(app)[ids["argument0"]] == ids["block0"]


def test_a_merge_moves_the_other_threads_arguments_and_their_votes(app, ids, monkeypatch):
    merged = f"{P3} {P4}"
    new = revised(*ORIGINAL.blocks[:3], ParsedBlock("paragraph", merged, []))
    matching = Matching(
        (
            *(Placement(i, Change.UNCHANGED, i, (i,), 1.0) for i in range(3)),
            Placement(3, Change.MERGED, 3, (3, 4), 0.8),
        ),
        (),
        (),
    )
    report = revise(app, ids["article"], new, matching, monkeypatch)
    assert report.changes == {"unchanged": 3, "edited": 0, "moved": 0, "split": 0, "merged": 1, "added": 0,
                              "removed": 0}
    assert arguments_by_block(app)[ids["argument4"]] == ids["block3"]
    with app.app_context():
        session = get_session()
        gone = session.get(Block, ids["block4"])
        assert (gone.change, gone.removed_in, gone.merged_into_id) == ("merged", 2, ids["block3"])
        moved = session.get(Argument, ids["argument4"])
        assert moved.origin_block_id == ids["block4"] and moved.revision == 1
        wordings = older_wordings(session, session.get(Block, ids["block3"]))
        assert [(w.block_id, w.text, w.merged) for w in wordings] == [
            (ids["block3"], P3, False), (ids["block4"], P4, True)
        ]


def test_a_merge_keeps_votes_with_their_arguments(app, ids, monkeypatch):
    new = revised(ParsedBlock("paragraph", f"{P1} {P2}", [1, 2]), ParsedBlock("heading", "Who pays", []),
                  ParsedBlock("paragraph", P3, []), ParsedBlock("paragraph", P4, []))
    matching = Matching(
        (Placement(0, Change.MERGED, 0, (0, 2), 0.8),
         *(Placement(i, Change.UNCHANGED, i + (i > 1), (i + (i > 1),), 1.0) for i in range(1, 4))),
        (), (),
    )
    revise(app, ids["article"], new, matching, monkeypatch)
    with app.app_context():
        session = get_session()
        assert session.scalar(sa.select(sa.func.count()).select_from(Vote)) == 1
        assert session.get(Argument, ids["argument0"]).up == 1
        assert session.get(Argument, ids["argument2"]).block_id == ids["block0"]


def test_renumbered_footnotes_keep_their_slots(app, ids):
    before = slots_of(app, ids["article"])
    by_reference = {ref: slot for slot, (_, ref) in before.items()}
    new = revised(
        ParsedBlock("paragraph", "A new opening that cites a new source.[1]", [1]),
        ParsedBlock("paragraph", P1.replace("[1]", "[2]"), [2]),
        ParsedBlock("heading", "Who pays", []),
        ParsedBlock("paragraph", P2.replace("[2]", "[3]"), [3]),
        ParsedBlock("paragraph", P3, []),
        ParsedBlock("paragraph", P4, []),
        references={
            1: Reference(1, "Ferry costings 2024", None),
            2: Reference(2, "Council minutes, 2 March 2023", "https://council.example/minutes"),
            3: Reference(3, "Transport survey 2022", None),
        },
    )
    revise(app, ids["article"], new)
    after = slots_of(app, ids["article"])
    assert after[by_reference["Council minutes, 2 March 2023"]] == (2, "Council minutes, 2 March 2023")
    assert after[by_reference["Transport survey 2022"]] == (3, "Transport survey 2022")
    assert sorted(n for n, _ in after.values()) == [1, 2, 3]


def test_a_members_source_follows_its_footnote_number(app, ids):
    with app.app_context():
        session = get_session()
        slot_id = next(s for s, (n, _) in slots_of(app, ids["article"]).items() if n == 2)
        session.add(Source(argument_id=ids["argument2"], url="https://survey.example/", citation=2, slot_id=slot_id))
        session.commit()
    new = revised(
        ParsedBlock("paragraph", "An opening that cites a source.[1]", [1]),
        ParsedBlock("paragraph", P1.replace("[1]", "[2]"), [2]), ParsedBlock("heading", "Who pays", []),
        ParsedBlock("paragraph", P2.replace("[2]", "[3]"), [3]), ParsedBlock("paragraph", P3, []),
        references={1: Reference(1, "A fresh source", None), 2: Reference(
            2, "Council minutes, 2 March 2023", "https://council.example/minutes"),
            3: Reference(3, "Transport survey 2022", None)},
    )
    revise(app, ids["article"], new)
    with app.app_context():
        assert get_session().scalar(sa.select(Source.citation).where(Source.slot_id == slot_id)) == 3


def test_refusals_change_nothing(app, ids, monkeypatch):
    before = snapshot(app)
    with pytest.raises(revisions.SameText):
        revise(app, ids["article"], ORIGINAL)
    with pytest.raises(NotFound):
        revise(app, 999, ORIGINAL)
    broken = Matching((Placement(0, Change.UNCHANGED, 0, (0,), 1.0),), (), ())
    with pytest.raises(Invalid):
        revise(app, ids["article"], revised(*ORIGINAL.blocks[:3]), broken, monkeypatch)
    assert snapshot(app) == before
    with app.app_context():
        session = get_session()
        ada = members.ensure_member(session, "900", "ada")
        ada.role = "admin"
        publication.unpublish_article(session, ids["article"], ada)
        session.commit()
    with pytest.raises(Gone):
        revise(app, ids["article"], revised(*ORIGINAL.blocks[:3]))


def test_a_failure_half_way_leaves_the_article_as_it_was(app, ids, monkeypatch):
    before = snapshot(app)

    def fail(*args, **kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(revision_apply, "follow_slots", fail)
    with pytest.raises(RuntimeError):
        revise(app, ids["article"], revised(ParsedBlock("paragraph", EDITED_P1, [1]), *ORIGINAL.blocks[1:3]))
    assert snapshot(app) == before
    with app.app_context():
        revised_entries = sa.select(sa.func.count()).where(AuditEntry.action == "article.revise")
        assert get_session().scalar(revised_entries) == 0


def test_a_text_published_as_another_article_is_refused(app, ids):
    other = revised(ParsedBlock("paragraph", "Another article's only paragraph, long enough to count.", []))
    with app.app_context():
        session = get_session()
        import_article(session, other)
        session.commit()
    with pytest.raises(Conflict):
        revise(app, ids["article"], other)
