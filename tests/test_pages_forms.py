"""Every form of the site, sent with a mistake: what was typed comes back, and each error is tied to its field.

"Tied" is what a screen reader needs: the field is marked invalid, its description names the error, and the
error summary above the form links to the field.
"""

from __future__ import annotations

import lxml.html
import pytest

from forum.db import get_session
from forum.models import Role
from forum.services import arguments, lookup, moderation
from forum.services.members import find_member
from tests.articles import make_article

LONG_REASON = "r" * 501


SUMMARY = "//*[contains(concat(' ', @class, ' '), ' error-summary ')]"


def selected(doc: lxml.html.HtmlElement, select_id: str) -> list[str]:
    """The values of the options chosen in a select."""
    return [o.get("value") for o in doc.xpath(f'//*[@id="{select_id}"]//option[@selected]')]


def page_of(response) -> lxml.html.HtmlElement:
    return lxml.html.fromstring(response.get_data(as_text=True))


def assert_tied(doc: lxml.html.HtmlElement, field_id: str, message: str, *, in_place: bool = False) -> None:
    """The field is invalid, described by the message, and the summary links to it with the message.

    `in_place`: a form inside an argument (flag, hide) has no summary at the top of the page, which would
    take the reader away from the argument: the field itself takes focus.
    """
    field = doc.get_element_by_id(field_id)
    described = (field.get("aria-describedby") or "").split()
    texts = [doc.get_element_by_id(i).text_content() for i in described]
    assert any(message in t for t in texts), f"{field_id} is described by {texts}, not by {message!r}"
    if field.tag != "fieldset":
        assert field.get("aria-invalid") == "true"
    if in_place:
        assert field.get("data-focus") is not None and doc.xpath(SUMMARY) == []
        return
    links = doc.xpath(f'{SUMMARY}//a[@href="#{field_id}"]')
    assert links and message in links[0].text_content(), f"no summary link to #{field_id}"


@pytest.fixture
def ids(app, make_user):
    """The sample article with bob's counterargument on the first paragraph."""
    ids = make_article(app)
    bob = make_user("bob")
    with app.app_context():
        session = get_session()
        made = arguments.post_argument(
            session, lookup.get_thread(session, ids["block1"]), find_member(session, bob.username),
            stance="counter", body="Twice, not three times, says the record.",
        )
        session.commit()
        ids["argument"] = made.id
    return ids


# ---------------------------------------------------------------- accounts


def test_sign_in_keeps_the_name_and_ties_the_missing_password(client, make_user):
    make_user("mia")
    doc = page_of(client.submit("/login", {"username": "mia", "password": ""}))
    assert doc.get_element_by_id("username").get("value") == "mia"
    assert_tied(doc, "password", "This field is required.")


def test_a_wrong_password_is_said_above_the_form_and_keeps_the_name(client, make_user):
    make_user("mia")
    response = client.submit("/login", {"username": "mia", "password": "not her password"})
    doc = page_of(response)
    assert response.status_code == 401
    assert doc.get_element_by_id("username").get("value") == "mia"
    summary = doc.xpath(SUMMARY)[0]
    assert summary.get("role") == "alert" and "Wrong user name or password." in summary.text_content()


def test_register_keeps_the_name_and_ties_each_error(client):
    response = client.submit("/register", {"username": "xy", "password": "", "confirm": ""})
    doc = page_of(response)
    assert response.status_code == 422
    assert doc.get_element_by_id("username").get("value") == "xy"
    assert_tied(doc, "username", "between 3 and 30 characters")
    assert "username-help" in doc.get_element_by_id("username").get("aria-describedby")
    assert_tied(doc, "password", "This field is required.")
    assert_tied(doc, "confirm", "This field is required.")


def test_change_password_ties_a_mismatch_to_the_repeat(client, as_member):
    doc = page_of(client.submit("/account/password", {
        "current_password": "x", "new_password": "a new long password", "confirm": "something else",
    }))
    assert_tied(doc, "confirm", "The passwords differ.")


# ---------------------------------------------------------------- arguments


def test_a_refused_argument_keeps_everything_and_its_summary_links_each_field(client, ids, as_member):
    response = client.submit(f"/blocks/{ids['block1']}/arguments", {
        "body": "Kept, every word.", "sources-0-url": "ftp://files.example/x", "sources-0-title": "Kept title",
        "sources-0-quote": "Kept quote",
    })
    doc = page_of(response)
    assert response.status_code == 422
    assert doc.get_element_by_id("body").text_content() == "Kept, every word."
    assert doc.get_element_by_id("sources-0-title").get("value") == "Kept title"
    assert doc.get_element_by_id("sources-0-quote").text_content() == "Kept quote"
    # Every mistake at once: the stance forgotten, and the address that is no web address.
    assert_tied(doc, "stance-counter", "Choose a stance: counter, support or question.")
    assert_tied(doc, "sources-0-url", "http:// or https://")
    assert doc.xpath(SUMMARY)[0].get("data-focus") is not None


