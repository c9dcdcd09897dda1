"""Notifications through the services, on both databases: every kind, every "never" rule, grouping, mentions."""

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.errors import Forbidden, Invalid
from forum.models import Block, Notification, Role
from forum.services import consensus, moderation, notifications, publication, watching
from forum.services.arguments import edit_argument, post_argument
from forum.services.members import ensure_member, remove_by, set_role
from tests.articles import make_article


@pytest.fixture
def db(app):
    """mia's argument in a thread, and the people around it: bob (member), ada lovelace (a name with a space), moe."""
    ids = make_article(app)
    with app.test_request_context():
        session = get_session()
        people = {
            "mia": ensure_member(session, "u-mia", "mia"),
            "bob": ensure_member(session, "u-bob", "bob"),
            "ada": ensure_member(session, "u-ada", "Ada Lovelace"),
            "moe": set_role(session, "u-moe", Role.MODERATOR, "moe"),
        }
        block = session.get(Block, ids["block1"])
        argument = post_argument(session, block, people["mia"], stance="counter", body="Twice, not thrice.")
        session.commit()
        yield {"session": session, "ids": ids, "block": block, "argument": argument, **people}


def told(db, who):
    """The lines `who` reads, latest first, as (kind, count, actor name, text)."""
    return [(line.kind, line.count, line.actor_name, line.text)
            for line in notifications.lines(db["session"], db[who])]


def reply(db, who, body, parent=None, block=None):
    """`who` answers `parent` (mia's argument by default; False: nobody's), committed."""
    parent = db["argument"] if parent is None else parent
    argument = post_argument(db["session"], block or db["block"], db[who], stance="counter", body=body,
                             parent_id=parent.id if parent is not False else None)
    db["session"].commit()
    return argument


def test_a_reply_tells_the_parents_author_with_the_start_of_the_reply(db):
    reply(db, "bob", "The report counts three times, on page four.")

    assert told(db, "mia") == [("reply", 1, "bob", "The report counts three times, on page four.")]
    assert notifications.unread_count(db["session"], db["mia"].id) == 1
    assert told(db, "bob") == []


def test_nobody_is_told_of_their_own_reply_or_mention(db):
    reply(db, "mia", "And I add @mia to my own point.")

    assert told(db, "mia") == []


def test_a_mention_tells_the_member_and_links_their_page(db):
    argument = reply(db, "bob", "As @Ada Lovelace showed, and as @nobody-here did not.", parent=False)

    assert told(db, "ada") == [("mention", 1, "bob", "As @Ada Lovelace showed, and as @nobody-here did not.")]
    assert f'<a class="mention" href="/members/{db["ada"].id}">@Ada Lovelace</a>' in argument.html
    assert "@nobody-here" in argument.html and "/members/" not in argument.html.split("@nobody-here")[1]


def test_a_name_ending_in_a_full_stop_cannot_catch_the_mention_at_the_end_of_a_sentence(db):
    catcher = ensure_member(db["session"], "u-bob-dot", "bob.")
    argument = reply(db, "mia", "Thanks @bob.", parent=False)

    assert f'href="/members/{db["bob"].id}">@bob</a>.' in argument.html
    assert told(db, "bob") == [("mention", 1, "mia", "Thanks @bob.")]
    assert notifications.unread_count(db["session"], catcher.id) == 0


def test_a_mention_in_code_or_an_address_is_no_mention(db):
    argument = reply(db, "bob", "Write `@bob` or mail bob@example.org, not @bob's point.", parent=False)

    assert argument.html.count('class="mention"') == 1
    assert told(db, "bob") == []  # the one real mention is bob's own


def test_a_reply_that_mentions_the_parents_author_is_one_notification(db):
    reply(db, "bob", "@mia, the report counts three times.")

    assert [kind for kind, *_ in told(db, "mia")] == ["reply"]


def test_an_edit_tells_only_the_members_it_newly_mentions(db):
    argument = reply(db, "bob", "As @mia says.", parent=False)
    edit_argument(db["session"], argument, db["bob"], body="As @mia and @Ada Lovelace say.")
    db["session"].commit()

    assert [kind for kind, *_ in told(db, "mia")] == ["mention"]
    assert [kind for kind, *_ in told(db, "ada")] == ["mention"]


def test_a_verdict_tells_those_watching_the_thread_but_not_the_moderator(db):
    watching.watch_thread(db["session"], db["bob"], db["block"].id, "watching")
    db["session"].commit()
    change = consensus.set_consensus(db["session"], db["block"].id, db["moe"], status="contested", note="",
                                     version=0)
    db["session"].commit()

    assert change.to_status == "contested"
    # mia posted there, which watches it; bob chose to.
    assert told(db, "mia") == [("verdict", 1, "moe", "The verdict is now contested (it was open).")]
    assert [kind for kind, *_ in told(db, "bob")] == ["verdict"]
    assert told(db, "ada") == [] and told(db, "moe") == []


