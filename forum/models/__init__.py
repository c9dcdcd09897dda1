"""The forum's tables, all prefixed `forum_`, on metadata of the forum's own; every model is importable from here."""

import sqlalchemy as sa

from forum.models.articles import (
    Article,
    Block,
    BlockChange,
    BlockKind,
    BlockRevision,
    CitationSlot,
    ConsensusStatus,
    block_citations,
)
from forum.models.base import NAMING_CONVENTION, UNSTORABLE, Base, UTCDateTime, one_of, utcnow
from forum.models.discussion import Argument, ArgumentVersion, Source, Stance, Vote
from forum.models.mail import MailKind, OutboxMail
from forum.models.members import Account, ApiToken, DigestFrequency, Member, Role
from forum.models.moderation import AuditEntry, ConsensusChange, Flag, FlagReason
from forum.models.notifications import Notification, NotificationKind, Watch, WatchLevel
from forum.models.suggestions import ScoringRun, Suggestion
from forum.search.schema import after_create, before_drop

# The search index is DDL of its own (virtual tables, triggers, expression indexes) that `create_all` makes too.
sa.event.listen(Base.metadata, "after_create", after_create)
sa.event.listen(Base.metadata, "before_drop", before_drop)

__all__ = [
    "NAMING_CONVENTION",
    "UNSTORABLE",
    "Account",
    "ApiToken",
    "Argument",
    "ArgumentVersion",
    "Article",
    "AuditEntry",
    "Base",
    "Block",
    "BlockChange",
    "BlockKind",
    "BlockRevision",
    "CitationSlot",
    "ConsensusChange",
    "ConsensusStatus",
    "DigestFrequency",
    "Flag",
    "FlagReason",
    "MailKind",
    "Member",
    "Notification",
    "NotificationKind",
    "OutboxMail",
    "Role",
    "ScoringRun",
    "Source",
    "Stance",
    "Suggestion",
    "UTCDateTime",
    "Vote",
    "Watch",
    "WatchLevel",
    "block_citations",
    "one_of",
    "utcnow",
]
