"""Moderation in the pages: the verdict panel and its history, flags, hiding, locking, the dashboard, audit, members."""

from __future__ import annotations

import re

import pytest

from forum.db import get_session
from forum.models import Block, Role
from forum.services import arguments, consensus, lookup
from forum.services.members import find_member
from tests.articles import make_article


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def ids(app, make_user):
    """The sample article with one counterargument by bob on the first paragraph."""
    ids = make_article(app)
    bob = make_user("bob")
    with app.app_context():
        session = get_session()
        author = find_member(session, bob.username)
        made = arguments.post_argument(
            session, lookup.get_thread(session, ids["block1"]), author,
            stance="counter", body="Twice, not three times, says the **record**.",
        )
        session.commit()
        ids["argument"] = made.id
    ids["bob"] = bob
    return ids


def sign_in(app, user):
    """A separate browser for `user`, signed in."""
    other = app.test_client()
    response = other.submit("/login", {"username": user.username, "password": user.password})
    assert response.status_code == 302
    return other


def verdict(client, block, status, note, version, keys=()):
    return client.submit(f"/blocks/{block}/consensus",
                         {"status": status, "note": note, "version": str(version), "key_arguments": list(keys)})


def test_a_member_sees_the_verdict_and_its_history_but_no_form(app, client, ids, make_user):
    moe = sign_in(app, make_user("moe", Role.MODERATOR))
    response = verdict(moe, ids["block1"], "contested", "The *minutes* disagree.", 0, [ids["argument"]])
    assert response.status_code == 303
    verdict(moe, ids["block1"], "needs_sources", "Which survey?", 1)
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert "consensus-needs_sources" in page and ">Needs sources</span>" in page
    assert "set by <strong>moe</strong>" in page
    assert "History (2 changes)" in page
    assert "Open → Contested" in page and "Contested → Needs sources" in page
    assert "<em>minutes</em>" in page and "Which survey?" in page
    assert 'name="status"' not in page and "Decision aid" not in page


def test_the_key_arguments_link_to_their_permalinks(app, client, ids, as_moderator):
    verdict(client, ids["block1"], "refuted", "See bob.", 0, [ids["argument"]])
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert f'<a href="#argument-{ids["argument"]}">Counter by bob</a>' in page


def test_a_moderator_sees_the_form_and_the_decision_aid(client, ids, as_moderator):
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert f'action="/blocks/{ids["block1"]}/consensus"' in page
    assert '<input type="hidden" name="version" value="0">' in page
    assert f'name="key_arguments" value="{ids["argument"]}"' in page
    assert "Decision aid" in page and "1 counter · 0 support" in page
    assert "(score 0)" in page and "0% of arguments cite a source" in page
    assert "open citation slot" in page


def test_a_stale_verdict_shows_what_changed_and_keeps_the_note(app, client, ids, make_user, as_moderator):
    other = sign_in(app, make_user("zoe", Role.MODERATOR))
    assert verdict(other, ids["block1"], "supported", "Zoe checked the minutes.", 0).status_code == 303
    response = verdict(client, ids["block1"], "refuted", "My careful note.", 0)
    page = text(response)
    assert response.status_code == 409
    assert "changed while you were writing" in page
    assert "It is now <strong>Supported</strong>, set by <strong>zoe</strong>" in page
    assert "Zoe checked the minutes." in page
    assert ">My careful note.</textarea>" in page
    assert '<input type="hidden" name="version" value="1">' in page
    with app.app_context():
        assert get_session().get(Block, ids["block1"]).consensus_status == "supported"
    # Saving again, having seen it, is a deliberate overwrite.
    assert verdict(client, ids["block1"], "refuted", "My careful note.", 1).status_code == 303