def test_hiding_and_restoring_tell_the_author_why(db):
    moderation.hide(db["session"], db["argument"].id, db["moe"], "Insults a member.")
    db["session"].commit()
    moderation.restore(db["session"], db["argument"].id, db["moe"], "The insult was a quote.")
    db["session"].commit()

    assert told(db, "mia") == [("restored", 1, "moe", "The insult was a quote."),
                               ("hidden", 1, "moe", "Insults a member.")]


def test_a_resolved_flag_tells_the_member_who_flagged_it(db):
    session = db["session"]
    flag = moderation.flag(session, db["argument"].id, db["bob"], "spam")
    session.commit()
    moderation.resolve_flag(session, flag.id, db["moe"], "dismiss", "Looks fine to me.")
    session.commit()
    other = moderation.flag(session, db["argument"].id, db["ada"], "abuse")
    session.commit()
    moderation.resolve_flag(session, other.id, db["moe"], "hide", "Abusive.")
    session.commit()

    assert told(db, "bob") == [("flag_resolved", 1, "moe", "Your flag was reviewed and dismissed: the argument stays.")]
    assert told(db, "ada") == [("flag_resolved", 1, "moe", "The argument you flagged was hidden: Abusive.")]
    assert [kind for kind, *_ in told(db, "mia")] == ["hidden"]


@pytest.mark.parametrize("where", ["thread", "article"])
def test_a_muted_thread_or_article_tells_nothing(db, where):
    session = db["session"]
    if where == "thread":
        watching.watch_thread(session, db["mia"], db["block"].id, "muted")
    else:
        watching.watch_article(session, db["mia"], db["block"].article_id, "muted")
    session.commit()
    reply(db, "bob", "A reply that mia muted, mentioning @mia.")
    consensus.set_consensus(session, db["block"].id, db["moe"], status="refuted", note="", version=0)
    moderation.hide(session, db["argument"].id, db["moe"], "Off topic.")
    session.commit()

    assert told(db, "mia") == []


def test_a_threads_own_level_wins_over_its_articles(db):
    session = db["session"]
    watching.watch_article(session, db["bob"], db["block"].article_id, "muted")
    watching.watch_thread(session, db["bob"], db["block"].id, "watching")
    session.commit()
    consensus.set_consensus(session, db["block"].id, db["moe"], status="supported", note="", version=0)
    session.commit()

    assert [kind for kind, *_ in told(db, "bob")] == ["verdict"]


def test_posting_watches_a_thread_unless_a_level_was_chosen(db):
    session = db["session"]
    watching.watch_thread(session, db["bob"], db["block"].id, "normal")
    session.commit()
    reply(db, "bob", "A reply from someone who chose normal.")
    reply(db, "ada", "A reply from someone who chose nothing.")

    assert watching.levels_for(session, db["bob"], db["block"]).effective == "normal"
    assert watching.levels_for(session, db["ada"], db["block"]).effective == "watching"


def test_twenty_replies_are_one_line_until_it_is_read(db):
    for n in range(20):
        reply(db, "bob" if n % 2 else "ada", f"Reply number {n} to the count.")

    [line] = notifications.lines(db["session"], db["mia"])
    assert (line.kind, line.count, line.actor_name, line.text) == ("reply", 20, "bob", "Reply number 19 to the count.")
    assert notifications.unread_count(db["session"], db["mia"].id) == 1

    notifications.mark_read(db["session"], db["mia"], [line.id])
    db["session"].commit()
    reply(db, "bob", "One more, after mia read the rest.")

    assert [(kind, count) for kind, count, *_ in told(db, "mia")] == [("reply", 1), ("reply", 20)]
    assert notifications.unread_count(db["session"], db["mia"].id) == 1


def test_replies_in_two_threads_are_two_lines(db):
    session = db["session"]
    other_block = session.get(Block, db["ids"]["block3"])
    other = post_argument(session, other_block, db["mia"], stance="support", body="Elsewhere too.")
    session.commit()
    reply(db, "bob", "Here.")
    reply(db, "bob", "And there.", parent=other, block=other_block)

    assert [(kind, count) for kind, count, *_ in told(db, "mia")] == [("reply", 1), ("reply", 1)]


