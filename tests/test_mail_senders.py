"""`flask forum send-mail` as separate processes against a real SMTP server on the loopback: a server killed in
the middle of a mail and started again loses no mail and sends none twice, and two senders at once never send
the same mail twice (PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: a claim by conditional UPDATE)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from email.utils import make_msgid
from pathlib import Path

import pytest
import sqlalchemy as sa

from forum.db import get_session
from forum.models import MailKind, OutboxMail, utcnow
from tests.mail_server import MailServer
from tests.servers import ROOT

SENDER_TIMEOUT = 120


@pytest.fixture
def mail_server() -> Iterator[MailServer]:
    server = MailServer()
    server.start()
    yield server
    server.stop()


def fill_outbox(app, count: int) -> list[str]:
    """`count` mails waiting in the outbox; their Message-IDs."""
    with app.app_context():
        session = get_session()
        ids = []
        for n in range(count):
            message_id = make_msgid(domain="forum.test")
            session.add(OutboxMail(
                kind=MailKind.DIGEST.value, to_address=f"reader{n}@example.org", subject=f"Mail {n}",
                text_body=f"Mail number {n}.", html_body=f"<p>Mail number {n}.</p>", headers={},
                message_id=message_id, next_attempt_at=utcnow(),
            ))
            ids.append(message_id)
        session.commit()
        return ids


def sender(database_url: str, server: MailServer, instance: Path, batch: int = 50) -> subprocess.Popen:
    """`flask forum send-mail` in a process of its own, on the test's database and mail server."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": "test secret",
        "FORUM_INSTANCE_PATH": str(instance),
        "FORUM_MAIL_SERVER": "127.0.0.1",
        "FORUM_MAIL_PORT": str(server.port),
        "FORUM_SITE_URL": "http://forum.test",
    }
    app = f'wsgi:create_app({{"FORUM_MAIL_BATCH": {batch}}})'
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", app, "forum", "send-mail"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def finish(process: subprocess.Popen) -> str:
    """Wait for a sender; its output, which must end well."""
    output, _ = process.communicate(timeout=SENDER_TIMEOUT)
    assert process.returncode == 0, output
    return output


def unsent(app) -> int:
    with app.app_context():
        return get_session().scalar(sa.select(sa.func.count(OutboxMail.id)).where(OutboxMail.sent_at.is_(None)))


def test_a_server_killed_mid_send_loses_no_mail_and_sends_none_twice(app, database_url, mail_server, tmp_path):
    message_ids = fill_outbox(app, 12)
    mail_server.inbox.stall_at = 5  # the fifth mail is in the server's hands when it dies
    process = sender(database_url, mail_server, tmp_path)
    assert mail_server.inbox.stalled.wait(SENDER_TIMEOUT), "the sender never reached the fifth mail"
    mail_server.stop()
    output = finish(process)
    assert "Sent 4 mails" in output and "1 to retry" in output and "8 waiting" in output, output
    assert sorted(mail_server.inbox.by_message_id().values()) == [1] * 4
    assert unsent(app) == 8

    # The server is back; the retries are due (as they would be after their backoff).
    mail_server.inbox.stall_at = None
    mail_server.start()
    with app.app_context():
        session = get_session()
        session.execute(sa.update(OutboxMail).values(next_attempt_at=utcnow()))
        session.commit()
    assert "Sent 8 mails" in finish(sender(database_url, mail_server, tmp_path))
    received = mail_server.inbox.by_message_id()
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}
    assert unsent(app) == 0


def test_two_senders_at_once_send_each_mail_once(app, database_url, mail_server, tmp_path):
    message_ids = fill_outbox(app, 40)
    mail_server.inbox.delay = 0.1  # a slow server, so that the two senders overlap
    first, second = (sender(database_url, mail_server, tmp_path, batch=4) for _ in range(2))
    outputs = [finish(first), finish(second)]
    received = mail_server.inbox.by_message_id()
    assert sorted(received) == sorted(message_ids)
    assert set(received.values()) == {1}, [m for m, n in received.items() if n > 1]
    assert unsent(app) == 0
    assert all("Sent 0 mails" not in output for output in outputs), outputs
