"""Moderation's rules, through the services alone: verdicts, flags, hiding, locking, appointing, the audit log."""

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Conflict, Forbidden, Invalid, NotFound
from forum.models import Argument, AuditEntry, Block, ConsensusChange, Flag, Role
from forum.services import audit, consensus, moderation, votes
from forum.services.arguments import post_argument
from forum.services.members import appoint, ensure_member, set_role
from tests.articles import make_article


@pytest.fixture
def db(app):
    """A session in an app context, with an article and its people: mia and bob (members), moe (moderator), ada."""
    ids = make_article(app)
    with app.app_context():
        session = get_session()
        people = {
            "mia": ensure_member(session, "u-mia", "mia"),
            "bob": ensure_member(session, "u-bob", "bob"),
            "moe": set_role(session, "u-moe", Role.MODERATOR, "moe"),
            "max": set_role(session, "u-max", Role.MODERATOR, "max"),
            "ada": set_role(session, "u-ada", Role.ADMIN, "ada"),
        }
        block = session.get(Block, ids["block1"])
        argument = post_argument(session, block, people["mia"], stance="counter", body="Twice, not thrice.")
        session.commit()
        yield {"session": session, "ids": ids, "block": block.id, "argument": argument.id, **people}


def actions(session):
    """The audit log's actions, oldest first, leaving out the import of the fixture's article."""
    entries = sa.select(AuditEntry).where(AuditEntry.action != "article.import").order_by(AuditEntry.id)
    return [e.action for e in session.scalars(entries)]


def set_verdict(db, who="moe", status="contested", version=0, note="", keys=()):
    change = consensus.set_consensus(db["session"], db["block"], db[who], status=status, note=note,
                                     version=version, key_arguments=list(keys))
    db["session"].commit()
    return change


def test_each_verdict_moves_the_version_by_one_and_is_kept(db):
    session = db["session"]
    first = set_verdict(db, note="Both sides cite.", keys=[db["argument"]])
    second = set_verdict(db, who="max", status="refuted", version=1, note="The minutes settle it.")
    block = session.get(Block, db["block"])
    assert (block.consensus_status, block.consensus_version) == ("refuted", 2)
    assert block.consensus_set_by_id == db["max"].id and block.consensus_set_at is not None
    assert block.consensus_key_arguments == []
    kept = consensus.history(session, db["block"])
    assert [(c.version, c.from_status, c.to_status, c.member_name, c.note) for c in kept] == [
        (1, "open", "contested", "moe", "Both sides cite."),
        (2, "contested", "refuted", "max", "The minutes settle it."),
    ]
    assert kept[0].key_arguments == [db["argument"]] and kept[0].created_at is not None
    assert (first.id, second.id) == (kept[0].id, kept[1].id)
    assert actions(session) == ["consensus.set", "consensus.set"]


def test_a_stale_version_conflicts_and_changes_nothing(db):
    session = db["session"]
    set_verdict(db, status="supported")
    with pytest.raises(consensus.StaleVersion) as raised:
        set_verdict(db, who="max", status="refuted", version=0, note="Mine.")
    session.rollback()
    assert "moe" in raised.value.message and "supported" in raised.value.message
    assert isinstance(raised.value, Conflict)
    block = session.get(Block, db["block"])
    assert (block.consensus_status, block.consensus_version, block.consensus_note) == ("supported", 1, "")
    assert session.scalar(sa.select(sa.func.count()).select_from(ConsensusChange)) == 1
    assert actions(session) == ["consensus.set"]
    with pytest.raises(consensus.StaleVersion):
        set_verdict(db, version=5)


def test_key_arguments_belong_to_the_thread(db):
    session = db["session"]
    elsewhere = post_argument(session, session.get(Block, db["ids"]["block3"]), db["bob"],
                              stance="support", body="Elsewhere.")
    session.commit()
    with pytest.raises(Invalid, match="this thread"):
        set_verdict(db, keys=[elsewhere.id])
    with pytest.raises(Invalid):
        set_verdict(db, keys=[99999])
    with pytest.raises(Invalid):
        set_verdict(db, status="won")
    session.rollback()
    assert session.get(Block, db["block"]).consensus_version == 0