def test_a_reply_since_hidden_shows_neither_its_words_nor_its_author_but_to_moderators(db):
    session = db["session"]
    mine = post_argument(session, db["block"], db["moe"], stance="support", body="The moderator's own point.")
    session.commit()
    hidden = reply(db, "bob", "Something vile about mia.")
    reply(db, "bob", "Something vile about moe.", parent=mine)
    moderation.hide(session, hidden.id, db["moe"], "Vile.")
    session.commit()
    moderator_view = notifications.lines(session, db["moe"])

    [line] = notifications.lines(session, db["mia"])
    assert (line.text, line.actor_id, line.actor_name, line.argument_id) == (
        "This argument was hidden or withdrawn.", None, None, None)
    assert "vile" not in str(line).lower()
    assert moderator_view[0].text == "Something vile about moe."


def test_an_unpublished_articles_lines_show_nothing_of_it_but_to_moderators(db):
    session = db["session"]
    mine = post_argument(session, db["block"], db["moe"], stance="support", body="The moderator's own point.")
    session.commit()
    reply(db, "bob", "The toll figures in the annex.")
    reply(db, "bob", "Annex B says otherwise.", parent=mine)
    admin = set_role(session, "u-ann", Role.ADMIN, "ann")
    publication.unpublish_article(session, db["ids"]["article"], admin, "A duplicate.")
    session.commit()

    [line] = notifications.lines(session, db["mia"])
    assert (line.text, line.actor_id, line.actor_name, line.argument_id) == (
        "This article was unpublished.", None, None, None)
    assert notifications.lines(session, db["moe"])[0].text == "Annex B says otherwise."


def test_nothing_is_told_when_the_action_is_rolled_back(db):
    session = db["session"]
    post_argument(session, db["block"], db["bob"], stance="counter", body="Never posted.",
                  parent_id=db["argument"].id)
    session.rollback()

    assert session.scalar(sa.select(sa.func.count()).select_from(Notification)) == 0


def test_a_removed_member_is_told_nothing_new_and_only_reads(db):
    session = db["session"]
    reply(db, "bob", "Told before the removal.")
    remove_by(session, db["moe"], db["mia"].id, "Spam.")
    session.commit()
    reply(db, "bob", "Not told after the removal.", parent=False)
    reply(db, "ada", "Nor this reply.")

    assert [(kind, count) for kind, count, *_ in told(db, "mia")] == [("reply", 1)]
    with pytest.raises(Forbidden):
        notifications.mark_read(session, db["mia"], everything=True)
    with pytest.raises(Forbidden):
        watching.watch_thread(session, db["mia"], db["block"].id, "muted")


def test_marking_read_passes_over_other_members_lines(db):
    session = db["session"]
    reply(db, "bob", "For mia.")
    [line] = notifications.lines(session, db["mia"])

    assert notifications.mark_read(session, db["bob"], [line.id]) == 0
    session.commit()
    assert notifications.unread_count(session, db["mia"].id) == 1
    assert notifications.mark_read(session, db["mia"], everything=True) == 1
    session.commit()
    assert notifications.unread_count(session, db["mia"].id) == 0


@pytest.mark.parametrize("ids", [None, [], ["7"], [True], [0], [2**31], list(range(1, 502))])
def test_marking_read_refuses_what_is_no_list_of_ids(db, ids):
    with pytest.raises(Invalid):
        notifications.mark_read(db["session"], db["mia"], ids)


def test_a_name_two_members_share_is_left_as_text(db):
    session = db["session"]
    ensure_member(session, "u-bob-2", "Bob")  # a host's users may share a name
    session.commit()
    argument = reply(db, "ada", "As @bob said.", parent=False)

    assert 'class="mention"' not in argument.html
    assert told(db, "bob") == []


def test_a_thousand_at_signs_look_up_few_names(db):
    body = " ".join(f"@name{n}" for n in range(1000)) + " @bob"
    argument = reply(db, "ada", body, parent=False)

    assert 'class="mention"' not in argument.html  # past the first twenty, not looked up
    assert told(db, "bob") == []


def test_paging_follows_the_latest_event(db):
    session = db["session"]
    reply(db, "bob", "Reply 0.")
    for name in ("block3", "block4"):
        block = session.get(Block, db["ids"][name])
        mine = post_argument(session, block, db["mia"], stance="support", body=f"Mine in {name}.")
        session.commit()
        reply(db, "bob", f"Reply in {name}.", parent=mine, block=block)
    reply(db, "ada", "Reply 1, which moves the first line to the top.")
    everything = notifications.lines(session, db["mia"])
    first = notifications.lines(session, db["mia"], limit=1)
    rest = notifications.lines(
        session, db["mia"], after=notifications.parse_cursor(notifications.cursor_of(first[0]))
    )

    assert [line.count for line in everything] == [2, 1, 1]
    assert [line.id for line in first + rest] == [line.id for line in everything]
    with pytest.raises(Invalid):
        notifications.parse_cursor("99999999999999999999999-1")
