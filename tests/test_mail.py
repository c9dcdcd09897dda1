"""Mail against a real SMTP server on the loopback (aiosmtpd): confirming an address, resetting a password,
digests and their timing, unsubscribing in one click, and a request never waiting on the mail server."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa
from itsdangerous.timed import TimestampSigner

from forum.db import get_session
from forum.models import Account, ApiToken, Block, Notification, OutboxMail, Role, utcnow
from forum.services import publication, tokens
from forum.services.members import find_member, set_role
from tests.articles import SAMPLE, make_article
from tests.helpers import PASSWORD, ForumClient
from tests.mail_server import MailServer, html_of, links_in, text_of

SITE = "http://forum.test"
ADDRESS = "mia@example.org"
NEW_PASSWORD = "a brand new passphrase"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    """aiosmtpd on a free port of 127.0.0.1, for this test alone."""
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def mail_app(app, mail_server: MailServer):
    """The site, mailing through the test's server, with links to SITE."""
    app.config.update(FORUM_SITE_URL=SITE, FORUM_MAIL_SENDER="Forum <forum@forum.test>", **mail_server.settings)
    return app


def send_mail(runner) -> str:
    """Run `flask forum send-mail` once; its output."""
    result = runner.invoke(args=["forum", "send-mail"])
    assert result.exit_code == 0, f"{result.output}\n{result.exception!r}"
    return result.output


def path_of(link: str) -> str:
    """The path and query of a link the site mailed (its host is SITE, not the test client's)."""
    assert link.startswith(SITE + "/"), link
    parts = urlsplit(link)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def link_to(message, fragment: str) -> str:
    """The one link of the mail whose path holds `fragment`."""
    found = [link for link in links_in(message) if fragment in link]
    assert len(found) == 1, links_in(message)
    return path_of(found[0])


def outbox_rows(app) -> list[OutboxMail]:
    """Every row of the outbox, oldest first."""
    with app.app_context():
        return list(get_session().scalars(sa.select(OutboxMail).order_by(OutboxMail.id)))


def give_address(app, username: str, address: str = ADDRESS, confirmed: bool = True) -> None:
    """Give an account an address, confirmed or not, straight in the database."""
    with app.app_context():
        session = get_session()
        account = session.scalar(sa.select(Account).where(Account.username == username))
        account.email = address
        account.email_confirmed_at = utcnow() if confirmed else None
        session.commit()


# ---------------------------------------------------------------- confirming an address


