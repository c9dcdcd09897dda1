"""Handing mail to an SMTP server with the standard library (`email` builds it, `smtplib` sends it)."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from types import TracebackType

from forum.models import OutboxMail

# The port of SMTP over TLS from the first byte (RFC 8314); any other port may upgrade with STARTTLS.
IMPLICIT_TLS_PORT = 465


@dataclass(frozen=True)
class SmtpSettings:
    """Where mail goes: `FORUM_MAIL_SERVER`, `_PORT`, `_USE_TLS` (STARTTLS), `_USERNAME`, `_PASSWORD`."""

    server: str
    port: int = 25
    use_tls: bool = False
    username: str | None = None
    password: str | None = None
    timeout: float = 10


class PermanentFailure(Exception):
    """The server refused the mail for good (a 5xx answer): sending it again would be refused again."""


def build_message(mail: OutboxMail, sender: str) -> EmailMessage:
    """The mail as sent: plain text with an HTML alternative, with its kept Message-ID and headers."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(mail.created_at.timestamp(), usegmt=True)
    message["Message-ID"] = mail.message_id
    # Marks the mail as sent by a program, so that auto-responders do not answer it (RFC 3834).
    message["Auto-Submitted"] = "auto-generated"
    for name, value in (mail.headers or {}).items():
        message[name] = value
    message.set_content(mail.text_body)
    message.add_alternative(mail.html_body, subtype="html")
    return message


class SmtpConnection:
    """One connection to the server for a batch: `open()`, `send(...)` each mail, `close()` (or `with`)."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.smtp: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpConnection:
        return self.open()

    def open(self) -> SmtpConnection:
        """Connect, upgrade to TLS when asked, and sign in when a user name is set."""
        settings = self.settings
        context = ssl.create_default_context()
        if settings.port == IMPLICIT_TLS_PORT:
            self.smtp = smtplib.SMTP_SSL(settings.server, settings.port, timeout=settings.timeout, context=context)
        else:
            self.smtp = smtplib.SMTP(settings.server, settings.port, timeout=settings.timeout)
        try:
            if settings.use_tls and settings.port != IMPLICIT_TLS_PORT:
                self.smtp.starttls(context=context)
            if settings.username:
                self.smtp.login(settings.username, settings.password or "")
        except BaseException:
            self.close()
            raise
        return self

    def send(self, message: EmailMessage) -> None:
        """Send one message; `PermanentFailure` when the server refuses it for good, else its own error."""
        assert self.smtp is not None
        try:
            refused = self.smtp.send_message(message)
        except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused, smtplib.SMTPDataError) as error:
            code = getattr(error, "smtp_code", None)
            if code is None and isinstance(error, smtplib.SMTPRecipientsRefused):
                code = min((answer[0] for answer in error.recipients.values()), default=None)
            if code is not None and 500 <= code < 600:
                raise PermanentFailure(str(error)) from error
            raise
        if refused:
            raise PermanentFailure(f"The server refused {', '.join(refused)}.")

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        """Say goodbye to the server, or just drop the connection if it is gone."""
        if self.smtp is None:
            return
        try:
            self.smtp.quit()
        except (smtplib.SMTPException, OSError):
            self.smtp.close()
