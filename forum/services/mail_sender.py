"""Sending the outbox: claim a batch, hand each mail to the server, record each as soon as it is accepted."""

from __future__ import annotations

import smtplib
from dataclasses import dataclass

import sqlalchemy.orm as so

from forum.mail_transport import PermanentFailure, SmtpConnection, SmtpSettings, build_message
from forum.services import outbox
from forum.services.outbox import MailSettings

# What a mail no server could ever take raises while it is built or sent (a header that cannot be encoded).
UNSENDABLE = (ValueError, UnicodeError, smtplib.SMTPNotSupportedError)


@dataclass
class SendReport:
    """What one run of the sender did."""

    sent: int = 0
    retried: int = 0
    failed: int = 0

    def add(self, other: SendReport) -> None:
        """Count another round's mails in with these."""
        self.sent, self.retried, self.failed = (
            self.sent + other.sent, self.retried + other.retried, self.failed + other.failed
        )


def describe(error: BaseException) -> str:
    """An error as kept on the row: its kind and message."""
    return f"{type(error).__name__}: {error}"


def send_batch(
    session: so.Session, settings: MailSettings, smtp: SmtpSettings, sender: str
) -> tuple[SendReport, bool]:
    """Claim one batch and send it over one connection; the report and whether the server kept answering.

    A mail that fails puts itself back for later; the rest of the batch is let go at once, to be claimed
    again (by this sender's next round or another's) over a fresh connection. When the server cannot even be
    reached, every claimed mail waits for its next attempt.
    """
    report = SendReport()
    claimed = outbox.claim(session, settings, sender)
    if not claimed:
        return report, True
    remaining = list(claimed)
    try:
        connection = SmtpConnection(smtp).open()
    except (smtplib.SMTPException, OSError) as error:
        outbox.mark_failed(session, settings, remaining, sender, describe(error))
        report.retried += len(remaining)
        return report, False
    healthy = True
    try:
        while remaining:
            mail_id = remaining.pop(0)
            mail = outbox.still_mine(session, mail_id, sender)
            if mail is None:  # its claim lapsed and another sender took it
                continue
            try:
                connection.send(build_message(mail, settings.sender))
            except (PermanentFailure, *UNSENDABLE) as error:
                outbox.mark_failed(session, settings, [mail_id], sender, describe(error), permanent=True)
                report.failed += 1
                continue
            except (smtplib.SMTPException, OSError) as error:
                outbox.mark_failed(session, settings, [mail_id], sender, describe(error))
                report.retried += 1
                healthy = False
                break
            outbox.mark_sent(session, mail_id, sender)
            report.sent += 1
    finally:
        connection.close()
        if remaining:
            outbox.release(session, remaining, sender)
    return report, healthy


def send_due(session: so.Session, settings: MailSettings, smtp: SmtpSettings, sender: str) -> SendReport:
    """Send batches until nothing is due or the server stops answering."""
    total = SendReport()
    while True:
        report, healthy = send_batch(session, settings, smtp, sender)
        total.add(report)
        if not healthy or report.sent + report.retried + report.failed == 0:
            return total