def test_an_address_is_confirmed_by_the_link_mailed_to_it(mail_app, client, runner, as_member, mail_server):
    page = client.get("/account/mail")
    assert page.status_code == 200 and "You have given no address" in page.get_data(as_text=True)
    saved = client.submit("/account/mail", {"email": ADDRESS, "current_password": PASSWORD, "digest": "weekly"})
    assert saved.status_code == 302
    assert "A confirmation link is on its way to mia@example.org." in client.get("/account/mail").get_data(as_text=True)

    assert "Sent 1 mail" in send_mail(runner)
    [message] = mail_server.inbox.to(ADDRESS)
    assert message["Subject"] == "Confirm your address for Test Forum"
    assert message["From"] == "Forum <forum@forum.test>"
    assert "Confirm this address" in html_of(message)
    assert message["List-Unsubscribe"].startswith(f"<{SITE}/mail/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    page = client.get("/account/mail").get_data(as_text=True)
    assert "not confirmed yet" in page

    confirmed = client.get(link_to(message, "/account/email/confirm/"), follow_redirects=True)
    assert confirmed.status_code == 200
    assert "Your address mia@example.org is confirmed." in confirmed.get_data(as_text=True)
    with mail_app.app_context():
        account = get_session().scalar(sa.select(Account).where(Account.username == "mia"))
        assert account.email == ADDRESS and account.email_confirmed_at is not None


def test_changing_the_address_needs_the_password_and_a_good_address(mail_app, client, as_member):
    wrong = client.submit("/account/mail", {"email": ADDRESS, "current_password": "not my password", "digest": "weekly"})
    assert wrong.status_code == 422
    assert "The current password is wrong." in wrong.get_data(as_text=True)
    bad = client.submit("/account/mail", {"email": "mia at example", "current_password": PASSWORD,
                                          "digest": "weekly"})
    assert bad.status_code == 422
    assert "Give a mail address such as name@example.org." in bad.get_data(as_text=True)
    injected = client.submit("/account/mail", {"email": "mia@example.org\r\nBcc: all@example.org",
                                               "current_password": PASSWORD, "digest": "weekly"})
    assert injected.status_code == 422
    assert outbox_rows(mail_app) == []
    with mail_app.app_context():
        assert get_session().scalar(sa.select(Account.email).where(Account.username == "mia")) is None


def test_a_link_for_an_address_the_account_no_longer_has_is_refused(mail_app, client, runner, as_member,
                                                                     mail_server):
    client.submit("/account/mail", {"email": ADDRESS, "current_password": PASSWORD, "digest": "weekly"})
    client.submit("/account/mail", {"email": "other@example.org", "current_password": PASSWORD, "digest": "weekly"})
    send_mail(runner)
    [first] = mail_server.inbox.to(ADDRESS)
    refused = client.get(link_to(first, "/account/email/confirm/"))
    assert refused.status_code == 400
    assert "no longer has" in refused.get_data(as_text=True)
    tampered = client.get(link_to(first, "/account/email/confirm/") + "x")
    assert tampered.status_code == 400


# ---------------------------------------------------------------- resetting a password


def test_a_forgotten_password_is_reset_from_the_mail(mail_app, client, runner, make_user, mail_server):
    user = make_user("mia")
    give_address(mail_app, "mia")
    # Signed in elsewhere, with an API token too: both end when the password is reset.
    other = mail_app.test_client()
    other.post("/login", data={"username": "mia", "password": PASSWORD})
    with mail_app.app_context():
        session = get_session()
        _, secret = tokens.issue_token(session, find_member(session, "mia"))
        session.commit()

    asked = client.submit("/password/reset", {"name_or_email": "mia"}, follow_redirects=True)
    assert asked.status_code == 200
    assert "a link to reset its password is on its way" in asked.get_data(as_text=True)
    send_mail(runner)
    [message] = mail_server.inbox.to(ADDRESS)
    assert message["Subject"] == "Reset your password on Test Forum"
    link = link_to(message, "/password/reset/")
    form = client.get(link)
    assert form.status_code == 200 and "Choose a new password" in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"

    too_short = client.submit(link, {"new_password": "short", "confirm": "short"})
    assert too_short.status_code == 422 and "at least 10 characters" in too_short.get_data(as_text=True)
    done = client.submit(link, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD}, follow_redirects=True)
    assert done.status_code == 200
    assert "Your password is set." in done.get_data(as_text=True)
    assert "Signed in as <strong>mia</strong>" in done.get_data(as_text=True)

    # Every other session and every API token ended; this browser stays signed in under the new password.
    assert other.get("/account/mail").status_code == 302
    assert client.get("/account/mail").status_code == 200
    assert client.get("/api/v1/articles", headers={"Authorization": f"Bearer {secret}"}).status_code == 401
    with mail_app.app_context():
        assert get_session().scalar(sa.select(ApiToken.revoked_at).where(ApiToken.digest == tokens.digest(secret)))
    fresh = mail_app.test_client()
    assert fresh.post("/login", data={"username": "mia", "password": PASSWORD}).status_code != 302

    # Used once, it is dead: the form and the POST both say so.
    again = client.get(link)
    assert again.status_code == 400 and "used already" in again.get_data(as_text=True)
    reuse = client.submit(link, {"new_password": "yet another passphrase", "confirm": "yet another passphrase"})
    assert reuse.status_code == 400
    assert user.username == "mia"
    login = ForumClient(mail_app, mail_app.response_class)
    assert login.submit("/login", {"username": "mia", "password": NEW_PASSWORD}).status_code == 302


def test_reset_links_that_are_expired_or_tampered_are_refused(mail_app, client, runner, make_user, mail_server,
                                                              monkeypatch):
    make_user("mia")
    give_address(mail_app, "mia")
    # A link made an hour and a second ago.
    made = int(time.time()) - 3601
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: made)
    client.submit("/password/reset", {"name_or_email": ADDRESS})
    monkeypatch.undo()
    send_mail(runner)
    [message] = mail_server.inbox.to(ADDRESS)
    link = link_to(message, "/password/reset/")
    expired = client.get(link)
    assert expired.status_code == 410 and "This link has expired" in expired.get_data(as_text=True)
    posted = client.submit(link, {"new_password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert posted.status_code == 410

    token = link.rsplit("/", 1)[1]
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), token + "x", "nothing", "a" * 3000):
        refused = client.get(f"/password/reset/{bad}")
        assert refused.status_code in (400, 414), bad
        if refused.status_code == 400:
            assert "This link is not valid" in refused.get_data(as_text=True)


def test_a_reset_request_answers_the_same_whoever_is_named(mail_app, client, make_user):
    mail_app.config["FORUM_RATELIMIT_PASSWORD_RESET"] = "100 per hour"
    make_user("mia")
    give_address(mail_app, "mia")
    make_user("noah")  # no address: nothing to mail
    give_address(mail_app, "noah", "noah@example.org", confirmed=False)
    answers = set()
    for name in ("mia", "noah", "nobody-here", "ghost@example.org", ADDRESS.upper(), "<script>"):
        response = client.submit("/password/reset", {"name_or_email": name})
        answers.add((response.status_code, response.headers.get("Location")))
    assert answers == {(302, "/password/reset")}
    assert [row.to_address for row in outbox_rows(mail_app)] == [ADDRESS, ADDRESS]