def test_notes_are_rendered_safely(db):
    set_verdict(db, note="**Settled**. <script>alert(1)</script> [x](javascript:alert(1)) <img onerror=x>")
    html = db["session"].get(Block, db["block"]).consensus_note_html
    assert "<strong>Settled</strong>" in html
    assert "<script" not in html and "<img" not in html and 'href="javascript' not in html
    assert consensus.history(db["session"], db["block"])[0].note_html == html


def test_only_moderators_set_verdicts(db):
    with pytest.raises(Forbidden):
        set_verdict(db, who="bob")
    with pytest.raises(NotFound):
        consensus.set_consensus(db["session"], db["ids"]["block2"], db["moe"], status="open", note="",
                                version=0)


def test_flags_once_per_member_with_a_note_for_other(db):
    session, argument = db["session"], db["argument"]
    made = moderation.flag(session, argument, db["bob"], "spam")
    session.commit()
    assert (made.reason, made.member_id, made.resolved_at) == ("spam", db["bob"].id, None)
    with pytest.raises(Conflict):
        moderation.flag(session, argument, db["bob"], "abuse")
    with pytest.raises(Forbidden):
        moderation.flag(session, argument, db["mia"], "spam")
    with pytest.raises(Invalid, match="other"):
        moderation.flag(session, argument, db["moe"], "other", "  ")
    with pytest.raises(Invalid):
        moderation.flag(session, argument, db["moe"], "rude")
    moderation.flag(session, argument, db["moe"], "other", "Copied from a blog.")
    session.commit()
    assert [f.member.name for f in moderation.open_flags(session)] == ["bob", "moe"]


def test_resolving_dismisses_or_hides_and_closes_the_flags(db):
    session, argument = db["session"], db["argument"]
    first = moderation.flag(session, argument, db["bob"], "abuse")
    second = moderation.flag(session, argument, db["ada"], "spam")
    session.commit()
    with pytest.raises(Forbidden):
        moderation.resolve_flag(session, first.id, db["bob"], "dismiss")
    with pytest.raises(Invalid, match="at most 500"):
        moderation.resolve_flag(session, second.id, db["moe"], "dismiss", "x" * 501)
    assert second.resolved_at is None
    moderation.resolve_flag(session, second.id, db["moe"], "dismiss", "Not spam.")
    session.commit()
    assert second.resolution == "dismiss" and second.resolved_by_id == db["moe"].id
    assert not session.get(Argument, argument).hidden
    with pytest.raises(Conflict):
        moderation.resolve_flag(session, second.id, db["moe"], "hide")
    moderation.resolve_flag(session, first.id, db["moe"], "hide")
    session.commit()
    hidden = session.get(Argument, argument)
    assert hidden.hidden and "abuse" in hidden.hidden_reason
    assert first.resolution == "hide" and moderation.open_flags(session) == []
    assert actions(session) == ["flag.dismiss", "argument.hide"]
    with pytest.raises(NotFound):
        moderation.resolve_flag(session, 9999, db["moe"], "dismiss")
    with pytest.raises(Invalid):
        moderation.resolve_flag(session, first.id, db["moe"], "ban")


def test_hiding_keeps_the_content_and_the_replies_and_restores(db):
    session, argument = db["session"], db["argument"]
    reply = post_argument(session, session.get(Block, db["block"]), db["bob"], stance="question",
                          body="Which year?", parent_id=argument)
    pending = moderation.flag(session, argument, db["bob"], "spam")
    session.commit()
    with pytest.raises(Forbidden):
        moderation.hide(session, argument, db["bob"], "Spam.")
    with pytest.raises(Invalid):
        moderation.hide(session, argument, db["moe"], " ")
    moderation.hide(session, argument, db["moe"], "Spam.")
    session.commit()
    kept = session.get(Argument, argument)
    assert kept.hidden and kept.body == "Twice, not thrice." and kept.hidden_reason == "Spam."
    assert session.get(Argument, reply.id).parent_id == argument
    assert pending.resolution == "hide"
    assert [a.id for a in moderation.hidden_arguments(session)] == [argument]
    with pytest.raises(Conflict):
        moderation.hide(session, argument, db["moe"], "Again.")
    moderation.restore(session, argument, db["max"], "Not spam.")
    session.commit()
    assert not kept.hidden and kept.hidden_reason is None and kept.body == "Twice, not thrice."
    with pytest.raises(Conflict):
        moderation.restore(session, argument, db["max"], "Again.")
    assert actions(session) == ["argument.hide", "argument.restore"]
    entries = audit.entries(session, action="argument.hide")
    assert entries[0].details["flags"] == [pending.id] and entries[0].actor_name == "moe"


