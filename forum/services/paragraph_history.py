"""A paragraph across its article's revisions: its earlier wordings, the wording each argument answered, and a
removed paragraph's thread attached by a moderator to the paragraph that lives on in its place."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa
import sqlalchemy.orm as so

from forum.errors import Conflict, Gone, Invalid
from forum.models import Argument, Block, BlockChange, BlockRevision, Member, Role
from forum.services import audit
from forum.services.lookup import check_readable, get_block
from forum.services.members import require
from forum.services.revision_apply import move_arguments


def block_revisions(session: so.Session, block_id: int, *, moderator: bool = False) -> list[BlockRevision]:
    """A block's wordings, oldest first: one for each revision of its article that set a new text."""
    block = get_block(session, block_id)
    check_readable(block.article, moderator)
    return list(
        session.scalars(
            sa.select(BlockRevision).where(BlockRevision.block_id == block_id).order_by(BlockRevision.revision)
        )
    )


@dataclass
class OlderWording:
    """A wording of the paragraph (or of one merged into it) that some of its arguments answered."""

    block_id: int
    revision: int
    text: str
    # Whether it was another paragraph's, merged into this one since.
    merged: bool = False
    # The arguments of the thread written against it, by id.
    arguments: list[int] = field(default_factory=list)


def older_wordings(session: so.Session, block: Block) -> list[OlderWording]:
    """The earlier wordings a thread's arguments answered, each with its arguments, in the order of revisions.

    An argument answered the wording its paragraph had at the revision it was written against (or, moved
    by a merge, the wording of the paragraph it was written on); those that answered today's text are left out.
    """
    written = session.execute(
        sa.select(Argument.id, sa.func.coalesce(Argument.origin_block_id, Argument.block_id), Argument.revision)
        .where(Argument.block_id == block.id)
        .order_by(Argument.id)
    ).all()
    wanted = {(origin, revision) for _, origin, revision in written}
    if not wanted:
        return []
    texts: dict[int, list[BlockRevision]] = {}
    for row in session.scalars(
        sa.select(BlockRevision)
        .where(BlockRevision.block_id.in_({origin for origin, _ in wanted}))
        .order_by(BlockRevision.block_id, BlockRevision.revision)
    ):
        texts.setdefault(row.block_id, []).append(row)
    wordings: dict[tuple[int, int], OlderWording] = {}
    for argument_id, origin, revision in written:
        earlier = [row for row in texts.get(origin, []) if row.revision <= revision]
        if not earlier:
            continue
        wording = earlier[-1]
        if origin == block.id and wording.text == block.text:
            continue  # it answered the words the paragraph has now
        key = (origin, wording.revision)
        found = wordings.setdefault(key, OlderWording(origin, wording.revision, wording.text, origin != block.id))
        found.arguments.append(argument_id)
    return sorted(wordings.values(), key=lambda w: (w.revision, w.merged, w.block_id))


def attach_thread(
    session: so.Session, removed_id: int, target_id: int, moderator: Member, reason: str = ""
) -> Block:
    """Attach a removed paragraph's thread to the paragraph a revision put in its place (moderators).

    Its arguments move into that thread as a merge's do; the removed block then points there, and the
    target's verdict, if it has one, is marked for review. Audited as `thread.attach`; the caller commits.
    """
    require(moderator, Role.MODERATOR)
    reason = audit.check_reason(reason, required=False)
    removed = get_block(session, removed_id)
    target = session.get(Block, target_id)
    if target is None or target.article_id != removed.article_id:
        raise Invalid("Attach it to a paragraph of the same article.", field="block_id")
    if removed.change != BlockChange.REMOVED.value or not removed.is_removed:
        raise Conflict("Only a removed paragraph's thread can be attached to another paragraph.")
    if target.is_removed or not target.is_thread or not removed.is_thread:
        raise Invalid("Attach it to a paragraph of the article as it reads now (a heading has no thread).",
                      field="block_id")
    if removed.article.unpublished_at is not None:
        raise Gone("This article was unpublished: its threads take nothing new.")
    moved = move_arguments(session, removed, target)
    removed.change, removed.merged_into_id, removed.successor_candidates = BlockChange.MERGED.value, target.id, []
    if target.consensus_version > 0:
        target.consensus_needs_review = True
    audit.record(
        session, moderator, "thread.attach", "block", removed.id, reason,
        article_id=removed.article_id, into=target.id, arguments=moved,
    )
    return target