def test_reset_requests_are_limited(mail_app, client, make_user):
    mail_app.config["FORUM_RATELIMIT_PASSWORD_RESET"] = "2 per hour"
    make_user("mia")
    give_address(mail_app, "mia")
    assert client.submit("/password/reset", {"name_or_email": "mia"}).status_code == 302
    assert client.submit("/password/reset", {"name_or_email": "mia"}).status_code == 302
    refused = client.submit("/password/reset", {"name_or_email": "mia"})
    assert refused.status_code == 429
    assert "Too many password reset requests from here." in refused.get_data(as_text=True)


# ---------------------------------------------------------------- digests


def notify(app, username: str, text: str, *, ago: timedelta = timedelta(0)) -> None:
    """Give a member an unread notification, `ago` in the past."""
    with app.app_context():
        session = get_session()
        member = find_member(session, username)
        block = session.scalar(sa.select(Block).limit(1))
        when = utcnow() - ago
        session.add(Notification(member_id=member.id, kind="verdict", block_id=block.id if block else None,
                                 text=text, group_key=f"test:{text}", created_at=when, updated_at=when))
        session.commit()


def set_member(app, username: str, **values) -> None:
    """Set columns of a member row."""
    with app.app_context():
        session = get_session()
        member = find_member(session, username)
        for name, value in values.items():
            setattr(member, name, value)
        session.commit()


def digests_to(server: MailServer, address: str) -> list:
    return [message for message in server.inbox.to(address) if "notification" in message["Subject"]]


def test_a_digest_tells_of_what_came_after_the_last_visit(mail_app, runner, make_user, mail_server):
    make_article(mail_app, SAMPLE)
    make_user("mia")
    give_address(mail_app, "mia")
    set_member(mail_app, "mia", last_seen_at=utcnow() - timedelta(hours=2))
    notify(mail_app, "mia", "Seen before the visit", ago=timedelta(hours=3))
    notify(mail_app, "mia", "Contested: the count of rises")

    send_mail(runner)
    [digest] = digests_to(mail_server, ADDRESS)
    assert digest["Subject"] == "1 new notification on Test Forum"
    assert "Contested: the count of rises" in text_of(digest)
    assert "Seen before the visit" not in text_of(digest)
    assert f"{SITE}/blocks/" in text_of(digest)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # Weekly: another run the same day writes none, even with something new.
    notify(mail_app, "mia", "Another one")
    send_mail(runner)
    assert len(digests_to(mail_server, ADDRESS)) == 1

    # A week on, but mia visited since the new one: nothing to tell.
    set_member(mail_app, "mia", last_digest_at=utcnow() - timedelta(days=8), last_seen_at=utcnow())
    send_mail(runner)
    assert len(digests_to(mail_server, ADDRESS)) == 1

    # A week on, something after the visit: it comes, with only that.
    notify(mail_app, "mia", "After the visit")
    set_member(mail_app, "mia", last_digest_at=utcnow() - timedelta(days=8))
    send_mail(runner)
    digests = digests_to(mail_server, ADDRESS)
    assert len(digests) == 2
    assert "After the visit" in text_of(digests[1]) and "Another one" not in text_of(digests[1])


def test_a_digest_leaves_out_what_an_unpublished_article_said(mail_app, runner, make_user, mail_server):
    ids = make_article(mail_app, SAMPLE)
    make_user("mia")
    give_address(mail_app, "mia")
    notify(mail_app, "mia", "Refuted: the toll figures")
    with mail_app.app_context():
        session = get_session()
        admin = set_role(session, "u-admin", Role.ADMIN, "admin")
        publication.unpublish_article(session, ids["article"], admin, "A duplicate.")
        session.commit()
    send_mail(runner)
    assert digests_to(mail_server, ADDRESS) == []


def test_daily_never_and_unconfirmed(mail_app, runner, make_user, mail_server):
    make_article(mail_app, SAMPLE)
    for name in ("dora", "nell", "umar"):
        make_user(name)
    give_address(mail_app, "dora", "dora@example.org")
    give_address(mail_app, "nell", "nell@example.org")
    give_address(mail_app, "umar", "umar@example.org", confirmed=False)
    set_member(mail_app, "dora", digest="daily", last_digest_at=utcnow() - timedelta(days=2))
    set_member(mail_app, "nell", digest="never")
    for name in ("dora", "nell", "umar"):
        notify(mail_app, name, "Something new")
    send_mail(runner)
    assert len(digests_to(mail_server, "dora@example.org")) == 1
    assert digests_to(mail_server, "nell@example.org") == []
    assert digests_to(mail_server, "umar@example.org") == []
    # A daily digest a day later.
    notify(mail_app, "dora", "Next day")
    set_member(mail_app, "dora", last_digest_at=utcnow() - timedelta(hours=25))
    send_mail(runner)
    assert len(digests_to(mail_server, "dora@example.org")) == 2


