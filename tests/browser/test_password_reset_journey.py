"""A member who forgot their password resets it from the mail, in a real browser: the link arrives through a
real SMTP server on the loopback (aiosmtpd), sent by `flask forum send-mail`."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect

from forum.db import get_session
from forum.models import Account, utcnow
from tests.browser.journeys import PASSWORD, make_debate
from tests.mail_server import MailServer, links_in
from wsgi import create_app

NEW_PASSWORD = "lanterns along the quay"
ADDRESS = "carol@example.org"
SITE = "http://forum.test"


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def live_config(mail_server: MailServer) -> dict:
    """The live site mails through the test's server; its links name SITE (its port is known only once it serves)."""
    return {**mail_server.settings, "FORUM_SITE_URL": SITE}


@pytest.mark.browser
def test_a_forgotten_password_is_reset_from_the_mail(
    page: Page, live_server: str, database_url: str, mail_server: MailServer, console_errors: list[str]
):
    make_debate(database_url)
    # A sender of its own, as `forum send-mail` runs beside the site, with the same database and mail server.
    sender = create_app({"SECRET_KEY": "browser test secret", "FORUM_DATABASE_URL": database_url,
                         "FORUM_SITE_URL": SITE, "FORUM_SITE_NAME": "Test Forum", **mail_server.settings})
    with sender.app_context():
        session = get_session()
        carol = session.scalar(sa.select(Account).where(Account.username == "carol"))
        carol.email, carol.email_confirmed_at = ADDRESS, utcnow()
        session.commit()

    page.goto(live_server + "/login")
    page.get_by_role("link", name="Forgot your password?").click()
    expect(page.get_by_role("heading", name="Reset your password")).to_be_visible()
    page.get_by_label("User name or mail address").fill(ADDRESS)
    page.get_by_role("button", name="Mail me a link").click()
    expect(page.get_by_role("status")).to_contain_text("a link to reset its password is on its way")

    result = sender.test_cli_runner().invoke(args=["forum", "send-mail"])
    assert "Sent 1 mail" in result.output, result.output
    sender.extensions["forum"].dispose()
    [mail] = mail_server.inbox.to(ADDRESS)
    [link] = [link for link in links_in(mail) if "/password/reset/" in link]
    assert link.startswith(SITE + "/password/reset/")
    link = live_server + link.removeprefix(SITE)  # as if SITE were the live site's address

    page.goto(link)
    expect(page.get_by_role("heading", name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Set the new password").click()
    expect(page.get_by_role("status")).to_contain_text("Your password is set.")
    account = page.get_by_role("navigation", name="Account")
    expect(account).to_contain_text("Signed in as carol")

    # The link is spent; the old password no longer signs in, the new one does.
    page.goto(link)
    expect(page.get_by_role("heading", name="This link does not work")).to_be_visible()
    account.get_by_role("button", name="Sign out").click()
    page.goto(live_server + "/login")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator(".error-summary")).to_contain_text("Wrong user name or password.")
    page.get_by_label("User name").fill("carol")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(account).to_contain_text("Signed in as carol")
    # The spent link and the wrong password answer 400 and 401, which Chromium logs; nothing else may be logged.
    assert [e for e in console_errors if "the server responded with a status of 40" not in e] == []
