"""What a thread page says of its paragraph's revisions: a removed or merged paragraph's fate, the diff of each
older wording its arguments answered against today's, and the successors a moderator may attach it to."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
import sqlalchemy.orm as so
from markupsafe import Markup

from forum.models import Block
from forum.services.paragraph_history import OlderWording, older_wordings
from forum.views.diffs import word_diff


@dataclass
class Candidate:
    """A paragraph of the article as it reads now that a removed one may live on as."""

    block: Block
    confidence: float


@dataclass
class ParagraphChanges:
    """The revision panel of a thread page."""

    wordings: list[tuple[OlderWording, Markup]] = field(default_factory=list)
    merged_into: Block | None = None
    candidates: list[Candidate] = field(default_factory=list)


def paragraph_changes(session: so.Session, block: Block, moderator: bool) -> dict[str, Any]:
    """The thread page's revision panel (an article never revised has nothing to say, and asks nothing)."""
    if block.article.revision == 1:
        return {"changes": ParagraphChanges()}
    changes = ParagraphChanges(
        [(w, word_diff(w.text, block.text)) for w in older_wordings(session, block)],
        session.get(Block, block.merged_into_id) if block.merged_into_id is not None else None,
    )
    wanted = {c["block_id"]: c["confidence"] for c in block.successor_candidates or []}
    if moderator and wanted:
        found = session.scalars(sa.select(Block).where(Block.id.in_(wanted), Block.removed_in.is_(None)))
        changes.candidates = [Candidate(b, float(wanted[b.id])) for b in found]
    return {"changes": changes}