def test_a_lock_stops_posting_and_voting(db):
    session = db["session"]
    block = session.get(Block, db["block"])
    with pytest.raises(Forbidden):
        moderation.lock(session, db["block"], db["bob"], True, "Heated.")
    moderation.lock(session, db["block"], db["moe"], True, "Heated.")
    session.commit()
    assert block.locked and block.lock_reason == "Heated."
    assert [b.id for b in moderation.locked_threads(session)] == [db["block"]]
    with pytest.raises(Forbidden, match="locked"):
        post_argument(session, block, db["bob"], stance="support", body="Late.")
    with pytest.raises(Forbidden, match="locked"):
        votes.cast_vote(session, db["argument"], db["bob"], 1)
    session.rollback()
    with pytest.raises(Conflict):
        moderation.lock(session, db["block"], db["moe"], True, "Again.")
    moderation.lock(session, db["block"], db["moe"], False, "Calmer.")
    session.commit()
    assert not block.locked and block.lock_reason is None
    assert votes.cast_vote(session, db["argument"], db["bob"], 1).score == 1
    assert actions(session) == ["thread.lock", "thread.unlock"]


def test_appointing_is_for_admins_and_never_self_demotion(db):
    session = db["session"]
    with pytest.raises(Forbidden):
        appoint(session, db["moe"], db["bob"].id, Role.MODERATOR)
    appoint(session, db["ada"], db["bob"].id, Role.MODERATOR)
    session.commit()
    assert db["bob"].role == "moderator"
    with pytest.raises(Invalid):
        appoint(session, db["ada"], db["ada"].id, Role.MODERATOR)
    with pytest.raises(NotFound):
        appoint(session, db["ada"], 9999, Role.MEMBER)
    appoint(session, db["ada"], db["moe"].id, Role.MEMBER)
    session.commit()
    entry = audit.entries(session, action="member.role")[0]
    assert (entry.target_id, entry.details) == (db["moe"].id, {"role": "member", "previous": "moderator"})


def test_every_action_writes_an_audit_entry(db):
    session = db["session"]
    set_verdict(db)
    first = moderation.flag(session, db["argument"], db["bob"], "spam")
    session.commit()
    moderation.resolve_flag(session, first.id, db["moe"], "dismiss")
    moderation.hide(session, db["argument"], db["moe"], "Spam.")
    moderation.restore(session, db["argument"], db["moe"], "Fine.")
    moderation.lock(session, db["block"], db["moe"], True, "Heated.")
    moderation.lock(session, db["block"], db["moe"], False, "Calmer.")
    appoint(session, db["ada"], db["bob"].id, Role.MODERATOR)
    session.commit()
    assert actions(session) == [
        "consensus.set", "flag.dismiss", "argument.hide", "argument.restore",
        "thread.lock", "thread.unlock", "member.role",
    ]
    # Flagging is a member's act, not a moderator's: it is in the queue, not the log.
    assert session.scalar(sa.select(sa.func.count()).select_from(Flag)) == 1
    newest = audit.entries(session, limit=2)
    assert [e.action for e in newest] == ["member.role", "thread.unlock"]
    older = audit.entries(session, before=newest[-1].id, limit=10)
    assert len(older) == 6 and all(e.id < newest[-1].id for e in older)  # the import of the article too
    assert [e.action for e in audit.entries(session, actor_id=db["ada"].id)] == ["member.role"]
    assert [e.action for e in audit.entries(session, target_type="block", target_id=db["block"])] == [
        "thread.unlock", "thread.lock", "consensus.set",
    ]


def test_resolving_a_flag_on_a_hidden_argument_closes_every_open_flag_on_it(db):
    session, argument = db["session"], db["argument"]
    moderation.hide(session, argument, db["moe"], "Spam.")
    session.commit()
    # Flags that came in after hiding, before the policy refused them, are still answered all at once.
    late = [Flag(argument_id=argument, member=db[name], reason="spam") for name in ("bob", "ada")]
    session.add_all(late)
    session.commit()
    moderation.resolve_flag(session, late[0].id, db["max"], "hide")
    session.commit()
    assert [f.resolution for f in late] == ["hide", "hide"] and moderation.open_flags(session) == []
    assert actions(session) == ["argument.hide", "flag.hide"]