def test_a_member_flags_once(client, ids, as_member):
    argument = ids["argument"]
    page = text(client.get(f"/blocks/{ids['block1']}"))
    # The thread page's "Flag" leads to the argument's own page, which has the form (forum.js brings the page's
    # one flag form beside the argument instead).
    assert f'<a class="flag-link" href="/arguments/{argument}#flag-reason-{argument}" data-flag="{argument}">' in page
    assert f'action="/arguments/{argument}/flag' not in page
    own_page = text(client.get(f"/arguments/{argument}"))
    assert f'action="/arguments/{argument}/flag#argument-{argument}"' in own_page
    assert f'id="flag-reason-{argument}"' in own_page
    first = client.submit(f"/arguments/{argument}/flag", {"reason": "spam", "note": "ads"})
    assert first.status_code == 303 and first.headers["Location"].endswith(f"#argument-{argument}")
    after = text(client.get(first.headers["Location"]))
    # The thanks are said inside the argument flagged, not at the top of the page; it shows "Flagged".
    item = after[after.index(f'id="argument-{argument}"'):]
    assert "moderators will look" in item[:item.index("</article>")]
    assert 'class="flashes"' not in after
    assert 'class="badge flagged"' in item[:item.index("</article>")]
    assert f'action="/arguments/{argument}/flag' not in after
    # Still shown on the next visit, and to nobody else.
    assert 'class="badge flagged"' in text(client.get(f"/blocks/{ids['block1']}"))
    second = client.submit(f"/arguments/{argument}/flag", {"reason": "abuse"})
    assert second.status_code == 409 and "flagged this argument already" in text(second)
    assert "The council raised the toll" in text(second)  # said on the thread page itself


def test_no_flag_form_on_your_own_argument_nor_for_readers(app, client, ids, make_user):
    assert "/flag" not in text(client.get(f"/blocks/{ids['block1']}"))
    author = sign_in(app, ids["bob"])
    assert "/flag" not in text(author.get(f"/blocks/{ids['block1']}"))
    assert author.submit(f"/arguments/{ids['argument']}/flag", {"reason": "spam"}).status_code == 403
    assert "/flag" not in text(author.get(f"/arguments/{ids['argument']}"))
    bob = sign_in(app, make_user("bobby"))
    assert f'data-flag="{ids["argument"]}"' in text(bob.get(f"/blocks/{ids['block1']}"))
    assert f'action="/arguments/{ids["argument"]}/flag#' in text(bob.get(f"/arguments/{ids['argument']}"))
    vague = bob.submit(f"/arguments/{ids['argument']}/flag", {"reason": "other"})
    assert vague.status_code == 422 and "Say what is wrong" in text(vague)
    assert 'class="badge flagged"' not in text(bob.get(f"/blocks/{ids['block1']}"))


def test_hiding_from_the_dashboard(app, client, ids, make_user, as_member):
    client.submit(f"/arguments/{ids['argument']}/flag", {"reason": "off_topic", "note": "not about tolls"})
    moe = sign_in(app, make_user("moe", Role.MODERATOR))
    desk = text(moe.get("/moderation"))
    assert "Open flags <span class=\"count\">(1)</span>" in desk
    assert "Off topic" in desk and "not about tolls" in desk and "flagged by <strong>mia</strong>" in desk
    assert f'href="/blocks/{ids["block1"]}#argument-{ids["argument"]}"' in desk
    flag_id = int(re.search(r'action="/flags/(\d+)/resolve"', desk).group(1))
    response = moe.submit(f"/flags/{flag_id}/resolve", {"action": "hide", "reason": "Off topic here."})
    assert response.status_code == 303 and response.headers["Location"].endswith("/moderation")
    desk = text(moe.get("/moderation"))
    assert "The argument is hidden." in desk and "No open flags." in desk and "Off topic here." in desk
    member_view = text(client.get(f"/blocks/{ids['block1']}"))
    assert "Hidden by a moderator: Off topic here." in member_view
    assert "says the <strong>record</strong>" not in member_view
    moderator_view = text(moe.get(f"/blocks/{ids['block1']}"))
    assert "says the <strong>record</strong>" in moderator_view and "Restore argument" in moderator_view