def test_a_bad_source_address_is_tied_to_its_row(client, ids, as_member):
    doc = page_of(client.submit(f"/blocks/{ids['block1']}/arguments", {
        "stance": "support", "body": "Kept.", "sources-0-url": "javascript:alert(1)",
    }))
    assert_tied(doc, "sources-0-url", "http:// or https://")
    assert "Source 1 URL" in doc.xpath(f'{SUMMARY}//a[@href="#sources-0-url"]')[0].text_content()
    assert doc.get_element_by_id("sources-0-url").get("value") == "javascript:alert(1)"


def test_an_edit_refused_keeps_the_new_text(client, app, ids, make_user, login):
    login(make_user("moe", Role.MODERATOR))
    response = client.submit(f"/arguments/{ids['argument']}/edit", {"body": "  "})
    doc = page_of(response)
    assert response.status_code == 422
    assert_tied(doc, "body", "Write the argument")


# ---------------------------------------------------------------- flags, hiding, locking, verdicts


def test_a_flag_without_its_note_comes_back_open_with_the_reason_chosen(client, ids, as_member):
    argument = ids["argument"]
    response = client.submit(f"/arguments/{argument}/flag", {"reason": "other", "note": "   "})
    doc = page_of(response)
    assert response.status_code == 422
    tool = doc.get_element_by_id(f"flag-reason-{argument}").getparent().getparent()
    assert tool.tag == "details" and tool.get("open") is not None
    assert selected(doc, f"flag-reason-{argument}") == ["other"]
    assert_tied(doc, f"flag-note-{argument}", "Say what is wrong", in_place=True)


def test_a_flag_note_too_long_is_kept(client, ids, as_member):
    argument = ids["argument"]
    note = "n" * 1001
    doc = page_of(client.submit(f"/arguments/{argument}/flag", {"reason": "other", "note": note}))
    assert doc.get_element_by_id(f"flag-note-{argument}").get("value") == note
    assert_tied(doc, f"flag-note-{argument}", "at most 1,000 characters", in_place=True)


def test_a_hide_reason_refused_is_kept_beside_its_error(client, ids, as_moderator):
    argument = ids["argument"]
    response = client.submit(f"/arguments/{argument}/hide", {"reason": LONG_REASON})
    doc = page_of(response)
    assert response.status_code == 422
    assert doc.get_element_by_id(f"hide-reason-{argument}").get("value") == LONG_REASON
    assert_tied(doc, f"hide-reason-{argument}", "at most 500 characters", in_place=True)


def test_a_lock_reason_refused_is_kept(client, ids, as_moderator):
    response = client.submit(f"/blocks/{ids['block1']}/lock", {"locked": "1", "reason": LONG_REASON})
    doc = page_of(response)
    assert response.status_code == 422
    assert doc.get_element_by_id("lock-reason").get("value") == LONG_REASON
    assert_tied(doc, "lock-reason", "at most 500 characters")


def test_a_refusal_about_the_whole_action_is_said_without_a_field(client, ids, as_moderator):
    client.submit(f"/arguments/{ids['argument']}/hide", {"reason": "Abusive."})
    response = client.submit(f"/arguments/{ids['argument']}/hide", {"reason": "Again."})
    doc = page_of(response)
    assert response.status_code == 409
    # Said in the form, inside the argument, where the moderator is.
    said = doc.xpath(f'//article[@id="argument-{ids["argument"]}"]//form//*[@role="alert"]')[0]
    assert "hidden already" in said.text_content() and said.get("data-focus") is not None


def test_resolving_a_flag_with_a_reason_too_long_keeps_it_on_the_dashboard(app, client, ids, as_moderator):
    with app.app_context():
        session = get_session()
        flag = moderation.flag(session, ids["argument"], find_member(session, "moe"), "spam")
        session.commit()
        flag_id = flag.id
    response = client.submit(f"/flags/{flag_id}/resolve", {"action": "hide", "reason": LONG_REASON})
    doc = page_of(response)
    assert response.status_code == 422
    assert doc.get_element_by_id(f"flag-reason-{flag_id}").get("value") == LONG_REASON
    assert_tied(doc, f"flag-reason-{flag_id}", "at most 500 characters")


