"""A real SMTP server on the loopback for the mail tests: aiosmtpd on a free port of 127.0.0.1, keeping every
message it accepts, which a test may stop in the middle of a mail and start again on the same port."""

from __future__ import annotations

import asyncio
import email
import re
import threading
from collections import Counter
from email import policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers import free_port

LINK = re.compile(r"https?://\S+")


class Inbox:
    """The aiosmtpd handler: keeps each message accepted; may hold the n-th one unanswered (`stall_at`)."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.lock = threading.Lock()
        self.stall_at: int | None = None
        self.stalled = threading.Event()
        self.delay = 0.0
        self.seen = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.seen += 1
            stall = self.stall_at is not None and self.seen == self.stall_at
        if stall:
            # The mail is in the server's hands but never accepted: the test kills the server now.
            self.stalled.set()
            await asyncio.sleep(60)
        if self.delay:
            await asyncio.sleep(self.delay)
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted for delivery"

    def by_message_id(self) -> Counter[str]:
        """How many times each Message-ID arrived."""
        with self.lock:
            return Counter(str(message["Message-ID"]) for message in self.messages)

    def to(self, address: str) -> list[EmailMessage]:
        """The messages for `address`, in the order they came."""
        with self.lock:
            return [message for message in self.messages if message["To"] == address]


class MailServer:
    """aiosmtpd bound to 127.0.0.1 on a free port; `stop()` kills it, `start()` brings it back on the same port."""

    def __init__(self) -> None:
        self.port = free_port()
        self.inbox = Inbox()
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port, ready_timeout=10)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def settings(self) -> dict[str, Any]:
        """The forum settings that send to this server."""
        return {"FORUM_MAIL_SERVER": "127.0.0.1", "FORUM_MAIL_PORT": self.port, "FORUM_MAIL_USE_TLS": False}


def text_of(message: EmailMessage) -> str:
    """The plain-text part of a message."""
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(message: EmailMessage) -> str:
    """The HTML part of a message."""
    part = message.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def links_in(message: EmailMessage) -> list[str]:
    """Every link of the plain-text part."""
    return LINK.findall(text_of(message))