def test_dismissing_a_flag(app, client, ids, make_user, as_member):
    client.submit(f"/arguments/{ids['argument']}/flag", {"reason": "spam"})
    moe = sign_in(app, make_user("moe", Role.MODERATOR))
    flag_id = int(re.search(r'action="/flags/(\d+)/resolve"', text(moe.get("/moderation"))).group(1))
    assert moe.submit(f"/flags/{flag_id}/resolve", {"action": "dismiss"}).status_code == 303
    again = moe.submit(f"/flags/{flag_id}/resolve", {"action": "hide"})
    assert again.status_code == 409 and "resolved already" in text(again) and "Open flags" in text(again)
    assert "says the <strong>record</strong>" in text(client.get(f"/blocks/{ids['block1']}"))


def test_hide_and_restore_from_the_thread(client, ids, as_moderator):
    response = client.submit(f"/arguments/{ids['argument']}/hide", {"reason": "Abusive."})
    assert response.status_code == 303
    assert "The argument is hidden." in text(client.get(response.headers["Location"]))
    assert client.submit(f"/arguments/{ids['argument']}/hide", {"reason": "again"}).status_code == 409
    assert client.submit(f"/arguments/{ids['argument']}/restore", {"reason": ""}).status_code == 422
    assert client.submit(f"/arguments/{ids['argument']}/restore", {"reason": "Appeal."}).status_code == 303


def test_the_dashboard_is_for_moderators(app, client, ids, make_user):
    response = client.get("/moderation")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    mia = sign_in(app, make_user("mia"))
    assert mia.get("/moderation").status_code == 403
    assert mia.get("/moderation/audit").status_code == 403
    assert "Moderation</a>" not in text(mia.get("/"))
    assert mia.submit(f"/arguments/{ids['argument']}/hide", {"reason": "x"}).status_code == 403


def test_a_refusal_of_who_asks_is_said_above_the_thread(app, client, ids, make_user):
    mia = sign_in(app, make_user("mia"))
    refused = mia.submit(f"/arguments/{ids['argument']}/hide", {"reason": "x"})
    page = text(refused)
    assert refused.status_code == 403 and 'class="error-summary' in page
    assert "Only a moderator may do this." in page and 'id="hide-reason-' not in page


def test_a_refused_form_about_nothing_is_not_found(app, client, ids, make_user):
    moe = sign_in(app, make_user("moe", Role.MODERATOR))
    assert moe.submit("/arguments/999999/hide", {"reason": "x"}).status_code == 404
    assert moe.submit("/blocks/999999/lock", {"locked": "1", "reason": "x"}).status_code == 404


def test_lock_shows_the_reason_and_removes_the_form(app, client, ids, make_user, as_member):
    moe = sign_in(app, make_user("moe", Role.MODERATOR))
    response = moe.submit(f"/blocks/{ids['block1']}/lock", {"locked": "1", "reason": "Cooling off."})
    assert response.status_code == 303
    page = text(client.get(f"/blocks/{ids['block1']}"))
    assert "Locked: Cooling off." in page and 'name="body"' not in page
    desk = text(moe.get("/moderation"))
    assert "Locked: Cooling off." in desk
    assert "Unlock thread" in text(moe.get(f"/blocks/{ids['block1']}"))
    moe.submit(f"/blocks/{ids['block1']}/lock", {"locked": "0", "reason": "Calm again."})
    assert 'name="body"' in text(client.get(f"/blocks/{ids['block1']}"))


