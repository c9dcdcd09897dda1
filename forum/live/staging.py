"""Events staged by the services during a transaction, published only once it is committed.

A service that changes a thread calls `stage(session, block_id, kind, data)`; the event waits in the session
until the transaction commits, and goes to the broker the session was made with (`BROKER`, in the session
factory's `info`). A rollback, of the whole transaction or of the savepoint the event was staged in, drops it:
no stream ever tells of a write that did not happen. A broker that fails is logged and left alone for a
few seconds; the write it would have told of stays committed, and pages show it as ever.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so

logger = logging.getLogger(__name__)

BROKER = "forum_events_broker"
PENDING = "forum_events_pending"
# After a broker fails, the seconds for which publishing is skipped rather than tried on every write.
PAUSE_AFTER_FAILURE = 5.0
_paused_until: dict[int, float] = {}


def stage(session: so.Session, block_id: int, kind: str, data: dict[str, Any]) -> None:
    """Keep an event of thread `block_id` until the session's transaction commits."""
    if session.info.get(BROKER) is None:
        return  # a session made outside the forum's factories: nobody listens
    transaction = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(PENDING, []).append((transaction, block_id, kind, data))


def drop_rolled_back(session: so.Session, previous: so.SessionTransaction) -> None:
    """A transaction or savepoint was rolled back: the events staged in it (or in its savepoints) go."""
    pending = session.info.get(PENDING)
    if pending:
        session.info[PENDING] = [e for e in pending if not _within(e[0], previous)]


def forget_uncommitted(session: so.Session, transaction: so.SessionTransaction) -> None:
    """The outermost transaction ended: whatever it did not commit (a session closed midway) goes."""
    if transaction.parent is None:
        session.info.pop(PENDING, None)


def _within(staged: so.SessionTransaction | None, ended: so.SessionTransaction) -> bool:
    """Whether `staged` is `ended` or one of its descendants."""
    while staged is not None:
        if staged is ended:
            return True
        staged = staged.parent
    return False


def publish_committed(session: so.Session) -> None:
    """After a commit: hand every event staged in it to the broker, in the order they were staged."""
    pending = session.info.pop(PENDING, None)
    broker = session.info.get(BROKER)
    if not pending or broker is None:
        return
    if _paused_until.get(id(broker), 0.0) > time.monotonic():
        return
    for _transaction, block_id, kind, data in pending:
        try:
            broker.publish(block_id, kind, data)
        except Exception:  # noqa: BLE001 - the write is committed whatever the broker says
            logger.warning("Live events could not be published; streams miss them for a while", exc_info=True)
            _paused_until[id(broker)] = time.monotonic() + PAUSE_AFTER_FAILURE
            return


def install() -> None:
    """Listen to every session's commits and transaction ends (once, however many apps there are)."""
    listeners = (("after_commit", publish_committed), ("after_soft_rollback", drop_rolled_back),
                 ("after_transaction_end", forget_uncommitted))
    for event, listener in listeners:
        if not sa.event.contains(so.Session, event, listener):
            sa.event.listen(so.Session, event, listener)
