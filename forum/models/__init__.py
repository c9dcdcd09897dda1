"""The forum's tables, all prefixed `forum_`, on metadata of the forum's own; every model is importable from here."""

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
from forum.models.members import Account, ApiToken, Member, Role
from forum.models.moderation import AuditEntry, ConsensusChange, Flag, FlagReason
from forum.models.suggestions import ScoringRun, Suggestion

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
    "Flag",
    "FlagReason",
    "Member",
    "Role",
    "ScoringRun",
    "Source",
    "Stance",
    "Suggestion",
    "UTCDateTime",
    "Vote",
    "block_citations",
    "one_of",
    "utcnow",
]