def test_the_audit_log_lists_and_filters(client, ids, as_moderator):
    verdict(client, ids["block1"], "contested", "Disputed.", 0)
    client.submit(f"/blocks/{ids['block1']}/lock", {"locked": "1", "reason": "Cooling off."})
    client.submit(f"/arguments/{ids['argument']}/hide", {"reason": "Abusive."})
    page = text(client.get("/moderation/audit"))
    rows = re.findall(r"<code>([\w.]+)</code>", page)
    assert rows == ["argument.hide", "thread.lock", "consensus.set", "article.import"]
    assert "Cooling off." in page and "moe" in page
    only = text(client.get("/moderation/audit?action=thread.lock"))
    assert re.findall(r"<code>([\w.]+)</code>", only) == ["thread.lock"]
    assert not re.findall(r"<code>", text(client.get("/moderation/audit?actor=999")))


def test_the_audit_log_pages_back(app, client, ids, as_moderator, monkeypatch):
    from forum.views import moderation as views
    monkeypatch.setattr(views, "AUDIT_PAGE", 2)
    verdict(client, ids["block1"], "contested", "one", 0)
    verdict(client, ids["block1"], "refuted", "two", 1)
    verdict(client, ids["block1"], "supported", "three", 2)
    page = text(client.get("/moderation/audit"))
    assert page.count("<code>consensus.set</code>") == 2
    older = re.search(r'href="([^"]+)">Older entries', page).group(1).replace("&amp;", "&")
    assert text(client.get(older)).count("<code>consensus.set</code>") == 1


def test_an_admin_appoints_a_moderator(app, client, ids, make_user, as_admin):
    mia_user = make_user("mia")
    page = text(client.get("/moderation/members"))
    member_id = int(re.search(r'<tr id="member-(\d+)">\s*<td>mia</td>', page).group(1))
    response = client.submit(f"/members/{member_id}/role", {"role": "moderator"})
    assert response.status_code == 303
    assert "mia is now a moderator." in text(client.get("/moderation/members"))
    mia = sign_in(app, mia_user)
    assert mia.get("/moderation").status_code == 200
    assert "Moderation</a>" in text(mia.get("/"))
    refused = mia.get("/moderation/members")
    assert refused.status_code == 403 and "Only an admin may do this." in text(refused)
    client.submit(f"/members/{member_id}/role", {"role": "admin"})
    assert "mia is now an admin." in text(client.get("/moderation/members"))
    assert "member.role" in text(client.get("/moderation/audit"))


def test_the_verdict_map(app, client, ids, make_user):
    with app.app_context():
        session = get_session()
        moe = find_member(session, "bob")
        moe.role = "moderator"
        consensus.set_consensus(session, ids["block1"], moe, status="contested", note="", version=0)
        consensus.set_consensus(session, ids["block3"], moe, status="needs_sources", note="", version=0)
        session.commit()
    page = text(client.get(f"/articles/{ids['article']}", follow_redirects=True))
    assert "1 contested · 1 needs sources · 3 open · 1 of 3 citations filled" in page
    strip = page[page.index('<ol class="verdict-strip">'):]
    strip = strip[: strip.index("</ol>")]
    links = re.findall(r'href="/blocks/(\d+)"', strip)
    assert [int(x) for x in links] == [ids[f"block{i}"] for i in (0, 1, 3, 4, 5)]
    assert f'href="/blocks/{ids["block1"]}"' in strip and 'aria-label="Paragraph 2: Contested"' in strip
    assert ">C</a>" in strip and ">N</a>" in strip and ">O</a>" in strip


def test_the_audit_log_renders_a_verdicts_note_and_says_that_it_scrolls(client, ids, as_moderator):
    note = "The minutes are **disputed**; see [the record](https://c.example/r)."
    verdict(client, ids["block1"], "contested", note, 0)
    client.submit(f"/blocks/{ids['block1']}/lock", {"locked": "1", "reason": "Cooling *off*."})
    page = text(client.get("/moderation/audit"))
    note = page[page.index('class="audit-note"'):]
    assert "<strong>disputed</strong>" in note and '<a href="https://c.example/r"' in note
    assert "Cooling *off*." in page  # a moderator's reason is plain text, as typed
    assert 'class="scroll-hint"' in page and 'class="table-scroll" tabindex="0" role="region"' in page