def test_a_verdict_note_too_long_is_kept_and_tied(client, ids, as_moderator):
    note = "v" * 10_001
    response = client.submit(f"/blocks/{ids['block1']}/consensus",
                             {"status": "contested", "note": note, "version": "0"})
    doc = page_of(response)
    assert response.status_code == 422
    assert doc.get_element_by_id("verdict-note").text_content() == note
    assert_tied(doc, "verdict-note", "at most")
    assert selected(doc, "verdict-status") == ["contested"]


def test_a_verdict_status_unknown_is_tied_to_the_status(client, ids, as_moderator):
    doc = page_of(client.submit(f"/blocks/{ids['block1']}/consensus",
                                {"status": "settled", "note": "Kept note.", "version": "0"}))
    assert doc.get_element_by_id("verdict-note").text_content() == "Kept note."
    assert_tied(doc, "verdict-status", "The status is one of")


# ---------------------------------------------------------------- import


def test_an_import_with_two_inputs_keeps_both_and_ties_the_error(client, as_admin):
    response = client.submit("/import", {"text": "Kept text.", "url": "https://news.example/a",
                                         "title": "Kept title", "action": "review"})
    doc = page_of(response)
    assert response.status_code == 422
    assert doc.get_element_by_id("text").text_content() == "Kept text."
    assert doc.get_element_by_id("url").get("value") == "https://news.example/a"
    assert doc.get_element_by_id("title").get("value") == "Kept title"
    summary_links = doc.xpath(f"{SUMMARY}//a")
    assert summary_links and "paste its text, upload a file, or give its URL" in summary_links[0].text_content()
    target = summary_links[0].get("href").lstrip("#")
    assert doc.get_element_by_id(target).get("aria-invalid") == "true"


def test_every_mistake_of_an_argument_is_reported_at_once(client, ids, as_member):
    """Stance, body and each source row's every field: one round trip says them all, in the form's order."""
    response = client.submit(f"/blocks/{ids['block1']}/arguments", {
        "stance": "", "body": "   ",
        "sources-0-url": "ftp://one.example", "sources-0-title": "t" * 301,
        "sources-1-url": "", "sources-1-title": "",
        "sources-2-url": "https://three.example", "sources-2-citation": "3",
        "sources-3-url": "javascript:alert(1)", "sources-3-quote": "q" * 2001,
    })
    doc = page_of(response)
    assert response.status_code == 422
    tied = [
        ("stance-counter", "Choose a stance: counter, support or question."),
        ("body", "Write the argument before posting it."),
        ("sources-0-url", "http:// or https://"),
        ("sources-0-title", "at most 300 characters"),
        ("sources-2-citation", "no footnote [3]"),
        ("sources-3-url", "http:// or https://"),
        ("sources-3-quote", "at most 2,000 characters"),
    ]
    for field_id, message in tied:
        assert_tied(doc, field_id, message)
    links = [a.get("href") for a in doc.xpath(f"{SUMMARY}//a")]
    assert links == [f"#{field_id}" for field_id, _ in tied]
    assert "There are 7 problems" in doc.xpath(SUMMARY)[0].text_content()
    # A row's folded fields open when they hold a mistake.
    assert doc.get_element_by_id("sources-0-title").xpath("ancestor::details")[0].get("open") is not None


def test_every_mistake_of_an_edit_is_reported_at_once(client, app, ids, make_user, login):
    login(make_user("moe", Role.MODERATOR))
    doc = page_of(client.submit(f"/arguments/{ids['argument']}/edit", {
        "body": "", "sources-0-url": "mailto:x@example.org", "sources-1-url": "https://b.example",
        "sources-1-title": "b" * 301,
    }))
    assert_tied(doc, "body", "Write the argument")
    assert_tied(doc, "sources-0-url", "http:// or https://")
    assert_tied(doc, "sources-1-title", "at most 300 characters")


def test_a_flag_needs_a_reason_chosen_and_none_is_chosen_for_the_member(client, ids, as_member):
    argument = ids["argument"]
    # The thread page links to the argument's own page for the flag form (a script moves one form in place).
    page = page_of(client.get(f"/arguments/{argument}"))
    assert selected(page, f"flag-reason-{argument}") == [""]
    response = client.submit(f"/arguments/{argument}/flag", {"reason": "", "note": "looks odd"})
    doc = page_of(response)
    assert response.status_code == 422
    assert_tied(doc, f"flag-reason-{argument}", "Choose a reason", in_place=True)
    assert doc.get_element_by_id(f"flag-note-{argument}").get("value") == "looks odd"
    # The answer lands on the argument, where the form was sent from.
    assert doc.xpath(f'//form[@action="/arguments/{argument}/flag#argument-{argument}"]')