def test_the_digest_frequency_is_chosen_on_the_mail_page(mail_app, client, as_member):
    saved = client.submit("/account/mail", {"email": "", "current_password": "", "digest": "daily"})
    assert saved.status_code == 302
    with mail_app.app_context():
        assert find_member(get_session(), "mia").digest == "daily"
    bad = client.submit("/account/mail", {"email": "", "digest": "hourly"})
    assert bad.status_code == 422


def test_a_visit_is_recorded_at_most_every_few_minutes(mail_app, client, as_member):
    with mail_app.app_context():
        first = find_member(get_session(), "mia").last_seen_at
    assert first is not None  # signing in is a visit
    set_member(mail_app, "mia", last_seen_at=utcnow() - timedelta(hours=1))
    client.get("/")
    with mail_app.app_context():
        seen = find_member(get_session(), "mia").last_seen_at
    assert utcnow() - seen < timedelta(minutes=1)


# ---------------------------------------------------------------- unsubscribing


def test_one_click_unsubscribe_stops_digests(mail_app, client, runner, make_user, mail_server):
    make_article(mail_app, SAMPLE)
    make_user("mia")
    give_address(mail_app, "mia")
    notify(mail_app, "mia", "Something new")
    send_mail(runner)
    [digest] = digests_to(mail_server, ADDRESS)
    link = path_of(digest["List-Unsubscribe"].strip("<>"))
    assert link_to(digest, "/mail/unsubscribe/") == link

    # Opening the link changes nothing: a button asks.
    page = mail_app.test_client().get(link)
    assert page.status_code == 200 and "Unsubscribe" in page.get_data(as_text=True)
    with mail_app.app_context():
        assert find_member(get_session(), "mia").digest == "weekly"
    # RFC 8058: a mail client posts on its own, with no cookie and no CSRF token.
    posted = mail_app.test_client().post(link, data={"List-Unsubscribe": "One-Click"})
    assert posted.status_code == 200
    assert "You are unsubscribed" in posted.get_data(as_text=True)
    with mail_app.app_context():
        assert find_member(get_session(), "mia").digest == "never"

    tampered = mail_app.test_client().post(link + "x", data={"List-Unsubscribe": "One-Click"})
    assert tampered.status_code == 400
    assert "not valid" in tampered.get_data(as_text=True)


def test_an_unsubscribe_link_to_an_address_given_up_changes_nothing(mail_app, runner, make_user, mail_server):
    make_article(mail_app, SAMPLE)
    make_user("mia")
    give_address(mail_app, "mia")
    notify(mail_app, "mia", "Something new")
    send_mail(runner)
    [digest] = digests_to(mail_server, ADDRESS)
    link = path_of(digest["List-Unsubscribe"].strip("<>"))
    give_address(mail_app, "mia", "mia.new@example.org")
    refused = mail_app.test_client().post(link, data={"List-Unsubscribe": "One-Click"})
    assert refused.status_code >= 400 and "no longer uses" in refused.get_data(as_text=True)
    with mail_app.app_context():
        assert find_member(get_session(), "mia").digest == "weekly"


def test_unsubscribing_from_a_confirmation_lets_go_of_the_unconfirmed_address(mail_app, client, runner, as_member,
                                                                              mail_server):
    client.submit("/account/mail", {"email": ADDRESS, "current_password": PASSWORD, "digest": "weekly"})
    send_mail(runner)
    [message] = mail_server.inbox.to(ADDRESS)
    assert mail_app.test_client().post(link_to(message, "/mail/unsubscribe/")).status_code == 200
    with mail_app.app_context():
        assert get_session().scalar(sa.select(Account.email).where(Account.username == "mia")) is None


# ---------------------------------------------------------------- a request never waits on the mail server


def test_a_dead_mail_server_never_slows_a_request(app, client, runner, make_user):
    make_user("mia")
    give_address(app, "mia")
    # Something listens but never answers: a sender would wait; a request must not.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        app.config.update(FORUM_MAIL_SERVER="127.0.0.1", FORUM_MAIL_PORT=silent.getsockname()[1],
                          FORUM_MAIL_TIMEOUT=1, FORUM_SITE_URL=SITE)
        started = time.monotonic()
        assert client.submit("/password/reset", {"name_or_email": "mia"}).status_code == 302
        assert time.monotonic() - started < 1
        output = send_mail(runner)
    assert "1 to retry" in output
    [row] = outbox_rows(app)
    assert row.sent_at is None and row.attempts == 1 and row.next_attempt_at > utcnow() and row.last_error
